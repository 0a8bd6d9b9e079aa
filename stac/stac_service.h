// SPDX-License-Identifier: Apache-2.0
// StacService: the connector service of stacd. It decides which I/O controllers to connect:
// the controller= entries of stacd.conf plus the "nvme" entries of the log pages stafd serves,
// minus exclusions and addresses the configuration does not allow, and disconnects the ones
// no longer wanted according to disconnect-scope.
//
// It never disconnects on missing information: when stafd is absent, slow or answers with an
// error, the I/O controllers learnt from it are all kept (nvme-stas PR #510); and until stafd
// says it has read every DC once since it started (DlpSource::GetInitialDiscoveryDone()),
// what it serves is connected but nothing is disconnected, since a subsystem it does not list
// may only not be read yet. A stafd that cannot say so (nvme-stas's) is given 10 s, as
// nvme-stas's stacd gives it. Changes are soaked for 1.5 s. Loop thread only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/controller/candidates.h"
#include "common/controller/controller_registry.h"
#include "common/controller/kernel_index.h"
#include "common/controller/limits.h"
#include "common/daemon/state_writer.h"
#include "common/kernel/nvme_kernel.h"
#include "common/loop/blocking_runner.h"
#include "common/loop/event_loop.h"
#include "common/loop/lifetime.h"
#include "common/loop/timer.h"
#include "stac/dlp_source.h"
#include "stac/ioc.h"
#include "stac/volumes/volume_manager.h"

namespace stas::stac {

// What the service is built from. Built with designated initialisers; the `{}` initialisers
// let callers name only the fields they set.
struct StacDeps {
  EventLoop& loop;
  BlockingRunner& runner;
  NvmeKernel& kernel;
  KernelEvents& events;
  DlpSource& stafd;
  HostInfo host{};
  std::string state_path{};    // the controllers stacd owns, for warm restarts; empty: none
  NameResolver resolve{};      // default: getaddrinfo
  std::string volumes_path{};  // the attached volumes, for warm restarts; empty: none
  // The volumes attached with "persistent", read at the first start after a reboot (when
  // volumes_path is not there); empty: none.
  std::string persistent_volumes_path{};
  // The exclusion list and the ownership registry (connect_or_adopt.h); default: neither.
  SharedHostFiles shared_files{};
  // The volumes changed: `volume` changed (nullptr: only a controller or namespace of the
  // kernel did). Generation() has grown. May be empty.
  std::function<void(const VolumeView* volume)> on_volumes_changed{};
  std::string dev_dir = "/dev";  // where volumes' device nodes are
  // The kernel's native multipath setting (nvme_core.multipath); default: read from sysfs.
  std::function<std::optional<bool>()> native_multipath{};
};

class StacService {
 public:
  static constexpr std::chrono::milliseconds kConfigSoak{1500};
  // How long a stafd that cannot say when it has read its DCs is given to read them.
  static constexpr std::chrono::milliseconds kStafdReadWait{10000};
  static constexpr std::chrono::milliseconds kAuditSoak{1000};

  StacService(StacDeps deps, ServiceConfig config);
  ~StacService();
  StacService(const StacService&) = delete;
  StacService& operator=(const StacService&) = delete;

  // Re-adopts the controllers owned before a restart, subscribes to kernel and stafd events,
  // runs the audit (under the all-connections scope) and starts the soak timer.
  void Start();
  void Reload(ServiceConfig config);
  // Stops; I/O connections are always kept. Calls `done` when every controller is released.
  void Stop(std::function<void()> done);

  std::vector<const Ioc*> iocs() const;
  // list_controllers(detailed=True): every IOC's Details() with the kernel's state of its
  // device (detailed_listing.h), read on a worker; `done` runs later on the loop thread,
  // not at all if the service is gone by then.
  void ListDetailed(std::function<void(std::vector<Dict>)> done) const;
  const Ioc* Find(const Tid& tid) const;
  const ServiceConfig& config() const { return config_; }
  const Timer& soak_timer() const { return soak_timer_; }
  // status's "limits" object (common/controller/limits.h): stacd's [Limits] and what each
  // DC's page drops now.
  nlohmann::ordered_json LimitsInfo() const;
  const TidDefaults& tid_defaults() const { return tid_defaults_; }
  bool kernel_supports(const std::string& option) const;
  const KernelFeatures& kernel_features() const { return ctx_.controller.features; }
  // The volumes of org.nvmexpress.stac.Volumes1 (volumes/volume_manager.h).
  VolumeManager& volumes() { return volumes_; }
  const VolumeManager& volumes() const { return volumes_; }
  // Grows on every change of a volume, and of a controller or namespace in the kernel.
  uint64_t generation() const { return generation_; }
  // nvme_core.multipath as read at start (nullopt: unknown).
  std::optional<bool> native_multipath() const { return native_multipath_; }

 private:
  struct Candidate {
    ConnectRequest request;
    Dict extras;
    std::optional<LogEntry> dlpe;
    // Made for a volume: its portal, or a connect=volumes DC's entry of a subsystem a volume
    // needs.
    bool for_volumes = false;
  };

