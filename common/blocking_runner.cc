#include "common/blocking_runner.h"

namespace stas {

ThreadPoolRunner::ThreadPoolRunner(EventLoop& loop, std::size_t threads) : BlockingRunner(loop) {
  if (threads == 0)
    threads = 1;
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i)
    workers_.emplace_back([this] { WorkerMain(); });
}

ThreadPoolRunner::~ThreadPoolRunner() {
  Shutdown();
}

void ThreadPoolRunner::Shutdown() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  wake_.notify_all();
  // Jobs in flight are not interrupted (never pthread_cancel): libnvme calls are bounded by
  // the kernel's own timeouts, so the join is bounded too.
  for (auto& worker : workers_) {
    if (worker.joinable())
      worker.join();
  }
  // `dropped` is destroyed here, on the calling (loop) thread, with the `done` closures in it.
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
  }
  wake_.notify_one();
}

void ThreadPoolRunner::WorkerMain() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_)
        return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

void InlineRunner::Submit(std::function<void()> job) {
  if (stopped_)
    return;
  ++jobs_run_;
  job();
}

}  // namespace stas
