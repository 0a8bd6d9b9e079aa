// SPDX-License-Identifier: Apache-2.0
#include "common/daemon/daemon_shell.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <malloc.h>
#include <map>
#include <optional>
#include <signal.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "build_config.h"
#include "common/config/config_json.h"
#include "common/config/nvme_stas_conf.h"
#include "common/controller/ownership_registry.h"
#include "common/firmware/nbft_connections.h"
#include "common/kernel/nvme_kernel_libnvme.h"
#include "common/log.h"
#include "common/loop/sdbus_glib.h"

namespace stas {

namespace {

// The command line shared by stafd and stacd, plus --dump-config.
struct DaemonOptions {
  std::string conf_file;
  bool conf_file_given = false;  // -f was used: a missing file is then an error
  std::string conn_conf_file;    // nvme-stas 3.x's connectivity file (nvme_stas_conf.h)
  bool syslog = false;
  bool tron = false;
  bool dump_config = false;
};

// Parses the command line. Returns nullopt after handling --help, --version or a usage error;
// `*exit_code` then holds the status to exit with (0, or 2 for a usage error as argparse does).
std::optional<DaemonOptions> ParseDaemonArgs(Daemon d, const DaemonEnvironment& env, int argc,
                                             char** argv, int* exit_code) {
  const bool stafd = d == Daemon::kStafd;
  CLI::App app(stafd ? "STorage Appliance Finder (STAF). Must be root to run this program."
                     : "STorage Appliance Connector (STAC). Must be root to run this program.",
               DaemonName(d));
  DaemonOptions opts;
  opts.conf_file = std::string(kSysconfDir) + "/stas/" + DaemonName(d) + ".conf";
  bool version = false;
  app.add_option("-f,--conf-file", opts.conf_file, "Configuration file")
      ->type_name("FILE")
      ->capture_default_str();
  opts.conn_conf_file = env.conn_conf_file;
  app.add_option("-c,--conn-conf-file", opts.conn_conf_file,
                 "nvme-stas 3.x connectivity file, read when it exists (and FILE.d/*.conf)")
      ->type_name("FILE")
      ->capture_default_str();
  app.add_flag("-s,--syslog", opts.syslog, "Send log messages to the journal (syslog)");
  app.add_flag("--tron", opts.tron, "Trace ON: debug logging, whatever the configuration says");
  app.add_flag("-v,--version", version, "Print the version and exit");
  app.add_flag("--dump-config", opts.dump_config,
               "Print the effective configuration as JSON and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    *exit_code = rc == 0 ? 0 : 2;
    return std::nullopt;
  }
  if (version) {
    std::printf("nvme-stas %s\nlibnvme %s\n", kVersion, LibnvmeVersion().c_str());
    *exit_code = 0;
    return std::nullopt;
  }
  opts.conf_file_given = app.count("--conf-file") > 0;
  return opts;
}

// What the configuration takes besides the daemon's own file: the controllers of nvme-stas
// 3.x's connectivity file (the last set that loaded without an error is kept) and, for stafd
// with [Service Discovery] nbft=enabled, the DCs of the firmware's NBFT.
struct ExtraControllers {
  std::optional<std::vector<ControllerEntry>> last_good_3x;
  std::map<std::string, std::string> host_ids_3x;  // of the last good set (ServiceConfig::host_ids)
  std::vector<NbftFile> nbft;
};

void Report(const Diagnostics& diags, bool to_stderr) {
  for (const Diagnostic& diag : diags) {
    const bool error = diag.severity == Severity::kError;
    if (to_stderr) {
      (void)std::fprintf(stderr, "%s: %s\n", error ? "error" : "warning", diag.ToString().c_str());
    } else if (error) {
      LOG_ERROR("%s", diag.ToString().c_str());
    } else {
      LOG_WARNING("%s", diag.ToString().c_str());
    }
  }
}

// The controllers `d` takes from nvme-stas 3.x's file: stafd its [Discovery Controller] paths,
// stacd its [Subsystem] paths. A [Host] key (kxchap-secret) is the secret of the paths of its
// file that have none of their own.
std::vector<ControllerEntry> ControllersOf3x(Daemon d, const NvmeStasConf& conf) {
  std::vector<ControllerEntry> out;
  for (const StasConfController& c :
       d == Daemon::kStafd ? conf.discovery_controllers : conf.subsystems) {
    ControllerEntry e = c.entry;
    if (!e.dhchap_secret && c.host && c.host->dhchap_secret) {
      e.dhchap_secret = c.host->dhchap_secret;
      e.extras.emplace_back("dhchap-secret", *e.dhchap_secret);
    }
    out.push_back(std::move(e));
  }
  return out;
}

// Adds nvme-stas 3.x's controllers and the NBFT's DCs to `cfg`. An error in the 3.x files
// keeps `extra->last_good_3x` (none at start-up).
void AddExtraControllers(Daemon d, const DaemonOptions& opts, ServiceConfig* cfg,
                         ExtraControllers* extra, bool to_stderr) {
  LoadedNvmeStasConf loaded = LoadNvmeStasConf(opts.conn_conf_file);
  Report(loaded.diagnostics, to_stderr);
  if (loaded.conf) {
    extra->last_good_3x = ControllersOf3x(d, *loaded.conf);
    extra->host_ids_3x.clear();
    for (const auto* list : {&loaded.conf->discovery_controllers, &loaded.conf->subsystems}) {
      for (const StasConfController& c : *list) {
        if (c.host && c.host->hostnqn && c.host->hostid)
          extra->host_ids_3x[*c.host->hostnqn] = *c.host->hostid;
      }
    }
    if (loaded.conf->host && loaded.conf->host->hostnqn && loaded.conf->host->hostid)
      extra->host_ids_3x[*loaded.conf->host->hostnqn] = *loaded.conf->host->hostid;
    if (!loaded.conf->files.empty() && !to_stderr) {
      LOG_INFO("%zu %s from nvme-stas 3.x's %s (%zu files)", extra->last_good_3x->size(),
               d == Daemon::kStafd ? "discovery controllers" : "I/O controllers",
               opts.conn_conf_file.c_str(), loaded.conf->files.size());
    }
  } else if (!to_stderr) {
    LOG_ERROR(
        "%s rejected (see above); keeping the last good configuration from it (%zu "
        "controllers)",
        opts.conn_conf_file.c_str(),
        extra->last_good_3x ? extra->last_good_3x->size() : std::size_t{0});
  }
  if (extra->last_good_3x) {
    for (const ControllerEntry& e : *extra->last_good_3x)
      cfg->controllers.push_back(e);
  }
  cfg->host_ids = extra->host_ids_3x;
  for (const NbftFile& t : extra->nbft) {
    if (t.table.host && !t.table.host->nqn.empty() && !t.table.host->hostid.empty())
      cfg->host_ids[t.table.host->nqn] = t.table.host->hostid;
  }
  if (d == Daemon::kStafd && cfg->nbft_discovery) {
    auto iface_of = [](const std::string& mac, uint16_t vlan) {
      return InterfaceOfMac(mac, vlan);
    };
    for (ControllerEntry& e : NbftDiscoveryEntries(extra->nbft, iface_of)) {
      Diagnostics problems = CheckControllerEntry(d, &e, "NBFT discovery record");
      Report(problems, to_stderr);
      if (std::none_of(problems.begin(), problems.end(),
                       [](const Diagnostic& x) { return x.severity == Severity::kError; }))
        cfg->controllers.push_back(std::move(e));
    }
  }
}

int DumpConfig(Daemon d, const DaemonOptions& opts, const DaemonEnvironment& env) {
  Result<LoadedConfig> loaded = LoadServiceConfig(d, opts.conf_file, opts.conf_file_given);
  if (!loaded) {
    (void)std::fprintf(stderr, "%s: cannot read the configuration: %s\n", DaemonName(d),
                       loaded.error().message.c_str());
    return 1;
  }
  Report(loaded->diagnostics, true);
  ExtraControllers extra;
  Diagnostics nbft_problems;
  if (!env.nbft_dir.empty())
    extra.nbft = ReadNbftTables(env.nbft_dir, &nbft_problems);
  Report(nbft_problems, true);
  AddExtraControllers(d, opts, &loaded->config, &extra, true);
  nlohmann::ordered_json j = ConfigToJson(loaded->config);
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  return 0;
}

void NotifySystemd(const char* state) {
  sd_notify(0, state);
}

std::optional<ServiceConfig> LoadConfigLogged(Daemon d, const DaemonOptions& opts,
                                              ExtraControllers* extra) {
  Result<LoadedConfig> loaded = LoadServiceConfig(d, opts.conf_file, opts.conf_file_given);
  if (!loaded) {
    LOG_ERROR("Cannot read the configuration: %s", loaded.error().message.c_str());
    return std::nullopt;
  }
  Report(loaded->diagnostics, false);
  AddExtraControllers(d, opts, &loaded->config, extra, false);
  return std::move(loaded->config);
}

// The firmware's NBFT tables: read once (they do not change while the host runs), every
// problem logged, and the boot connections registered as owner "nbft" before the service
// starts, so that no pass of ours can claim one first.
std::vector<NbftFile> ReadNbftLogged(const DaemonEnvironment& env, NvmeKernel& kernel,
                                     nlohmann::ordered_json* status) {
  if (env.nbft_dir.empty())
    return {};
  Diagnostics problems;
  std::vector<NbftFile> tables = ReadNbftTables(env.nbft_dir, &problems);
  for (const Diagnostic& p : problems)
    LOG_WARNING("NBFT: %s", p.ToString().c_str());
  for (const NbftFile& t : tables) {
    LOG_INFO("NBFT: %s: %zu interfaces, %zu subsystems, %zu discovery controllers", t.path.c_str(),
             t.table.hfis.size(), t.table.subsystems.size(), t.table.discovery.size());
  }
  for (const std::string& line :
       ClaimNbftConnections(kernel, OwnershipRegistry(env.registry_dir), tables))
    LOG_INFO("NBFT: %s", line.c_str());
  *status = NbftStatusJson(tables, problems);
  return tables;
}

std::optional<HostInfo> LoadHostLogged(const SysConfPaths& paths) {
  Diagnostics warnings;
  Result<HostIdentity> id = LoadHostIdentity(paths, &warnings);
  for (const Diagnostic& w : warnings)
    LOG_WARNING("%s", w.ToString().c_str());
  if (!id) {
    LOG_ERROR("%s", id.error().message.c_str());
    return std::nullopt;
  }
  return HostInfo{id->hostnqn, id->hostid, id->hostkey, id->symname};
}

}  // namespace

int RunDaemon(const DaemonSpec& spec, const DaemonEnvironment& env, int argc, char** argv) {
  const char* prog = DaemonName(spec.daemon);
  int exit_code = 0;
  std::optional<DaemonOptions> opts = ParseDaemonArgs(spec.daemon, env, argc, argv, &exit_code);
  if (!opts)
    return exit_code;
  if (opts->dump_config)
    return DumpConfig(spec.daemon, *opts, env);
  if (env.require_root && ::geteuid() != 0) {
    (void)std::fprintf(stderr, "Permission denied. You need root privileges to run %s.\n", prog);
    return 1;
  }
  LogInit(prog, opts->syslog);
  // The worker pool grows to 128 threads for a burst of connects, and glibc would give each
  // of them its own malloc arena (up to 8 per core) that keeps its memory afterwards: with
  // 1,000 controllers that doubled stacd's RSS (tests/bench). The state lives on the loop
  // thread; workers allocate little.
  (void)mallopt(M_ARENA_MAX, 2);  // NOLINT(concurrency-mt-unsafe): no other thread yet

  GlibEventLoop loop;
  KernelBackend backend = env.backend(loop);
  if (!backend.kernel->FabricsAvailable()) {
    LOG_ERROR("Fatal error: missing nvme-tcp kernel module (/dev/nvme-fabrics does not exist)");
    return 1;
  }
  ExtraControllers extra;
  nlohmann::ordered_json nbft_status = nullptr;
  extra.nbft = ReadNbftLogged(env, *backend.kernel, &nbft_status);
  std::optional<ServiceConfig> config = LoadConfigLogged(spec.daemon, *opts, &extra);
  if (!config)
    return 1;
  std::optional<HostInfo> host = LoadHostLogged(env.sysconf);
  if (!host)
    return 1;
  auto set_tron = [&backend](bool on) {
    SetLogDebug(on);
    if (backend.set_trace)
      backend.set_trace(on);
  };
  set_tron(opts->tron || config->tron);

  ThreadPoolRunner runner(loop);
  std::unique_ptr<sdbus::IConnection> conn;
  std::unique_ptr<DaemonService> service;
  std::unique_ptr<SdbusGlibSource> bus_source;
  try {
    conn = sdbus::createSystemBusConnection();
    DaemonParts parts{.loop = loop,
                      .runner = runner,
                      .kernel = *backend.kernel,
                      .events = *backend.events,
                      .host = *host,
                      .bus = *conn,
                      .exclusions_dir = env.sysconf.exclusions_dir,
                      .registry_dir = env.registry_dir,
                      .set_tron = set_tron,
                      .nbft_status = nbft_status};
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
    if (stopping)
      return;
    stopping = true;
    NotifySystemd("STOPPING=1");
    LOG_INFO("Stopping");
    service->Stop([&] { loop.Quit(); });
  };
  (void)loop.AddUnixSignal(SIGTERM, stop);
  (void)loop.AddUnixSignal(SIGINT, stop);
  (void)loop.AddUnixSignal(SIGHUP, [&] {
    if (stopping)
      return;  // the controllers are being released: nothing to reload
    NotifySystemd("RELOADING=1");
    LOG_INFO("Reloading %s", opts->conf_file.c_str());
    if (std::optional<ServiceConfig> fresh = LoadConfigLogged(spec.daemon, *opts, &extra)) {
      set_tron(fresh->tron);
      service->Reload(std::move(*fresh));
    } else {
      LOG_ERROR("Keeping the previous configuration");
      service->Reload(service->config());
    }
    NotifySystemd("READY=1");
  });

  service->Start();
  if (env.on_started)
    env.on_started(loop);
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
