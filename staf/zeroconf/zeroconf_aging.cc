// SPDX-License-Identifier: Apache-2.0
#include "staf/zeroconf/zeroconf_aging.h"

#include <ctime>
#include <string>
#include <utility>

#include "common/log.h"
#include "common/python_compat.h"

namespace stas::staf {
namespace {

// The wall-clock time `seconds` from now, as time.ctime() prints it ("Mon Jan  1 12:00:00
// 2024"), for the log line and Info().
std::string CtimeIn(long long seconds) {
  const std::time_t when = std::time(nullptr) + static_cast<std::time_t>(seconds);
  char buf[32] = {};  // ctime_r needs 26 bytes
  if (ctime_r(&when, buf) == nullptr)
    return "?";
  std::string out(buf);
  if (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

}  // namespace

ZeroconfAging::ZeroconfAging(EventLoop& loop, std::function<void(const Tid&)> on_expired)
    : loop_(loop), on_expired_(std::move(on_expired)) {}

void ZeroconfAging::Check(const Tid& tid, bool discovered, bool reported, bool connected) {
  if (discovered && !reported && !connected) {
    if (persistence_sec_ >= 0) {
      if (countdowns_.count(tid))
        return;  // already counting down: stas keeps the first deadline
      Countdown& c = countdowns_[tid];
      c.timer = std::make_unique<Timer>(loop_, std::chrono::seconds(persistence_sec_), [this, tid] {
        auto it = countdowns_.find(tid);
        if (it == countdowns_.end())
          return;
        it->second.expired = true;
        if (on_expired_)
          on_expired_(tid);
      });
      c.timer->Start();
      c.since = CtimeIn(0);
      LOG_INFO("%s - Controller is not responding. Will be removed by %s unless restored",
               tid.ToString().c_str(), CtimeIn(persistence_sec_).c_str());
      return;
    }
    LOG_INFO("%s - Controller not responding. Retrying...", tid.ToString().c_str());
  }
  countdowns_.erase(tid);
}

void ZeroconfAging::Restored(const Tid& tid) {
  countdowns_.erase(tid);
}

void ZeroconfAging::Forget(const Tid& tid) {
  countdowns_.erase(tid);
}

bool ZeroconfAging::IsUnresponsive(const Tid& tid, bool discovered, bool reported,
                                   bool connected) const {
  if (!discovered || reported || connected)
    return false;
  auto it = countdowns_.find(tid);
  return it != countdowns_.end() && it->second.expired;
}

std::optional<std::chrono::milliseconds> ZeroconfAging::Remaining(const Tid& tid) const {
  auto it = countdowns_.find(tid);
  if (it == countdowns_.end())
    return std::nullopt;
  if (it->second.expired)
    return std::chrono::milliseconds(0);
  return it->second.timer->remaining();
}

std::vector<std::pair<std::string, std::string>> ZeroconfAging::Info(const Tid& tid) const {
  auto it = countdowns_.find(tid);
  std::string timer;
  if (it != countdowns_.end()) {
    timer = it->second.timer->ToString();
  } else {
    // The timer stas arms at detection, shown while idle.
    timer = PythonFloatRepr(static_cast<double>(persistence_sec_ < 0 ? 0 : persistence_sec_)) +
            "s [off]";
  }
  return {{"unresponsive timer", timer},
          {"unresponsive timeout",
           persistence_sec_ < 0 ? "forever" : std::to_string(persistence_sec_) + " sec"},
          {"unresponsive time", it != countdowns_.end() ? it->second.since : "---"}};
}

}  // namespace stas::staf
