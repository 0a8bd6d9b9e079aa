// SPDX-License-Identifier: Apache-2.0
// stafd's main(), with the kernel edge given by the environment (real in stafd, simulated in
// the test harness). Returns the exit status.
#pragma once

#include <string>

#include "common/daemon/daemon_shell.h"

namespace stas::staf {

struct StafdEnvironment : DaemonEnvironment {
  // nvme-cli's udev rule is overridden while stafd runs (docs/compatibility.md,
  // "Coexistence with nvme-cli").
  std::string udev_rule_path = "/run/udev/rules.d/70-nvmf-autoconnect.rules";
};

int RunStafd(int argc, char** argv, const StafdEnvironment& env);

}  // namespace stas::staf
