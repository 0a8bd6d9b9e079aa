// SPDX-License-Identifier: Apache-2.0
#include "common/loop/bounded_runner.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/loop/blocking_runner.h"
#include "common/loop/lifetime.h"
#include "common/result.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/glib_loop_fixture.h"
#include "common/testing/held_runner.h"

namespace stas {
namespace {

using std::chrono::milliseconds;

class BoundedRunnerTest : public ::testing::Test {
 protected:
  // A job that records its number when it runs and when its result comes back.
  void Read(const Lifetime& owner, int n) {
    lane_.RunBlocking<Status>(
        owner,
        [this, n] {
          ran_.push_back(n);
          return Status{};
        },
        [this, n](const Status&) { done_.push_back(n); });
  }

  FakeEventLoop loop_;
  // The inner pool keeps every job until RunNext(): a job stays "on a worker" for as long as the
  // test wants.
  testing::HeldRunner pool_{loop_, /*hold_jobs=*/true};
  BoundedRunner lane_{loop_, pool_, 2, "test reads"};
  Lifetime owner_;
  std::vector<int> ran_;
  std::vector<int> done_;
};

TEST_F(BoundedRunnerTest, RunsAtMostTheLimitAndTheRestInOrder) {
  for (int n = 1; n <= 5; ++n)
    Read(owner_, n);
  EXPECT_EQ(pool_.held(), 2U);
  EXPECT_EQ(lane_.in_flight(), 2U);
  EXPECT_EQ(lane_.queued(), 3U);

  // Each finished job lets the next waiting one onto the pool, oldest first.
  while (pool_.RunNext()) {
    loop_.RunUntilIdle();
    EXPECT_LE(lane_.in_flight(), 2U);
  }
  EXPECT_EQ(ran_, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(done_, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(lane_.in_flight(), 0U);
  EXPECT_EQ(lane_.queued(), 0U);
  EXPECT_EQ(lane_.peak_queued(), 3U);
}

TEST_F(BoundedRunnerTest, WaitingJobsOfAnEndedOwnerAreDroppedUnrun) {
  auto gone = std::make_unique<Lifetime>();
  Read(owner_, 1);
  Read(owner_, 2);
  Read(*gone, 3);   // waits
  Read(owner_, 4);  // waits
  EXPECT_EQ(lane_.queued(), 2U);
  gone.reset();  // e.g. a DC removed while its read waited
  EXPECT_EQ(lane_.queued(), 1U);

  while (pool_.RunNext())
    loop_.RunUntilIdle();
  EXPECT_EQ(ran_, (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(done_, (std::vector<int>{1, 2, 4}));
}

TEST_F(BoundedRunnerTest, ARaisedLimitStartsWaitingJobsAtOnce) {
  for (int n = 1; n <= 4; ++n)
    Read(owner_, n);
  EXPECT_EQ(pool_.held(), 2U);
  lane_.set_limit(3);
  EXPECT_EQ(pool_.held(), 3U);
  EXPECT_EQ(lane_.queued(), 1U);

  // A lowered limit never interrupts a job; it only holds the next ones back.
  lane_.set_limit(0);  // raised to 1
  EXPECT_EQ(lane_.limit(), 1U);
  ASSERT_TRUE(pool_.RunNext());
  loop_.RunUntilIdle();
  EXPECT_EQ(pool_.held(), 2U);  // still more than 1 in flight: the 4th waits
  EXPECT_EQ(lane_.queued(), 1U);
}

TEST_F(BoundedRunnerTest, ShutdownDropsWaitingJobsAndLaterOnes) {
  for (int n = 1; n <= 3; ++n)
    Read(owner_, n);
  lane_.Shutdown();
  Read(owner_, 4);
  EXPECT_EQ(lane_.queued(), 0U);
  while (pool_.RunNext())
    loop_.RunUntilIdle();
  EXPECT_EQ(ran_, (std::vector<int>{1, 2}));
}

// Holds the jobs that call Wait() until Release(). Every wait is bounded, so a broken lane
// fails the test instead of hanging it.
class Gate {
 public:
  static constexpr milliseconds kMaxWait{10000};
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait_for(lock, kMaxWait, [&] { return released_; });
  }
  bool WaitForWaiting(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kMaxWait, [&] { return waiting_ >= n; });
  }
  int waiting() const {
    std::lock_guard<std::mutex> lock(mu_);
    return waiting_;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool released_ = false;
};

class BoundedRunnerPoolTest : public GlibLoopTest {
 protected:
  static constexpr std::size_t kPoolThreads = 4;
  static constexpr std::size_t kReadWorkers = 2;
  static constexpr int kSlowReads = 6;  // more than the pool has threads

  // Before the members go: the pool's destructor joins workers that may wait on the gate.
  ~BoundedRunnerPoolTest() override { gate_.Release(); }

  Gate gate_;
  ThreadPoolRunner pool_{loop_, 0, kPoolThreads};
  BoundedRunner reads_{loop_, pool_, kReadWorkers, "test reads"};
  Lifetime owner_;
};

// #13, finding 6: slow DCs' reads, more of them than the pool has threads, must leave workers
// to connects. Without the lane the 6 reads take all 4 threads and the connect waits behind
// them until the gate opens.
TEST_F(BoundedRunnerPoolTest, AConnectRunsAtOnceWhileSlowReadsWait) {
  int reads_done = 0;
  for (int i = 0; i < kSlowReads; ++i) {
    reads_.RunBlocking<Status>(
        owner_,
        [this] {
          gate_.Wait();
          return Status{};
        },
        [&](const Status&) {
          if (++reads_done == kSlowReads)
            loop_.Quit();
        });
  }
  ASSERT_TRUE(gate_.WaitForWaiting(static_cast<int>(kReadWorkers)));

  std::atomic<bool> connected{false};
  pool_.RunBlocking<Status>(
      owner_,
      [&connected] {
        connected = true;
        return Status{};
      },
      [this](const Status&) { loop_.Quit(); });
  ASSERT_TRUE(RunFor(milliseconds(10000))) << "the connect waited behind the slow reads";
  EXPECT_TRUE(connected);
  EXPECT_EQ(gate_.waiting(), static_cast<int>(kReadWorkers));
  EXPECT_EQ(reads_.in_flight(), kReadWorkers);
  EXPECT_EQ(reads_.queued(), kSlowReads - kReadWorkers);
  EXPECT_EQ(reads_done, 0);

  gate_.Release();
  ASSERT_TRUE(RunFor(milliseconds(10000)));
  EXPECT_EQ(reads_done, kSlowReads);
  // The lane hears of the last read's end just after its result: a bounded wait for it.
  for (int i = 0; i < 500 && reads_.in_flight() > 0; ++i)
    (void)RunFor(milliseconds(10));
  EXPECT_EQ(reads_.in_flight(), 0U);
  EXPECT_EQ(reads_.queued(), 0U);
}

}  // namespace
}  // namespace stas
