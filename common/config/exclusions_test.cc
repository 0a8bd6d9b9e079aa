// SPDX-License-Identifier: Apache-2.0
#include "common/config/exclusions.h"

#include <filesystem>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "common/log.h"
#include "common/testing/file_helpers.h"

namespace stas {
namespace {

ExcludedConnection Conn() {
  return ExcludedConnection{.transport = "tcp",
                            .traddr = "2001:db8::10",
                            .trsvcid = "4420",
                            .nqn = "nqn.2014-08.org.example:sub1",
                            .host_traddr = "",
                            .host_iface = "eth0",
                            .hostnqn = "nqn.host",
                            .hostid = "11111111-2222-3333-4444-555555555555"};
}

bool Excluded(const std::string& entry) {
  return MatchExclusion(ParseExclusions("[exclusions]\nexclusion = " + entry + "\n", "x.conf"),
                        Conn())
      .has_value();
}

TEST(ExclusionsTest, AnEntryMatchesWhenEveryFieldItNamesIsTheConnections) {
  EXPECT_TRUE(Excluded("nqn=nqn.2014-08.org.example:sub1"));
  EXPECT_TRUE(Excluded("transport=tcp;trsvcid=4420;host-iface=eth0"));
  EXPECT_TRUE(Excluded(" traddr = 2001:DB8:0::10 ; hostnqn=nqn.host"));  // addresses as addresses
  EXPECT_TRUE(Excluded("hostid=11111111-2222-3333-4444-555555555555"));
  EXPECT_FALSE(Excluded("traddr=::ffff:192.0.2.10"));
  EXPECT_FALSE(Excluded("nqn=nqn.2014-08.org.example:sub1;trsvcid=4421"));
  EXPECT_FALSE(Excluded("host-traddr=192.0.2.1"));  // a field the connection does not have
  EXPECT_FALSE(Excluded("nqn=nqn.2014-08.org.example:sub1;colour=blue"));  // unknown key
  EXPECT_FALSE(Excluded(""));                                              // empty
  EXPECT_FALSE(Excluded(";;"));
  EXPECT_FALSE(Excluded("nqn"));  // no value
}

// An IPv4-mapped IPv6 address is the IPv4 address, on either side.
TEST(ExclusionsTest, AnIpv4MappedAddressIsTheIpv4Address) {
  ExcludedConnection c = Conn();
  c.traddr = "192.0.2.10";
  c.host_traddr = "::ffff:192.0.2.1";
  auto list = ParseExclusions(
      "[exclusions]\nexclusion = traddr=::FFFF:192.0.2.10;host-traddr=192.0.2.1\n", "x.conf");
  EXPECT_TRUE(MatchExclusion(list, c).has_value());
  c.traddr = "192.0.2.11";
  EXPECT_FALSE(MatchExclusion(list, c).has_value());
}

TEST(ExclusionsTest, OnlyTheExclusionsSectionCountsAndEachEntrySaysWhereItIs) {
  auto list = ParseExclusions(
      "[other]\nexclusion = transport=tcp\n[exclusions]\n# a comment\nexclusion = trsvcid=4420\n",
      "/etc/nvme/exclusions.conf");
  ASSERT_EQ(list.size(), 1U);
  EXPECT_EQ(list[0].where, "/etc/nvme/exclusions.conf:5");
  auto x = MatchExclusion(list, Conn());
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->where, "/etc/nvme/exclusions.conf:5");
}

// The main file and the .d files in name order; one that cannot be read excludes nothing.
TEST(ExclusionsTest, ReadsTheFileAndItsDirectoryAndFailsOpen) {
  testing::ScopedTempDir tmp{"exclusions-test"};
  const std::string dir = tmp.path();
  EXPECT_TRUE(ReadExclusions(dir).empty());  // nothing there
  testing::WriteFileText(dir + "/exclusions.conf", "[exclusions]\nexclusion = trsvcid=9\n");
  testing::WriteFileText(dir + "/exclusions.conf.d/b.conf",
                         "[exclusions]\nexclusion = host-iface=eth0\n");
  testing::WriteFileText(dir + "/exclusions.conf.d/a.conf",
                         "[exclusions]\nexclusion = trsvcid=8\n");
  testing::WriteFileText(dir + "/exclusions.conf.d/c.txt",
                         "[exclusions]\nexclusion = trsvcid=4420\n");
  auto list = ReadExclusions(dir);
  ASSERT_EQ(list.size(), 3U);
  EXPECT_EQ(list[1].where, dir + "/exclusions.conf.d/a.conf:2");
  auto x = MatchExclusion(list, Conn());
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->where, dir + "/exclusions.conf.d/b.conf:2");
  // Unreadable (a directory where the file should be): ignored, the others still count.
  std::filesystem::remove(dir + "/exclusions.conf");
  std::filesystem::create_directories(dir + "/exclusions.conf");
  EXPECT_EQ(ReadExclusions(dir).size(), 2U);
}

// A FIFO (or a device) where a file is expected is not opened for reading, so no connect waits
// on it; a file larger than 256 KiB is not read either; each says so once, as does an entry
// that can never match.
TEST(ExclusionsTest, WhatIsNotASmallRegularFileExcludesNothingAndIsSaidOnce) {
  testing::ScopedTempDir tmp{"exclusions-test"};
  const std::string dir = tmp.path();
  std::vector<std::string> warnings;
  SetLogSinkForTesting([&warnings](LogLevel l, const std::string& s) {
    if (l >= LogLevel::kWarning)
      warnings.push_back(s);
  });
  ASSERT_EQ(mkfifo((dir + "/exclusions.conf").c_str(), 0600), 0);
  testing::WriteFileText(dir + "/exclusions.conf.d/big.conf",
                         "[exclusions]\nexclusion = trsvcid=4420\n" + std::string(300000, '#'));
  testing::WriteFileText(dir + "/exclusions.conf.d/typo.conf",
                         "[exclusions]\nexclusion = trsvcid=4420;trdadr=192.0.2.1\n");
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(MatchExclusion(ReadExclusions(dir), Conn()).has_value());
  SetLogSinkForTesting(nullptr);
  ASSERT_EQ(warnings.size(), 3U) << ::testing::PrintToString(warnings);
  EXPECT_NE(warnings[0].find("exclusions.conf: not a regular file"), std::string::npos);
  EXPECT_NE(warnings[1].find("big.conf: larger than 262144 bytes"), std::string::npos);
  EXPECT_NE(warnings[2].find("typo.conf:2: this exclusion never matches: unknown key \"trdadr\""),
            std::string::npos);
}

}  // namespace
}  // namespace stas
