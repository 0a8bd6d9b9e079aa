// SPDX-License-Identifier: Apache-2.0
// FakeEventLoop: a deterministic EventLoop with a manual clock, for unit tests.
//
// Nothing runs until the test says so: RunUntilIdle() runs posted work and the timers that are
// due now; AdvanceBy() moves the clock forward and fires the timers it passes, in deadline order
// (equal deadlines in the order they were added), each at its own deadline as seen by Now().
// No sleeping, no threads. Post() is thread-safe, so a real worker pool may feed it; the rest is
// for the test thread only.
//
//   FakeEventLoop loop;
//   Timer t(loop, std::chrono::seconds(3), [&] { ++fired; });
//   t.Start();
//   loop.AdvanceBy(std::chrono::milliseconds(2999));  // fired == 0
//   loop.AdvanceBy(std::chrono::milliseconds(1));     // fired == 1
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "common/loop/event_loop.h"

namespace stas {

class FakeEventLoop : public EventLoop {
 public:
  // A callback that keeps re-posting itself would make RunUntilIdle() spin forever; past this
  // many callbacks in one call it throws instead, which fails the test.
  static constexpr std::size_t kMaxCallbacksPerRun = 1'000'000;

  FakeEventLoop() = default;

  void Post(std::function<void()> fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
  }

  TimerId AddTimer(std::chrono::milliseconds delay, std::function<void()> fn) override {
    TimerId id = next_id_++;
    Clock::time_point deadline = now_ + (delay.count() > 0 ? delay : std::chrono::milliseconds(0));
    queue_.emplace(std::make_pair(deadline, id), std::move(fn));
    deadlines_.emplace(id, deadline);
    return id;
  }

  void CancelTimer(TimerId id) override {
    auto it = deadlines_.find(id);
    if (it == deadlines_.end())
      return;
    queue_.erase(std::make_pair(it->second, id));
    deadlines_.erase(it);
  }

  Clock::time_point Now() const override { return now_; }

  // Runs posted work and due timers until there is none left. Returns how many callbacks ran.
  std::size_t RunUntilIdle() {
    std::size_t ran = 0;
    for (;;) {
      std::deque<std::function<void()>> batch;
      {
        std::lock_guard<std::mutex> lock(mu_);
        batch.swap(posted_);
      }
      if (!batch.empty()) {
        for (auto& fn : batch) {
          Count(&ran);
          if (fn)
            fn();
        }
        continue;
      }
      if (!FireNextDue(now_))
        return ran;
      Count(&ran);
    }
  }

  // Moves the clock forward by `d`, firing every timer whose deadline is passed, in order.
  // Takes any duration (milliseconds, microseconds...). Returns how many callbacks ran.
  std::size_t AdvanceBy(Clock::duration d) {
    const Clock::time_point target = now_ + d;
    std::size_t ran = RunUntilIdle();
    while (!queue_.empty() && queue_.begin()->first.first <= target) {
      if (queue_.begin()->first.first > now_)
        now_ = queue_.begin()->first.first;
      ran += RunUntilIdle();
    }
    now_ = target;
    return ran + RunUntilIdle();
  }

  std::size_t pending_timers() const { return deadlines_.size(); }
  std::size_t pending_posts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return posted_.size();
  }
  // Time from Now() to the earliest pending timer; Clock::duration::max() when there is none.
  Clock::duration next_timer_delay() const {
    return queue_.empty() ? Clock::duration::max() : queue_.begin()->first.first - now_;
  }

 private:
  // Fires the earliest timer if its deadline is at or before `limit`.
  bool FireNextDue(Clock::time_point limit) {
    if (queue_.empty() || queue_.begin()->first.first > limit)
      return false;
    auto node = queue_.extract(queue_.begin());
    deadlines_.erase(node.key().second);
    // The callback may add, cancel or destroy anything, so nothing of ours is touched after it.
    if (node.mapped())
      node.mapped()();
    return true;
  }

  static void Count(std::size_t* ran) {
    if (++*ran > kMaxCallbacksPerRun) {
      throw std::logic_error("FakeEventLoop: callbacks keep scheduling more work");
    }
  }

  mutable std::mutex mu_;
  std::deque<std::function<void()>> posted_;  // guarded by mu_
  // Keyed by (deadline, id): ids grow, so equal deadlines fire in the order they were added.
  std::map<std::pair<Clock::time_point, TimerId>, std::function<void()>> queue_;
  std::unordered_map<TimerId, Clock::time_point> deadlines_;
  TimerId next_id_ = 1;
  // An arbitrary non-zero start, so that code assuming the epoch is "never" shows up.
  Clock::time_point now_ = Clock::time_point(std::chrono::hours(1000));
};

}  // namespace stas
