// SPDX-License-Identifier: Apache-2.0
// The life of a daemon (stafd or stacd) from the command line to exit: options, root check,
// logging, kernel edge, configuration, host identity, worker pool, system bus, signals
// (SIGTERM/SIGINT stop, SIGHUP reload), sd_notify and the GLib loop. What differs between
// the two daemons is the DaemonService that `DaemonSpec::make` builds.
#pragma once

#include <functional>
#include <memory>

#include <sdbus-c++/sdbus-c++.h>

#include "build_config.h"
#include "common/config/config.h"
#include "common/config/host_identity.h"
#include "common/defs.h"
#include "common/firmware/nbft.h"
#include "common/kernel/kernel_backend.h"
#include "common/kernel/nvme_kernel.h"
#include "common/loop/blocking_runner.h"
#include "common/loop/glib_event_loop.h"

namespace stas {

// A daemon's service as the shell drives it. Loop thread only.
class DaemonService {
 public:
  virtual ~DaemonService() = default;
  virtual void Start() = 0;
  // SIGHUP with a configuration that loaded (or the current one, when the file is broken).
  virtual void Reload(ServiceConfig config) = 0;
  virtual const ServiceConfig& config() const = 0;
  // SIGTERM: calls `done` once every controller is released.
  virtual void Stop(std::function<void()> done) = 0;
};

// What the shell sets up for the service. Every reference outlives the service.
struct DaemonParts {
  GlibEventLoop& loop;
  BlockingRunner& runner;
  NvmeKernel& kernel;
  KernelEvents& events;
  const HostInfo& host;
  sdbus::IConnection& bus;
  const std::string& exclusions_dir;   // SysConfPaths::exclusions_dir
  const std::string& registry_dir;     // DaemonEnvironment::registry_dir
  std::function<void(bool)> set_tron;  // applies the trace flag (logging and libnvme)
  // The firmware's NBFT tables for process_info (ProcessInfoSource::nbft); null: none.
  const nlohmann::ordered_json& nbft_status;
};

struct DaemonEnvironment {
  KernelBackendFactory backend;
  bool require_root = true;
  SysConfPaths sysconf = SysConfPaths::Default();
  // The ownership registry the host's NVMe-oF managers share (ownership_registry.h).
  std::string registry_dir = kDefaultRegistryDir;
  // nvme-stas 3.x's connectivity file, read when it exists (common/config/nvme_stas_conf.h);
  // -c/--conn-conf-file overrides it.
  std::string conn_conf_file = std::string(kSysconfDir) + "/nvme/nvme-stas.conf";
  // Where the firmware's NBFT tables are (common/firmware/nbft.h); empty: none are read.
  std::string nbft_dir = kNbftTableDir;
  // Called once the daemon is set up, on the loop thread (the test harness hooks in here).
  std::function<void(GlibEventLoop&)> on_started;
};

struct DaemonSpec {
  Daemon daemon;
  const char* bus_name;
  // Builds the service and its D-Bus objects; the bus name is requested afterwards, so that
  // systemd (Type=dbus) sees the daemon started only once it can answer. May throw
  // sdbus::Error.
  std::function<std::unique_ptr<DaemonService>(const DaemonParts&, ServiceConfig)> make;
};

// Returns the exit status.
int RunDaemon(const DaemonSpec& spec, const DaemonEnvironment& env, int argc, char** argv);

}  // namespace stas
