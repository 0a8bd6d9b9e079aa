// SPDX-License-Identifier: Apache-2.0
#include "stac/stac_service.h"

#include <algorithm>
#include <cerrno>

#include "common/atomic_file.h"
#include "common/config/name_resolution.h"
#include "common/controller/connect_or_adopt.h"
#include "common/controller/detailed_listing.h"
#include "common/kernel/controller_state.h"
#include "common/kernel/net_if.h"
#include "common/kernel/sysfs_namespaces.h"
#include "common/log.h"
#include "common/tid_match.h"
#include "stac/owned_controllers.h"
#include "stac/volumes/volume_state.h"

namespace stas::stac {

StacService::StacService(StacDeps deps, ServiceConfig config)
    : deps_(std::move(deps)),
      config_(std::move(config)),
      tid_defaults_{config_.ignore_iface, deps_.host.hostnqn},
      kernel_index_(deps_.kernel),
      ctx_{.controller = {.loop = deps_.loop,
                          .runner = deps_.runner,
                          .kernel = deps_.kernel,
                          .index = kernel_index_,
                          .owned_devices = [this] { return iocs_.OwnedDevices(); },
                          .shared_files = deps_.shared_files},
           .connect_attempts_on_ncc = config_.connect_attempts_on_ncc},
      iocs_(deps_.loop),
      volume_dcs_retry_(deps_.loop, kStafdReadWait,
                        [this] {
                          volume_dcs_sent_.reset();
                          SyncVolumeDcs();
                        }),
      soak_timer_(deps_.loop, kConfigSoak, [this] { Reconcile(); }),
      stafd_wait_timer_(deps_.loop, kStafdReadWait,
                        [this] {
                          LOG_INFO("stafd was given %llds to read its discovery controllers",
                                   static_cast<long long>(kStafdReadWait.count() / 1000));
                          OnStafdDone();
                        }),
      audit_timer_(deps_.loop, kAuditSoak, [this] { Audit(); }),
      state_writer_(deps_.runner, deps_.state_path, 0600,
                    {.what = "the owned controllers", .skip_unchanged = true}),
      volumes_writer_(deps_.runner, deps_.volumes_path, 0600,
                      {.what = "the volumes", .skip_unchanged = true}),
      persistent_volumes_writer_(deps_.runner, deps_.persistent_volumes_path, 0600,
                                 {.what = "the persistent volumes", .skip_unchanged = true}),
      volumes_(deps_.loop, deps_.runner, deps_.kernel,
               VolumeHost{
                   .request =
                       [this](const VolumeSpec& spec, const Portal& portal,
                              const AttachOptions& options) {
                         return VolumeRequest(spec, portal, options);
                       },
                   .allowed = [this](const Tid& tid) { return CandidateAllowed(tid, config_); },
                   .want =
                       [this](const ConnectRequest& req) {
                         if (Find(req.tid) == nullptr && !stopping_) {
                           Add(Candidate{req, {}, std::nullopt, /*for_volumes=*/true});
                           SaveOwned();
                         }
                       },
                   .device_of =
                       [this](const Tid& tid) {
                         const Ioc* ioc = Find(tid);
                         return ioc != nullptr ? ioc->device() : std::string();
                       },
                   .release =
                       [this](std::vector<Tid> tids, std::vector<std::string> own_blocks,
                              std::function<void()> done) {
                         ReleaseForVolumes(std::move(tids), std::move(own_blocks), std::move(done));
                       },
                   .on_changed = [this](const VolumeView& v) { VolumesChanged(&v); },
                   .on_saved_set_changed = [this] { SaveVolumes(); },
                   .native_multipath = [this] { return native_multipath_; },
                   .controllers_of =
                       [this](const std::string& subsysnqn, const std::string& hostnqn) {
                         return ControllersOf(subsysnqn, hostnqn);
                       },
                   .made_for_volumes =
                       [this](const Tid& tid) {
                         const Ioc* ioc = Find(tid);
                         return ioc != nullptr && ioc->for_volumes();
                       },
                   .default_hostnqn = deps_.host.hostnqn,
                   .on_discovery_changed = [this] { VolumeDiscoveryChanged(); },
                   .discovery_trouble =
                       [this] {
                         return DiscoveryTrouble();
                       }},
               deps_.dev_dir) {
  if (!deps_.resolve)
    deps_.resolve = ResolveWithGetaddrinfo;
  if (!deps_.native_multipath)
    deps_.native_multipath = [] {
      return ReadNativeMultipath();
    };
  // A controller that connects may be the path a volume waits for, or the new way to a
  // discovery volume's subsystem that lets a pass drop the way the pages no longer list.
  ctx_.on_connected = [this] {
    volumes_.Refresh();
    for (const auto& ioc : iocs_.active()) {
      if (last_pass_wanted_.count(ioc->tid()) == 0 &&
          volumes_.NeedOf(ioc->tid()) == VolumeManager::Need::kSubsystem) {
        if (!soak_timer_.running() && !stopping_)
          soak_timer_.Start();
        break;
      }
    }
  };
}

StacService::~StacService() = default;

bool StacService::kernel_supports(const std::string& option) const {
  return kernel_features().Has(option);
}

void StacService::Start() {
  ctx_.controller.features = deps_.kernel.Features();
  native_multipath_ = deps_.native_multipath();
  // Before the controllers owned before a restart and before any pass: the volumes' paths are
  // wanted, so that no pass disconnects them.
  RestoreVolumes();
  SyncVolumeDcs();
  // The event source may outlive us (a test restarts the service on one simulated kernel):
  // events queued for a destroyed service are dropped.
  Status s =
      deps_.events.Start(lifetime_.Guard([this](const KernelEvent& ev) { OnKernelEvent(ev); }));
  if (!s)
    LOG_ERROR("Cannot monitor kernel events: %s", s.error().message.c_str());
  deps_.stafd.Subscribe(lifetime_.Guard([this](DlpSource::Event ev) { OnStafdEvent(ev); }));
  stafd_since_ = deps_.loop.Now();
  // The audit runs once the controllers owned before a restart are back, so that it does not
  // adopt their devices under identities of its own; so does a pass that stafd's answer
  // would start at once.
  RestoreOwned([this] {
    restored_ = true;
    if (config_.disconnect_scope == DisconnectScope::kAllConnectionsMatchingDisconnectTrtypes)
      Audit();
    AskStafdDone();
  });
  soak_timer_.Start();
}

void StacService::Reload(ServiceConfig config) {
  config_ = std::move(config);
  tid_defaults_.ignore_iface = config_.ignore_iface;
  ctx_.connect_attempts_on_ncc = config_.connect_attempts_on_ncc;
  for (const auto& ioc : iocs_.active())
    ioc->Reload();
  if (config_.disconnect_scope == DisconnectScope::kAllConnectionsMatchingDisconnectTrtypes) {
    Audit();
  }
  soak_timer_.Start(kConfigSoak);
}

std::vector<const Ioc*> StacService::iocs() const {
  return iocs_.ActiveView();
}

void StacService::ListDetailed(std::function<void(std::vector<Dict>)> done) const {
  stas::ListDetailed(deps_.runner, deps_.kernel, lifetime_, SnapshotDetails(iocs()),
                     std::move(done));
}

const Ioc* StacService::Find(const Tid& tid) const {
  return iocs_.Find(tid);
}

RequestFactory StacService::Requests() const {
  return RequestFactory{
      .config = config_, .tid_defaults = tid_defaults_, .host = deps_.host, .discovery = false};
}

std::vector<StacService::Candidate> StacService::Configured(const ResolvedNames& resolved) {
  std::vector<Candidate> out;
  for (ConfiguredRequest& c : Requests().Configured(resolved))
    out.push_back(Candidate{std::move(c.request), std::move(c.extras), std::nullopt});
  return out;
}

std::vector<StacService::Candidate> StacService::Discovered(const std::vector<DcLogPage>& pages) {
  std::vector<Candidate> out;
  std::map<std::string, LimitHits> hits;
  const Limits& l = config_.limits;
  volume_page_subsystems_.clear();
  for (const DcLogPage& page : pages) {
    if (page.volumes_only) {
      for (const LogEntry& e : page.entries) {
        if (e.IsIoSubsystem())
          volume_page_subsystems_.insert(e.subnqn);
      }
    }
    // One DC must not make the host connect everything it lists, nor open a connection of
    // another transport than the one it was reached by (#13). A connect=volumes DC gives only
    // the subsystems volumes need.
    EntrySelection sel = SelectEntries(
        page.entries,
        [this, &page](const LogEntry& e) {
          return e.IsIoSubsystem() && (!page.volumes_only || volumes_.WantsSubsystem(e.subnqn));
        },
        page.transport, l.follow_cross_transport, l.max_iocs_per_dc);
    LimitHits& h = hits[page.dc];
    if (auto it = limit_hits_.find(page.dc); it != limit_hits_.end())
      h = it->second;  // what was hit before, so that only a new hit is a warning
    const std::string prefix = page.dc + " - ";
    h.Note(prefix, kLimitIocs, std::to_string(l.max_iocs_per_dc), sel.over_max,
           "I/O controller entries not connected");
    h.Note(prefix, kLimitCrossTransport, "ignore", sel.other_transport.size(),
           "I/O controller entries of another transport than the DC's not connected (" +
               EntriesText(sel.other_transport) + ")");
    for (const LogEntry& e : sel.used) {
      // An I/O controller is reached the way its DC was: same host address, interface, NQN.
      TidFields f{.transport = e.transport,
                  .traddr = e.traddr,
                  .trsvcid = e.trsvcid,
                  .subsysnqn = e.subnqn,
                  .host_traddr = page.host_traddr,
                  .host_iface = page.host_iface,
                  .host_nqn = page.host_nqn};
      Candidate c{Requests().Make(std::move(f), nullptr), {}, e, page.volumes_only};
      e.ApplyRequirements(&c.request.options);
      if (page.volumes_only) {
        c.extras.emplace_back(kDcConnectKey, kDcConnectVolumes);  // stacctl ls says why
        // Made for a volume: with its connect options and host ID, as its portals would be.
        if (auto how = volumes_.DiscoveryConnectFor(e.subnqn, c.request.tid.host_nqn())) {
          c.request.options = c.request.options.MergedWith(how->options);
          if (!how->hostid.empty())
            c.request.host.hostid = how->hostid;
        }
      }
      out.push_back(std::move(c));
    }
  }
  limit_hits_ = std::move(hits);
  return out;
}

nlohmann::ordered_json StacService::LimitsInfo() const {
  const Limits& l = config_.limits;
  std::vector<std::pair<std::string, const LimitHits*>> hits;
  for (const auto& [dc, h] : limit_hits_)
    hits.emplace_back(dc, &h);
  return LimitsJson({{kLimitIocs, l.max_iocs_per_dc},
                     {kLimitCrossTransport, l.follow_cross_transport ? "follow" : "ignore"}},
                    hits);
}

void StacService::Reconcile() {
  if (stopping_)
    return;
  if (reconciling_) {
    reconcile_again_ = true;  // the answer under way may predate what asked for this pass
    return;
  }
  reconciling_ = true;
  std::vector<std::string> names = NamesToResolve(config_.controllers);
  deps_.runner.RunBlocking<ResolvedNames>(
      lifetime_, [names, resolve = deps_.resolve]() { return ResolveNames(names, resolve); },
      [this](ResolvedNames resolved) {
        deps_.stafd.GetAll(lifetime_.Guard(
            [this, resolved = std::move(resolved)](std::optional<std::vector<DcLogPage>> pages) {
              reconciling_ = false;
              if (stopping_)
                return;
              OnLogPages(std::move(pages), resolved);
              if (reconcile_again_) {
                reconcile_again_ = false;
                Reconcile();
              }
            }));
      });
}

bool StacService::KeepOnRemoval(const Tid& tid) const {
  switch (config_.disconnect_scope) {
    case DisconnectScope::kOnlyStasConnections:
      return false;
    case DisconnectScope::kNoDisconnect:
      return true;
    case DisconnectScope::kAllConnectionsMatchingDisconnectTrtypes: {
      const auto& t = config_.disconnect_trtypes;
      return std::find(t.begin(), t.end(), tid.transport()) == t.end();
    }
  }
  return true;
}

void StacService::OnLogPages(std::optional<std::vector<DcLogPage>> pages, ResolvedNames resolved) {
  kernel_index_.Invalidate();  // the connects this pass starts look at the kernel as it is now
  std::vector<Candidate> discovered;
  if (pages) {
    discovered = Discovered(*pages);
    // Only a complete answer stands for stafd when it is away later.
    if (stafd_done_)
      last_discovered_ = discovered;
  } else if (last_discovered_) {
    // stafd did not answer: what it said last still stands (never disconnect on missing
    // information). Nothing new is learnt either. What it listed for volumes stands only while
    // a volume still needs it: a detach meanwhile is not undone.
    LOG_INFO("stafd did not answer; keeping the I/O controllers it reported before");
    for (const Candidate& c : *last_discovered_) {
      if (!c.for_volumes || volumes_.WantsSubsystem(c.request.tid.subsysnqn()))
        discovered.push_back(c);
    }
  } else {
    // Never heard from stafd since start-up: the controllers of unknown origin stay too.
    LOG_INFO("stafd has not answered yet; keeping existing I/O controllers");
  }
  bool keep_unknown = !pages && !last_discovered_;

  std::vector<Candidate> all = Configured(resolved);
  for (Candidate& c : discovered)
    all.push_back(std::move(c));
  WantedCandidates<Candidate> wanted =
      SelectWanted<Candidate>(std::move(all), config_, [](Candidate& kept, const Candidate& later) {
        // The same subsystem in several log pages: the last entry wins (as nvme-stas).
        if (later.dlpe)
          kept.dlpe = later.dlpe;
        // Wanted for itself by any of them: not only for volumes.
        if (kept.for_volumes && !later.for_volumes) {
          kept.for_volumes = false;
          kept.extras.clear();
        }
      });

  last_wanted_.clear();
  for (const Candidate& c : wanted.list) {
    if (!c.for_volumes)
      last_wanted_.insert(c.request.tid);
  }
  last_pass_wanted_ = wanted.tids;
  std::size_t kept_for_stafd = 0;
  std::vector<Tid> release;  // made for volumes: released with a detach's checks
  for (const auto& ioc : iocs_.Snapshot()) {
    if (wanted.tids.count(ioc->tid()) || keep_unknown || VolumeKeeps(*ioc))
      continue;
    if (!stafd_done_) {
      ++kept_for_stafd;  // stafd may only not have read the DC that lists it yet
      continue;
    }
    if (ioc->for_volumes()) {
      release.push_back(ioc->tid());
      continue;
    }
    bool keep = KeepOnRemoval(ioc->tid());
    LOG_INFO("%s no longer wanted; %s", ioc->tid().ToString().c_str(),
             keep ? "keeping the kernel connection" : "disconnecting");
    iocs_.Remove(ioc, keep);
  }
  if (kept_for_stafd > 0 && !kept_while_stafd_reads_logged_) {
    LOG_INFO(
        "stafd has not read all its discovery controllers yet: %zu I/O controllers it does not "
        "list are kept until it has",
        kept_for_stafd);
    kept_while_stafd_reads_logged_ = true;
  }
  for (Candidate& c : wanted.list) {
    if (Ioc* ioc = iocs_.Find(c.request.tid)) {
      if (c.dlpe)
        ioc->UpdateDlpe(c.dlpe);
      ioc->set_for_volumes(c.for_volumes);
      ioc->UpdateSecrets(c.request);  // a reload may have changed its keys
    } else {
      Add(std::move(c));
    }
  }
  SaveOwned();
  if (!release.empty()) {
    // Another namespace of it may be in use (a mount, LVM): the checks of a detach decide.
    LOG_INFO("%zu I/O controller(s) made for volumes no longer needed; releasing them",
             release.size());
    ReleaseForVolumes(std::move(release), volumes_.Blocks(), [] {});
  }
}

void StacService::Add(Candidate c) {
  auto ioc =
      std::make_shared<Ioc>(ctx_, std::move(c.request), std::move(c.extras), std::move(c.dlpe));
  ioc->set_for_volumes(c.for_volumes);
  iocs_.Add(ioc);
  ioc->Start();
}

void StacService::Stop(std::function<void()> done) {
  stopping_ = true;
  soak_timer_.Stop();
  stafd_wait_timer_.Stop();
  audit_timer_.Stop();
  volumes_.Stop();
  SaveOwned();
  SaveVolumes();
  state_writer_.Flush();  // the controllers go now: the list must be on disk first
  volumes_writer_.Flush();
  persistent_volumes_writer_.Flush();
  // I/O connections always survive a stacd stop: the block devices are in use.
  iocs_.RemoveAll(/*keep_connection=*/true, std::move(done));
}

void StacService::OnKernelEvent(const KernelEvent& ev) {
  // Disks and controllers coming and going are what volumes wait for and watch.
  if (!volumes_.empty() && !stopping_) {
    VolumesChanged(nullptr);
    volumes_.Refresh();
  }
  if (ev.subsystem != "nvme")
    return;
  if (Ioc* ioc = iocs_.FindByDevice(ev.device))
    return ioc->OnKernelEvent(ev);
  if (ev.action == KernelEvent::Action::kAdd && !stopping_ &&
      config_.disconnect_scope == DisconnectScope::kAllConnectionsMatchingDisconnectTrtypes) {
    audit_timer_.Start();  // sysfs attributes settle shortly after the add uevent
  }
}

void StacService::OnStafdEvent(DlpSource::Event ev) {
  if (stopping_)
    return;
  switch (ev) {
    case DlpSource::Event::kChanged:
      soak_timer_.Start(kConfigSoak);
      break;
    case DlpSource::Event::kVanished:
      LOG_INFO("stafd left the bus; I/O controllers are kept");
      stafd_present_ = false;
      volume_dcs_sent_.reset();
      stafd_done_ = false;
      stafd_wait_timer_.Stop();
      break;
    case DlpSource::Event::kAppeared:
      stafd_present_ = true;
      // A restarted stafd reconnects its DCs and reads them again: what it serves meanwhile
      // is connected, and nothing is disconnected until it says it has read them all.
      stafd_done_ = false;
      stafd_since_ = deps_.loop.Now();
      volume_dcs_sent_.reset();
      SyncVolumeDcs();
      AskStafdDone();
      soak_timer_.Start(kConfigSoak);
      break;
    case DlpSource::Event::kInitialDiscoveryDone:
      OnStafdDone();
      break;
  }
}

void StacService::AskStafdDone() {
  deps_.stafd.GetInitialDiscoveryDone(lifetime_.Guard([this](std::optional<bool> done) {
    stafd_present_ = done.has_value();
    if (stopping_ || stafd_done_)
      return;
    if (!done) {
      // Absent, or a stafd that cannot say (nvme-stas's): give it time, as nvme-stas does.
      if (!stafd_wait_timer_.running())
        stafd_wait_timer_.Start();
      return;
    }
    if (*done)
      OnStafdDone();
    // Otherwise its PropertiesChanged says when (kInitialDiscoveryDone).
  }));
}

void StacService::OnStafdDone() {
  if (stopping_ || stafd_done_)
    return;
  stafd_done_ = true;
  kept_while_stafd_reads_logged_ = false;
  stafd_wait_timer_.Stop();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(deps_.loop.Now() - stafd_since_)
          .count();
  LOG_INFO("stafd has read its discovery controllers (%lld ms after it was found)",
           static_cast<long long>(ms));
  // Everything stafd serves is known now: act on it at once, no soak (before the owned
  // controllers are back, the start-up soak is still to come).
  if (!restored_)
    return;
  soak_timer_.Stop();
  Reconcile();
}

void StacService::Audit() {
  // disconnect-scope=all-connections-matching-disconnect-trtypes: every I/O controller of
  // those transports is ours to manage, whoever created it.
  std::vector<std::string> trtypes = config_.disconnect_trtypes;
  std::set<std::string> owned = iocs_.OwnedDevices();
  // Controllers not connected yet adopt what matches them when they try: the audit leaves
  // those devices to them rather than adopting them a second time under another identity.
  std::vector<Tid> unconnected;
  for (const auto& ioc : iocs_.active()) {
    if (!ioc->connected())
      unconnected.push_back(ioc->tid());
  }
  NvmeKernel& kernel = deps_.kernel;
  deps_.runner.RunBlocking<std::vector<KernelDevice>>(
      lifetime_,
      [trtypes, owned, unconnected, &kernel, registry = deps_.shared_files.registry]() {
        std::vector<KernelDevice> out;
        std::optional<InterfaceAddresses> ifaddrs;  // read once, only if needed
        for (KernelDevice d : kernel.ListDevices()) {
          // One the kernel is deleting is nobody's to manage any more.
          if (!d.IsIo() || owned.count(d.name) || IsBeingDeleted(d.state))
            continue;
          // One another manager owns in the registry is never ours to manage.
          if (const std::string o = registry.OwnerOf(d.name); !o.empty() && o != kOwnerStas)
            continue;
          if (std::find(trtypes.begin(), trtypes.end(), d.transport) == trtypes.end())
            continue;
          if (!ifaddrs)
            ifaddrs = ReadInterfaceAddresses();
          KernelCtrl kc{d.transport,  d.traddr,    d.trsvcid, d.host_traddr,
                        d.host_iface, d.subsysnqn, d.hostnqn, d.src_addr};
          if (std::any_of(unconnected.begin(), unconnected.end(), [&](const Tid& t) {
                return MatchExistingCtrl(t, kc, *ifaddrs).matches;
              })) {
            continue;
          }
          // #13, finding 9a: made without an interface, it still uses one; a candidate that
          // names that interface is the same controller, not a reason for a second one.
          d.host_iface = HostIfaceInUse(kc, *ifaddrs);
          out.push_back(std::move(d));
        }
        return out;
      },
      [this](std::vector<KernelDevice> found) {
        if (stopping_)
          return;
        for (const KernelDevice& d : found) {
          TidFields f{.transport = d.transport,
                      .traddr = d.traddr,
                      .trsvcid = d.trsvcid,
                      .subsysnqn = d.subsysnqn,
                      .host_traddr = d.host_traddr,
                      .host_iface = d.host_iface,
                      .host_nqn = d.hostnqn};
          ConnectRequest req = Requests().Make(std::move(f), nullptr);
          if (Find(req.tid))
            continue;
          LOG_INFO("%s audit: adopting %s", req.tid.ToString().c_str(), d.name.c_str());
          Add(Candidate{std::move(req), {}, std::nullopt});
        }
        if (!found.empty())
          soak_timer_.Start();
      });
}

ConnectRequest StacService::VolumeRequest(const VolumeSpec& spec, const Portal& portal,
                                          const AttachOptions& options) const {
  TidFields f{.transport = portal.transport,
              .traddr = portal.traddr,
              .trsvcid = portal.trsvcid,
              .subsysnqn = spec.subsysnqn,
              .host_traddr = portal.host_traddr,
              .host_iface = portal.host_iface};
  if (!spec.hostnqn.empty())
    f.host_nqn = spec.hostnqn;
  ConnectRequest req = Requests().Make(std::move(f), nullptr);
  req.options = req.options.MergedWith(options.connect);
  if (!spec.hostnqn.empty())
    req.host.hostnqn = spec.hostnqn;
  if (!spec.hostid.empty())
    req.host.hostid = spec.hostid;
  return req;
}

void StacService::ReleaseForVolumes(std::vector<Tid> tids, std::vector<std::string> own_blocks,
                                    std::function<void()> done) {
  // What the configuration or stafd's pages want stays, as does what another volume uses.
  std::vector<std::shared_ptr<Ioc>> candidates;
  for (const auto& ioc : iocs_.Snapshot()) {
    const Tid& tid = ioc->tid();
    if (std::find(tids.begin(), tids.end(), tid) == tids.end() || VolumeKeeps(*ioc))
      continue;
    if (last_wanted_.count(tid) != 0) {
      LOG_INFO("%s no volume needs it; kept: stacd.conf or a log page wants it",
               tid.ToString().c_str());
      continue;
    }
    if ((ioc->connected() && !ioc->made_by_stacd()) || KeepOnRemoval(tid)) {
      // Someone else's connection, adopted for the volume, or disconnect-scope says keep:
      // left connected, and no longer stacd's.
      LOG_INFO("%s no volume needs it; left connected (%s)", tid.ToString().c_str(),
               KeepOnRemoval(tid) ? "disconnect-scope" : "stacd did not make it");
      iocs_.Remove(ioc, /*keep_connection=*/true);
      continue;
    }
    if (stafd_present_ && (!stafd_done_ || !last_discovered_)) {
      // stafd, there but silent, may list it once it has answered: the next pass decides, as
      // for any entry. (Without stafd on the bus, only volumes and stacd.conf want anything.)
      LOG_INFO("%s no volume needs it; kept until stafd has read its discovery controllers",
               tid.ToString().c_str());
      continue;
    }
    candidates.push_back(ioc);
  }
  if (candidates.empty())
    return done();
  std::vector<std::string> devices;
  for (const auto& ioc : candidates)
    devices.push_back(ioc->device());
  NvmeKernel& kernel = deps_.kernel;
  // Another namespace of the controller mounted or held (a file system, LVM, dm-multipath)
  // keeps it: disconnecting would pull a disk from under its user.
  deps_.runner.RunBlocking<std::vector<std::string>>(
      lifetime_,
      [devices, own_blocks, &kernel]() {
        std::vector<std::string> in_use(devices.size());
        for (std::size_t i = 0; i < devices.size(); ++i) {
          if (devices[i].empty())
            continue;
          for (const NamespaceInfo& ns : kernel.ListNamespaces(devices[i])) {
            if (std::find(own_blocks.begin(), own_blocks.end(), ns.block) == own_blocks.end() &&
                BlockDeviceInUse(ns.block)) {
              in_use[i] = ns.block;
              break;
            }
          }
        }
        return in_use;
      },
      [this, candidates, done = std::move(done)](std::vector<std::string> in_use) {
        auto left = std::make_shared<std::size_t>(1);
        auto one_done = [left, done] {
          if (--*left == 0)
            done();
        };
        for (std::size_t i = 0; i < candidates.size(); ++i) {
          const auto& ioc = candidates[i];
          // Gone meanwhile, or wanted again (a new attach, a new log page).
          if (iocs_.Find(ioc->tid()) != ioc.get() || VolumeKeeps(*ioc) ||
              last_wanted_.count(ioc->tid()) != 0) {
            continue;
          }
          if (ioc->connected() && !ioc->made_by_stacd()) {
            // Its connect, in flight a moment ago, adopted someone else's controller.
            LOG_INFO("%s no volume needs it; left connected (stacd did not make it)",
                     ioc->tid().ToString().c_str());
            iocs_.Remove(ioc, /*keep_connection=*/true);
            continue;
          }
          if (!in_use[i].empty()) {
            // Left connected for good: a later pass must not disconnect it either.
            LOG_INFO("%s no volume needs it; left connected: its namespace %s is in use",
                     ioc->tid().ToString().c_str(), in_use[i].c_str());
            iocs_.Remove(ioc, /*keep_connection=*/true);
            continue;
          }
          // Not connected: a connect may still be in flight (another subsystem looked in for
          // the same namespace answered first). What it makes goes; what it adopts stays its
          // maker's.
          if (!ioc->connected())
            ioc->ReleaseOnlyIfMade();
          LOG_INFO("%s no volume needs it; %s", ioc->tid().ToString().c_str(),
                   ioc->connected() ? "disconnecting"
                                    : "stopped (a connect in flight is undone if stacd made it)");
          ++*left;
          iocs_.Remove(ioc, /*keep_connection=*/false, one_done);
        }
        SaveOwned();
        one_done();
      });
}

void StacService::SyncVolumeDcs() {
  if (stopping_)
    return;
  std::vector<std::map<std::string, std::string>> dcs = volumes_.DiscoveryControllers();
  // An empty set is sent too (at start and whenever stafd appears): a restarted stafd holds
  // what it held before, which may be more than the volumes need now.
  if (volume_dcs_sent_ && *volume_dcs_sent_ == dcs)
    return;
  volume_dcs_sent_ = dcs;
  volume_dcs_retry_.Stop();
  const std::size_t n = dcs.size();
  const std::uint64_t call = ++volume_dcs_calls_;
  deps_.stafd.SetVolumeDcs(std::move(dcs), lifetime_.Guard([this, n, call](const Status& s) {
    if (call != volume_dcs_calls_)
      return;  // a later call was made: its answer is the one that counts
    if (s) {
      if (n > 0)
        LOG_INFO("stafd holds the %zu discovery controller(s) volumes need", n);
      volume_dcs_error_.clear();
      return;
    }
    volume_dcs_sent_.reset();  // told again when stafd appears
    if (n == 0) {
      // No stafd, or nvme-stas's (which has no such call): nothing was asked of it.
      LOG_DEBUG("stafd was not told that no volume needs a discovery controller: %s",
                s.error().message.c_str());
      return;
    }
    // An attach that waits for it says why it failed. A stafd that is there but busy is asked
    // again; one that is not is told when it appears.
    volume_dcs_error_ = "stafd did not take the discovery controllers: " + s.error().message;
    LOG_WARNING("%s", volume_dcs_error_.c_str());
    if (stafd_present_ && !stopping_)
      volume_dcs_retry_.Start();
  }));
}

void StacService::VolumeDiscoveryChanged() {
  if (stopping_)
    return;
  SyncVolumeDcs();
  // The DCs stafd already holds may list what a volume needs now: act at once.
  soak_timer_.Stop();
  Reconcile();
}

std::vector<Tid> StacService::ControllersOf(const std::string& subsysnqn,
                                            const std::string& hostnqn) const {
  const std::string& host = hostnqn.empty() ? tid_defaults_.host_nqn : hostnqn;
  std::vector<Tid> out;
  for (const auto& ioc : iocs_.active()) {
    const Tid& t = ioc->tid();
    // Without a subsystem, a volume looks in those the connect=volumes DCs list.
    const bool subsystem = subsysnqn.empty() ? volume_page_subsystems_.count(t.subsysnqn()) > 0
                                             : t.subsysnqn() == subsysnqn;
    if (subsystem && t.host_nqn() == host)
      out.push_back(t);
  }
  return out;
}

bool StacService::VolumeKeeps(const Ioc& ioc) const {
  switch (volumes_.NeedOf(ioc.tid())) {
    case VolumeManager::Need::kNone:
      return false;
    case VolumeManager::Need::kPortal:
      return true;
    case VolumeManager::Need::kSubsystem:
      break;
  }
  const Tid& tid = ioc.tid();
  return std::none_of(iocs_.active().begin(), iocs_.active().end(), [&](const auto& other) {
    const Tid& t = other->tid();
    return other.get() != &ioc && t.subsysnqn() == tid.subsysnqn() &&
           t.host_nqn() == tid.host_nqn() && other->connected() && last_pass_wanted_.count(t) > 0;
  });
}

std::string StacService::DiscoveryTrouble() const {
  if (!stafd_present_)
    return "stafd is not on the D-Bus system bus: no discovery controller is read";
  return volume_dcs_error_;
}

void StacService::VolumesChanged(const VolumeView* volume) {
  ++generation_;
  if (deps_.on_volumes_changed)
    deps_.on_volumes_changed(volume);
}

void StacService::SaveVolumes() {
  if (!deps_.volumes_path.empty())
    volumes_writer_.Save(SerializeVolumes(volumes_.SavedSet()));
  if (!deps_.persistent_volumes_path.empty())
    persistent_volumes_writer_.Save(SerializeVolumes(volumes_.SavedSet(), true));
}

void StacService::RestoreVolumes() {
  // A restart finds the runtime file; the first start after a reboot finds only the
  // persistent one.
  std::string path = deps_.volumes_path;
  Result<std::string> text = Fail(ENOENT, "no volumes file");
  if (!path.empty())
    text = ReadWholeFile(path);
  if (!text && text.error().code == ENOENT && !deps_.persistent_volumes_path.empty()) {
    path = deps_.persistent_volumes_path;
    text = ReadWholeFile(path);
    if (text) {
      LOG_INFO("No volumes of a previous run since boot; attaching the persistent ones of %s",
               path.c_str());
    }
  }
  if (!text) {
    if (text.error().code != ENOENT)
      LOG_WARNING("Cannot read %s: %s", path.c_str(), text.error().message.c_str());
    return;
  }
  std::vector<std::string> skipped;
  Result<std::vector<VolumeManager::Saved>> saved = ParseVolumes(*text, &skipped);
  if (!saved) {
    LOG_WARNING("Ignoring %s: %s", path.c_str(), saved.error().message.c_str());
    return;
  }
  for (const std::string& why : skipped)
    LOG_WARNING("%s: volume left out: %s", path.c_str(), why.c_str());
  for (VolumeManager::Saved& v : *saved) {
    LOG_INFO("Volume %s attached before; taking it back", v.id.c_str());
    volumes_.Restore(v.id, std::move(v.spec), v.options, std::move(v.found_subsysnqn));
  }
}

void StacService::SaveOwned() {
  // Until the controllers owned before a restart are back, the file still lists them: a
  // volume's controller added meanwhile must not replace that list.
  if (deps_.state_path.empty() || !restored_)
    return;
  std::vector<Tid> tids;
  for (const auto& ioc : iocs_.active())
    tids.push_back(ioc->tid());
  // Reconciliations that change nothing write nothing.
  state_writer_.Save(SerializeOwnedControllers(tids));
}

void StacService::RestoreOwned(std::function<void()> then) {
  if (deps_.state_path.empty())
    return then();
  Result<std::string> text = ReadWholeFile(deps_.state_path);
  if (!text) {
    if (text.error().code != ENOENT) {
      LOG_WARNING("Cannot read %s: %s", deps_.state_path.c_str(), text.error().message.c_str());
    }
    return then();
  }
  Result<std::vector<TidFields>> parsed = ParseOwnedControllers(*text);
  if (!parsed) {
    LOG_WARNING("Ignoring %s: %s", deps_.state_path.c_str(), parsed.error().message.c_str());
    return then();
  }
  std::vector<ConnectRequest> owned;
  for (TidFields& f : *parsed)
    owned.push_back(Requests().Make(std::move(f), nullptr));
  // Only controllers whose kernel connection still exists are taken back (re-adopted), so
  // that stacd keeps its right to disconnect them; the others are gone for good. Never one the
  // ownership registry says is someone else's (the name may be another's controller now); one
  // without an entry (made before the registry, or whose entry could not be written) is
  // claimed.
  NvmeKernel& kernel = deps_.kernel;
  KernelIndex& index = kernel_index_;
  index.Invalidate();
  deps_.runner.RunBlocking<std::vector<ConnectRequest>>(
      lifetime_,
      [owned, &kernel, &index, registry = deps_.shared_files.registry]() {
        std::vector<ConnectRequest> still_there;
        std::set<std::string> taken;
        for (const ConnectRequest& req : owned) {
          std::optional<KernelDevice> d = FindAdoptable(kernel, index, req, taken, nullptr);
          if (!d)
            continue;
          if (std::string owner = registry.Claim(d->name, kOwnerStas, kernel.UeventSeqnum());
              !owner.empty() && owner != kOwnerStas) {
            LOG_INFO("%s owned before the restart, but %s is \"%s\"'s now; not taken back",
                     req.tid.ToString().c_str(), d->name.c_str(), owner.c_str());
            continue;
          }
          taken.insert(d->name);
          still_there.push_back(req);
        }
        return still_there;
      },
      [this, then = std::move(then)](std::vector<ConnectRequest> still_there) {
        for (ConnectRequest& req : still_there) {
          Tid tid = req.tid;
          // A volume taken back first may have adopted it already: it is still stacd's.
          if (!Find(tid)) {
            LOG_INFO("%s owned before the restart; re-adopting", tid.ToString().c_str());
            Add(Candidate{std::move(req), {}, std::nullopt});
          }
          if (Ioc* ioc = iocs_.Find(tid))
            ioc->MarkOwnedBeforeRestart();
        }
        then();
      });
}

}  // namespace stas::stac
