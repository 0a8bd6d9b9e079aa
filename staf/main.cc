// stafd: STorage Appliance Finder. Finds NVMe-oF discovery controllers and serves their log
// pages on D-Bus.
#include <cstdio>

#include "common/daemon_cli.h"

int main(int argc, char** argv) {
  int exit_code = 0;
  std::optional<stas::DaemonOptions> opts =
      stas::ParseDaemonArgs(stas::Daemon::kStafd, argc, argv, &exit_code);
  if (!opts) return exit_code;
  if (opts->dump_config) return stas::DumpConfig(stas::Daemon::kStafd, *opts);
  std::fprintf(stderr, "stafd: the discovery service is not available in this build yet\n");
  return 1;
}
