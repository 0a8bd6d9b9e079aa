// SPDX-License-Identifier: Apache-2.0
#include "staf/last_known_config.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "common/testing/simulated_kernel.h"

namespace stas::staf {
namespace {

SavedDc Sample() {
  SavedDc dc;
  dc.tid = Tid::Make({.transport = "tcp", .traddr = "192.0.2.10", .subsysnqn = "nqn.dc"},
                     TidDefaults{false, "nqn.host"});
  dc.origin = Origin::kReferral;
  ValidatedLog v = ValidateLogEntries({testing::SimEntry("nqn.io:1", "192.0.2.20", "4420", 2, 4)});
  dc.log = v.entries;
  return dc;
}

TEST(LastKnownConfigTest, RoundTrip) {
  Result<std::vector<SavedDc>> back = ParseLkc(SerializeLkc({Sample()}));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].tid, Sample().tid);
  EXPECT_EQ((*back)[0].origin, Origin::kReferral);
  ASSERT_EQ((*back)[0].log.size(), 1u);
  EXPECT_EQ((*back)[0].log[0].AsDict(), Sample().log[0].AsDict());
  EXPECT_TRUE((*back)[0].log[0].Ncc());
}

TEST(LastKnownConfigTest, CorruptOrForeignDocumentsAreRejected) {
  for (const char* text : {"", "garbage", "[]", "{\"format\":\"other\",\"version\":1,\"dcs\":[]}",
                           "{\"format\":\"stafd-last-known-config\",\"version\":2,\"dcs\":[]}",
                           "{\"format\":\"stafd-last-known-config\",\"version\":1}",
                           "{\"format\":\"stafd-last-known-config\",\"version\":1,\"dcs\":[{}]}",
                           "\x80\x04\x95pickle"}) {
    EXPECT_FALSE(ParseLkc(text)) << text;
  }
}

TEST(LastKnownConfigTest, HostileEntriesInTheFileAreRejected) {
  SavedDc dc = Sample();
  std::string text = SerializeLkc({dc});
  size_t pos = text.find("nqn.io:1");
  text.replace(pos, 8, "nqn.a,b=c");
  EXPECT_FALSE(ParseLkc(text));
}

// Numbers out of their field's range are refused, not wrapped (trtype 259 was read as 3, tcp),
// and a huge version is no undefined conversion (UBSan: -DSTAS_SANITIZE=ON). Found by the fuzz
// tier (lkc, owned_controllers).
TEST(LastKnownConfigTest, NumbersOutOfRangeAreRejected) {
  std::string good = SerializeLkc({Sample()});
  ASSERT_TRUE(ParseLkc(good));
  for (const char* bad : {"259", "-1", "1e300", "3.5", "\"3\""}) {
    std::string text = good;
    size_t pos = text.find("\"trtype\":3");
    ASSERT_NE(pos, std::string::npos) << text;
    text.replace(pos, 10, std::string("\"trtype\":") + bad);
    EXPECT_FALSE(ParseLkc(text)) << bad;
  }
  std::string text = good;
  text.replace(text.find("\"version\":1"), 11, "\"version\":7e300");
  EXPECT_FALSE(ParseLkc(text));
}

TEST(LastKnownConfigTest, PathFollowsRuntimeDirectory) {
  setenv("RUNTIME_DIRECTORY", "/run/x:/run/y", 1);
  EXPECT_EQ(DefaultLkcPath("stafd"), "/run/x/last-known-config.json");
  unsetenv("RUNTIME_DIRECTORY");
  EXPECT_EQ(DefaultLkcPath("stafd"), "/run/stafd/last-known-config.json");
}

}  // namespace
}  // namespace stas::staf
