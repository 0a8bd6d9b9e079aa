// SPDX-License-Identifier: Apache-2.0
#include "common/loop/timer.h"

#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

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
  std::string out = FormatPythonFloat(static_cast<double>(interval_.count()) / 1000.0) + "s [";
  if (!running())
    return out + "off]";
  // GTimer.time_remaining() returns the int 0 once the ready time is reached, a float before.
  auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - loop_.Now());
  if (left.count() <= 0)
    return out + "0s]";
  return out + FormatPythonFloat(static_cast<double>(left.count()) / 1e6) + "s]";
}

std::string FormatPythonFloat(double value) {
  // std::to_chars gives the shortest round-trip digits, as Python's repr does; only the layout
  // differs. Python (float_repr_style 'short') writes d.ddde±XX when the decimal exponent is
  // below -4 or at least 16, and otherwise a fixed-point number with at least one decimal.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  if (ec != std::errc())
    std::abort();  // 64 chars always fit a double
  std::string_view sci(buf, static_cast<std::size_t>(end - buf));
  if (sci == "inf" || sci == "-inf" || sci == "nan" || sci == "-nan")
    return std::string(sci);

  std::string sign;
  if (sci.front() == '-') {
    sign = "-";
    sci.remove_prefix(1);
  }
  std::size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.')
      digits += c;
  }
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (exp_text.front() == '+')
    exp_text.remove_prefix(1);
  int exp10 = 0;
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp10);
  if (digits == "0")
    exp10 = 0;

  if (exp10 < -4 || exp10 >= 16) {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1)
      out += "." + digits.substr(1);
    std::string e = std::to_string(exp10 < 0 ? -exp10 : exp10);
    if (e.size() < 2)
      e = "0" + e;
    return out + "e" + (exp10 < 0 ? "-" : "+") + e;
  }
  // The decimal point goes after `point` digits (possibly before the first one).
  int point = exp10 + 1;
  int n = static_cast<int>(digits.size());
  if (point <= 0)
    return sign + "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
  if (point >= n)
    return sign + digits + std::string(static_cast<std::size_t>(point - n), '0') + ".0";
  return sign + digits.substr(0, static_cast<std::size_t>(point)) + "." +
         digits.substr(static_cast<std::size_t>(point));
}

}  // namespace stas
