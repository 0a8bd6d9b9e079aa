// stacd: STorage Appliance Connector. Connects the NVMe-oF I/O controllers that stafd finds
// and that stacd.conf lists.
#include <cstdio>

#include "common/daemon_cli.h"

int main(int argc, char** argv) {
  int exit_code = 0;
  std::optional<stas::DaemonOptions> opts =
      stas::ParseDaemonArgs(stas::Daemon::kStacd, argc, argv, &exit_code);
  if (!opts) return exit_code;
  if (opts->dump_config) return stas::DumpConfig(stas::Daemon::kStacd, *opts);
  std::fprintf(stderr, "stacd: the connector service is not available in this build yet\n");
  return 1;
}
