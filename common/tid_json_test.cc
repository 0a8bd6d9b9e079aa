// SPDX-License-Identifier: Apache-2.0
#include "common/tid_json.h"

#include <gtest/gtest.h>

namespace stas {
namespace {

nlohmann::json Sample() {
  return {{"traddr", "192.0.2.1"},   {"trsvcid", "4420"},    {"transport", "tcp"},
          {"subsysnqn", "nqn.io:1"}, {"host-iface", "eth0"}, {"host-traddr", ""},
          {"host-nqn", ""}};
}

TEST(TidJsonTest, RoundTrips) {
  Tid tid = Tid::Make({.transport = "tcp", .traddr = "192.0.2.1", .subsysnqn = "nqn.io:1"},
                      TidDefaults{.host_nqn = "nqn.host"});
  Result<TidFields> f = TidFieldsFromJson(TidToJson(tid));
  ASSERT_TRUE(f);
  EXPECT_EQ(Tid::Make(*f, TidDefaults{}), tid);
  EXPECT_TRUE(TidFieldsFromJson(Sample()));
}

TEST(TidJsonTest, RefusesMissingKeysAndNonStrings) {
  nlohmann::json j = Sample();
  j.erase("host-nqn");
  EXPECT_FALSE(TidFieldsFromJson(j));
  j = Sample();
  j["trsvcid"] = 4420;
  EXPECT_FALSE(TidFieldsFromJson(j));
}

// stafd connects to every DC its last-known-config.json names, and stacd re-adopts what
// owned-controllers.json names: a value that would add an option to the connect string must
// not come back from either file. Found by tests/fuzz (lkc, owned_controllers).
TEST(TidJsonTest, RefusesValuesThatWouldInjectIntoTheConnectString) {
  for (const char* key :
       {"traddr", "trsvcid", "transport", "subsysnqn", "host-iface", "host-traddr", "host-nqn"}) {
    for (const char* bad : {"eth0,hostnqn=nqn.evil", "a b", "a\nb", "a\xc3\xa9"}) {
      nlohmann::json j = Sample();
      j[key] = bad;
      EXPECT_FALSE(TidFieldsFromJson(j)) << key << "=" << bad;
    }
  }
}

}  // namespace
}  // namespace stas
