// SPDX-License-Identifier: Apache-2.0
// What stafd-sim and stacd-sim share: a daemon environment on the simulated kernel, set from
// the environment variables STAS_SIM_SCENARIO (JSON scenario, re-applied on SIGUSR1),
// STAS_SIM_ETC (a directory holding stas/sys.conf and nvme/hostnqn, nvme/hostid) and
// RUNTIME_DIRECTORY (state).
#pragma once

#include <optional>
#include <string>

#include "common/daemon/daemon_shell.h"

namespace stas::testing {

// Fills `env`; returns RUNTIME_DIRECTORY, or nullopt (message on stderr) when a variable is
// missing.
std::optional<std::string> SetUpSimDaemon(const char* prog, DaemonEnvironment& env);

}  // namespace stas::testing
