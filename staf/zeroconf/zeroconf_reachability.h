// SPDX-License-Identifier: Apache-2.0
// The TCP reachability check of mDNS-discovered discovery controllers (docs/compatibility.md,
// "mDNS discovery"; stas 2.3+ gutil.TcpChecker and avahi.Service._connect_check).
//
// A DC announced over mDNS becomes a candidate only once a TCP connect to traddr:trsvcid,
// bound to the interface it was found on, succeeds. On failure the check is retried after
// 2, 5, 10, 30, 60, 300, 600 s, then every 600 s. rdma DCs need no check (the registry marks
// them reachable at once).
//
// TcpProber is the OS edge (one connect attempt); GlibTcpProber is the production one, a
// non-blocking connect watched on the daemon's GMainContext, so no worker thread is held for
// the ~2 minutes a SYN to a silent host can take. Tests use a fake prober and FakeEventLoop.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/ip_address.h"
#include "common/loop/event_loop.h"
#include "common/loop/timer.h"
#include "common/result.h"

namespace stas {
class GlibEventLoop;
}

namespace stas::staf {

// One TCP connect attempt. Loop thread only.
class TcpProber {
 public:
  // A probe in flight. Destroying it cancels the attempt (the socket is closed) and its
  // `done` is then never called.
  class Probe {
   public:
    Probe() = default;
    virtual ~Probe() = default;
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;
    Probe(Probe&&) = delete;
    Probe& operator=(Probe&&) = delete;
  };
  // Ok if the connection was established (it is closed again at once), else why not.
  using Done = std::function<void(Status)>;

  TcpProber() = default;
  virtual ~TcpProber() = default;
  TcpProber(const TcpProber&) = delete;
  TcpProber& operator=(const TcpProber&) = delete;
  TcpProber(TcpProber&&) = delete;
  TcpProber& operator=(TcpProber&&) = delete;
  // Connects to ip:port, bound to `host_iface` (SO_BINDTODEVICE) unless it is empty. `done`
  // runs later on the loop thread, never inline.
  virtual std::unique_ptr<Probe> Start(const IpAddress& ip, std::uint16_t port,
                                       const std::string& host_iface, Done done) = 0;
};

// The production prober: a non-blocking socket whose connect completion is watched by a
// GSource on the loop's GMainContext. SO_BINDTODEVICE needs CAP_NET_RAW; without it (tests run
// as a user) the socket is left unbound, which is logged once at debug level.
// Loop thread only. The loop must outlive the prober and its probes.
class GlibTcpProber final : public TcpProber {
 public:
  // stas waits for the kernel's SYN timeout (~127 s). A DC on the local link that has not
  // answered in 30 s is down for our purpose, and the back-off then spaces out the retries.
  static constexpr std::chrono::milliseconds kConnectTimeout{30000};

  explicit GlibTcpProber(GlibEventLoop& loop, std::chrono::milliseconds timeout = kConnectTimeout);

  std::unique_ptr<Probe> Start(const IpAddress& ip, std::uint16_t port,
                               const std::string& host_iface, Done done) override;

 private:
  GlibEventLoop& loop_;
  std::chrono::milliseconds timeout_;
};

// The retry policy around a TcpProber, for one service. Start() begins (again) with a
// first attempt whose failure is logged at info level ("Unable to verify TCP connectivity");
// later failures are logged at debug level and retried after the back-off.
// Loop thread only. Destroying it cancels everything; `on_change` is never called after.
class ReachabilityCheck {
 public:
  static constexpr std::array<std::chrono::seconds, 7> kBackoff{
      std::chrono::seconds(2),  std::chrono::seconds(5),  std::chrono::seconds(10),
      std::chrono::seconds(30), std::chrono::seconds(60), std::chrono::seconds(300),
      std::chrono::seconds(600)};

  // The delay before the retry that follows failure number `failures` (1-based): 2 s after
  // the first, ..., 600 s after the seventh and every one after it.
  static std::chrono::seconds BackoffAfter(std::size_t failures);

  // `on_change(reachable)` runs when a probe result changes reachable().
  ReachabilityCheck(EventLoop& loop, TcpProber& prober, std::function<void(bool)> on_change);
  ~ReachabilityCheck();
  ReachabilityCheck(const ReachabilityCheck&) = delete;
  ReachabilityCheck& operator=(const ReachabilityCheck&) = delete;
  ReachabilityCheck(ReachabilityCheck&&) = delete;
  ReachabilityCheck& operator=(ReachabilityCheck&&) = delete;

  // Cancels any attempt or retry, sets reachable() to false (without calling on_change) and
  // starts a first attempt now. The back-off starts over.
  void Start(const IpAddress& ip, std::uint16_t port, const std::string& host_iface);
  // Cancels any attempt or retry. reachable() keeps its value.
  void Stop();

  bool reachable() const { return reachable_; }
  // Failed attempts since Start().
  std::size_t failures() const { return failures_; }
  bool probing() const { return probe_ != nullptr; }
  const Timer& retry_timer() const { return retry_timer_; }

 private:
  void Attempt();
  void OnProbeDone(const Status& status);

  TcpProber& prober_;
  std::function<void(bool)> on_change_;
  Timer retry_timer_;
  std::unique_ptr<TcpProber::Probe> probe_;
  std::optional<IpAddress> ip_;
  std::uint16_t port_ = 0;
  std::string host_iface_;
  std::size_t failures_ = 0;
  bool reachable_ = false;
};

}  // namespace stas::staf
