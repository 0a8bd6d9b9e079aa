#include "common/daemon_cli.h"

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "build_config.h"
#include "common/config_json.h"
#include "common/libnvme_info.h"

namespace stas {

std::optional<DaemonOptions> ParseDaemonArgs(Daemon d, int argc, char** argv, int* exit_code) {
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

int DumpConfig(Daemon d, const DaemonOptions& opts) {
  Result<LoadedConfig> loaded = LoadServiceConfig(d, opts.conf_file, opts.conf_file_given);
  if (!loaded) {
    std::fprintf(stderr, "%s: cannot read the configuration: %s\n", DaemonName(d),
                 loaded.error().message.c_str());
    return 1;
  }
  for (const Diagnostic& diag : loaded->diagnostics) {
    std::fprintf(stderr, "%s: %s\n", diag.severity == Severity::kError ? "error" : "warning",
                 diag.ToString().c_str());
  }
  nlohmann::ordered_json j = ConfigToJson(loaded->config);
  std::cout << j.dump(2) << std::endl;
  return 0;
}

}  // namespace stas
