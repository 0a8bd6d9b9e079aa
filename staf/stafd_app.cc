#include "staf/stafd_app.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <sdbus-c++/sdbus-c++.h>

#include "common/blocking_runner.h"
#include "common/daemon_cli.h"
#include "common/daemon_support.h"
#include "common/defs.h"
#include "common/log.h"
#include "common/sdbus_glib.h"
#include "staf/last_known_config.h"
#include "staf/nvme_cli_interop.h"
#include "staf/staf_dbus.h"
#include "staf/staf_service.h"

namespace stas::staf {

int RunStafd(int argc, char** argv, const StafdEnvironment& env) {
  int exit_code = 0;
  std::optional<DaemonOptions> opts = ParseDaemonArgs(Daemon::kStafd, argc, argv, &exit_code);
  if (!opts) return exit_code;
  if (opts->dump_config) return DumpConfig(Daemon::kStafd, *opts);
  if (env.require_root && ::geteuid() != 0) {
    std::fprintf(stderr, "Permission denied. You need root privileges to run stafd.\n");
    return 1;
  }
  LogInit("stafd", opts->syslog);

  GlibEventLoop loop;
  KernelBackend backend = env.backend(loop);
  if (!backend.kernel->FabricsAvailable()) {
    LOG_ERROR("Fatal error: missing nvme-tcp kernel module (/dev/nvme-fabrics does not exist)");
    return 1;
  }
  std::optional<ServiceConfig> config = LoadConfigLogged(Daemon::kStafd, *opts);
  if (!config) return 1;
  std::optional<HostInfo> host = LoadHostLogged(env.sysconf);
  if (!host) return 1;
  auto set_tron = [&backend](bool on) {
    SetLogDebug(on);
    if (backend.set_trace) backend.set_trace(on);
  };
  set_tron(opts->tron || config->tron);

  ThreadPoolRunner runner(loop);
  std::string lkc_path = DefaultLkcPath("stafd");
  StafDeps deps{loop, runner, *backend.kernel, *backend.events, *host, lkc_path, nullptr, {},
                [](const KernelEvent& ev, const KernelDevice&) { StartNvmfConnect(ev); }};
  StafService service(std::move(deps), *config);

  std::unique_ptr<sdbus::IConnection> conn;
  std::unique_ptr<StafDbus> dbus;
  std::unique_ptr<SdbusGlibSource> bus_source;
  try {
    conn = sdbus::createSystemBusConnection();
    dbus = std::make_unique<StafDbus>(*conn, service,
                                      ProcessInfoSource{*host, lkc_path, set_tron});
    bus_source = std::make_unique<SdbusGlibSource>(*conn, nullptr, [&] {
      LOG_ERROR("Lost the D-Bus connection; exiting");
      exit_code = 1;
      loop.Quit();
    });
    // With Type=dbus, systemd considers stafd started once it owns its name: own it last.
    conn->requestName(kStafdBusName);
  } catch (const sdbus::Error& e) {
    LOG_ERROR("Cannot publish %s on the system bus: %s", kStafdBusName, e.what());
    return 1;
  }
  service.set_observer(dbus.get());
  InstallUdevRuleOverride(env.udev_rule_path);

  bool stopping = false;
  auto stop = [&] {
    if (stopping) return;
    stopping = true;
    NotifySystemd("STOPPING=1");
    LOG_INFO("Stopping");
    service.Stop([&] { loop.Quit(); });
  };
  (void)loop.AddUnixSignal(SIGTERM, stop);
  (void)loop.AddUnixSignal(SIGINT, stop);
  (void)loop.AddUnixSignal(SIGHUP, [&] {
    NotifySystemd("RELOADING=1");
    LOG_INFO("Reloading %s", opts->conf_file.c_str());
    if (std::optional<ServiceConfig> fresh = LoadConfigLogged(Daemon::kStafd, *opts)) {
      set_tron(fresh->tron);
      service.Reload(std::move(*fresh));
    } else {
      LOG_ERROR("Keeping the previous configuration");
      service.Reload(service.config());
    }
    NotifySystemd("READY=1");
  });

  service.Start();
  if (env.on_started) env.on_started(loop);
  LOG_INFO("stafd started");
  loop.Run();

  service.set_observer(nullptr);
  RemoveUdevRuleOverride(env.udev_rule_path);
  runner.Shutdown();
  bus_source.reset();
  dbus.reset();
  return exit_code;
}

}  // namespace stas::staf
