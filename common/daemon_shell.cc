#include "common/daemon_shell.h"

#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "common/daemon_support.h"
#include "common/log.h"
#include "common/sdbus_glib.h"

namespace stas {

int RunDaemon(const DaemonSpec& spec, const DaemonEnvironment& env, int argc, char** argv) {
  const char* prog = DaemonName(spec.daemon);
  int exit_code = 0;
  std::optional<DaemonOptions> opts = ParseDaemonArgs(spec.daemon, argc, argv, &exit_code);
  if (!opts) return exit_code;
  if (opts->dump_config) return DumpConfig(spec.daemon, *opts);
  if (env.require_root && ::geteuid() != 0) {
    std::fprintf(stderr, "Permission denied. You need root privileges to run %s.\n", prog);
    return 1;
  }
  LogInit(prog, opts->syslog);
  // The worker pool grows to 128 threads for a burst of connects, and glibc would give each
  // of them its own malloc arena (up to 8 per core) that keeps its memory afterwards: with
  // 1,000 controllers that doubled stacd's RSS (tests/bench). The state lives on the loop
  // thread; workers allocate little.
  (void)mallopt(M_ARENA_MAX, 2);

  GlibEventLoop loop;
  KernelBackend backend = env.backend(loop);
  if (!backend.kernel->FabricsAvailable()) {
    LOG_ERROR("Fatal error: missing nvme-tcp kernel module (/dev/nvme-fabrics does not exist)");
    return 1;
  }
  std::optional<ServiceConfig> config = LoadConfigLogged(spec.daemon, *opts);
  if (!config) return 1;
  std::optional<HostInfo> host = LoadHostLogged(env.sysconf);
  if (!host) return 1;
  auto set_tron = [&backend](bool on) {
    SetLogDebug(on);
    if (backend.set_trace) backend.set_trace(on);
  };
  set_tron(opts->tron || config->tron);

  ThreadPoolRunner runner(loop);
  std::unique_ptr<sdbus::IConnection> conn;
  std::unique_ptr<DaemonService> service;
  std::unique_ptr<SdbusGlibSource> bus_source;
  try {
    conn = sdbus::createSystemBusConnection();
    DaemonParts parts{loop, runner, *backend.kernel, *backend.events, *host, *conn, set_tron};
    service = spec.make(parts, std::move(*config));
    bus_source = std::make_unique<SdbusGlibSource>(*conn, nullptr, [&] {
      LOG_ERROR("Lost the D-Bus connection; exiting");
      exit_code = 1;
      loop.Quit();
    });
    conn->requestName(spec.bus_name);
  } catch (const sdbus::Error& e) {
    LOG_ERROR("Cannot publish %s on the system bus: %s", spec.bus_name, e.what());
    return 1;
  }

  bool stopping = false;
  auto stop = [&] {
    if (stopping) return;
    stopping = true;
    NotifySystemd("STOPPING=1");
    LOG_INFO("Stopping");
    service->Stop([&] { loop.Quit(); });
  };
  (void)loop.AddUnixSignal(SIGTERM, stop);
  (void)loop.AddUnixSignal(SIGINT, stop);
  (void)loop.AddUnixSignal(SIGHUP, [&] {
    if (stopping) return;  // the controllers are being released: nothing to reload
    NotifySystemd("RELOADING=1");
    LOG_INFO("Reloading %s", opts->conf_file.c_str());
    if (std::optional<ServiceConfig> fresh = LoadConfigLogged(spec.daemon, *opts)) {
      set_tron(fresh->tron);
      service->Reload(std::move(*fresh));
    } else {
      LOG_ERROR("Keeping the previous configuration");
      service->Reload(service->config());
    }
    NotifySystemd("READY=1");
  });

  service->Start();
  if (env.on_started) env.on_started(loop);
  LOG_INFO("%s started", prog);
  loop.Run();

  // Workers first: their results are dropped once the loop is gone, and nothing they touch
  // may disappear while they run.
  runner.Shutdown();
  service.reset();
  bus_source.reset();
  return exit_code;
}

}  // namespace stas
