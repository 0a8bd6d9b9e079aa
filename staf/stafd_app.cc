// SPDX-License-Identifier: Apache-2.0
#include "staf/stafd_app.h"

#include <memory>

#include "common/atomic_file.h"
#include "common/defs.h"
#include "common/log.h"
#include "staf/last_known_config.h"
#include "staf/nvme_cli_interop.h"
#include "staf/staf_dbus.h"
#include "staf/staf_service.h"

namespace stas::staf {
namespace {

// StafService with its D-Bus object, its mDNS browser and the nvme-cli udev rule override.
class Stafd final : public DaemonService {
 public:
  Stafd(const DaemonParts& parts, ServiceConfig config, std::string udev_rule_path)
      : udev_rule_path_(std::move(udev_rule_path)),
        lkc_path_(DefaultLkcPath("stafd")),
        prober_(parts.loop),
        browser_(parts.loop),
        // dbus_ is built after service_, which it serves; the service calls it only from loop
        // events, which never run while Stafd is being built or destroyed.
        service_(
            StafDeps{.loop = parts.loop,
                     .runner = parts.runner,
                     .kernel = parts.kernel,
                     .events = parts.events,
                     .host = parts.host,
                     .lkc_path = lkc_path_,
                     .shared_files = {.exclusions_dir = parts.exclusions_dir,
                                      .registry = OwnershipRegistry(parts.registry_dir)},
                     .on_log_pages_changed = [this](const Dc& dc) { dbus_.OnLogPagesChanged(dc); },
                     .on_dc_removed = [this] { dbus_.OnDcRemoved(); },
                     .on_initial_discovery_done = [this] { dbus_.OnInitialDiscoveryDone(); },
                     .on_unmanaged_dc_event = [](const KernelEvent& ev,
                                                 const KernelDevice&) { StartNvmfConnect(ev); },
                     .browser = &browser_,
                     .prober = &prober_},
            std::move(config)),
        dbus_(parts.bus, service_,
              ProcessInfoSource{.host = parts.host,
                                .state_path = lkc_path_,
                                .set_tron = parts.set_tron,
                                .nbft = parts.nbft_status}) {
    if (Status s = EnsureParentDirectory(lkc_path_); !s)
      LOG_WARNING("Cannot create the state directory: %s", s.error().message.c_str());
  }
  ~Stafd() override {
    // Only ours: when another stafd owns the bus name we never started, and the override in
    // place is the running daemon's.
    if (override_installed_)
      RemoveUdevRuleOverride(udev_rule_path_);
  }
  Stafd(const Stafd&) = delete;
  Stafd& operator=(const Stafd&) = delete;

  void Start() override {
    InstallUdevRuleOverride(udev_rule_path_);
    override_installed_ = true;
    service_.Start();
  }
  void Reload(ServiceConfig config) override { service_.Reload(std::move(config)); }
  const ServiceConfig& config() const override { return service_.config(); }
  void Stop(std::function<void()> done) override { service_.Stop(std::move(done)); }

 private:
  std::string udev_rule_path_;
  bool override_installed_ = false;
  std::string lkc_path_;
  GlibTcpProber prober_;
  AvahiBrowser browser_;  // before service_: its ZeroconfRegistry observes the browser
  StafService service_;
  StafDbus dbus_;  // after service_: destroyed first
};

}  // namespace

int RunStafd(int argc, char** argv, const StafdEnvironment& env) {
  DaemonSpec spec{.daemon = Daemon::kStafd,
                  .bus_name = kStafdBusName,
                  .make = [&env](const DaemonParts& parts, ServiceConfig config) {
                    return std::make_unique<Stafd>(parts, std::move(config), env.udev_rule_path);
                  }};
  return RunDaemon(spec, env, argc, argv);
}

}  // namespace stas::staf
