// SPDX-License-Identifier: Apache-2.0
// EventLoop: the one loop thread of a daemon, as seen by the code that runs on it.
//
// Everything a daemon owns lives on the loop thread (docs/ARCHITECTURE.md, "Threads"):
// services, controllers and timers call AddTimer()/CancelTimer()/Now() from it. Worker threads
// only hand results back through Post(), the one thread-safe method. GlibEventLoop is the
// production implementation,
// testing/fake_event_loop.h a manual-clock one for unit tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace stas {

class EventLoop {
 public:
  // Identifies a pending one-shot timer. Never 0, never reused by the same loop.
  using TimerId = std::uint64_t;
  static constexpr TimerId kNoTimer = 0;

  using Clock = std::chrono::steady_clock;

  EventLoop() = default;
  virtual ~EventLoop() = default;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  EventLoop(EventLoop&&) = delete;
  EventLoop& operator=(EventLoop&&) = delete;

  // Runs `fn` later on the loop thread, never inline, in the order of the Post() calls.
  // Thread-safe.
  virtual void Post(std::function<void()> fn) = 0;

  // Runs `fn` once on the loop thread `delay` after Now(); a delay of 0 runs it on the next
  // iteration. Loop thread only.
  virtual TimerId AddTimer(std::chrono::milliseconds delay, std::function<void()> fn) = 0;

  // Forgets a pending timer. An expired, cancelled or unknown id is a no-op. Loop thread only.
  virtual void CancelTimer(TimerId id) = 0;

  // The loop's clock: CLOCK_MONOTONIC in production, a manual clock in tests. Loop thread only.
  virtual Clock::time_point Now() const = 0;
};

}  // namespace stas
