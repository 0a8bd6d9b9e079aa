// SPDX-License-Identifier: Apache-2.0
// VolumeManager: the volumes orchestrators attach through org.nvmexpress.stac.Volumes1. A
// volume is one namespace, named by the caller's id, reached through the I/O controllers of its
// portals. The manager asks the service that owns stacd's controllers for one controller per
// portal (an existing one, made by stacd, by `nvme connect` or for another volume, is used and
// never duplicated), finds the namespace's block device by its identifiers in sysfs when the
// kernel adds a disk or a controller connects (no polling: a refresh runs on those events,
// coalesced, one at a time on a worker), rescans the controllers once half-way through the
// attach timeout, and tells the service which controllers no volume needs any more. The kernel
// sends no event when a controller loses its connection (it only says "connected" when it is
// back), so while volumes exist their paths are also looked at every kHealthInterval.
//
// States: attaching (asked for, device not found yet), attached (device there, every path
// live), degraded (device there, some path not), missing (was attached, or taken back after a
// restart; no live path or no device now). Detaching and detached are only signalled: a
// detached volume is gone from the list at once. Each change of a volume's state, device or paths
// calls VolumeHost::on_changed.
//
// Loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/kernel/nvme_kernel.h"
#include "common/loop/blocking_runner.h"
#include "common/loop/event_loop.h"
#include "common/loop/lifetime.h"
#include "common/loop/timer.h"
#include "common/result.h"
#include "common/tid.h"
#include "stac/volumes/volume_spec.h"

namespace stas::stac {

// kDetached is only ever signalled: the volume is gone.
enum class VolumeState { kAttaching, kAttached, kDegraded, kMissing, kDetaching, kDetached };
const char* VolumeStateName(VolumeState s);

// One path of a volume: the controller of one portal and the namespace on it.
struct VolumePath {
  Tid tid;
  std::string controller{};  // "nvme3"; "" while not connected
  std::string state{};       // the kernel's state of that controller; "" if unknown
  std::string node{};        // the namespace on it ("nvme1c3n1"); "" if not there
};

// A volume as ListVolumes shows it and AttachVolume returns it.
struct VolumeView {
  std::string id;
  VolumeSpec spec;
  VolumeState state = VolumeState::kAttaching;
  std::string device{};  // "/dev/nvme1n1" once found
  bool exists = false;   // the device node is there and at least one path is live
  NamespaceInfo ns{};    // the namespace found (identifiers, size)
  std::vector<VolumePath> paths{};
  std::string last_error{};
  std::chrono::system_clock::time_point since{};  // when it entered its state
};

// What the manager needs of the service that owns the I/O controllers.
struct VolumeHost {
  // The connect request of one path of a volume.
  std::function<ConnectRequest(const VolumeSpec&, const Portal&, const AttachOptions&)> request;
  // Whether the configuration allows connecting it (exclude=, ip-family); logs why not.
  std::function<bool(const Tid&)> allowed;
  // Makes sure a controller exists for the request and is connected (or being connected).
  std::function<void(const ConnectRequest&)> want;
  // The kernel device of the controller with this TID; "" if none or not connected.
  std::function<std::string(const Tid&)> device_of;
  // No volume needs these controllers any more: the service disconnects those nothing else
  // wants, leaving alone a controller with another namespace in use (`keep_blocks`: the
  // released volume's own devices, which do not count), then calls `done`.
  std::function<void(std::vector<Tid> tids, std::vector<std::string> keep_blocks,
                     std::function<void()> done)>
      release;
  // A volume changed (state, device, paths, or it is gone: state kDetaching, then nothing).
  std::function<void(const VolumeView&)> on_changed;
  // The volumes to keep across a restart changed: save them (may be empty).
  std::function<void()> on_saved_set_changed{};
  // Whether the kernel's native multipath is on (nullopt: cannot tell).
  std::function<std::optional<bool>()> native_multipath{};
  // Volumes attached through discovery: the service's controllers of a subsystem (of every
  // subsystem for ""), reached with host NQN `hostnqn` ("" : the host's). Their paths are
  // these, whatever log page or entry made them.
  std::function<std::vector<Tid>(const std::string& subsysnqn, const std::string& hostnqn)>
      controllers_of{};
  // Whether the service's controller with this TID was made for volumes through discovery
  // (a connect=volumes DC's entry): the only ones a discovery volume's detach releases.
  std::function<bool(const Tid&)> made_for_volumes{};
  // The host NQN a spec without "hostnqn" connects with.
  std::string default_hostnqn{};
  // What volumes need through discovery changed (DiscoveryControllers(), WantsSubsystem()).
  std::function<void()> on_discovery_changed{};
  // Why discovery cannot make progress now ("" : no known reason), for a timeout's message.
  std::function<std::string()> discovery_trouble{};
};

class VolumeManager {
 public:
  using AttachDone = std::function<void(Result<VolumeView>)>;
  static constexpr std::chrono::seconds kHealthInterval{5};
  // Bounds on what callers can make grow: volumes, and callers waiting for one.
  static constexpr std::size_t kMaxVolumes = 4096;
  static constexpr std::size_t kMaxWaiters = 64;
  // The most discovery controllers volumes may need in all (what stafd holds for them).
  static constexpr std::size_t kMaxDiscoveryControllers = 256;

