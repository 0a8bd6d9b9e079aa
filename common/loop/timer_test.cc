// SPDX-License-Identifier: Apache-2.0
#include "common/loop/timer.h"

#include <chrono>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "common/testing/fake_event_loop.h"

namespace stas {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

class TimerTest : public ::testing::Test {
 protected:
  FakeEventLoop loop_;
  int fired_ = 0;
};

TEST_F(TimerTest, FiresOnceAfterItsInterval) {
  Timer t(loop_, milliseconds(1500), [this] { ++fired_; });
  EXPECT_FALSE(t.running());
  t.Start();
  EXPECT_TRUE(t.running());
  EXPECT_EQ(t.remaining(), milliseconds(1500));
  loop_.AdvanceBy(milliseconds(1499));
  EXPECT_EQ(fired_, 0);
  EXPECT_EQ(t.remaining(), milliseconds(1));
  loop_.AdvanceBy(milliseconds(1));
  EXPECT_EQ(fired_, 1);
  EXPECT_FALSE(t.running());
  EXPECT_EQ(t.remaining(), milliseconds(0));
  loop_.AdvanceBy(milliseconds(10000));
  EXPECT_EQ(fired_, 1);
  EXPECT_EQ(loop_.pending_timers(), 0u);
}

TEST_F(TimerTest, StartWhileRunningRearmsRelativeToNow) {
  Timer t(loop_, milliseconds(1500), [this] { ++fired_; });
  t.Start();
  loop_.AdvanceBy(milliseconds(1000));
  t.Start();
  EXPECT_EQ(loop_.pending_timers(), 1u);
  loop_.AdvanceBy(milliseconds(1000));
  EXPECT_EQ(fired_, 0);
  loop_.AdvanceBy(milliseconds(500));
  EXPECT_EQ(fired_, 1);
}

TEST_F(TimerTest, StartWithIntervalReplacesTheInterval) {
  Timer t(loop_, milliseconds(1500), [this] { ++fired_; });
  t.Start(milliseconds(60000));
  EXPECT_EQ(t.interval(), milliseconds(60000));
  loop_.AdvanceBy(milliseconds(59999));
  EXPECT_EQ(fired_, 0);
  loop_.AdvanceBy(milliseconds(1));
  EXPECT_EQ(fired_, 1);
  t.Start();  // keeps the new interval
  loop_.AdvanceBy(milliseconds(59999));
  EXPECT_EQ(fired_, 1);
  loop_.AdvanceBy(milliseconds(1));
  EXPECT_EQ(fired_, 2);
}

TEST_F(TimerTest, StopPreventsTheCallback) {
  Timer t(loop_, milliseconds(100), [this] { ++fired_; });
  t.Start();
  t.Stop();
  EXPECT_FALSE(t.running());
  EXPECT_EQ(loop_.pending_timers(), 0u);
  t.Stop();  // twice is fine
  loop_.AdvanceBy(milliseconds(1000));
  EXPECT_EQ(fired_, 0);
}

TEST_F(TimerTest, DestroyingARunningTimerCancelsIt) {
  {
    Timer t(loop_, milliseconds(100), [this] { ++fired_; });
    t.Start();
    EXPECT_EQ(loop_.pending_timers(), 1u);
  }
  EXPECT_EQ(loop_.pending_timers(), 0u);
  loop_.AdvanceBy(milliseconds(1000));
  EXPECT_EQ(fired_, 0);
}

TEST_F(TimerTest, CallbackMayRestartTheTimer) {
  std::unique_ptr<Timer> t;
  t = std::make_unique<Timer>(loop_, milliseconds(3000), [&] {
    if (++fired_ < 3)
      t->Start();
  });
  t->Start();
  loop_.AdvanceBy(milliseconds(20000));
  EXPECT_EQ(fired_, 3);
  EXPECT_FALSE(t->running());
}

TEST_F(TimerTest, CallbackMayDestroyTheTimer) {
  std::unique_ptr<Timer> t;
  t = std::make_unique<Timer>(loop_, milliseconds(10), [&] {
    ++fired_;
    t.reset();
  });
  t->Start();
  loop_.AdvanceBy(milliseconds(10));
  EXPECT_EQ(fired_, 1);
  EXPECT_EQ(t, nullptr);
}

TEST_F(TimerTest, ClearMakesItExpireNow) {
  Timer t(loop_, milliseconds(60000), [this] { ++fired_; });
  t.Clear();  // not running: nothing happens
  EXPECT_FALSE(t.running());
  t.Start();
  loop_.AdvanceBy(milliseconds(5));
  t.Clear();
  EXPECT_EQ(fired_, 0);  // never inline
  loop_.RunUntilIdle();
  EXPECT_EQ(fired_, 1);
}

TEST_F(TimerTest, ToStringUsesTheGTimerFormat) {
  Timer t(loop_, milliseconds(1500), [] {});
  EXPECT_EQ(t.ToString(), "1.5s [off]");
  t.Start();
  EXPECT_EQ(t.ToString(), "1.5s [1.5s]");
  loop_.AdvanceBy(milliseconds(1000) + microseconds(1290));
  EXPECT_EQ(t.ToString(), "1.5s [0.49871s]");
  loop_.AdvanceBy(milliseconds(1000));
  EXPECT_EQ(t.ToString(), "1.5s [off]");  // fired

  Timer minute(loop_, milliseconds(60000), [] {});
  EXPECT_EQ(minute.ToString(), "60.0s [off]");
  minute.Start(milliseconds(30000));
  EXPECT_EQ(minute.ToString(), "30.0s [30.0s]");
  loop_.AdvanceBy(milliseconds(29999));
  EXPECT_EQ(minute.ToString(), "30.0s [0.001s]");
  loop_.AdvanceBy(microseconds(950));
  EXPECT_EQ(minute.ToString(), "30.0s [5e-05s]");
}

TEST_F(TimerTest, ToStringShowsZeroWhenDueButNotYetDispatched) {
  Timer a(loop_, milliseconds(1500), [] {});
  std::vector<std::string> seen;
  Timer probe(loop_, milliseconds(1500), [&] { seen.push_back(a.ToString()); });
  probe.Start();  // added first, so it fires first at the same deadline
  a.Start();
  loop_.AdvanceBy(milliseconds(1500));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "1.5s [0s]");
  EXPECT_EQ(a.ToString(), "1.5s [off]");
}

