// SPDX-License-Identifier: Apache-2.0
// BlockingRunner: runs blocking calls (libnvme connect, get log page, DIM registration,
// disconnect) off the loop thread and hands their results back to it.
//
// The loop thread owns all state (docs/ARCHITECTURE.md, "Threads"); work functions take values
// in and return a value out, and must not touch loop-thread objects. Two implementations:
//  * ThreadPoolRunner: a growing pool of worker threads over an unbounded FIFO queue. It starts
//    a thread per job while none is idle, up to a cap, so that 64 connects (each ~50 ms, or tens
//    of seconds against an unreachable target) take about one connect's time, not 64. Threads
//    idle for a while exit again, down to a minimum. Production.
//  * InlineRunner: runs the work at once on the calling thread. Deterministic unit tests.
//  * BoundedRunner (bounded_runner.h): a lane over another runner with at most K jobs at once.
// In both, `done` runs later on the loop thread through EventLoop::Post(), never inline.
// The EventLoop must outlive the runner.
#pragma once

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/loop/event_loop.h"
#include "common/loop/lifetime.h"
#include "common/result.h"

namespace stas {

class BlockingRunner {
 public:
  explicit BlockingRunner(EventLoop& loop) : loop_(loop) {}
  virtual ~BlockingRunner() = default;
  BlockingRunner(const BlockingRunner&) = delete;
  BlockingRunner& operator=(const BlockingRunner&) = delete;
  BlockingRunner(BlockingRunner&&) = delete;
  BlockingRunner& operator=(BlockingRunner&&) = delete;

  // Runs `work` on a worker thread, then `done(result)` on the loop thread; `done` is dropped
  // if `owner` (the Lifetime member of the object that asked) is destroyed by then (it replaces
  // stas's _alive()). `work` always runs once started, whatever happens to `owner`.
  // REQUIRES: `work` does not throw (an exception aborts). Thread-safe. T must be movable; use
  // Status rather than void.
  template <class T>
  void RunBlocking(const Lifetime& owner, std::function<T()> work, std::function<void(T)> done);

  // Stops taking work: queued jobs are dropped, jobs in flight finish (and post their result),
  // later RunBlocking() calls are ignored. Waits for the workers to exit. Idempotent.
  // Loop thread only.
  virtual void Shutdown() = 0;

 protected:
  // Runs `job` now or later, on whatever thread the implementation chooses.
  virtual void Submit(std::function<void()> job) = 0;
  // RunBlocking()'s entry: `job` is run for `owner`. A runner that holds jobs back
  // (BoundedRunner) drops a held job once its owner has ended; the others just Submit().
  virtual void SubmitFor(const Lifetime& owner, std::function<void()> job) {
    (void)owner;
    Submit(std::move(job));
  }

  EventLoop& loop_;
};

// The production runner. Submitting a job starts a new worker when no worker is idle and fewer
// than `max_threads` are alive; otherwise the job waits in the queue. A worker idle for
// `idle_timeout` exits while more than `min_threads` are alive. Exited workers are joined by the
// next worker to exit or by Shutdown(), so at most one finished thread is ever left unjoined.
// Thread-safe, except Shutdown() and the destructor (loop thread).
class ThreadPoolRunner final : public BlockingRunner {
 public:
  // Kept warm: the usual handful of concurrent operations needs no thread start.
  static constexpr std::size_t kDefaultMinThreads = 4;
  // Bounds threads and memory when a burst (1,000 new subsystems) arrives: later jobs queue.
  // A worker's stack is mostly virtual (only touched pages are resident), so 128 blocked
  // connects cost little; more would only add kernel contention in /dev/nvme-fabrics.
  static constexpr std::size_t kDefaultMaxThreads = 128;
  // Long enough that periodic work (retries, log-page fetches) reuses threads.
  static constexpr std::chrono::milliseconds kDefaultIdleTimeout{30000};

