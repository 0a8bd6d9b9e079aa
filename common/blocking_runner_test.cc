#include "common/blocking_runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

#include "common/testing/glib_loop_fixture.h"

#include "common/glib_event_loop.h"
#include "common/result.h"
#include "common/testing/fake_event_loop.h"

namespace stas {
namespace {

using std::chrono::milliseconds;

TEST(InlineRunnerTest, RunsWorkAtOnceAndPostsDone) {
  FakeEventLoop loop;
  InlineRunner runner(loop);
  auto owner = std::make_shared<int>(0);
  bool worked = false;
  std::string got;
  runner.RunBlocking<Result<std::string>>(
      owner,
      [&]() -> Result<std::string> {
        worked = true;
        return std::string("nvme3");
      },
      [&](Result<std::string> r) { got = r.value(); });
  EXPECT_TRUE(worked);
  EXPECT_EQ(got, "");  // done is posted, never inline
  EXPECT_EQ(loop.pending_posts(), 1u);
  loop.RunUntilIdle();
  EXPECT_EQ(got, "nvme3");
  EXPECT_EQ(runner.jobs_run(), 1u);
}

TEST(InlineRunnerTest, DropsDoneWhenTheOwnerIsGone) {
  FakeEventLoop loop;
  InlineRunner runner(loop);
  auto owner = std::make_shared<int>(0);
  bool called = false;
  runner.RunBlocking<Status>(
      owner, [] { return Status(Fail(ETIMEDOUT, "t/o")); }, [&](const Status&) { called = true; });
  owner.reset();
  loop.RunUntilIdle();
  EXPECT_FALSE(called);
}

TEST(InlineRunnerTest, MoveOnlyResultsAndShutdown) {
  FakeEventLoop loop;
  InlineRunner runner(loop);
  auto owner = std::make_shared<int>(0);
  int got = 0;
  runner.RunBlocking<std::unique_ptr<int>>(
      owner, [] { return std::make_unique<int>(7); }, [&](std::unique_ptr<int> p) { got = *p; });
  loop.RunUntilIdle();
  EXPECT_EQ(got, 7);
  runner.Shutdown();
  runner.RunBlocking<int>(
      owner, [] { return 1; }, [&](int v) { got = v; });
  loop.RunUntilIdle();
  EXPECT_EQ(got, 7);
  EXPECT_EQ(runner.jobs_run(), 1u);
}

// The real pool, driven by the real loop: results come back on the thread that runs the loop.
class ThreadPoolRunnerTest : public GlibLoopTest {};

TEST_F(ThreadPoolRunnerTest, ParallelJobsCompleteWithResultsOnTheLoopThread) {
  constexpr int kJobs = 16;
  constexpr auto kJobTime = milliseconds(50);
  ThreadPoolRunner runner(loop_);  // 4 threads by default
  ASSERT_EQ(runner.thread_count(), 4u);
  auto owner = std::make_shared<int>(0);
  const auto loop_thread = std::this_thread::get_id();

  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::atomic<bool> work_on_loop_thread{false};
  std::vector<int> results;
  bool done_on_loop_thread = true;

  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kJobs; ++i) {
    runner.RunBlocking<int>(
        owner,
        [&, i] {
          if (std::this_thread::get_id() == loop_thread)
            work_on_loop_thread = true;
          int now = ++running;
          int prev = max_running.load();
          while (prev < now && !max_running.compare_exchange_weak(prev, now)) {
          }
          std::this_thread::sleep_for(kJobTime);  // stands in for a blocking libnvme call
          --running;
          return i * i;
        },
        [&](int v) {
          done_on_loop_thread = done_on_loop_thread && std::this_thread::get_id() == loop_thread;
          results.push_back(v);
          if (results.size() == kJobs)
            loop_.Quit();
        });
  }
  ASSERT_TRUE(RunFor(milliseconds(20000)));
  const auto elapsed =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  const milliseconds serial = kJobs * kJobTime;
  std::printf("[ pool     ] %d jobs x %d ms on %zu threads: %d ms (serial: %d ms)\n", kJobs,
              static_cast<int>(kJobTime.count()), runner.thread_count(),
              static_cast<int>(elapsed.count()), static_cast<int>(serial.count()));

  EXPECT_FALSE(work_on_loop_thread);
  EXPECT_TRUE(done_on_loop_thread);
  std::sort(results.begin(), results.end());
  ASSERT_EQ(results.size(), static_cast<size_t>(kJobs));
  for (int i = 0; i < kJobs; ++i)
    EXPECT_EQ(results[i], i * i);
  EXPECT_GE(max_running.load(), 1);
  EXPECT_LE(max_running.load(), 4);  // bounded
}

TEST_F(ThreadPoolRunnerTest, DoneIsDroppedWhenTheOwnerExpiresMeanwhile) {
  ThreadPoolRunner runner(loop_, 1);
  auto owner = std::make_shared<int>(0);
  std::atomic<bool> release{false};
  bool dropped_done_ran = false;
  bool kept_done_ran = false;
  auto keeper = std::make_shared<int>(0);
  runner.RunBlocking<int>(
      owner,
      [&] {
        while (!release)
          std::this_thread::sleep_for(milliseconds(1));
        return 1;
      },
      [&](int) { dropped_done_ran = true; });
  runner.RunBlocking<int>(
      keeper, [] { return 2; },
      [&](int) {
        kept_done_ran = true;
        loop_.Quit();
      });
  owner.reset();  // the owner goes away while its job is in flight
  release = true;
  ASSERT_TRUE(RunFor(milliseconds(10000)));
  EXPECT_FALSE(dropped_done_ran);
  EXPECT_TRUE(kept_done_ran);
}

TEST_F(ThreadPoolRunnerTest, ShutdownDropsQueuedJobsAndFinishesInFlightOnes) {
  ThreadPoolRunner runner(loop_, 1);
  auto owner = std::make_shared<int>(0);
  std::atomic<bool> started{false};
  std::atomic<bool> release{false};
  std::atomic<int> work_runs{0};
  int done_calls = 0;
  runner.RunBlocking<int>(
      owner,
      [&] {
        started = true;
        while (!release)
          std::this_thread::sleep_for(milliseconds(1));
        ++work_runs;
        return 1;
      },
      [&](int) { ++done_calls; });
  for (int i = 0; i < 5; ++i) {
    runner.RunBlocking<int>(
        owner,
        [&] {
          ++work_runs;
          return 2;
        },
        [&](int) { ++done_calls; });
  }
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
  while (!started && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_TRUE(started);
  EXPECT_EQ(runner.queued(), 5u);
  std::thread releaser([&] {
    std::this_thread::sleep_for(milliseconds(20));
    release = true;
  });
  runner.Shutdown();  // joins: returns once the in-flight job is done
  releaser.join();
  EXPECT_EQ(work_runs.load(), 1);
  EXPECT_EQ(runner.queued(), 0u);
  runner.RunBlocking<int>(
      owner, [&] { return ++work_runs; }, [&](int) { ++done_calls; });  // ignored
  runner.Shutdown();                                                    // idempotent
  // The in-flight job's result was posted before the join returned.
  loop_.AddTimer(milliseconds(50), [&] { loop_.Quit(); });
  RunFor(milliseconds(5000));
  EXPECT_EQ(done_calls, 1);
  EXPECT_EQ(work_runs.load(), 1);
}

}  // namespace
}  // namespace stas
