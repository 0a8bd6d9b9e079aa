// SPDX-License-Identifier: Apache-2.0
// Dc: one discovery controller (DC) that stafd keeps a connection to.
//
// On top of Controller (connect or adopt, retries, removal, disposal), it registers the host
// with DCs that support TP8010 DIM, asks DDCs which log page options they support (PLEO),
// fetches the discovery log page, validates and caches it, and fetches it again on the "log
// page changed" AEN, on reconnect events and on reload. A failed registration or support
// query is retried after 5 s, a failed log page fetch after 20 s (nvme-stas's timers). The
// cache survives disconnections.
//
// Loop thread only. Owned by StafService through a shared_ptr.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/controller/controller.h"
#include "common/controller/limits.h"
#include "common/kernel/dlp_entry.h"
#include "staf/origin.h"

namespace stas::staf {

class Dc;

// The persistent= choice among a DC's extras (kUnset: none).
DcPersistence PersistenceIn(const Dict& extras);

// What all DCs of one service share, and how a Dc tells the service what happened (the on_*
// callbacks, set where the context is built; each may be empty). Owned by the service;
// outlives every Dc. The on_* callbacks run on the loop thread, from the Dc's own completions,
// never from a call the service makes to it; unresponsive_info is a question, asked by Info().
struct DcContext {
  ControllerContext controller;
  HostInfo host{};
  bool pleo = true;
  Limits limits{};  // [Limits]: page reads, referrals followed (#13)
  // [Discovery controller connection management] persistent, for DCs whose entry does not
  // say, and how long a parked DC waits before the next read.
  DcPersistence persistence = DcPersistence::kUnset;
  std::chrono::minutes epcsd_poll{kDefaultEpcsdPollMinutes};
  // Called after every successful log page fetch (stafd emits log_pages_changed).
  std::function<void(Dc&)> on_log_pages{};
  // Called when the set of referral entries in a DC's log page changed.
  std::function<void(Dc&)> on_referrals_changed{};
  // Called after each connection (or adoption) and each failed attempt (mDNS aging).
  std::function<void(Dc&)> on_connected{};
  std::function<void(Dc&)> on_connect_failed{};
  // Called once, when first_read_done() becomes true (after on_log_pages and
  // on_referrals_changed of that read).
  std::function<void(Dc&)> on_first_read_done{};
  // The mDNS aging state of a discovered DC, for Info()
  // (docs/compatibility.md, "Controller info and details").
  std::function<Dict(const Dc&)> unresponsive_info{};
  // The last log_generation() given to a Dc of this context: generations are unique among
  // all of them, so that a cache keyed by generation alone never confuses two DCs.
  std::uint64_t last_log_generation = 0;
};

class Dc : public Controller {
 public:
  static constexpr std::chrono::seconds kRegisterRetry{5};
  static constexpr std::chrono::seconds kSupportRetry{5};
  static constexpr std::chrono::seconds kLogRetry{20};

  Dc(DcContext& ctx, ConnectRequest request, Origin origin, Dict extras = {});

  // SIGHUP: register and fetch the log page again if connected, connect now if not.
  void Resync();
  // Restores a cached log page (from the last-known configuration) before Start().
  void SetCachedLog(std::vector<LogEntry> entries);

  Origin origin() const { return origin_; }
  void set_origin(Origin o) { origin_ = o; }
  // connect=volumes: stacd connects from this DC's page only what its volumes need. Shown as
  // the extra "connect": "volumes" in IdDict(), which is how stacd learns of it.
  bool volumes_only() const;
  void set_volumes_only(bool on);
  // persistent= (no|auto|force): this DC's own choice, shown as the extra "persistent"
  // (kUnset: none, the service-wide one applies); referred DCs inherit it.
  DcPersistence own_persistence() const;
  void set_own_persistence(DcPersistence p);
  // Disconnected after a read because it does not ask for a persistent connection (EPCSD,
  // persistent=auto) or persistent=no; connected again every epcsd_poll to read again. Its
  // cached page stays, as for a DC that is away.
  bool parked() const { return parked_; }
  // Parked, and its last poll (or the read before the park) reached it: as good as connected
  // for mDNS aging.
  bool parked_reachable() const { return parked_ && !poll_failed_; }
  // The choice in force: its own persistent=, else the service's.
  DcPersistence persistence() const;
  // After the service's choice (or poll interval) changed on reload: a parked DC that must now
  // be held is connected at once; a held one that must now be parked is parked if its page is
  // read; a parked one's next poll follows the new interval.
  void ApplyPersistence();
  const std::vector<LogEntry>& log_pages() const { return log_; }
  // Changes whenever log_pages() does, and only then: what stafd caches the page's D-Bus
  // answer by (staf/all_log_pages.h). Unique among the DCs of one DcContext.
  std::uint64_t log_generation() const { return log_generation_; }
  // Whether the last successful fetch changed the cached log page.
  bool last_fetch_changed() const { return last_fetch_changed_; }
  // The referral entries stafd follows: those of the DC's own transport (unless
  // cross-transport-entries=follow), at most max-referrals-per-dc of them.
  std::vector<LogEntry> Referrals() const;
  // The [Limits] this DC's last page (or read) hit.
  const LimitHits& limit_hits() const { return limit_hits_; }
  // Whether the first log page read has an outcome: a page (fetched, or restored from the
  // last-known configuration) or a failure (to connect, register, or read; retried later).
  // Until then, what stafd serves for this DC says nothing about the fabric.
  bool first_read_done() const { return first_read_done_; }

  Dict Info() const override;

 private:
  void OnConnected(bool adopted) override;
  void OnConnectFailed() override;
  void OnChangeEvent(const KernelEvent& ev) override;
  void OnDeviceGone() override;
  void OnIdle() override;
  void StopTimers() override;
  // A parked DC's connect is retried at its next poll (OnConnectFailed()).
  bool ShouldRetryConnect() const override { return !parked_; }

  // After a successful read: holds the connection or parks the DC (TP8014).
  void HoldOrPark();
  // EPCSD of the DC's own entry (subtype "current discovery subsystem") that matches this
  // connection's transport, address and port; false when there is none.
  bool EpcsdSet() const;
  void Park(const char* why);

  void Register();
  void GetSupport();
  void GetLog();
  void OnLog(Result<DiscoveryLogPage> r);
  EntrySelection SelectReferrals() const;
  // Logs (once) and remembers the limits the page just fetched hit.
  void NoteLimits(const DiscoveryLogPage& page);
  // Runs `step` now, or after the operation in flight (as a log page refetch).
  void RunIfIdle(void (Dc::*step)());
  // Sets first_read_done() and tells the service, the first time only.
  void FirstReadDone();

  DcContext& dctx_;
  Origin origin_;
  std::vector<LogEntry> log_;
  std::uint64_t log_generation_;
  uint8_t lsp_ = 0;
  bool last_fetch_changed_ = false;
  bool first_read_done_ = false;
  std::vector<std::string> last_rejected_;  // RejectedSummary() of the last fetch
  LimitHits limit_hits_;
  bool refetch_pending_ = false;  // an AEN arrived during an operation
  bool resync_pending_ = false;   // a reconnect event or reload arrived during an operation
  bool parked_ = false;
  bool poll_failed_ = false;  // parked, and the last poll could not connect
  bool force_noted_ = false;  // persistent=force held it without EPCSD: said once
  OpStats register_stats_, support_stats_, log_stats_;
  Timer register_timer_;
  Timer support_timer_;
  Timer log_timer_;
  Timer poll_timer_;  // a parked DC's next read
};

}  // namespace stas::staf
