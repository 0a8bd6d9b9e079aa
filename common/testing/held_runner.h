// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <utility>

#include "common/loop/blocking_runner.h"

namespace stas::testing {

// Runs jobs at once, as InlineRunner does, or keeps those submitted while `hold` is set until
// the test runs them: an operation (a connect, a log page read) can then stay in flight while
// the clock moves and the rest of the daemon goes on, or a job stays "on a worker" for as long
// as the test wants. Held jobs run in submission order; Shutdown() drops them. Loop thread only.
class HeldRunner final : public BlockingRunner {
 public:
  explicit HeldRunner(EventLoop& loop, bool hold_jobs = false)
      : BlockingRunner(loop), hold(hold_jobs) {}
  void Shutdown() override { held_.clear(); }
  // Runs every held job.
  void RunHeld() {
    std::deque<std::function<void()>> jobs;
    jobs.swap(held_);
    for (auto& job : jobs)
      job();
  }
  // Runs the oldest held job; false if none is held.
  bool RunNext() {
    std::function<void()> job = TakeNext();
    if (job)
      job();
    return static_cast<bool>(job);
  }
  // Takes the oldest held job out, for the test to run when it likes (empty if none).
  std::function<void()> TakeNext() {
    if (held_.empty())
      return {};
    std::function<void()> job = std::move(held_.front());
    held_.pop_front();
    return job;
  }
  std::size_t held() const { return held_.size(); }
  bool hold;

 protected:
  void Submit(std::function<void()> job) override {
    if (hold)
      held_.push_back(std::move(job));
    else
      job();
  }

 private:
  std::deque<std::function<void()>> held_;
};

}  // namespace stas::testing
