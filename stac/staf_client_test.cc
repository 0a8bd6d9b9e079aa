// SPDX-License-Identifier: Apache-2.0
#include "stac/staf_client.h"

#include <map>
#include <nlohmann/json.hpp>

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

// A connect=volumes DC says so in its dict; any other value (or none) means "all".
TEST(StafClientTest, ReadsADcsConnectChoice) {
  auto page_of = [](const std::string& connect) {
    return std::string(R"({"discovery-controller":{"traddr":"192.0.2.10")") + connect +
           R"(},"log-pages":[)" + kEntry + "]}";
  };
  std::optional<std::vector<DcLogPage>> pages = ParseAllLogPages(
      "[" + page_of(R"(,"connect":"volumes")") + "," + page_of(R"(,"connect":"all")") + "," +
      page_of("") + "," + page_of(R"(,"connect":"Volumes")") + "]");
  ASSERT_TRUE(pages);
  ASSERT_EQ(pages->size(), 4u);
  EXPECT_TRUE((*pages)[0].volumes_only);
  EXPECT_FALSE((*pages)[1].volumes_only);
  EXPECT_FALSE((*pages)[2].volumes_only);
  EXPECT_FALSE((*pages)[3].volumes_only);
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

TEST(StafClientTest, ADcWhoseHostFieldsCouldInjectIsIgnoredTheOthersServed) {
  // host-traddr, host-iface and host-nqn of a DC go into its I/O controllers' connect strings.
  auto page_of = [](const std::string& dc) {
    return std::string(R"({"discovery-controller":)") + dc + R"(,"log-pages":[)" + kEntry + "]}";
  };
  for (const char* bad :
       {R"({"host-traddr":"10.0.0.1,hostnqn=nqn.evil"})", R"({"host-traddr":"[::1]"})",
        R"({"host-iface":"eth0,x=y"})", R"({"host-iface":"eth0 tos=1"})",
        R"({"host-nqn":"nqn.h\nnr_io_queues=9"})", R"({"host-nqn":"not-an-nqn"})"}) {
    std::optional<std::vector<DcLogPage>> pages =
        ParseAllLogPages("[" + page_of(bad) + "," + page_of(R"({"host-iface":"eth1"})") + "]");
    ASSERT_TRUE(pages) << bad;
    ASSERT_EQ(pages->size(), 1u) << bad;
    EXPECT_EQ((*pages)[0].host_iface, "eth1");
  }
}

TEST(StafClientTest, ADcReadOnItsOwnGivesWhatTheWholeDocumentGives) {
  // The DC-by-DC reading (list_controllers + get_log_pages) and get_all_log_pages must give
  // stacd the same page, validated the same way.
  std::string json =
      std::string(R"([{"discovery-controller":{"transport":"tcp","host-traddr":"10.0.0.1",)") +
      R"("host-iface":"eth0","host-nqn":"nqn.host"},"log-pages":[)" + kEntry + "]}]";
  std::optional<std::vector<DcLogPage>> whole = ParseAllLogPages(json);
  ASSERT_TRUE(whole);
  nlohmann::json entry = nlohmann::json::parse(kEntry);
  std::map<std::string, std::string> dc = {{"transport", "tcp"},   {"traddr", "192.0.2.10"},
                                           {"trsvcid", "8009"},    {"host-traddr", "10.0.0.1"},
                                           {"host-iface", "eth0"}, {"host-nqn", "nqn.host"},
                                           {"device", "nvme0"}};
  std::optional<DcLogPage> one =
      DcLogPageFromDicts(dc, {entry.get<std::map<std::string, std::string>>()});
  ASSERT_TRUE(one);
  EXPECT_EQ(one->host_traddr, (*whole)[0].host_traddr);
  EXPECT_EQ(one->host_iface, (*whole)[0].host_iface);
  EXPECT_EQ(one->host_nqn, (*whole)[0].host_nqn);
  EXPECT_EQ(one->entries, (*whole)[0].entries);

  std::map<std::string, std::string> hostile = entry.get<std::map<std::string, std::string>>();
  hostile["traddr"] = "192.0.2.20,hostnqn=x";
  one = DcLogPageFromDicts(dc, {hostile, entry.get<std::map<std::string, std::string>>()});
  ASSERT_TRUE(one);
  EXPECT_EQ(one->entries.size(), 1u);
  dc["host-iface"] = "eth0,x=y";
  EXPECT_FALSE(DcLogPageFromDicts(dc, {}));
}

TEST(StafClientTest, TooLargeErrorsAreRecognised) {
  EXPECT_TRUE(IsReplyTooLarge(sdbus::Error("org.nvmexpress.staf.Error.ReplyTooLarge", "x")));
  EXPECT_TRUE(IsReplyTooLarge(sdbus::Error("org.freedesktop.DBus.Error.LimitsExceeded", "x")));
  EXPECT_FALSE(IsReplyTooLarge(sdbus::Error("org.nvmexpress.staf.Error.Failed", "x")));
  EXPECT_FALSE(IsReplyTooLarge(sdbus::Error("org.freedesktop.DBus.Error.NoReply", "x")));
}

}  // namespace
}  // namespace stas::stac