  // Starts `min_threads` workers (0 is allowed: all start on demand). `max_threads` is raised to
  // max(1, min_threads) if lower. Throws std::system_error if a thread cannot be started.
  explicit ThreadPoolRunner(EventLoop& loop, std::size_t min_threads = kDefaultMinThreads,
                            std::size_t max_threads = kDefaultMaxThreads,
                            std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout);
  ~ThreadPoolRunner() override;  // Shutdown()
  ThreadPoolRunner(const ThreadPoolRunner&) = delete;
  ThreadPoolRunner& operator=(const ThreadPoolRunner&) = delete;
  ThreadPoolRunner(ThreadPoolRunner&&) = delete;
  ThreadPoolRunner& operator=(ThreadPoolRunner&&) = delete;

  // Also waits for every worker, busy or idle, to exit; thread_count() is 0 afterwards.
  void Shutdown() override;

  // Workers alive now, busy or idle. Thread-safe.
  std::size_t thread_count() const;
  // The most workers alive at once since construction. Thread-safe.
  std::size_t peak_threads() const;
  // Jobs waiting for a worker. Thread-safe.
  std::size_t queued() const;

 protected:
  void Submit(std::function<void()> job) override;

 private:
  using Workers = std::list<std::thread>;

  // Starts one worker. REQUIRES: mu_ held, !stopping_. Throws std::system_error.
  void StartWorkerLocked();
  // `self` is this worker's node in workers_.
  void WorkerMain(Workers::iterator self);

  const std::size_t min_threads_;
  const std::size_t max_threads_;
  const std::chrono::milliseconds idle_timeout_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::size_t live_ = 0;                     // guarded by mu_; workers not yet exiting
  std::size_t idle_ = 0;                     // guarded by mu_; live workers not running a job
  std::size_t peak_ = 0;                     // guarded by mu_
  Workers workers_;                          // guarded by mu_; live workers
  Workers finished_;                         // guarded by mu_; exited, not yet joined
};

// Runs each job at RunBlocking() time on the calling thread; `done` is still posted. Lets unit
// tests drive an operation step by step with FakeEventLoop::RunUntilIdle(). Loop thread only.
class InlineRunner final : public BlockingRunner {
 public:
  explicit InlineRunner(EventLoop& loop) : BlockingRunner(loop) {}

  void Shutdown() override { stopped_ = true; }
  // How many jobs have run.
  std::size_t jobs_run() const { return jobs_run_; }

 protected:
  void Submit(std::function<void()> job) override;

 private:
  bool stopped_ = false;
  std::size_t jobs_run_ = 0;
};

namespace blocking_detail {

template <class T>
struct IsResult : std::false_type {};
template <class U>
struct IsResult<Result<U>> : std::true_type {};

// What `done` gets when `work` threw (bad_alloc on a huge page, a filesystem_error): an error
// for a Result, T::Failed(why) for a type that has one, else an empty value. The daemon goes
// on; aborting would take every controller down with it.
template <class T>
T ValueOfFailedWork(const char* what) {
  const std::string why = std::string("internal error: ") + what;
  if constexpr (IsResult<T>::value) {
    return Fail(EIO, why);
  } else if constexpr (requires { T::Failed(why); }) {
    return T::Failed(why);
  } else {
    static_assert(std::is_default_constructible_v<T>,
                  "RunBlocking work must return a Result or a default-constructible value");
    return T{};
  }
}

}  // namespace blocking_detail

template <class T>
void BlockingRunner::RunBlocking(const Lifetime& owner, std::function<T()> work,
                                 std::function<void(T)> done) {
  static_assert(!std::is_void_v<T>, "return a Status instead of void");
  if (done)
    done = owner.Guard(std::move(done));
  SubmitFor(owner, [loop = &loop_, work = std::move(work), done = std::move(done)]() mutable {
    // Boxed, because std::function needs a copyable closure and T may be move-only.
    std::shared_ptr<T> result;
    try {
      result = std::make_shared<T>(work());
    } catch (const std::exception& e) {
      LOG_ERROR("Blocking work failed: %s", e.what());
      result = std::make_shared<T>(blocking_detail::ValueOfFailedWork<T>(e.what()));
    } catch (...) {
      LOG_ERROR("Blocking work failed with an unknown exception");
      result = std::make_shared<T>(blocking_detail::ValueOfFailedWork<T>("unknown exception"));
    }
    loop->Post([done = std::move(done), result = std::move(result)] {
      if (done)
        done(std::move(*result));
    });
  });
}

}  // namespace stas
