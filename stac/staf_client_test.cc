// SPDX-License-Identifier: Apache-2.0
#include "stac/staf_client.h"

#include <gtest/gtest.h>

namespace stas::stac {
namespace {

constexpr const char* kEntry =
    R"({"trtype":"tcp","adrfam":"ipv4","traddr":"192.0.2.20","trsvcid":"4420","subnqn":"nqn.io:1",)"
    R"("subtype":"nvme","treq":"not specified","portid":"1","cntlid":"65535","asqsz":"32","eflags":"4"})";

TEST(StafClientTest, ParsesStafdsLogPages) {
  std::string json =
      std::string(R"([{"discovery-controller":{"host-traddr":"10.0.0.1","host-iface":"eth0",)") +
      R"("host-nqn":"nqn.host","traddr":"192.0.2.10"},"log-pages":[)" + kEntry + "]}]";
  std::optional<std::vector<DcLogPage>> pages = ParseAllLogPages(json);
  ASSERT_TRUE(pages);
  ASSERT_EQ(pages->size(), 1u);
  EXPECT_EQ((*pages)[0].host_iface, "eth0");
  EXPECT_EQ((*pages)[0].host_nqn, "nqn.host");
  ASSERT_EQ((*pages)[0].entries.size(), 1u);
  EXPECT_EQ((*pages)[0].entries[0].subnqn, "nqn.io:1");
  EXPECT_TRUE((*pages)[0].entries[0].Ncc());
}

TEST(StafClientTest, RejectsHostileEntriesAndBrokenDocuments) {
  std::string hostile = kEntry;
  hostile.replace(hostile.find("nqn.io:1"), 8, "nqn.x,hostnqn=y");
  std::string json =
      std::string(R"([{"discovery-controller":{},"log-pages":[)") + hostile + "," + kEntry + "]}]";
  std::optional<std::vector<DcLogPage>> pages = ParseAllLogPages(json);
  ASSERT_TRUE(pages);
  ASSERT_EQ((*pages)[0].entries.size(), 1u);  // only the clean one
  for (const char* bad :
       {"", "{", "{}", R"([{"log-pages":[]}])", R"([{"discovery-controller":{}}])"}) {
    EXPECT_FALSE(ParseAllLogPages(bad)) << bad;
  }
}

// The host side of a DC goes into the Tid, and so into the connect string, of every candidate
// from its page: a page whose host side could inject an option is refused whole. Found by
// tests/fuzz/staf_log_pages_fuzz.cc.
TEST(StafClientTest, RefusesAHostSideThatWouldInjectIntoTheConnectString) {
  for (const char* host :
       {R"("host-iface":"eth0,hostnqn=nqn.evil")", R"("host-traddr":"10.0.0.1,host_iface=eth9")",
        R"("host-nqn":"nqn.h ost")", R"("host-iface":"eth0\n")"}) {
    std::string json = std::string(R"([{"discovery-controller":{)") + host + R"(},"log-pages":[)" +
                       kEntry + R"(]},{"discovery-controller":{},)" + R"("log-pages":[)" + kEntry +
                       "]}]";
    std::optional<std::vector<DcLogPage>> pages = ParseAllLogPages(json);
    ASSERT_TRUE(pages) << host;
    ASSERT_EQ(pages->size(), 1u) << host;  // only the DC without a host side
    EXPECT_EQ((*pages)[0].host_iface, "");
  }
}

}  // namespace
}  // namespace stas::stac
