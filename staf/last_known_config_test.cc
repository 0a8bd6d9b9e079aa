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

TEST(LastKnownConfigTest, TheTsasSectypeIsKeptAndOptional) {
  SavedDc dc = Sample();
  RawLogEntry raw = testing::SimEntry("nqn.io:1", "192.0.2.20", "4420", 2, 4);
  raw.tsas0 = 2;
  dc.log = ValidateLogEntries({raw}).entries;
  std::string text = SerializeLkc({dc});
  Result<std::vector<SavedDc>> back = ParseLkc(text);
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ((*back)[0].log.size(), 1u);
  EXPECT_EQ((*back)[0].log[0].sectype, 2);
  // A file written before the sectype was kept: none.
  const std::string key = ",\"sectype\":2";
  ASSERT_NE(text.find(key), std::string::npos) << text;
  text.erase(text.find(key), key.size());
  back = ParseLkc(text);
  ASSERT_TRUE(back) << back.error().message << text;
  ASSERT_EQ((*back)[0].log.size(), 1u);
  EXPECT_EQ((*back)[0].log[0].sectype, 0);
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

// Replaces the first `from` in the serialised Sample() with `to`.
std::string SampleWith(const std::string& from, const std::string& to) {
  std::string text = SerializeLkc({Sample()});
  size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return pos == std::string::npos ? text : text.replace(pos, from.size(), to);
}

TEST(LastKnownConfigTest, NumbersOutOfRangeAreRejectedNotConverted) {
  // get<uint8_t>() of 1e300 is undefined behaviour (UBSan: float-cast-overflow); -1 and 256
  // would wrap around to another transport or address family.
  ASSERT_TRUE(ParseLkc(SampleWith("\"trtype\":3", "\"trtype\":3")));
  for (const char* bad : {"1e300", "-1", "256", "3.5", "\"3\"", "null"})
    EXPECT_FALSE(ParseLkc(SampleWith("\"trtype\":3", std::string("\"trtype\":") + bad))) << bad;
  for (const char* bad : {"1e300", "-1", "65536", "\"4\""}) {
    EXPECT_FALSE(ParseLkc(SampleWith("\"cntlid\":", std::string("\"cntlid\":") + bad + ",\"x\":")))
        << bad;
  }
  EXPECT_FALSE(ParseLkc(SampleWith("\"version\":1", "\"version\":1e300")));
  EXPECT_FALSE(ParseLkc(SampleWith("\"version\":1", "\"version\":-1")));
}

TEST(LastKnownConfigTest, IdentitiesThatCouldNotGoIntoAConnectStringAreRejected) {
  // The DC's own identity goes into the connect string stafd writes after a restart.
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"traddr\":\"192.0.2.10\"", "\"traddr\":\"192.0.2.10,hostnqn=nqn.evil\""},
           {"\"trsvcid\":\"8009\"", "\"trsvcid\":\"08009\""},
           {"\"host-iface\":\"\"", "\"host-iface\":\"eth0 x\""},
           {"\"host-traddr\":\"\"", "\"host-traddr\":\"not an address!\""},
           {"\"host-nqn\":\"nqn.host\"", "\"host-nqn\":\"nqn.host\\nx\""},
           {"\"transport\":\"tcp\"", "\"transport\":\"tcp,x\""},
           {"\"subsysnqn\":\"nqn.dc\"", "\"subsysnqn\":\"nqn dc\""}}) {
    Result<std::vector<SavedDc>> r = ParseLkc(SampleWith(from, to));
    ASSERT_FALSE(r) << to;
    EXPECT_NE(r.error().message.find("controller identity"), std::string::npos)
        << r.error().message;
  }
}

TEST(LastKnownConfigTest, PathFollowsRuntimeDirectory) {
  setenv("RUNTIME_DIRECTORY", "/run/x:/run/y", 1);
  EXPECT_EQ(DefaultLkcPath("stafd"), "/run/x/last-known-config.json");
  unsetenv("RUNTIME_DIRECTORY");
  EXPECT_EQ(DefaultLkcPath("stafd"), "/run/stafd/last-known-config.json");
}

}  // namespace
}  // namespace stas::staf
