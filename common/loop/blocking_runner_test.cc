// SPDX-License-Identifier: Apache-2.0
#include "common/loop/blocking_runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

#include "common/loop/glib_event_loop.h"
#include "common/result.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/glib_loop_fixture.h"

namespace stas {
namespace {

using std::chrono::milliseconds;

// Shared by jobs that block: counts the jobs that started and holds them until Release().
// Every wait is bounded, so a broken pool fails the test instead of hanging it.
class JobGate {
 public:
  static constexpr milliseconds kMaxWait{10000};

  // Called by a job when it starts.
  void Start() {
    std::lock_guard<std::mutex> lock(mu_);
    ++started_;
    cv_.notify_all();
  }
  // Until at least `n` jobs have started; false on timeout.
  bool WaitStarted(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kMaxWait, [&] { return started_ >= n; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  // Until Release(); false on timeout.
  bool WaitReleased() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kMaxWait, [&] { return released_; });
  }
  int started() const {
    std::lock_guard<std::mutex> lock(mu_);
    return started_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int started_ = 0;
  bool released_ = false;
};

// Polls until thread_count() is `want`, for at most 5 s; returns the last count seen.
std::size_t WaitForThreadCount(const ThreadPoolRunner& runner, std::size_t want) {
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
  std::size_t count = runner.thread_count();
  while (count != want && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
    count = runner.thread_count();
  }
  return count;
}

// Polls until the queue is empty (Shutdown() drops it first thing), for at most 5 s.
void WaitForQueueDropped(const ThreadPoolRunner& runner) {
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
  while (runner.queued() != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(1));
}

TEST(InlineRunnerTest, RunsWorkAtOnceAndPostsDone) {
  FakeEventLoop loop;
  InlineRunner runner(loop);
  Lifetime owner;
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

// bad_alloc on a huge log page, a filesystem_error from a directory listing: the daemon used to
// abort(); now `done` gets an error (a Result) or an empty value, and the daemon goes on.
TEST(InlineRunnerTest, WorkThatThrowsGivesAnErrorNotATermination) {
  FakeEventLoop loop;
  InlineRunner runner(loop);
  Lifetime owner;
  std::optional<Result<std::string>> got;
  runner.RunBlocking<Result<std::string>>(
      owner, []() -> Result<std::string> { throw std::bad_alloc(); },
      [&](Result<std::string> r) { got = std::move(r); });
  int count = -1;
  runner.RunBlocking<int>(
      owner, []() -> int { throw std::runtime_error("directory_iterator: gone"); },
      [&](int n) { count = n; });
  Status status;
  runner.RunBlocking<Status>(
      owner, []() -> Status { throw 42; }, [&](Status s) { status = std::move(s); });
  loop.RunUntilIdle();
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(*got);
  EXPECT_EQ(got->error().code, EIO);
  EXPECT_NE(got->error().message.find("bad_alloc"), std::string::npos) << got->error().message;
  EXPECT_EQ(count, 0);
  EXPECT_FALSE(status);
}

TEST(InlineRunnerTest, DropsDoneWhenTheOwnerIsGone) {
  FakeEventLoop loop;
  InlineRunner runner(loop);
  auto owner = std::make_unique<Lifetime>();  // destroyed below
  bool called = false;
  runner.RunBlocking<Status>(
      *owner, [] { return Status(Fail(ETIMEDOUT, "t/o")); }, [&](const Status&) { called = true; });
  owner.reset();
  loop.RunUntilIdle();
  EXPECT_FALSE(called);
}

TEST(InlineRunnerTest, MoveOnlyResultsAndShutdown) {
  FakeEventLoop loop;
  InlineRunner runner(loop);
  Lifetime owner;
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

// The first kMax jobs each hold their worker until kMax jobs are running at once, which only
// a pool that really runs kMax of them in parallel reaches (it starts with 2 threads and must
// grow). The wait is bounded: a pool that cannot reach kMax fails instead of hanging.
TEST_F(ThreadPoolRunnerTest, ParallelJobsCompleteWithResultsOnTheLoopThread) {
  constexpr int kJobs = 16;
  constexpr int kMax = 4;
  ThreadPoolRunner runner(loop_, 2, kMax);  // starts 2, grows to at most kMax
  ASSERT_EQ(runner.thread_count(), 2u);
  Lifetime owner;
  const auto loop_thread = std::this_thread::get_id();

  JobGate gate;
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::atomic<bool> work_on_loop_thread{false};
  std::vector<int> results;
  bool done_on_loop_thread = true;

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
          gate.Start();
          if (i < kMax)
            (void)gate.WaitStarted(kMax);
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
  ASSERT_TRUE(RunFor(milliseconds(30000)));

  EXPECT_FALSE(work_on_loop_thread);
  EXPECT_TRUE(done_on_loop_thread);
  std::sort(results.begin(), results.end());
  ASSERT_EQ(results.size(), static_cast<size_t>(kJobs));
  for (int i = 0; i < kJobs; ++i)
    EXPECT_EQ(results[i], i * i);
  EXPECT_EQ(max_running.load(), kMax);  // in parallel, and bounded
  EXPECT_EQ(runner.peak_threads(), static_cast<std::size_t>(kMax));
}

TEST_F(ThreadPoolRunnerTest, DoneIsDroppedWhenTheOwnerExpiresMeanwhile) {
  ThreadPoolRunner runner(loop_, 1, 1);       // one thread: the jobs run in order
  auto owner = std::make_unique<Lifetime>();  // destroyed below
  std::atomic<bool> release{false};
  bool dropped_done_ran = false;
  bool kept_done_ran = false;
  Lifetime keeper;
  runner.RunBlocking<int>(
      *owner,
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
  ThreadPoolRunner runner(loop_, 1, 1);  // one thread: the other jobs stay queued
  Lifetime owner;
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
  // Released only once Shutdown() has dropped the queue, so the job is in flight during it.
  std::thread releaser([&] {
    WaitForQueueDropped(runner);
    release = true;
  });
  runner.Shutdown();  // joins: returns once the in-flight job is done
  releaser.join();
  EXPECT_EQ(work_runs.load(), 1);
  EXPECT_EQ(runner.queued(), 0u);
  runner.RunBlocking<int>(
      owner, [&] { return ++work_runs; }, [&](int) { ++done_calls; });  // ignored
  runner.Shutdown();                                                    // idempotent
  // The in-flight job's result was posted before the join returned: posts run in order, so
  // it runs before this Quit().
  loop_.Post([&] { loop_.Quit(); });
  ASSERT_TRUE(RunFor(milliseconds(5000)));
  EXPECT_EQ(done_calls, 1);
  EXPECT_EQ(work_runs.load(), 1);
}

// 64 new subsystems connect in parallel: every job waits until all 64 have started, which can
// only happen if the pool runs them all at once (it starts with 4 threads).
TEST_F(ThreadPoolRunnerTest, GrowsToRunEveryBlockedJobAtOnce) {
  constexpr int kJobs = 64;
  constexpr auto kJobTime = milliseconds(50);
  ThreadPoolRunner runner(loop_);
  ASSERT_EQ(runner.thread_count(), ThreadPoolRunner::kDefaultMinThreads);
  Lifetime owner;
  JobGate gate;
  int all_started = 0;
  int done_calls = 0;

  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kJobs; ++i) {
    runner.RunBlocking<bool>(
        owner,
        [&] {
          gate.Start();
          const bool all = gate.WaitStarted(kJobs);
          std::this_thread::sleep_for(kJobTime);  // stands in for a blocking libnvme connect
          return all;
        },
        [&](bool all) {
          all_started += all ? 1 : 0;
          if (++done_calls == kJobs)
            loop_.Quit();
        });
  }
  ASSERT_TRUE(RunFor(milliseconds(30000)));
  const auto elapsed =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  std::printf("[ pool     ] %d jobs x %d ms on %zu threads: %d ms (serial: %d ms)\n", kJobs,
              static_cast<int>(kJobTime.count()), runner.peak_threads(),
              static_cast<int>(elapsed.count()), static_cast<int>((kJobs * kJobTime).count()));

  EXPECT_EQ(all_started, kJobs);
  EXPECT_EQ(runner.peak_threads(), static_cast<std::size_t>(kJobs));  // one thread per job
  EXPECT_EQ(runner.queued(), 0u);
}

TEST_F(ThreadPoolRunnerTest, NeverExceedsMaxThreads) {
  constexpr int kJobs = 20;
  constexpr std::size_t kMax = 8;
  ThreadPoolRunner runner(loop_, 1, kMax);
  Lifetime owner;
  JobGate gate;
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::vector<int> results;

  for (int i = 0; i < kJobs; ++i) {
    runner.RunBlocking<int>(
        owner,
        [&, i] {
          int now = ++running;
          int prev = max_running.load();
          while (prev < now && !max_running.compare_exchange_weak(prev, now)) {
          }
          gate.Start();
          gate.WaitReleased();
          --running;
          return i;
        },
        [&](int v) {
          results.push_back(v);
          if (results.size() == kJobs)
            loop_.Quit();
        });
  }
  ASSERT_TRUE(gate.WaitStarted(static_cast<int>(kMax)));
  EXPECT_EQ(runner.thread_count(), kMax);
  EXPECT_EQ(runner.queued(), kJobs - kMax);  // nothing finishes before Release()
  gate.Release();
  ASSERT_TRUE(RunFor(milliseconds(20000)));

  std::sort(results.begin(), results.end());
  ASSERT_EQ(results.size(), static_cast<size_t>(kJobs));
  for (int i = 0; i < kJobs; ++i)
    EXPECT_EQ(results[i], i);
  EXPECT_EQ(gate.started(), kJobs);
  EXPECT_LE(max_running.load(), static_cast<int>(kMax));
  EXPECT_EQ(runner.peak_threads(), kMax);
}

// 1,000 connects at once: the default cap bounds the threads, the rest wait their turn.
TEST_F(ThreadPoolRunnerTest, ThousandJobsQueueBehindTheDefaultCap) {
  constexpr int kJobs = 1000;
  constexpr std::size_t kMax = ThreadPoolRunner::kDefaultMaxThreads;
  ThreadPoolRunner runner(loop_);
  Lifetime owner;
  JobGate gate;
  int done_calls = 0;

  for (int i = 0; i < kJobs; ++i) {
    runner.RunBlocking<int>(
        owner,
        [&] {
          gate.Start();
          gate.WaitReleased();
          return 0;
        },
        [&](int) {
          if (++done_calls == kJobs)
            loop_.Quit();
        });
  }
  ASSERT_TRUE(gate.WaitStarted(static_cast<int>(kMax)));
  EXPECT_EQ(runner.thread_count(), kMax);
  EXPECT_EQ(runner.queued(), kJobs - kMax);
  gate.Release();
  ASSERT_TRUE(RunFor(milliseconds(30000)));
  EXPECT_EQ(done_calls, kJobs);
  EXPECT_EQ(gate.started(), kJobs);
  EXPECT_EQ(runner.peak_threads(), kMax);
}

TEST_F(ThreadPoolRunnerTest, ShrinksBackToMinThreadsAfterABurst) {
  constexpr int kJobs = 16;
  constexpr std::size_t kMin = 2;
  ThreadPoolRunner runner(loop_, kMin, 32, milliseconds(50));
  Lifetime owner;
  JobGate gate;
  int done_calls = 0;
  for (int i = 0; i < kJobs; ++i) {
    runner.RunBlocking<int>(
        owner,
        [&] {
          gate.Start();
          gate.WaitReleased();
          return 0;
        },
        [&](int) {
          if (++done_calls == kJobs)
            loop_.Quit();
        });
  }
  ASSERT_TRUE(gate.WaitStarted(kJobs));
  EXPECT_EQ(runner.thread_count(), static_cast<std::size_t>(kJobs));
  gate.Release();
  ASSERT_TRUE(RunFor(milliseconds(20000)));

  EXPECT_EQ(WaitForThreadCount(runner, kMin), kMin);
  // Several more idle timeouts: the pool never goes below its minimum.
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(runner.thread_count(), kMin);
  EXPECT_EQ(runner.peak_threads(), static_cast<std::size_t>(kJobs));

  // Still serves work; the destructor joins the workers that retired.
  runner.RunBlocking<int>(
      owner, [] { return 5; },
      [&](int v) {
        done_calls += v;
        loop_.Quit();
      });
  ASSERT_TRUE(RunFor(milliseconds(10000)));
  EXPECT_EQ(done_calls, kJobs + 5);
}

TEST_F(ThreadPoolRunnerTest, WithNoMinimumStartsWorkersOnDemandAndRetiresThemAll) {
  ThreadPoolRunner runner(loop_, 0, 4, milliseconds(20));
  EXPECT_EQ(runner.thread_count(), 0u);
  Lifetime owner;
  int got = 0;
  for (int round = 1; round <= 2; ++round) {
    runner.RunBlocking<int>(
        owner, [round] { return round; },
        [&](int v) {
          got = v;
          loop_.Quit();
        });
    ASSERT_TRUE(RunFor(milliseconds(10000)));
    EXPECT_EQ(got, round);
    EXPECT_EQ(WaitForThreadCount(runner, 0), 0u);  // and the next round starts a new one
  }
  EXPECT_EQ(runner.peak_threads(), 1u);
}

TEST_F(ThreadPoolRunnerTest, ShutdownDuringABurstFinishesRunningJobsAndDropsQueuedOnes) {
  constexpr int kRunning = 3;
  constexpr int kQueued = 5;
  ThreadPoolRunner runner(loop_, 1, kRunning);
  Lifetime owner;
  JobGate gate;
  std::atomic<int> work_runs{0};
  int done_calls = 0;
  for (int i = 0; i < kRunning + kQueued; ++i) {
    runner.RunBlocking<int>(
        owner,
        [&] {
          gate.Start();
          gate.WaitReleased();
          ++work_runs;
          return 0;
        },
        [&](int) { ++done_calls; });
  }
  ASSERT_TRUE(gate.WaitStarted(kRunning));
  EXPECT_EQ(runner.thread_count(), static_cast<std::size_t>(kRunning));
  EXPECT_EQ(runner.queued(), static_cast<std::size_t>(kQueued));
  // Released only once Shutdown() has dropped the queue, so the jobs are in flight during it.
  std::thread releaser([&] {
    WaitForQueueDropped(runner);
    gate.Release();
  });
  runner.Shutdown();  // returns once the running jobs are done and every worker has exited
  releaser.join();
  EXPECT_EQ(work_runs.load(), kRunning);
  EXPECT_EQ(runner.queued(), 0u);
  EXPECT_EQ(runner.thread_count(), 0u);
  runner.RunBlocking<int>(
      owner, [&] { return ++work_runs; }, [&](int) { ++done_calls; });  // ignored
  EXPECT_EQ(runner.thread_count(), 0u);                                 // nothing started
  runner.Shutdown();                                                    // idempotent
  loop_.Post([&] { loop_.Quit(); });  // after the results posted by the running jobs
  ASSERT_TRUE(RunFor(milliseconds(5000)));
  EXPECT_EQ(done_calls, kRunning);
  EXPECT_EQ(work_runs.load(), kRunning);
  EXPECT_EQ(gate.started(), kRunning);
}

}  // namespace
}  // namespace stas
