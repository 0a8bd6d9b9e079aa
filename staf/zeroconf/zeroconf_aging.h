// SPDX-License-Identifier: Apache-2.0
// ZeroconfAging: how long stafd keeps a DC found by mDNS after it stops being announced
// (docs/compatibility.md, "mDNS discovery"; stas Dc._handle_lost_controller, is_unresponsive).
//
// A DC whose origin is `discovered`, which Avahi no longer reports (ZeroconfRegistry::
// Candidates() lacks it) and which is not connected gets zeroconf-connections-persistence
// seconds to come back. When that runs out, `on_expired(tid)` asks for a reconciliation
// (stas controller_unresponsive -> soak timer), which removes every DC IsUnresponsive() says
// is. With persistence -1 such DCs are never removed. The countdown stops when the DC is
// reported again, connects, or is checked while not lost.
//
// Kept apart from Dc so that the policy is testable with FakeEventLoop; StafService owns one
// and calls it where stas calls _handle_lost_controller(). Loop thread only.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/loop/event_loop.h"
#include "common/loop/timer.h"
#include "common/tid.h"

namespace stas::staf {

class ZeroconfAging {
 public:
  // stas service.py default of zeroconf-connections-persistence: 72 hours.
  static constexpr long long kDefaultPersistenceSec = 72LL * 3600;

  ZeroconfAging(EventLoop& loop, std::function<void(const Tid&)> on_expired);

  // zeroconf-connections-persistence in seconds; negative: never remove. Applies to
  // countdowns started from now on (stas reads the option when it starts one).
  void set_persistence_sec(long long seconds) { persistence_sec_ = seconds; }
  long long persistence_sec() const { return persistence_sec_; }

  // stas _handle_lost_controller(), run on origin assignment (each reconciliation), on a
  // connect failure and on SIGHUP: starts the countdown of a lost DC if it has none, and
  // cancels it for any other DC.
  void Check(const Tid& tid, bool discovered, bool reported, bool connected);
  // The DC connected (stas _on_connect_success): cancels its countdown.
  void Restored(const Tid& tid);
  // The DC object is gone: forgets it.
  void Forget(const Tid& tid);

  // stas is_unresponsive(): discovered, not reported, not connected, and its countdown ran out.
  bool IsUnresponsive(const Tid& tid, bool discovered, bool reported, bool connected) const;
  // Time left on a running countdown; 0 once it ran out; nullopt if the DC is not aging.
  std::optional<std::chrono::milliseconds> Remaining(const Tid& tid) const;
  // What Dc.info() shows of a discovered DC, in stas's order (docs/compatibility.md,
  // "Controller info and details"):
  // "unresponsive timer" (GTimer string), "unresponsive timeout" ("N sec" or "forever"),
  // "unresponsive time" (when the countdown started, time.asctime(), or "---").
  std::vector<std::pair<std::string, std::string>> Info(const Tid& tid) const;

 private:
  struct Countdown {
    std::unique_ptr<Timer> timer;
    bool expired = false;
    std::string since;  // asctime() of the start
  };

  EventLoop& loop_;
  std::function<void(const Tid&)> on_expired_;
  long long persistence_sec_ = kDefaultPersistenceSec;
  std::map<Tid, Countdown> countdowns_;
};

}  // namespace stas::staf
