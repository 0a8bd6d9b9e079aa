// SPDX-License-Identifier: Apache-2.0
#include "staf/zeroconf/zeroconf_aging.h"

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

#include "common/testing/fake_event_loop.h"

namespace stas::staf {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

Tid Dc1() {
  return Tid::Make({.transport = "tcp", .traddr = "192.168.1.20", .host_iface = "eth0"}, {});
}
Tid Dc2() {
  return Tid::Make({.transport = "tcp", .traddr = "192.168.1.21", .host_iface = "eth0"}, {});
}

class ZeroconfAgingTest : public ::testing::Test {
 protected:
  FakeEventLoop loop_;
  std::vector<Tid> expired_;
  ZeroconfAging aging_{loop_, [this](const Tid& tid) {
                         expired_.push_back(tid);
                       }};
};

TEST_F(ZeroconfAgingTest, LostDiscoveredDcIsUnresponsiveAfterThePersistence) {
  EXPECT_EQ(aging_.persistence_sec(), 72 * 3600);
  aging_.Check(Dc1(), /*discovered=*/true, /*reported=*/false, /*connected=*/false);
  EXPECT_EQ(aging_.Remaining(Dc1()), milliseconds(hours(72)));
  loop_.AdvanceBy(hours(72) - milliseconds(1));
  EXPECT_TRUE(expired_.empty());
  EXPECT_FALSE(aging_.IsUnresponsive(Dc1(), true, false, false));
  loop_.AdvanceBy(milliseconds(1));
  EXPECT_EQ(expired_, std::vector<Tid>{Dc1()});
  EXPECT_TRUE(aging_.IsUnresponsive(Dc1(), true, false, false));
  EXPECT_EQ(aging_.Remaining(Dc1()), milliseconds(0));
}

TEST_F(ZeroconfAgingTest, OnlyLostDiscoveredDisconnectedDcsAge) {
  aging_.Check(Dc1(), /*discovered=*/false, false, false);  // configured or referral
  aging_.Check(Dc2(), true, /*reported=*/true, false);
  EXPECT_EQ(aging_.Remaining(Dc1()), std::nullopt);
  EXPECT_EQ(aging_.Remaining(Dc2()), std::nullopt);
  aging_.Check(Dc2(), true, false, /*connected=*/true);
  EXPECT_EQ(aging_.Remaining(Dc2()), std::nullopt);
  EXPECT_EQ(loop_.pending_timers(), 0u);
}

TEST_F(ZeroconfAgingTest, RepeatedChecksKeepTheFirstDeadline) {
  aging_.set_persistence_sec(100);
  aging_.Check(Dc1(), true, false, false);
  loop_.AdvanceBy(seconds(60));
  aging_.Check(Dc1(), true, false, false);  // another reconciliation, a connect failure
  EXPECT_EQ(aging_.Remaining(Dc1()), milliseconds(seconds(40)));
  loop_.AdvanceBy(seconds(40));
  EXPECT_EQ(expired_.size(), 1u);
}

TEST_F(ZeroconfAgingTest, ReportedAgainOrConnectedCancelsTheCountdown) {
  aging_.set_persistence_sec(100);
  aging_.Check(Dc1(), true, false, false);
  aging_.Check(Dc1(), true, /*reported=*/true, false);
  EXPECT_EQ(aging_.Remaining(Dc1()), std::nullopt);
  aging_.Check(Dc2(), true, false, false);
  aging_.Restored(Dc2());  // connect success
  EXPECT_EQ(aging_.Remaining(Dc2()), std::nullopt);
  loop_.AdvanceBy(seconds(1000));
  EXPECT_TRUE(expired_.empty());
  // Lost again later: a fresh, full countdown.
  aging_.Check(Dc1(), true, false, false);
  EXPECT_EQ(aging_.Remaining(Dc1()), milliseconds(seconds(100)));
}

TEST_F(ZeroconfAgingTest, AnExpiredDcThatCameBackIsNotUnresponsive) {
  aging_.set_persistence_sec(10);
  aging_.Check(Dc1(), true, false, false);
  loop_.AdvanceBy(seconds(10));
  EXPECT_FALSE(aging_.IsUnresponsive(Dc1(), true, /*reported=*/true, false));
  EXPECT_FALSE(aging_.IsUnresponsive(Dc1(), true, false, /*connected=*/true));
  EXPECT_FALSE(aging_.IsUnresponsive(Dc1(), /*discovered=*/false, false, false));
}

TEST_F(ZeroconfAgingTest, NegativePersistenceNeverRemoves) {
  aging_.set_persistence_sec(-1);
  aging_.Check(Dc1(), true, false, false);
  EXPECT_EQ(aging_.Remaining(Dc1()), std::nullopt);
  loop_.AdvanceBy(hours(24 * 365));
  EXPECT_TRUE(expired_.empty());
  EXPECT_FALSE(aging_.IsUnresponsive(Dc1(), true, false, false));
}

TEST_F(ZeroconfAgingTest, ExpiryCallbackMayForgetTheDc) {
  aging_.set_persistence_sec(5);
  ZeroconfAging aging(loop_, [&](const Tid& tid) { aging.Forget(tid); });
  aging.set_persistence_sec(5);
  aging.Check(Dc1(), true, false, false);
  loop_.AdvanceBy(seconds(5));
  EXPECT_EQ(aging.Remaining(Dc1()), std::nullopt);
  EXPECT_EQ(loop_.pending_timers(), 0u);
}

TEST_F(ZeroconfAgingTest, ZeroPersistenceExpiresOnTheNextIteration) {
  aging_.set_persistence_sec(0);
  aging_.Check(Dc1(), true, false, false);
  EXPECT_TRUE(expired_.empty());
  loop_.RunUntilIdle();
  EXPECT_EQ(expired_, std::vector<Tid>{Dc1()});
}

}  // namespace
}  // namespace stas::staf