  void Reconcile();
  void OnLogPages(std::optional<std::vector<DcLogPage>> pages,
                  std::map<std::string, std::vector<std::string>> resolved);
  std::vector<Candidate> Configured(
      const std::map<std::string, std::vector<std::string>>& resolved);
  std::vector<Candidate> Discovered(const std::vector<DcLogPage>& pages);
  bool KeepOnRemoval(const Tid& tid) const;
  RequestFactory Requests() const;
  void Add(Candidate c);
  void OnKernelEvent(const KernelEvent& ev);
  void OnStafdEvent(DlpSource::Event ev);
  // Asks stafd whether it has read its DCs (after start and each time it appears).
  void AskStafdDone();
  // stafd has read its DCs, or was given kStafdReadWait: removals are allowed again.
  void OnStafdDone();
  void Audit();
  // Takes back the controllers owned before a restart, then calls `then` (on the loop thread,
  // once they are added; at once when there are none).
  void RestoreOwned(std::function<void()> then);
  void SaveOwned();
  // Volumes: the connect request of a path, and what to do with controllers none needs.
  ConnectRequest VolumeRequest(const VolumeSpec& spec, const Portal& portal,
                               const AttachOptions& options) const;
  void ReleaseForVolumes(std::vector<Tid> tids, std::vector<std::string> own_blocks,
                         std::function<void()> done);
  void RestoreVolumes();
  // Tells stafd which DCs the volumes need, when that changed or stafd (re)appeared.
  void SyncVolumeDcs();
  // What volumes attached through discovery changed: tell stafd, and run a pass.
  void VolumeDiscoveryChanged();
  std::vector<Tid> ControllersOf(const std::string& subsysnqn, const std::string& hostnqn) const;
  // Whether a volume keeps this controller: one of its portals; or a way to the subsystem of a
  // volume attached through discovery, unless the last pass wanted another way to it that is
  // connected (the subsystem moved), so that a DC that is away never takes the last path.
  bool VolumeKeeps(const Ioc& ioc) const;
  std::string DiscoveryTrouble() const;
  void SaveVolumes();
  void VolumesChanged(const VolumeView* volume);

  StacDeps deps_;
  ServiceConfig config_;
  TidDefaults tid_defaults_;
  KernelIndex kernel_index_;  // before ctx_
  IocContext ctx_;
  ControllerRegistry<Ioc> iocs_;
  // The discovered candidates of the last answer stafd gave: what we keep while it is away.
  std::optional<std::vector<Candidate>> last_discovered_;
  // What the configuration and stafd's last answer wanted (volumes aside, connect=volumes DCs'
  // entries too): a controller a volume no longer needs stays if it is one of these.
  std::set<Tid> last_wanted_;
  std::set<Tid> last_pass_wanted_;  // everything the last pass wanted, volumes' entries too
  // The subsystems the connect=volumes DCs listed in stafd's last answer: where a volume given
  // by its namespace alone looks.
  std::set<std::string> volume_page_subsystems_;
  // The DCs stafd was last told the volumes need (nullopt: not told since it appeared), and
  // why it did not take them ("" : it did).
  std::optional<std::vector<std::map<std::string, std::string>>> volume_dcs_sent_;
  std::string volume_dcs_error_;
  std::uint64_t volume_dcs_calls_ = 0;  // numbers the calls: a late answer is not the last one
  Timer volume_dcs_retry_;              // a call stafd failed, while it is on the bus
  std::map<std::string, LimitHits> limit_hits_;  // by DcLogPage::dc, DCs of stafd's last answer
  Timer soak_timer_;
  Timer stafd_wait_timer_;  // kStafdReadWait, for a stafd without InitialDiscoveryDone
  Timer audit_timer_;
  StateWriter state_writer_;               // owned-controllers.json
  StateWriter volumes_writer_;             // volumes.json
  StateWriter persistent_volumes_writer_;  // volumes.json of the "persistent" ones
  std::optional<bool> native_multipath_;
  uint64_t generation_ = 0;
  VolumeManager volumes_;  // after iocs_ and the writers: gone before them
  bool reconciling_ = false;
  bool restored_ = false;         // the controllers owned before a restart are back (Start())
  bool reconcile_again_ = false;  // asked for while a pass was under way: run once it ends
  bool stopping_ = false;
  // Whether stafd has read its DCs since it (re)started (or was given kStafdReadWait).
  bool stafd_done_ = false;
  // Whether stafd answered the last GetInitialDiscoveryDone (or appeared since): a stafd that is
  // not there lists nothing a volume's detach should keep for it.
  bool stafd_present_ = false;
  bool kept_while_stafd_reads_logged_ = false;
  EventLoop::Clock::time_point stafd_since_{};  // when stafd was last found (or stacd started)
  Lifetime lifetime_;  // drops events, replies and blocking results once the service is gone
};

}  // namespace stas::stac