TEST(FakeEventLoopTest, RunsPostsInOrderAndNeverInline) {
  FakeEventLoop loop;
  std::vector<int> order;
  loop.Post([&] {
    order.push_back(1);
    loop.Post([&] { order.push_back(3); });
  });
  loop.Post([&] { order.push_back(2); });
  EXPECT_TRUE(order.empty());
  EXPECT_EQ(loop.pending_posts(), 2u);
  EXPECT_EQ(loop.RunUntilIdle(), 3u);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(FakeEventLoopTest, AdvanceByFiresTimersInDeadlineOrderAtTheirDeadline) {
  FakeEventLoop loop;
  const auto start = loop.Now();
  std::vector<std::pair<int, milliseconds>> fired;
  auto record = [&](int n) {
    fired.emplace_back(n, std::chrono::duration_cast<milliseconds>(loop.Now() - start));
  };
  loop.AddTimer(milliseconds(30), [&] { record(3); });
  loop.AddTimer(milliseconds(10), [&] {
    record(1);
    loop.AddTimer(milliseconds(5), [&] { record(2); });  // due at 15, inside the window
    loop.Post([&] { record(10); });                      // runs before the next timer
  });
  auto cancelled = loop.AddTimer(milliseconds(20), [&] { record(99); });
  loop.AddTimer(milliseconds(100), [&] { record(4); });
  loop.CancelTimer(cancelled);
  loop.CancelTimer(cancelled);  // no-op
  loop.CancelTimer(12345);      // unknown: no-op
  EXPECT_EQ(loop.next_timer_delay(), milliseconds(10));
  loop.AdvanceBy(milliseconds(50));
  EXPECT_EQ(fired, (std::vector<std::pair<int, milliseconds>>{{1, milliseconds(10)},
                                                              {10, milliseconds(10)},
                                                              {2, milliseconds(15)},
                                                              {3, milliseconds(30)}}));
  EXPECT_EQ(loop.Now() - start, milliseconds(50));
  EXPECT_EQ(loop.pending_timers(), 1u);
}

TEST(FakeEventLoopTest, ZeroDelayTimerRunsOnRunUntilIdle) {
  FakeEventLoop loop;
  int n = 0;
  loop.AddTimer(milliseconds(0), [&] { ++n; });
  EXPECT_EQ(n, 0);
  loop.RunUntilIdle();
  EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace stas
