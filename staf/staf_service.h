// SPDX-License-Identifier: Apache-2.0
// StafService: the discovery service of stafd. It decides which discovery controllers to keep
// (configured, referred to by other DCs' log pages, found by mDNS), minus exclusions and
// addresses the configuration does not allow, and owns one Dc per controller.
//
// Changes are soaked for 1.5 s (kConfigSoak) before a reconciliation pass, so that a burst of
// events (reload, referrals, mDNS) causes one pass. After each pass and at exit the
// last-known configuration is saved. Loop thread only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/config/name_resolution.h"
#include "common/controller/candidates.h"
#include "common/controller/controller_registry.h"
#include "common/controller/kernel_index.h"
#include "common/daemon/state_writer.h"
#include "common/kernel/nvme_kernel.h"
#include "common/loop/blocking_runner.h"
#include "common/loop/bounded_runner.h"
#include "common/loop/event_loop.h"
#include "common/loop/lifetime.h"
#include "common/loop/timer.h"
#include "staf/dc.h"
#include "staf/zeroconf/zeroconf_aging.h"
#include "staf/zeroconf/zeroconf_browser.h"
#include "staf/zeroconf/zeroconf_reachability.h"
#include "staf/zeroconf/zeroconf_registry.h"

namespace stas::staf {

// What the service is built from, and how it tells its owner what happened: the on_*
// callbacks, given here at construction and never changed (each may be empty). They run on
// the loop thread, never from a call the owner makes to the service. Built with designated
// initialisers; the `{}` initialisers let callers name only the fields they set.
struct StafDeps {
  EventLoop& loop;
  BlockingRunner& runner;
  NvmeKernel& kernel;
  KernelEvents& events;
  HostInfo host{};
  std::string lkc_path{};  // empty: no last-known configuration
  // The exclusion list and the ownership registry (connect_or_adopt.h); default: neither.
  SharedHostFiles shared_files{};
  // Resolves host names of configured controllers (blocking; worker thread). Default: getaddrinfo.
  NameResolver resolve{};
  // A DC fetched its log page (stafd emits log_pages_changed; docs/compatibility.md, "Signals").
  std::function<void(const Dc&)> on_log_pages_changed{};
  // A reconciliation pass removed DCs (stafd emits dc_removed).
  std::function<void()> on_dc_removed{};
  // initial_discovery_done() became true (stafd emits PropertiesChanged).
  std::function<void()> on_initial_discovery_done{};
  // Called for AEN/rediscover events of DCs we do not manage (docs/compatibility.md,
  // "Coexistence with nvme-cli").
  std::function<void(const KernelEvent&, const KernelDevice&)> on_unmanaged_dc_event{};
  // mDNS discovery (docs/compatibility.md, "mDNS discovery"). Both outlive the service; null:
  // no zeroconf at all.
  ServiceBrowser* browser = nullptr;
  TcpProber* prober = nullptr;
};

class StafService {
 public:
  static constexpr std::chrono::milliseconds kConfigSoak{1500};
  // Log page changes are saved to the last-known configuration at most this often: a burst
  // of AENs to many DCs would otherwise serialise and fsync the whole state once per DC.
  static constexpr std::chrono::milliseconds kLkcSaveDelay{1000};

  StafService(StafDeps deps, ServiceConfig config);
  ~StafService();
  StafService(const StafService&) = delete;
  StafService& operator=(const StafService&) = delete;

  // Restores the last-known configuration, subscribes to kernel events, starts the soak timer.
  void Start();
  // SIGHUP with a new configuration: resync every DC and reconcile.
  void Reload(ServiceConfig config);
  // SIGTERM: saves the state, disposes every DC (keeping the connections when
  // persistent-connections is on) and calls `done` when all are gone.
  void Stop(std::function<void()> done);

  // At most this many DCs held for volumes.
  static constexpr std::size_t kMaxVolumeDcs = 256;
  // Discovery1.SetVolumeDiscoveryControllers: the DCs stacd's volumes need, replacing the
  // previous set (validated entries; at most kMaxVolumeDcs, else EINVAL). Each is kept as a DC
  // of origin "volumes" with connect=volumes, unless configured (the configuration's entry and
  // its choice win), until a later set leaves it out; the set is part of the last-known
  // configuration, so a restarted stafd keeps holding it until stacd says otherwise.
  Status SetVolumeDcs(const std::vector<ControllerEntry>& dcs);
  std::size_t volume_dcs() const { return volume_dcs_.size(); }

