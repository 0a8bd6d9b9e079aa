// SPDX-License-Identifier: Apache-2.0
#include "stac/stacd_app.h"

#include <memory>

#include "common/atomic_file.h"
#include "common/daemon/state_writer.h"
#include "common/defs.h"
#include "common/log.h"
#include "stac/stac_dbus.h"
#include "stac/stac_service.h"
#include "stac/staf_client.h"
#include "stac/volumes/volume_state.h"

namespace stas::stac {
namespace {

// StacService with stafd's client and stacd's D-Bus object.
class Stacd final : public DaemonService {
 public:
  Stacd(const DaemonParts& parts, ServiceConfig config)
      : state_path_(RuntimeStatePath("stacd", kOwnedControllersFileName)),
        stafd_(parts.bus),
        service_(StacDeps{.loop = parts.loop,
                          .runner = parts.runner,
                          .kernel = parts.kernel,
                          .events = parts.events,
                          .stafd = stafd_,
                          .host = parts.host,
                          .state_path = state_path_,
                          .volumes_path = RuntimeStatePath("stacd", kVolumesFileName),
                          .persistent_volumes_path = PersistentStatePath("stacd", kVolumesFileName),
                          .shared_files = {.exclusions_dir = parts.exclusions_dir,
                                           .registry = OwnershipRegistry(parts.registry_dir)},
                          .on_volumes_changed =
                              [this](const VolumeView* v) {
                                dbus_.OnVolumesChanged(v);
                              }},
                 std::move(config)),
        dbus_(parts.bus, service_,
              ProcessInfoSource{.host = parts.host,
                                .state_path = state_path_,
                                .set_tron = parts.set_tron,
                                .nbft = parts.nbft_status}) {
    if (Status s = EnsureParentDirectory(state_path_); !s)
      LOG_WARNING("Cannot create the state directory: %s", s.error().message.c_str());
    if (Status s = EnsureParentDirectory(PersistentStatePath("stacd", kVolumesFileName)); !s)
      LOG_WARNING("Cannot create the persistent state directory: %s", s.error().message.c_str());
  }
  Stacd(const Stacd&) = delete;
  Stacd& operator=(const Stacd&) = delete;

  void Start() override { service_.Start(); }
  void Reload(ServiceConfig config) override { service_.Reload(std::move(config)); }
  const ServiceConfig& config() const override { return service_.config(); }
  void Stop(std::function<void()> done) override { service_.Stop(std::move(done)); }

 private:
  std::string state_path_;
  StafClient stafd_;
  StacService service_;
  StacDbus dbus_;  // after service_: destroyed first
};

}  // namespace

int RunStacd(int argc, char** argv, const DaemonEnvironment& env) {
  DaemonSpec spec{.daemon = Daemon::kStacd,
                  .bus_name = kStacdBusName,
                  .make = [](const DaemonParts& parts, ServiceConfig config) {
                    return std::make_unique<Stacd>(parts, std::move(config));
                  }};
  return RunDaemon(spec, env, argc, argv);
}

}  // namespace stas::stac
