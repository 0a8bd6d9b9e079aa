// The command line shared by stafd and stacd (reference §2.1), plus --dump-config.
#pragma once

#include <optional>
#include <string>

#include "common/config.h"

namespace stas {

struct DaemonOptions {
  std::string conf_file;
  bool conf_file_given = false;  // -f was used: a missing file is then an error
  bool syslog = false;
  bool tron = false;
  bool dump_config = false;
};

// Parses the command line. Returns nullopt after handling --help, --version or a usage error;
// `*exit_code` then holds the status to exit with (0, or 2 for a usage error as argparse does).
std::optional<DaemonOptions> ParseDaemonArgs(Daemon d, int argc, char** argv, int* exit_code);

// --dump-config: prints the effective configuration as JSON on stdout and the problems found
// on stderr. Returns the exit status: 1 when the file cannot be read.
int DumpConfig(Daemon d, const DaemonOptions& opts);

}  // namespace stas
