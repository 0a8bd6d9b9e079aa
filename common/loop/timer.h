// SPDX-License-Identifier: Apache-2.0
// Timer: a restartable one-shot timer on an EventLoop, the C++ counterpart of stas's GTimer.
//
// Used for retries, soak delays and audits. Start() arms it (again, relative to now, if it is
// already running), Stop() disarms it, and the callback runs once on the loop thread when the
// interval has elapsed; the timer is then stopped and the callback may Start() it again.
// Destroying a Timer cancels it. The callback may destroy the Timer.
// Loop thread only. The EventLoop must outlive the Timer.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "common/loop/event_loop.h"

namespace stas {

class Timer {
 public:
  Timer(EventLoop& loop, std::chrono::milliseconds interval, std::function<void()> callback);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  Timer(Timer&&) = delete;  // the loop's callback points at this object
  Timer& operator=(Timer&&) = delete;

  // Arms the timer to fire `interval()` from now, replacing any pending expiry.
  void Start();
  // Sets a new interval, then Start().
  void Start(std::chrono::milliseconds interval);
  void Stop();
  // Makes a running timer expire now: the callback runs on the next loop iteration (GTimer.clear).
  void Clear();

  // True from Start() until the callback is invoked or Stop() is called.
  bool running() const { return id_ != EventLoop::kNoTimer; }
  std::chrono::milliseconds interval() const { return interval_; }
  // Time left before expiry, truncated to ms; 0 when stopped or due.
  std::chrono::milliseconds remaining() const;

  // The GTimer string shown over D-Bus: "1.5s [0.49871s]" while running, "1.5s [0s]" once due
  // but not yet dispatched, "1.5s [off]" when stopped. Seconds are printed as Python prints a
  // float (60000 ms -> "60.0"), the remaining time with microsecond resolution.
  std::string ToString() const;

 private:
  void Arm(std::chrono::milliseconds delay);
  void OnExpired();

  EventLoop& loop_;
  std::chrono::milliseconds interval_;
  std::function<void()> callback_;
  EventLoop::TimerId id_ = EventLoop::kNoTimer;
  EventLoop::Clock::time_point deadline_;
};

}  // namespace stas
