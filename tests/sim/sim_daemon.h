// SPDX-License-Identifier: Apache-2.0
// What stafd-sim and stacd-sim share: a daemon environment on the simulated kernel, set from
// the environment variables STAS_SIM_SCENARIO (JSON scenario, re-applied on SIGUSR1),
// STAS_SIM_ETC (a directory holding stas/sys.conf and nvme/hostnqn, nvme/hostid),
// RUNTIME_DIRECTORY (state) and, optionally, STAS_SIM_DEVICES_FILE (where the simulated
// kernel's device list is published for the test: tests/sim/sim_kernel_devices.h).
#pragma once

#include <functional>
#include <string>

#include "common/daemon/daemon_shell.h"

namespace stas::testing {

// Fills `env` and returns `run(runtime)` (which runs the daemon with `env`; `runtime` is
// RUNTIME_DIRECTORY), or 2 with a message on stderr when a variable is missing. With
// STAS_SIM_DEVICES_FILE, the device list is published while the daemon runs and once more
// after `run` has returned, so that the file also shows what the daemon's shutdown did.
int RunSimDaemon(const char* prog, DaemonEnvironment& env,
                 const std::function<int(const std::string& runtime)>& run);

}  // namespace stas::testing
