// SPDX-License-Identifier: Apache-2.0
// stacd's main(), with the kernel edge given by the environment (real in stacd, simulated in
// the test harness). Returns the exit status.
#pragma once

#include "common/daemon/daemon_shell.h"

namespace stas::stac {

// Where stacd remembers the controllers it created, for warm restarts.
inline constexpr const char* kOwnedControllersFileName = "owned-controllers.json";

int RunStacd(int argc, char** argv, const DaemonEnvironment& env);

}  // namespace stas::stac