  // Controllers in the order they were added (restored ones first).
  std::vector<const Dc*> dcs() const;
  // list_controllers(detailed=True): every DC's Details() with the kernel's state of its
  // device (detailed_listing.h), read on a worker; `done` runs later on the loop thread,
  // not at all if the service is gone by then.
  void ListDetailed(std::function<void(std::vector<Dict>)> done) const;
  const Dc* Find(const Tid& tid) const;
  const ServiceConfig& config() const { return config_; }
  const Timer& soak_timer() const { return soak_timer_; }
  const TidDefaults& tid_defaults() const { return tid_defaults_; }
  // Kernel feature support found at start-up (for process_info).
  bool kernel_supports(const std::string& option) const;
  const KernelFeatures& kernel_features() const { return ctx_.controller.features; }
  // process_info's "avahi" object (docs/compatibility.md, "process_info"); the shape of a
  // disabled browser when
  // the service has no zeroconf.
  nlohmann::ordered_json AvahiInfo() const;
  const ZeroconfRegistry* zeroconf() const { return zc_.get(); }
  const ZeroconfAging& aging() const { return aging_; }
  // The lane of the DCs' reads (log pages, supported log pages, DIM registration).
  const BoundedRunner& reads() const { return reads_; }
  // process_info's "discovery read workers": the lane's limit, reads in flight and waiting.
  nlohmann::ordered_json ReadBudgetInfo() const;
  // status's "limits" object (common/controller/limits.h): the [Limits] of stafd and what
  // each DC (and the service, for max-discovery-controllers) drops now.
  nlohmann::ordered_json LimitsInfo() const;
  // Whether stafd has read what it knows of the fabric since it started: the first
  // reconciliation pass is done, no pass is pending, and every DC's first log page read has
  // an outcome (Dc::first_read_done()), referred DCs included. Until then a DC missing from
  // what stafd serves may only not be read yet: stacd disconnects nothing it learnt from
  // stafd (docs/compatibility.md, "How stacd follows stafd"). Once true, stays true.
  bool initial_discovery_done() const { return initial_discovery_done_; }

 private:
  struct Candidate {
    ConnectRequest request;
    Origin origin;
    std::vector<std::pair<std::string, std::string>> extras;
  };

  void Reconcile();
  // What a later candidate for the same DC adds to the one kept: held for volumes, and wanted
  // another way too (a referral or mDNS DC stacd already connects everything of), it stays a DC
  // whose whole page is connected.
  static void MergeWants(Candidate& kept, const Candidate& later);
  // A referral to the address of a DC wanted before it is that DC: one that lists itself (under
  // its unique NQN, or at its IPv4-mapped address), or a loop of referrals back to it. It is
  // never a second connection to the same DC.
  void DropReferralsToWantedDcs(WantedCandidates<Candidate>& wanted);
  // Keeps every configured DC and at most max-discovery-controllers in all (#13).
  void ApplyMaxDcs(WantedCandidates<Candidate>& wanted);
  void FinishReconcile(ResolvedNames resolved);
  std::vector<Candidate> Configured(const ResolvedNames& resolved);
  std::vector<Candidate> ForVolumes();
  std::vector<Candidate> FromReferrals();
  std::vector<Candidate> Discovered();
  // The DCs Avahi reports now, normalised.
  std::set<Tid> Reported() const;
  // stas Dc._handle_lost_controller(): starts or cancels the mDNS aging countdown.
  void CheckLost(const Dc& dc, const std::set<Tid>& reported);
  bool MustRemove(const Dc& dc, const std::set<Tid>& reported) const;
  RequestFactory Requests() const;
  void Add(Candidate c, std::vector<LogEntry> cached);
  void OnKernelEvent(const KernelEvent& ev);
  // Hands the state to lkc_writer_ (after a reconciliation pass and at stop).
  void SaveLkc();
  // lkc_timer_'s: saves the log pages that changed while it ran (bursts are coalesced).
  void SaveLkcSoon();
  std::string LkcText() const;
  void RestoreLkc();
  // Sets initial_discovery_done() when its conditions hold.
  void CheckInitialDiscovery();

  StafDeps deps_;
  ServiceConfig config_;
  TidDefaults tid_defaults_;
  BoundedRunner reads_;       // the DCs' reads, at most discovery-read-workers at once; before ctx_
  KernelIndex kernel_index_;  // before ctx_
  DcContext ctx_;
  ControllerRegistry<Dc> dcs_;
  ZeroconfAging aging_;
  std::unique_ptr<ZeroconfRegistry> zc_;  // created in Start(), once TP8013 support is known
  Timer soak_timer_;
  Timer lkc_timer_;
  StateWriter lkc_writer_;             // last-known-config.json
  LimitHits limit_hits_;               // max-discovery-controllers
  std::vector<TidFields> volume_dcs_;  // SetVolumeDcs(), or restored from the LKC
  bool reconciling_ = false;
  bool stopping_ = false;
  bool first_pass_done_ = false;
  // The referrals the last pass found to name a DC already wanted (logged when they first do).
  std::set<Tid> dropped_referrals_;
  bool initial_discovery_done_ = false;
  EventLoop::Clock::time_point started_{};
  Lifetime lifetime_;  // drops kernel events and blocking results once the service is gone
};

}  // namespace stas::staf
