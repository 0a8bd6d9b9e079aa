// Dc: one discovery controller (DC) that stafd keeps a connection to.
//
// It connects (or adopts an existing kernel connection, reference §4.8), registers the host
// with DCs that support TP8010 DIM, asks DDCs which log page options they support (PLEO),
// fetches the discovery log page, validates and caches it, and fetches it again on the
// "log page changed" AEN, on reconnect events and on reload. Connect failures are retried after
// 3 s, then every 60 s; a failed registration or support query after 5 s, a failed log page
// fetch after 20 s (nvme-stas's timers). The cache survives disconnections.
//
// Loop thread only. Owned by StafService through a shared_ptr: blocking work runs on the
// BlockingRunner and its results are dropped if the Dc is gone by then.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/blocking_runner.h"
#include "common/dlp_entry.h"
#include "common/event_loop.h"
#include "common/nvme_kernel.h"
#include "common/tid.h"
#include "common/timer.h"

namespace stas::staf {

class Dc;

enum class Origin { kConfigured, kDiscovered, kReferral };
const char* OriginName(Origin o);
std::optional<Origin> OriginFromName(const std::string& name);

// What all DCs of one service share. Owned by the service; outlives every Dc.
struct DcContext {
  EventLoop& loop;
  BlockingRunner& runner;
  NvmeKernel& kernel;
  HostInfo host;
  bool pleo = true;
  // Called after every successful log page fetch (stafd emits log_pages_changed).
  std::function<void(Dc&)> on_log_pages;
  // Called when the set of referral entries in a DC's log page changed.
  std::function<void(Dc&)> on_referrals_changed;
  // The devices that other DCs already own: never adopt one of those.
  std::function<std::set<std::string>()> owned_devices;
};

class Dc : public std::enable_shared_from_this<Dc> {
 public:
  static constexpr std::chrono::seconds kFastConnectRetry{3};
  static constexpr std::chrono::seconds kConnectRetry{60};
  static constexpr std::chrono::seconds kRegisterRetry{5};
  static constexpr std::chrono::seconds kSupportRetry{5};
  static constexpr std::chrono::seconds kLogRetry{20};

  // `request` carries the identity, options and host info used to connect.
  // `extras` are the controller= keys shown on D-Bus after the identity (reference §1.5.0).
  Dc(DcContext& ctx, ConnectRequest request, Origin origin,
     std::vector<std::pair<std::string, std::string>> extras = {});
  ~Dc();
  Dc(const Dc&) = delete;
  Dc& operator=(const Dc&) = delete;

  // Schedules the first connection attempt (on the next loop iteration).
  void Start();
  // A kernel event about device() (AEN, connected/rediscover, removal).
  void OnKernelEvent(const KernelEvent& ev);
  // SIGHUP: register and fetch the log page again if connected, connect now if not.
  void Resync();
  // Stops all activity; once no operation is in flight, disconnects unless `keep_connection`
  // (or if not connected), then calls `done(success)`. The Dc is inert afterwards.
  void Dispose(bool keep_connection, std::function<void(bool)> done);

  // Restores a cached log page (from the last-known configuration) before Start().
  void SetCachedLog(std::vector<LogEntry> entries) { log_ = std::move(entries); }

  const Tid& tid() const { return request_.tid; }
  const std::string& device() const { return device_; }
  bool connected() const { return !device_.empty(); }
  Origin origin() const { return origin_; }
  void set_origin(Origin o) { origin_ = o; }
  const std::vector<LogEntry>& log_pages() const { return log_; }
  std::vector<LogEntry> Referrals() const;
  const std::vector<std::pair<std::string, std::string>>& extras() const { return extras_; }
  bool busy() const { return op_ != Op::kNone; }

  // The D-Bus views of reference §1.5: the controller ID dict, info() and details().
  std::vector<std::pair<std::string, std::string>> IdDict() const;
  std::vector<std::pair<std::string, std::string>> Info() const;
  std::vector<std::pair<std::string, std::string>> Details() const;

 private:
  enum class Op { kNone, kConnect, kRegister, kSupport, kLog, kDisconnect };
  struct OpStats {
    int fail_count = 0;
    bool completed = false;
    bool exists = false;
  };

  void TryConnect();
  void OnConnected(std::string device, std::optional<KernelDevice> info, bool adopted);
  void OnConnectFailed(const Error& err);
  void Register();
  void GetSupport();
  void GetLog();
  // Runs `step` now, or after the operation in flight (as a log page refetch).
  void RunIfIdle(void (Dc::*step)());
  void AfterOp();  // runs the next step that was requested while an operation was in flight
  void OnDeviceRemoved();
  std::string Prefix() const;  // "(tid) | nvmeX - "
  static std::string OpString(const OpStats& s);

  DcContext& ctx_;
  ConnectRequest request_;
  Origin origin_;
  std::vector<std::pair<std::string, std::string>> extras_;

  std::string device_;
  std::optional<KernelDevice> kdev_;
  std::vector<LogEntry> log_;
  uint8_t lsp_ = 0;
  int connect_attempts_ = 0;

  Op op_ = Op::kNone;
  bool refetch_pending_ = false;  // an AEN arrived during an operation
  bool resync_pending_ = false;   // a reconnect event or reload arrived during an operation
  bool disposing_ = false;
  std::function<void()> on_idle_;  // disposal waiting for the operation in flight

  OpStats connect_stats_, register_stats_, support_stats_, log_stats_;
  Timer connect_timer_;
  Timer register_timer_;
  Timer support_timer_;
  Timer log_timer_;
};

}  // namespace stas::staf