  // `dev_dir`: where device nodes are (tests use a directory of their own).
  VolumeManager(EventLoop& loop, BlockingRunner& runner, NvmeKernel& kernel, VolumeHost host,
                std::string dev_dir = "/dev");
  ~VolumeManager();
  VolumeManager(const VolumeManager&) = delete;
  VolumeManager& operator=(const VolumeManager&) = delete;

  // Attaches (or finds attached) volume `id`; `done` runs once its device is found, or with
  // an error: EEXIST (id known with another spec), EACCES (every portal excluded), ENOTSUP,
  // ETIMEDOUT (no device within options.timeout), ENOENT (detached meanwhile).
  void Attach(const std::string& id, VolumeSpec spec, AttachOptions options, AttachDone done);
  // Takes a volume known before a restart back: as Attach(), without a caller or deadline.
  void Restore(const std::string& id, VolumeSpec spec, AttachOptions options,
               std::string found_subsysnqn = {});
  // Forgets the volume and releases what it alone needed; `done` once that is disconnected.
  // An unknown id succeeds.
  void Detach(const std::string& id, std::function<void(Status)> done);
  // The volumes of `ids` that exist (every volume if empty), in id order.
  std::vector<VolumeView> List(const std::vector<std::string>& ids) const;
  // The volumes to keep across a restart: id, spec and options, and the subsystem a volume
  // given by its namespace alone was found in through discovery.
  struct Saved {
    std::string id;
    VolumeSpec spec;
    AttachOptions options;
    std::string found_subsysnqn{};
  };
  std::vector<Saved> SavedSet() const;
  // Whether a volume needs the controller with this TID: kPortal, one of its portals;
  // kSubsystem, one of the controllers of the subsystem of a volume attached through discovery
  // (a log page that lists another way to that subsystem may replace it).
  enum class Need { kNone, kPortal, kSubsystem };
  Need NeedOf(const Tid& tid) const;
  bool Wants(const Tid& tid) const { return NeedOf(tid) != Need::kNone; }
  // Volumes attached through discovery: their discovery controllers, as the keys of stafd's
  // Discovery1.SetVolumeDiscoveryControllers (distinct, sorted), and whether a log page entry
  // of this subsystem is wanted from a connect=volumes DC (any subsystem while a volume given
  // by its namespace alone has not been found).
  std::vector<std::map<std::string, std::string>> DiscoveryControllers() const;
  bool WantsSubsystem(const std::string& subsysnqn) const;
  // How a connection to this subsystem made for a volume through discovery is made: the
  // connect options and host ID of the first such volume that wants it (nullopt: none does).
  struct DiscoveryConnect {
    ConnectOptions options;
    std::string hostid;
  };
  std::optional<DiscoveryConnect> DiscoveryConnectFor(const std::string& subsysnqn,
                                                      const std::string& hostnqn) const;
  // The block devices of every volume (those a release does not count as "in use").
  std::vector<std::string> Blocks() const;
  bool empty() const { return volumes_.empty(); }
  // The kernel or a controller changed: look at every volume again (coalesced; one look at
  // a time, on a worker).
  void Refresh();
  // Every pending attach fails (the daemon stops); volumes are kept as they are.
  void Stop();

 private:
  struct Volume;
  struct Look;  // what one refresh read from the kernel

  Volume* Find(const std::string& id) const;
  // The paths of a volume attached through discovery, from the service's controllers now.
  void DiscoverPaths(Volume& v);
  // Those DCs with the volume's added would be more than stafd holds.
  bool TooManyDcs(const VolumeSpec& spec) const;
  void Start(const std::string& id, VolumeSpec spec, AttachOptions options, AttachDone done,
             std::string found_subsysnqn = {});
  void Apply(const Look& look);
  void Update(Volume& v, const Look& look);
  void Changed(Volume& v);
  void Answer(Volume& v);
  void OnDeadline(const std::string& id);
  void Rescan(const std::string& id);
  void Forget(const std::string& id, std::function<void()> then);

  EventLoop& loop_;
  BlockingRunner& runner_;
  NvmeKernel& kernel_;
  VolumeHost host_;
  std::string dev_dir_;
  std::map<std::string, std::unique_ptr<Volume>> volumes_;
  Timer health_timer_;       // kHealthInterval, while volumes exist
  bool looking_ = false;     // a refresh is on a worker
  bool look_again_ = false;  // asked for meanwhile
  bool stopping_ = false;
  Lifetime lifetime_;
};

}  // namespace stas::stac
