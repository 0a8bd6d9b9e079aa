// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "common/loop/blocking_runner.h"

namespace stas::testing {

// Runs jobs at once, as InlineRunner does, or keeps those submitted while `hold` is set until
// the test runs them: an operation (a connect, a log page read) can then stay in flight while
// the clock moves and the rest of the daemon goes on. Held jobs run in submission order.
class HeldRunner final : public BlockingRunner {
 public:
  using BlockingRunner::BlockingRunner;
  void Shutdown() override {}
  // Runs every held job.
  void RunHeld() {
    std::vector<std::function<void()>> jobs;
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
    held_.erase(held_.begin());
    return job;
  }
  std::size_t held() const { return held_.size(); }
  bool hold = false;

 protected:
  void Submit(std::function<void()> job) override {
    if (hold)
      held_.push_back(std::move(job));
    else
      job();
  }

 private:
  std::vector<std::function<void()>> held_;
};

}  // namespace stas::testing
