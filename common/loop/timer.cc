// SPDX-License-Identifier: Apache-2.0
#include "common/loop/timer.h"

#include <string>
#include <utility>

#include "common/python_compat.h"

namespace stas {

Timer::Timer(EventLoop& loop, std::chrono::milliseconds interval, std::function<void()> callback)
    : loop_(loop), interval_(interval), callback_(std::move(callback)) {}

Timer::~Timer() {
  Stop();
}

void Timer::Start() {
  Arm(interval_);
}

void Timer::Start(std::chrono::milliseconds interval) {
  interval_ = interval;
  Start();
}

void Timer::Stop() {
  if (id_ == EventLoop::kNoTimer)
    return;
  loop_.CancelTimer(id_);
  id_ = EventLoop::kNoTimer;
}

void Timer::Clear() {
  if (running())
    Arm(std::chrono::milliseconds(0));
}

void Timer::Arm(std::chrono::milliseconds delay) {
  Stop();
  deadline_ = loop_.Now() + delay;
  id_ = loop_.AddTimer(delay, [this] { OnExpired(); });
}

void Timer::OnExpired() {
  id_ = EventLoop::kNoTimer;  // stopped before the callback, so that it can Start() again
  // A copy, because the callback may destroy this Timer (and with it callback_).
  std::function<void()> callback = callback_;
  if (callback)
    callback();
}

std::chrono::milliseconds Timer::remaining() const {
  if (!running())
    return std::chrono::milliseconds(0);
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - loop_.Now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

std::string Timer::ToString() const {
  std::string out = PythonFloatRepr(static_cast<double>(interval_.count()) / 1000.0) + "s [";
  if (!running())
    return out + "off]";
  // GTimer.time_remaining() returns the int 0 once the ready time is reached, a float before.
  auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - loop_.Now());
  if (left.count() <= 0)
    return out + "0s]";
  return out + PythonFloatRepr(static_cast<double>(left.count()) / 1e6) + "s]";
}

}  // namespace stas
