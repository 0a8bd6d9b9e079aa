// SPDX-License-Identifier: Apache-2.0
#include "staf/staf_service.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>
#include <set>

#include "common/atomic_file.h"
#include "common/config/name_resolution.h"
#include "common/controller/detailed_listing.h"
#include "common/ip_address.h"
#include "common/log.h"
#include "staf/last_known_config.h"

namespace stas::staf {
namespace {

bool VolumesOnly(const std::vector<std::pair<std::string, std::string>>& extras) {
  return std::find(extras.begin(), extras.end(),
                   std::pair<std::string, std::string>{kDcConnectKey, kDcConnectVolumes}) !=
         extras.end();
}

// Where a DC is, whatever NQN names it: its transport, its address (an IPv4-mapped address is
// the IPv4 one), port and host side.
std::string DcAddressKey(const Tid& t) {
  std::optional<IpAddress> ip = IpAddress::Parse(t.traddr());
  const std::string traddr = ip ? ip->Unmapped().ToString() : t.traddr();
  return t.transport() + '\n' + traddr + '\n' + t.trsvcid() + '\n' + t.host_traddr() + '\n' +
         t.host_iface() + '\n' + t.host_nqn();
}

}  // namespace

StafService::StafService(StafDeps deps, ServiceConfig config)
    : deps_(std::move(deps)),
      config_(std::move(config)),
      tid_defaults_{config_.ignore_iface, deps_.host.hostnqn},
      reads_(deps_.loop, deps_.runner,
             static_cast<std::size_t>(config_.limits.discovery_read_workers), "discovery reads"),
      kernel_index_(deps_.kernel),
      ctx_{.controller = {.loop = deps_.loop,
                          .runner = deps_.runner,
                          .kernel = deps_.kernel,
                          .index = kernel_index_,
                          .reads = &reads_,
                          .owned_devices = [this] { return dcs_.OwnedDevices(); },
                          .shared_files = deps_.shared_files},
           .host = deps_.host,
           .pleo = config_.pleo,
           .limits = config_.limits,
           .persistence = config_.dc_persistence,
           .epcsd_poll = std::chrono::minutes(config_.epcsd_poll_minutes),
           .on_log_pages =
               [this](Dc& dc) {
                 if (deps_.on_log_pages_changed)
                   deps_.on_log_pages_changed(dc);
                 // A kill -9 must not lose a fresh log page; an unchanged one needs no save.
                 if (dc.last_fetch_changed() && !lkc_timer_.running())
                   lkc_timer_.Start();
               },
           .on_referrals_changed =
               [this](Dc&) {
                 if (!stopping_)
                   soak_timer_.Start();
               },
           .on_connected = [this](Dc& dc) { aging_.Restored(dc.tid()); },
           .on_connect_failed = [this](Dc& dc) { CheckLost(dc, Reported()); },
           .on_first_read_done = [this](Dc&) { CheckInitialDiscovery(); },
           .unresponsive_info =
               [this](const Dc& dc) {
                 return aging_.Info(dc.tid());
               }},
      dcs_(deps_.loop),
      aging_(deps_.loop,
             [this](const Tid&) {
               if (!stopping_)
                 soak_timer_.Start();  // the pass removes what IsUnresponsive() says
             }),
      soak_timer_(deps_.loop, kConfigSoak, [this] { Reconcile(); }),
      lkc_timer_(deps_.loop, kLkcSaveDelay, [this] { SaveLkcSoon(); }),
      lkc_writer_(deps_.runner, deps_.lkc_path, 0600, {.what = "last known config"}) {
  if (!deps_.resolve)
    deps_.resolve = ResolveWithGetaddrinfo;
  aging_.set_persistence_sec(config_.zeroconf_persistence_sec);
}

StafService::~StafService() = default;

bool StafService::kernel_supports(const std::string& option) const {
  return kernel_features().Has(option);
}

void StafService::Start() {
  started_ = deps_.loop.Now();
  ctx_.controller.features = deps_.kernel.Features();
  if (kernel_features().known()) {
    if (!kernel_supports("host_iface")) {
      LOG_WARNING(
          "The kernel does not support the host_iface option: connections follow the "
          "routing table");
    }
    if (!kernel_supports("discovery")) {
      LOG_WARNING("The kernel does not support TP8013 (unique discovery controller NQNs)");
    }
  }
  if (deps_.browser && deps_.prober) {
    zc_ = std::make_unique<ZeroconfRegistry>(deps_.loop, *deps_.browser, *deps_.prober,
                                             kernel_supports("discovery"), [this] {
                                               if (!stopping_)
                                                 soak_timer_.Start();
                                             });
    zc_->Configure(config_.zeroconf);
  } else if (config_.zeroconf) {
    LOG_WARNING("zeroconf=enabled, but this stafd has no mDNS browser");
  }
  RestoreLkc();
  // The event source may outlive us (a test restarts the service on one simulated kernel):
  // events queued for a destroyed service are dropped.
  Status s =
      deps_.events.Start(lifetime_.Guard([this](const KernelEvent& ev) { OnKernelEvent(ev); }));
  if (!s)
    LOG_ERROR("Cannot monitor kernel events: %s", s.error().message.c_str());
  soak_timer_.Start();
}

void StafService::Reload(ServiceConfig config) {
  config_ = std::move(config);
  tid_defaults_.ignore_iface = config_.ignore_iface;
  ctx_.pleo = config_.pleo;
  reads_.set_limit(static_cast<std::size_t>(config_.limits.discovery_read_workers));
  ctx_.limits = config_.limits;
  ctx_.persistence = config_.dc_persistence;
  ctx_.epcsd_poll = std::chrono::minutes(config_.epcsd_poll_minutes);
  aging_.set_persistence_sec(config_.zeroconf_persistence_sec);
  if (zc_) {
    zc_->KickStart();
    zc_->Configure(config_.zeroconf);
  }
  const std::set<Tid> reported = Reported();
  for (const auto& dc : dcs_.active()) {
    CheckLost(*dc, reported);
    dc->ApplyPersistence();
    dc->Resync();
  }
  soak_timer_.Start();
}

nlohmann::ordered_json StafService::ReadBudgetInfo() const {
  nlohmann::ordered_json j;
  j["limit"] = reads_.limit();
  j["in flight"] = reads_.in_flight();
  j["queued"] = reads_.queued();
  j["peak queued"] = reads_.peak_queued();
  return j;
}

nlohmann::ordered_json StafService::AvahiInfo() const {
  if (zc_)
    return zc_->AvahiInfo();
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["avahi wake up timer"] = "60.0s [off]";
  j["service types"] = nlohmann::ordered_json::array();
  j["services"] = nlohmann::ordered_json::object();
  return j;
}

std::vector<const Dc*> StafService::dcs() const {
  return dcs_.ActiveView();
}

void StafService::ListDetailed(std::function<void(std::vector<Dict>)> done) const {
  stas::ListDetailed(deps_.runner, deps_.kernel, lifetime_, SnapshotDetails(dcs()),
                     std::move(done));
}

const Dc* StafService::Find(const Tid& tid) const {
  return dcs_.Find(tid);
}

RequestFactory StafService::Requests() const {
  return RequestFactory{
      .config = config_, .tid_defaults = tid_defaults_, .host = deps_.host, .discovery = true};
}

std::vector<StafService::Candidate> StafService::Configured(const ResolvedNames& resolved) {
  std::vector<Candidate> out;
  for (ConfiguredRequest& c : Requests().Configured(resolved))
    out.push_back(Candidate{std::move(c.request), Origin::kConfigured, std::move(c.extras)});
  return out;
}

Status StafService::SetVolumeDcs(const std::vector<ControllerEntry>& dcs) {
  if (dcs.size() > kMaxVolumeDcs) {
    return Fail(EINVAL, std::to_string(dcs.size()) +
                            " discovery controllers for volumes; at most " +
                            std::to_string(kMaxVolumeDcs));
  }
  std::vector<TidFields> held;
  for (const ControllerEntry& e : dcs) {
    held.push_back(TidFields{.transport = e.transport,
                             .traddr = e.traddr,
                             .trsvcid = e.trsvcid,
                             .subsysnqn = e.subsysnqn,
                             .host_traddr = e.host_traddr,
                             .host_iface = e.host_iface,
                             .host_nqn = e.host_nqn});
  }
  if (held == volume_dcs_)
    return {};
  LOG_INFO("Discovery controllers held for volumes: %zu (were %zu)", held.size(),
           volume_dcs_.size());
  volume_dcs_ = std::move(held);
  // An attach waits for this: no soak.
  if (!stopping_) {
    soak_timer_.Stop();
    Reconcile();
  }
  return {};
}

std::vector<StafService::Candidate> StafService::ForVolumes() {
  std::vector<Candidate> out;
  for (const TidFields& f : volume_dcs_) {
    out.push_back(Candidate{
        Requests().Make(f, nullptr), Origin::kVolumes, {{kDcConnectKey, kDcConnectVolumes}}});
  }
  return out;
}

std::vector<StafService::Candidate> StafService::FromReferrals() {
  std::vector<Candidate> out;
  for (const auto& dc : dcs_.active()) {
    // A DC referred to by one that serves volumes only serves volumes only.
    std::vector<std::pair<std::string, std::string>> extras;
    if (dc->volumes_only())
      extras.emplace_back(kDcConnectKey, kDcConnectVolumes);
    // And the persistence chosen for it (persistent=).
    if (DcPersistence p = dc->own_persistence(); p != DcPersistence::kUnset)
      extras.emplace_back(kDcPersistentKey, DcPersistenceName(p));
    for (const LogEntry& e : dc->Referrals()) {
      // A referral inherits the host side of the DC that sent it, as in nvme-stas.
      TidFields f{.transport = e.transport,
                  .traddr = e.traddr,
                  .trsvcid = e.trsvcid,
                  .subsysnqn = e.subnqn,
                  .host_traddr = dc->tid().host_traddr(),
                  .host_iface = dc->tid().host_iface(),
                  .host_nqn = dc->tid().host_nqn()};
      Candidate c{Requests().Make(std::move(f), nullptr), Origin::kReferral, extras};
      e.ApplyRequirements(&c.request.options);
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::vector<StafService::Candidate> StafService::Discovered() {
  std::vector<Candidate> out;
  if (!zc_)
    return out;
  for (TidFields& f : zc_->Candidates())
    out.push_back(Candidate{Requests().Make(std::move(f), nullptr), Origin::kDiscovered, {}});
  return out;
}

std::set<Tid> StafService::Reported() const {
  std::set<Tid> out;
  if (!zc_)
    return out;
  for (TidFields& f : zc_->Candidates())
    out.insert(Tid::Make(std::move(f), tid_defaults_));
  return out;
}

void StafService::CheckLost(const Dc& dc, const std::set<Tid>& reported) {
  // A parked DC was read a moment ago: it is not lost.
  aging_.Check(dc.tid(), dc.origin() == Origin::kDiscovered, reported.count(dc.tid()) > 0,
               dc.connected() || dc.parked_reachable());
}

bool StafService::MustRemove(const Dc& dc, const std::set<Tid>& reported) const {
  // Excluded or not allowed by the address rules: at once, whatever the origin. An mDNS DC
  // that Avahi stopped reporting stays (Avahi may merely be restarting) until it has been
  // unreachable for zeroconf-connections-persistence.
  if (!CandidateAllowed(dc.tid(), config_))
    return true;
  if (dc.origin() != Origin::kDiscovered)
    return true;
  return aging_.IsUnresponsive(dc.tid(), true, reported.count(dc.tid()) > 0,
                               dc.connected() || dc.parked_reachable());
}

void StafService::Reconcile() {
  if (stopping_)
    return;
  if (reconciling_) {
    soak_timer_.Start();  // a resolution is under way: run again after it
    return;
  }
  std::vector<std::string> names = NamesToResolve(config_.controllers);
  if (names.empty())
    return FinishReconcile({});
  reconciling_ = true;
  deps_.runner.RunBlocking<ResolvedNames>(
      lifetime_, [names, resolve = deps_.resolve]() { return ResolveNames(names, resolve); },
      [this](ResolvedNames resolved) {
        reconciling_ = false;
        if (!stopping_)
          FinishReconcile(std::move(resolved));
      });
}

void StafService::FinishReconcile(ResolvedNames resolved) {
  kernel_index_.Invalidate();  // the connects this pass starts look at the kernel as it is now
  // Configured first, then those held for volumes, then referrals, then mDNS (stas's origin
  // priority, ours in second place): a DC found several ways takes the first origin, so a
  // referred DC is removed as soon as nothing refers to it.
  std::vector<Candidate> all = Configured(resolved);
  for (Candidate& c : ForVolumes())
    all.push_back(std::move(c));
  for (Candidate& c : FromReferrals())
    all.push_back(std::move(c));
  for (Candidate& c : Discovered())
    all.push_back(std::move(c));
  WantedCandidates<Candidate> wanted = SelectWanted<Candidate>(std::move(all), config_, MergeWants);
  DropReferralsToWantedDcs(wanted);
  ApplyMaxDcs(wanted);

  const std::set<Tid> reported = Reported();
  bool removed = false;
  bool referrer_removed = false;
  for (const auto& dc : dcs_.Snapshot()) {
    if (!wanted.tids.count(dc->tid()) && MustRemove(*dc, reported)) {
      LOG_INFO("%s no longer wanted (%s); removing", dc->tid().ToString().c_str(),
               OriginName(dc->origin()));
      // This pass still counted its referrals: the next one, without it, removes them.
      referrer_removed = referrer_removed || !dc->Referrals().empty();
      aging_.Forget(dc->tid());
      dcs_.Remove(dc, /*keep_connection=*/false);
      removed = true;
    }
  }
  for (Candidate& c : wanted.list) {
    const Tid tid = c.request.tid;
    if (Dc* dc = dcs_.Find(tid)) {
      dc->set_origin(c.origin);
      dc->set_volumes_only(VolumesOnly(c.extras));
      dc->set_own_persistence(PersistenceIn(c.extras));
      dc->UpdateSecrets(c.request);  // a reload may have changed its keys
    } else {
      Add(std::move(c), {});
    }
    if (const Dc* dc = dcs_.Find(tid))
      CheckLost(*dc, reported);
  }
  if (removed && deps_.on_dc_removed)
    deps_.on_dc_removed();
  if (referrer_removed)
    soak_timer_.Start();
  SaveLkc();
  first_pass_done_ = true;
  CheckInitialDiscovery();
}

void StafService::CheckInitialDiscovery() {
  if (initial_discovery_done_ || stopping_ || !first_pass_done_)
    return;
  // A pending pass may add DCs (referrals just read, a reload, mDNS) that have not been read.
  if (reconciling_ || soak_timer_.running())
    return;
  const auto& active = dcs_.active();
  if (!std::all_of(active.begin(), active.end(),
                   [](const auto& dc) { return dc->first_read_done(); }))
    return;
  initial_discovery_done_ = true;
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(deps_.loop.Now() - started_).count();
  LOG_INFO(
      "Initial discovery done: %zu discovery controllers read or given up, %lld ms after start",
      active.size(), static_cast<long long>(ms));
  if (deps_.on_initial_discovery_done)
    deps_.on_initial_discovery_done();
}

void StafService::MergeWants(Candidate& kept, const Candidate& later) {
  if (VolumesOnly(kept.extras) && !VolumesOnly(later.extras))
    kept.extras = later.extras;
}

void StafService::DropReferralsToWantedDcs(WantedCandidates<Candidate>& wanted) {
  std::map<std::string, std::size_t> seen;  // DcAddressKey -> index in `kept`
  std::vector<Candidate> kept;
  std::set<Tid> dropped;
  for (Candidate& c : wanted.list) {
    auto [it, first] = seen.emplace(DcAddressKey(c.request.tid), kept.size());
    if (!first && c.origin == Origin::kReferral) {
      Candidate& same = kept[it->second];
      // Said once while it lasts: the DC's page may change often, and each change is a pass.
      if (!dropped_referrals_.count(c.request.tid)) {
        LOG_INFO("%s is %s, referred to again; not connected a second time",
                 c.request.tid.ToString().c_str(), same.request.tid.ToString().c_str());
      }
      MergeWants(same, c);
      wanted.tids.erase(c.request.tid);
      dropped.insert(c.request.tid);
      continue;
    }
    kept.push_back(std::move(c));
  }
  wanted.list = std::move(kept);
  dropped_referrals_ = std::move(dropped);
}

void StafService::ApplyMaxDcs(WantedCandidates<Candidate>& wanted) {
  // The list is in priority order (configured, referrals, mDNS): configured DCs are always
  // kept, the others while there is room.
  // Those held for volumes count as configured: root asked for each (and they are bounded).
  auto always = [](const Candidate& c) {
    return c.origin == Origin::kConfigured || c.origin == Origin::kVolumes;
  };
  size_t configured = 0;
  for (const Candidate& c : wanted.list)
    configured += always(c) ? 1 : 0;
  const auto max = static_cast<size_t>(config_.limits.max_discovery_controllers);
  size_t room = max > configured ? max - configured : 0;
  std::vector<Candidate> kept;
  std::vector<LogEntry> dropped;  // for the warning: as entries, to print them alike
  for (Candidate& c : wanted.list) {
    if (always(c)) {
      kept.push_back(std::move(c));
    } else if (room > 0) {
      --room;
      kept.push_back(std::move(c));
    } else {
      wanted.tids.erase(c.request.tid);
      const Tid& t = c.request.tid;
      dropped.push_back(LogEntry{.transport = t.transport(),
                                 .traddr = t.traddr(),
                                 .trsvcid = t.trsvcid(),
                                 .subnqn = t.subsysnqn()});
    }
  }
  wanted.list = std::move(kept);
  limit_hits_.Note("", kLimitMaxDcs, std::to_string(max), dropped.size(),
                   "Discovery controllers not created (" + EntriesText(dropped) + ")");
}

nlohmann::ordered_json StafService::LimitsInfo() const {
  const Limits& l = config_.limits;
  std::vector<std::pair<std::string, nlohmann::ordered_json>> configured = {
      {kLimitMaxDcs, l.max_discovery_controllers},
      {kLimitReferrals, l.max_referrals_per_dc},
      {kLimitLogEntries, l.max_log_page_entries},
      {kLimitReadTimeout, l.log_page_read_timeout_sec},
      {kLimitCrossTransport, l.follow_cross_transport ? "follow" : "ignore"}};
  std::vector<std::pair<std::string, const LimitHits*>> hits = {{"", &limit_hits_}};
  for (const auto& dc : dcs_.active())
    hits.emplace_back(dc->tid().ToString(), &dc->limit_hits());
  return LimitsJson(configured, hits);
}

void StafService::Add(Candidate c, std::vector<LogEntry> cached) {
  auto dc = std::make_shared<Dc>(ctx_, std::move(c.request), c.origin, std::move(c.extras));
  if (!cached.empty())
    dc->SetCachedLog(std::move(cached));
  LOG_DEBUG("%s added (%s)", dc->tid().ToString().c_str(), OriginName(dc->origin()));
  dcs_.Add(dc);
  dc->Start();
}

void StafService::Stop(std::function<void()> done) {
  stopping_ = true;
  soak_timer_.Stop();
  if (zc_)
    zc_->Configure(false);
  SaveLkc();
  lkc_writer_.Flush();  // the DCs go now: their state must be on disk first
  dcs_.RemoveAll(config_.persistent_connections, std::move(done));
}

void StafService::OnKernelEvent(const KernelEvent& ev) {
  if (Dc* dc = dcs_.FindByDevice(ev.device))
    return dc->OnKernelEvent(ev);
  bool interesting = ev.action == KernelEvent::Action::kChange &&
                     (ev.aen == kAenDiscoveryLogChanged || ev.event == "rediscover");
  if (!interesting || !deps_.on_unmanaged_dc_event || stopping_)
    return;
  if (dcs_.FindByDevice(ev.device, /*include_disposing=*/true))
    return;
  NvmeKernel& kernel = deps_.kernel;
  std::string device = ev.device;
  deps_.runner.RunBlocking<std::optional<KernelDevice>>(
      lifetime_, [device, &kernel]() { return kernel.GetDevice(device); },
      [this, ev](std::optional<KernelDevice> d) {
        if (d && d->IsDiscovery())
          deps_.on_unmanaged_dc_event(ev, *d);
      });
}

std::string StafService::LkcText() const {
  std::vector<SavedDc> saved;
  for (const auto& dc : dcs_.active())
    saved.push_back(SavedDc{dc->tid(), dc->origin(), dc->log_pages()});
  return SerializeLkc(saved);
}

void StafService::SaveLkc() {
  if (deps_.lkc_path.empty())
    return;
  lkc_timer_.Stop();
  lkc_writer_.Save(LkcText());
}

void StafService::SaveLkcSoon() {
  if (!stopping_)
    SaveLkc();  // once stopping, the DCs being removed must not reach the file
}

void StafService::RestoreLkc() {
  if (deps_.lkc_path.empty())
    return;
  Result<std::string> text = ReadWholeFile(deps_.lkc_path);
  if (!text) {
    if (text.error().code != ENOENT) {
      LOG_WARNING("Cannot read the last known config: %s", text.error().message.c_str());
    }
    return;
  }
  Result<std::vector<SavedDc>> saved = ParseLkc(*text);
  if (!saved) {
    LOG_WARNING("Ignoring the last known config %s: %s", deps_.lkc_path.c_str(),
                saved.error().message.c_str());
    return;
  }
  std::vector<Candidate> configured = Configured({});
  for (SavedDc& s : *saved) {
    auto it = std::find_if(configured.begin(), configured.end(),
                           [&](const Candidate& c) { return c.request.tid == s.tid; });
    Candidate c =
        it != configured.end() ? *it : Candidate{Requests().Make({}, nullptr), s.origin, {}};
    if (it == configured.end())
      c.request.tid = s.tid;
    c.origin = s.origin;
    // Held for volumes when stafd stopped: held still, until stacd says otherwise.
    if (s.origin == Origin::kVolumes && it == configured.end()) {
      const Tid& t = s.tid;
      volume_dcs_.push_back(TidFields{.transport = t.transport(),
                                      .traddr = t.traddr(),
                                      .trsvcid = t.trsvcid(),
                                      .subsysnqn = t.subsysnqn(),
                                      .host_traddr = t.host_traddr(),
                                      .host_iface = t.host_iface(),
                                      .host_nqn = t.host_nqn()});
      c.extras = {{kDcConnectKey, kDcConnectVolumes}};
    }
    LOG_INFO("%s restored from the last known config (%zu log page entries)",
             s.tid.ToString().c_str(), s.log.size());
    Add(std::move(c), std::move(s.log));
  }
}

}  // namespace stas::staf
