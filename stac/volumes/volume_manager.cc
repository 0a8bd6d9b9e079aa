// SPDX-License-Identifier: Apache-2.0
#include "stac/volumes/volume_manager.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <utility>

#include "common/kernel/controller_state.h"
#include "common/log.h"

namespace stas::stac {

struct VolumeManager::Volume {
  Volume(EventLoop& loop, VolumeManager& m, const std::string& volume_id)
      : deadline(loop, std::chrono::milliseconds(0), [&m, volume_id] { m.OnDeadline(volume_id); }),
        rescan(loop, std::chrono::milliseconds(0), [&m, volume_id] { m.Rescan(volume_id); }) {}

  // Through discovery: the subsystem (the spec's, or where the namespace was found).
  const std::string& subsystem() const {
    return view.spec.subsysnqn.empty() ? found_subsysnqn : view.spec.subsysnqn;
  }
  bool through_discovery() const { return !view.spec.discovery.empty(); }
  bool HostNqnIs(const std::string& hostnqn, const std::string& default_hostnqn) const {
    return (view.spec.hostnqn.empty() ? default_hostnqn : view.spec.hostnqn) == hostnqn;
  }

  VolumeView view;
  AttachOptions options;
  std::string found_subsysnqn;      // through discovery, given by its namespace alone
  std::vector<AttachDone> waiters;  // AttachVolume calls not answered yet
  bool found_once = false;          // its device was found at least once
  Timer deadline;                   // the attach timeout of the waiters
  Timer rescan;                     // half-way through it: rescan once
};

struct VolumeManager::Look {
  struct Ctrl {
    std::string state;
    std::vector<NamespaceInfo> namespaces;
  };
  std::map<std::string, Ctrl> ctrls;  // by controller device
  std::set<std::string> nodes;        // the block devices whose node exists
};

namespace {

bool Matches(const NamespaceSelector& sel, const NamespaceInfo& ns) {
  return (sel.uuid.empty() || sel.uuid == ns.uuid) &&
         (sel.nguid.empty() || sel.nguid == ns.nguid) &&
         (sel.eui64.empty() || sel.eui64 == ns.eui64) && (!sel.nsid || *sel.nsid == ns.nsid);
}

// What a change is judged by: state, device, and each path's controller, state and node.
bool SameShape(const VolumeView& a, const VolumeView& b) {
  if (a.state != b.state || a.device != b.device || a.exists != b.exists ||
      a.paths.size() != b.paths.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.paths.size(); ++i) {
    const VolumePath& x = a.paths[i];
    const VolumePath& y = b.paths[i];
    if (x.controller != y.controller || x.state != y.state || x.node != y.node)
      return false;
  }
  return true;
}

std::string PathsText(const VolumeView& v) {
  if (v.paths.empty())
    return "no controller of the subsystem connected";
  std::string out;
  for (const VolumePath& p : v.paths) {
    if (!out.empty())
      out += "; ";
    out += p.tid.ToString() + " " +
           (p.controller.empty() ? std::string("not connected") : "as " + p.controller);
  }
  return out;
}

}  // namespace

const char* VolumeStateName(VolumeState s) {
  switch (s) {
    case VolumeState::kAttaching:
      return "attaching";
    case VolumeState::kAttached:
      return "attached";
    case VolumeState::kDegraded:
      return "degraded";
    case VolumeState::kMissing:
      return "missing";
    case VolumeState::kDetaching:
      return "detaching";
    case VolumeState::kDetached:
      return "detached";
  }
  return "?";
}

VolumeManager::VolumeManager(EventLoop& loop, BlockingRunner& runner, NvmeKernel& kernel,
                             VolumeHost host, std::string dev_dir)
    : loop_(loop),
      runner_(runner),
      kernel_(kernel),
      host_(std::move(host)),
      dev_dir_(std::move(dev_dir)),
      health_timer_(loop, kHealthInterval, [this] { Refresh(); }) {}

VolumeManager::~VolumeManager() = default;

VolumeManager::Volume* VolumeManager::Find(const std::string& id) const {
  auto it = volumes_.find(id);
  return it == volumes_.end() ? nullptr : it->second.get();
}

void VolumeManager::Attach(const std::string& id, VolumeSpec spec, AttachOptions options,
                           AttachDone done) {
  if (stopping_)
    return done(Fail(ECANCELED, "stacd is stopping"));
  if (Volume* v = Find(id)) {
    if (v->view.spec != spec) {
      return done(
          Fail(EEXIST, "volume " + id + " is already attached with another spec; detach it first"));
    }
    if (v->view.state == VolumeState::kDetaching)
      return done(Fail(EBUSY, "volume " + id + " is being detached"));
    if (v->view.state == VolumeState::kAttached || v->view.state == VolumeState::kDegraded)
      return done(v->view);
    if (v->waiters.size() >= kMaxWaiters)
      return done(Fail(EBUSY, "too many callers wait for volume " + id));
    v->waiters.push_back(std::move(done));
    // Nobody times out before the timeout they asked for.
    if (!v->deadline.running() || v->deadline.remaining() < options.timeout) {
      v->deadline.Start(options.timeout);
      if (!v->rescan.running())
        v->rescan.Start(options.timeout / 2);
    }
    return;
  }
  if (volumes_.size() >= kMaxVolumes)
    return done(Fail(ENOSPC, "stacd has " + std::to_string(kMaxVolumes) + " volumes already"));
  if (TooManyDcs(spec)) {
    return done(Fail(ENOSPC, "volumes would need more than " +
                                 std::to_string(kMaxDiscoveryControllers) +
                                 " discovery controllers in all"));
  }
  if (options.multipath) {
    std::optional<bool> native = host_.native_multipath ? host_.native_multipath() : std::nullopt;
    if (!native || *native != *options.multipath) {
      return done(
          Fail(ENOTSUP, std::string("native multipath is ") +
                            (!native ? "unknown" : (*native ? "on" : "off")) +
                            " on this host (nvme_core.multipath); the volume asked for it " +
                            (*options.multipath ? "on" : "off")));
    }
  }
  Start(id, std::move(spec), options, std::move(done));
}

void VolumeManager::Restore(const std::string& id, VolumeSpec spec, AttachOptions options,
                            std::string found_subsysnqn) {
  if (Find(id) != nullptr || TooManyDcs(spec))
    return;
  Start(id, std::move(spec), options, nullptr, std::move(found_subsysnqn));
  // It had a device before the restart: not found now means missing, and it is never
  // forgotten for want of one.
  if (Volume* v = Find(id))
    v->found_once = true;
}

void VolumeManager::Start(const std::string& id, VolumeSpec spec, AttachOptions options,
                          AttachDone done, std::string found_subsysnqn) {
  std::vector<ConnectRequest> requests;
  for (const Portal& p : spec.portals) {
    ConnectRequest req = host_.request(spec, p, options);
    if (host_.allowed(req.tid))
      requests.push_back(std::move(req));
  }
  const bool through_discovery = !spec.discovery.empty();
  if (requests.empty() && !through_discovery) {
    if (done)
      done(Fail(EACCES, "every portal of volume " + id + " is excluded by stacd's configuration"));
    return;
  }
  auto v = std::make_unique<Volume>(loop_, *this, id);
  v->view.id = id;
  v->view.spec = std::move(spec);
  v->view.since = std::chrono::system_clock::now();
  v->options = options;
  v->found_subsysnqn = std::move(found_subsysnqn);
  for (const ConnectRequest& req : requests)
    v->view.paths.push_back(VolumePath{.tid = req.tid});
  if (done) {
    v->waiters.push_back(std::move(done));
    v->deadline.Start(options.timeout);
    v->rescan.Start(options.timeout / 2);
  }
  Volume& ref = *v;
  volumes_[id] = std::move(v);
  if (through_discovery) {
    LOG_INFO("Volume %s: attaching %s of %s through %zu discovery controller(s)", id.c_str(),
             ref.view.spec.ns.ToString().c_str(),
             ref.subsystem().empty() ? "any subsystem" : ref.subsystem().c_str(),
             ref.view.spec.discovery.size());
  } else {
    LOG_INFO("Volume %s: attaching %s of %s through %zu path(s)", id.c_str(),
             ref.view.spec.ns.ToString().c_str(), ref.view.spec.subsysnqn.c_str(),
             ref.view.paths.size());
  }
  if (host_.on_changed)
    host_.on_changed(ref.view);
  if (host_.on_saved_set_changed)
    host_.on_saved_set_changed();
  for (const ConnectRequest& req : requests)
    host_.want(req);
  if (through_discovery && host_.on_discovery_changed)
    host_.on_discovery_changed();
  Refresh();
}

void VolumeManager::Detach(const std::string& id, std::function<void(Status)> done) {
  Volume* v = Find(id);
  if (v == nullptr)
    return done({});  // as vdsm: detaching what is not attached succeeds
  std::vector<AttachDone> waiters = std::move(v->waiters);
  v->waiters.clear();
  v->deadline.Stop();
  v->rescan.Stop();
  v->view.state = VolumeState::kDetaching;
  v->view.since = std::chrono::system_clock::now();
  LOG_INFO("Volume %s: detaching", id.c_str());
  if (host_.on_changed)
    host_.on_changed(v->view);
  Forget(id, [done = std::move(done)] { done({}); });
  // Last: a caller told may attach or detach at once.
  for (AttachDone& w : waiters)
    w(Fail(ENOENT, "volume " + id + " was detached while it was being attached"));
}

void VolumeManager::Forget(const std::string& id, std::function<void()> then) {
  auto it = volumes_.find(id);
  if (it == volumes_.end())
    return then();
  std::unique_ptr<Volume> v = std::move(it->second);
  volumes_.erase(it);
  const bool through_discovery = v->through_discovery();
  std::vector<Tid> released;
  for (const VolumePath& p : v->view.paths) {
    // Through discovery, its paths are whatever controllers of its subsystem exist: only those
    // made for volumes are its to release.
    if (through_discovery && !(host_.made_for_volumes && host_.made_for_volumes(p.tid)))
      continue;
    if (!Wants(p.tid))
      released.push_back(p.tid);
  }
  std::vector<std::string> own_blocks;
  if (!v->view.ns.block.empty())
    own_blocks.push_back(v->view.ns.block);
  VolumeView gone = v->view;
  gone.state = VolumeState::kDetached;
  gone.since = std::chrono::system_clock::now();
  if (host_.on_saved_set_changed)
    host_.on_saved_set_changed();
  // Its discovery controllers and subsystem stop being wanted only once its controllers are
  // released: a pass meanwhile must not disconnect one that release() would keep.
  host_.release(std::move(released), std::move(own_blocks),
                [this, through_discovery, gone = std::move(gone), then = std::move(then)] {
                  LOG_INFO("Volume %s: detached", gone.id.c_str());
                  if (through_discovery && host_.on_discovery_changed)
                    host_.on_discovery_changed();
                  if (host_.on_changed)
                    host_.on_changed(gone);
                  then();
                });
}

std::vector<VolumeView> VolumeManager::List(const std::vector<std::string>& ids) const {
  std::vector<VolumeView> out;
  if (ids.empty()) {
    for (const auto& [id, v] : volumes_)
      out.push_back(v->view);
    return out;
  }
  std::set<std::string> seen;
  for (const std::string& id : ids) {
    if (!seen.insert(id).second)
      continue;
    if (const Volume* v = Find(id))
      out.push_back(v->view);
  }
  std::sort(out.begin(), out.end(),
            [](const VolumeView& a, const VolumeView& b) { return a.id < b.id; });
  return out;
}

std::vector<VolumeManager::Saved> VolumeManager::SavedSet() const {
  std::vector<Saved> out;
  for (const auto& [id, v] : volumes_) {
    if (v->view.state != VolumeState::kDetaching)
      out.push_back(Saved{id, v->view.spec, v->options, v->found_subsysnqn});
  }
  return out;
}

VolumeManager::Need VolumeManager::NeedOf(const Tid& tid) const {
  Need need = Need::kNone;
  for (const auto& [id, v] : volumes_) {
    if (!v->through_discovery()) {
      for (const VolumePath& p : v->view.paths) {
        if (p.tid == tid)
          return Need::kPortal;
      }
    } else if (!v->subsystem().empty() && v->subsystem() == tid.subsysnqn() &&
               v->HostNqnIs(tid.host_nqn(), host_.default_hostnqn)) {
      need = Need::kSubsystem;
    }
  }
  return need;
}

namespace {

void AddDiscoveryControllers(const VolumeSpec& spec,
                             std::set<std::map<std::string, std::string>>* out) {
  for (const Portal& p : spec.discovery) {
    std::map<std::string, std::string> dc = PortalFields(p);
    if (!spec.hostnqn.empty())
      dc["host-nqn"] = spec.hostnqn;
    out->insert(std::move(dc));
  }
}

}  // namespace

std::vector<std::map<std::string, std::string>> VolumeManager::DiscoveryControllers() const {
  std::set<std::map<std::string, std::string>> all;
  for (const auto& [id, v] : volumes_)
    AddDiscoveryControllers(v->view.spec, &all);
  return {all.begin(), all.end()};
}

bool VolumeManager::TooManyDcs(const VolumeSpec& spec) const {
  if (spec.discovery.empty())
    return false;
  std::set<std::map<std::string, std::string>> all;
  for (const auto& [id, v] : volumes_)
    AddDiscoveryControllers(v->view.spec, &all);
  AddDiscoveryControllers(spec, &all);
  return all.size() > kMaxDiscoveryControllers;
}

bool VolumeManager::WantsSubsystem(const std::string& subsysnqn) const {
  return std::any_of(volumes_.begin(), volumes_.end(), [&subsysnqn](const auto& kv) {
    const Volume& v = *kv.second;
    return v.through_discovery() && (v.subsystem().empty() || v.subsystem() == subsysnqn);
  });
}

std::optional<VolumeManager::DiscoveryConnect> VolumeManager::DiscoveryConnectFor(
    const std::string& subsysnqn, const std::string& hostnqn) const {
  for (const auto& [id, v] : volumes_) {
    if (v->through_discovery() && (v->subsystem().empty() || v->subsystem() == subsysnqn) &&
        v->HostNqnIs(hostnqn, host_.default_hostnqn)) {
      return DiscoveryConnect{v->options.connect, v->view.spec.hostid};
    }
  }
  return std::nullopt;
}

std::vector<std::string> VolumeManager::Blocks() const {
  std::vector<std::string> out;
  for (const auto& [id, v] : volumes_) {
    if (!v->view.ns.block.empty())
      out.push_back(v->view.ns.block);
  }
  return out;
}

void VolumeManager::DiscoverPaths(Volume& v) {
  if (!v.through_discovery() || !host_.controllers_of)
    return;
  std::vector<VolumePath> paths;
  for (Tid& tid : host_.controllers_of(v.subsystem(), v.view.spec.hostnqn)) {
    auto it = std::find_if(v.view.paths.begin(), v.view.paths.end(),
                           [&tid](const VolumePath& p) { return p.tid == tid; });
    paths.push_back(it != v.view.paths.end() ? *it : VolumePath{.tid = std::move(tid)});
  }
  v.view.paths = std::move(paths);
}

void VolumeManager::Refresh() {
  if (volumes_.empty() || stopping_) {
    health_timer_.Stop();
    return;
  }
  health_timer_.Start();  // the next look without an event, from now
  if (looking_) {
    look_again_ = true;
    return;
  }
  looking_ = true;
  std::set<std::string> ctrls;
  for (const auto& [id, v] : volumes_) {
    DiscoverPaths(*v);
    for (const VolumePath& p : v->view.paths) {
      std::string dev = host_.device_of(p.tid);
      if (!dev.empty())
        ctrls.insert(dev);
    }
  }
  NvmeKernel& kernel = kernel_;
  runner_.RunBlocking<Look>(
      lifetime_,
      [ctrls, &kernel, dev_dir = dev_dir_]() {
        Look look;
        for (const std::string& dev : ctrls) {
          Look::Ctrl c{kernel.GetDeviceState(dev), kernel.ListNamespaces(dev)};
          for (const NamespaceInfo& ns : c.namespaces) {
            std::error_code ec;
            if (std::filesystem::exists(std::filesystem::path(dev_dir) / ns.block, ec))
              look.nodes.insert(ns.block);
          }
          look.ctrls.emplace(dev, std::move(c));
        }
        return look;
      },
      [this](Look look) {
        looking_ = false;
        Apply(look);
        if (look_again_) {
          look_again_ = false;
          Refresh();
        }
      });
}

void VolumeManager::Apply(const Look& look) {
  // Update() may answer callers, who may attach or detach at once: iterate over a copy of the ids.
  std::vector<std::string> ids;
  for (const auto& [id, v] : volumes_)
    ids.push_back(id);
  for (const std::string& id : ids) {
    if (Volume* v = Find(id))
      Update(*v, look);
  }
}

void VolumeManager::Update(Volume& v, const Look& look) {
  if (v.view.state == VolumeState::kDetaching)
    return;
  VolumeView before = v.view;
  DiscoverPaths(v);
  const NamespaceInfo* found = nullptr;  // the namespace on a live path
  std::size_t live = 0;
  for (VolumePath& p : v.view.paths) {
    p.controller = host_.device_of(p.tid);
    p.state.clear();
    p.node.clear();
    auto it = p.controller.empty() ? look.ctrls.end() : look.ctrls.find(p.controller);
    if (it == look.ctrls.end())
      continue;
    p.state = it->second.state;
    for (const NamespaceInfo& ns : it->second.namespaces) {
      if (!Matches(v.view.spec.ns, ns))
        continue;
      p.node = ns.path;
      // Without native multipath each path has its own disk: a live one is the device. A
      // device is one whose node is there (a multipath head is made only once a path may
      // carry I/O).
      if (p.state == kCtrlStateLive && look.nodes.count(ns.block) > 0) {
        ++live;
        if (found == nullptr)
          found = &ns;
      }
      break;
    }
  }
  if (found != nullptr && v.through_discovery() && v.subsystem().empty()) {
    // Given by its namespace alone: found in this subsystem, whose controllers are now its
    // paths; the others connected meanwhile are no longer wanted for it.
    auto it = std::find_if(v.view.paths.begin(), v.view.paths.end(),
                           [found](const VolumePath& p) { return p.node == found->path; });
    if (it != v.view.paths.end()) {
      v.found_subsysnqn = it->tid.subsysnqn();
      LOG_INFO("Volume %s: %s found in %s", v.view.id.c_str(), v.view.spec.ns.ToString().c_str(),
               v.found_subsysnqn.c_str());
      v.view = before;
      if (host_.on_saved_set_changed)
        host_.on_saved_set_changed();
      if (host_.on_discovery_changed)
        host_.on_discovery_changed();
      return Update(v, look);
    }
  }
  if (found != nullptr) {
    v.view.ns = *found;
    v.view.device = (std::filesystem::path(dev_dir_) / found->block).string();
    v.view.exists = true;
    v.view.state = live == v.view.paths.size() ? VolumeState::kAttached : VolumeState::kDegraded;
    v.found_once = true;
    v.view.last_error.clear();
  } else {
    v.view.exists = false;
    v.view.state = v.found_once ? VolumeState::kMissing : VolumeState::kAttaching;
  }
  if (v.view.state != before.state) {
    v.view.since = std::chrono::system_clock::now();
    LOG_INFO("Volume %s: %s%s%s", v.view.id.c_str(), VolumeStateName(v.view.state),
             v.view.device.empty() ? "" : ", ", v.view.device.c_str());
  }
  if (!SameShape(before, v.view) && host_.on_changed)
    host_.on_changed(v.view);
  Answer(v);
}

void VolumeManager::Answer(Volume& v) {
  if (v.view.state != VolumeState::kAttached && v.view.state != VolumeState::kDegraded)
    return;
  v.deadline.Stop();
  v.rescan.Stop();
  std::vector<AttachDone> waiters = std::move(v.waiters);
  v.waiters.clear();
  VolumeView view = v.view;  // a waiter may detach it
  for (AttachDone& w : waiters)
    w(view);
}

void VolumeManager::OnDeadline(const std::string& id) {
  Volume* v = Find(id);
  if (v == nullptr || v->waiters.empty())
    return;
  v->rescan.Stop();
  std::string why = "no namespace with " + v->view.spec.ns.ToString() + " of " +
                    (v->subsystem().empty() ? std::string("any subsystem") : v->subsystem()) +
                    " live within " + std::to_string(v->options.timeout.count()) + " ms (" +
                    PathsText(v->view) + ")";
  if (v->through_discovery()) {
    std::string trouble = host_.discovery_trouble ? host_.discovery_trouble() : std::string();
    if (!trouble.empty())
      why += ": " + trouble;
  }
  v->view.last_error = why;
  LOG_WARNING("Volume %s: %s", id.c_str(), why.c_str());
  std::vector<AttachDone> waiters = std::move(v->waiters);
  v->waiters.clear();
  const bool never_found = !v->found_once;
  // A volume that never had a device is not kept: the caller was told it failed.
  if (never_found)
    Forget(id, [] {});
  for (AttachDone& w : waiters)
    w(Fail(ETIMEDOUT, why));
}

void VolumeManager::Rescan(const std::string& id) {
  Volume* v = Find(id);
  if (v == nullptr)
    return;
  for (const VolumePath& p : v->view.paths) {
    if (p.controller.empty() || !p.node.empty())
      continue;
    LOG_INFO("Volume %s: no namespace yet half-way through the timeout; rescanning %s", id.c_str(),
             p.controller.c_str());
    NvmeKernel& kernel = kernel_;
    runner_.RunBlocking<Status>(
        lifetime_, [&kernel, dev = p.controller]() { return kernel.RescanNamespaces(dev); },
        [dev = p.controller](const Status& s) {
          if (!s)
            LOG_WARNING("Cannot rescan %s: %s", dev.c_str(), s.error().message.c_str());
        });
  }
}

void VolumeManager::Stop() {
  stopping_ = true;
  health_timer_.Stop();
  std::vector<AttachDone> waiters;
  for (auto& [id, v] : volumes_) {
    v->deadline.Stop();
    v->rescan.Stop();
    for (AttachDone& w : v->waiters)
      waiters.push_back(std::move(w));
    v->waiters.clear();
  }
  for (AttachDone& w : waiters)
    w(Fail(ECANCELED, "stacd is stopping"));
}

}  // namespace stas::stac
