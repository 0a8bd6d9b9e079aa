// SPDX-License-Identifier: Apache-2.0
#include "common/loop/blocking_runner.h"

#include <algorithm>
#include <system_error>

namespace stas {

ThreadPoolRunner::ThreadPoolRunner(EventLoop& loop, std::size_t min_threads,
                                   std::size_t max_threads, std::chrono::milliseconds idle_timeout)
    : BlockingRunner(loop),
      min_threads_(min_threads),
      max_threads_(std::max({max_threads, min_threads, std::size_t{1}})),
      idle_timeout_(idle_timeout) {
  try {
    std::lock_guard<std::mutex> lock(mu_);
    for (std::size_t i = 0; i < min_threads_; ++i)
      StartWorkerLocked();
  } catch (...) {
    Shutdown();  // joins the workers already started: a joinable ~thread() would terminate
    throw;
  }
}

ThreadPoolRunner::~ThreadPoolRunner() {
  Shutdown();
}

void ThreadPoolRunner::Shutdown() {
  std::deque<std::function<void()>> dropped;
  Workers threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dropped.swap(queue_);
    // Once stopping_ is set no worker touches the lists again, and no new worker starts.
    threads.splice(threads.end(), workers_);
    threads.splice(threads.end(), finished_);
  }
  wake_.notify_all();
  // Jobs in flight are not interrupted (never pthread_cancel): libnvme calls are bounded by
  // the kernel's own timeouts, so the join is bounded too. A retired worker may itself be
  // joining an earlier one; joining it waits for that too.
  for (auto& worker : threads) {
    if (worker.joinable())
      worker.join();
  }
  // `dropped` is destroyed here, on the calling (loop) thread, with the `done` closures in it.
}

std::size_t ThreadPoolRunner::thread_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_;
}

std::size_t ThreadPoolRunner::peak_threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_;
}

std::size_t ThreadPoolRunner::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void ThreadPoolRunner::Submit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_)
      return;
    queue_.push_back(std::move(job));
    // Every idle worker will take one queued job (a notified worker stays counted in idle_
    // until it takes its job), so a new worker is needed only when the jobs outnumber them.
    if (queue_.size() > idle_ && live_ < max_threads_) {
      try {
        StartWorkerLocked();
      } catch (const std::exception& e) {  // system_error, or bad_alloc
        // Out of threads or memory (EAGAIN): the job waits for a busy worker, or for the
        // next Submit() to start one if none is alive.
        (void)std::fprintf(stderr, "stas: ThreadPoolRunner: cannot start a worker: %s\n", e.what());
      }
    }
  }
  wake_.notify_one();
}

void ThreadPoolRunner::StartWorkerLocked() {
  // The node is in workers_ before the thread runs, and the thread cannot look at it before
  // the caller releases mu_.
  auto self = workers_.emplace(workers_.end());
  try {
    *self = std::thread([this, self] { WorkerMain(self); });
  } catch (...) {
    workers_.erase(self);
    throw;
  }
  ++live_;
  ++idle_;  // counted idle from the start, so that Submit() does not start another for its job
  peak_ = std::max(peak_, live_);
}

void ThreadPoolRunner::WorkerMain(Workers::iterator self) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    const bool have_work =
        wake_.wait_for(lock, idle_timeout_, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) {
      --idle_;
      --live_;
      return;  // Shutdown() joins this thread
    }
    if (!have_work) {
      if (live_ > min_threads_)
        break;
      continue;
    }
    std::function<void()> job = std::move(queue_.front());
    queue_.pop_front();
    --idle_;
    lock.unlock();
    job();
    job = nullptr;  // its captures are destroyed outside the lock
    lock.lock();
    ++idle_;
  }
  // Idle for idle_timeout_ with more than min_threads_ alive: retire. A thread cannot join
  // itself, so it leaves its handle in finished_ for the next one to retire (or Shutdown()),
  // and joins those that retired before it.
  --idle_;
  --live_;
  Workers to_join;
  to_join.swap(finished_);
  finished_.splice(finished_.end(), workers_, self);
  lock.unlock();
  for (auto& worker : to_join)
    worker.join();
}

void InlineRunner::Submit(std::function<void()> job) {
  if (stopped_)
    return;
  ++jobs_run_;
  job();
}

}  // namespace stas
