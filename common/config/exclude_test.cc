// SPDX-License-Identifier: Apache-2.0
#include "common/config/exclude.h"

#include <gtest/gtest.h>

namespace stas {
namespace {

Tid MakeTid() {
  return Tid::Make({.transport = "tcp",
                    .traddr = "192.168.1.10",
                    .trsvcid = "4420",
                    .subsysnqn = "nqn.io",
                    .host_traddr = "192.168.1.5",
                    .host_iface = "eth0"},
                   {.ignore_iface = false, .host_nqn = "nqn.host"});
}

TEST(ExcludeTest, SingleFieldMatches) {
  Tid tid = MakeTid();
  EXPECT_TRUE((ExcludeRule{{{"traddr", "192.168.1.10"}}}.Matches(tid)));
  EXPECT_TRUE((ExcludeRule{{{"host-iface", "eth0"}}}.Matches(tid)));
  EXPECT_TRUE((ExcludeRule{{{"subsysnqn", "nqn.io"}}}.Matches(tid)));
  EXPECT_TRUE((ExcludeRule{{{"host-nqn", "nqn.host"}}}.Matches(tid)));
  EXPECT_FALSE((ExcludeRule{{{"traddr", "192.168.1.11"}}}.Matches(tid)));
}

TEST(ExcludeTest, AllFieldsMustMatch) {
  Tid tid = MakeTid();
  EXPECT_TRUE((ExcludeRule{{{"transport", "tcp"}, {"trsvcid", "4420"}}}.Matches(tid)));
  EXPECT_FALSE((ExcludeRule{{{"transport", "tcp"}, {"trsvcid", "8009"}}}.Matches(tid)));
}

TEST(ExcludeTest, CompareIsExactText) {
  Tid tid = MakeTid();
  EXPECT_FALSE((ExcludeRule{{{"transport", "TCP"}}}.Matches(tid)));
  EXPECT_FALSE((ExcludeRule{{{"traddr", "::ffff:192.168.1.10"}}}.Matches(tid)));
  EXPECT_FALSE((ExcludeRule{{{"subsysnqn", "nqn.io "}}}.Matches(tid)));
}

TEST(ExcludeTest, NormalisedTrsvcidIsWhatIsCompared) {
  Tid tid = Tid::Make({.transport = "tcp", .traddr = "10.0.0.1"}, {});
  EXPECT_TRUE((ExcludeRule{{{"trsvcid", "8009"}}}.Matches(tid)));
  EXPECT_FALSE((ExcludeRule{{{"trsvcid", ""}}}.Matches(tid)));
}

TEST(ExcludeTest, EmptyRuleMatchesNothing) {
  EXPECT_FALSE(ExcludeRule{}.Matches(MakeTid()));
  EXPECT_FALSE(IsExcluded(MakeTid(), {ExcludeRule{}}));
}

TEST(ExcludeTest, UnknownKeyNeverMatches) {
  Tid tid = MakeTid();
  EXPECT_FALSE((ExcludeRule{{{"nqn", "nqn.io"}}}.Matches(tid)));
  EXPECT_FALSE((ExcludeRule{{{"traddr", "192.168.1.10"}, {"hdr-digest", ""}}}.Matches(tid)));
}

TEST(ExcludeTest, IsExcludedWhenAnyRuleMatches) {
  Tid tid = MakeTid();
  ExcludeRule other{{{"traddr", "10.9.9.9"}}};
  ExcludeRule mine{{{"host-iface", "eth0"}}};
  EXPECT_FALSE(IsExcluded(tid, {}));
  EXPECT_FALSE(IsExcluded(tid, {other}));
  EXPECT_TRUE(IsExcluded(tid, {other, mine}));
}

}  // namespace
}  // namespace stas
