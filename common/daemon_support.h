// Pieces of a daemon's life that stafd and stacd share: root check, systemd notification,
// configuration (re)loading with logged diagnostics, host identity.
#pragma once

#include <optional>
#include <string>

#include "common/config.h"
#include "common/daemon_cli.h"
#include "common/host_identity.h"
#include "common/nvme_kernel.h"

namespace stas {

// Sends a state string to systemd ("READY=1", "RELOADING=1", "STOPPING=1"); no-op outside it.
void NotifySystemd(const char* state);

// Loads the configuration and logs every problem with file and line. nullopt (logged) when
// the file cannot be read; a missing default file means defaults.
std::optional<ServiceConfig> LoadConfigLogged(Daemon d, const DaemonOptions& opts);

// Loads the host identity from sys.conf and /etc/nvme (warnings logged); nullopt (logged) on
// error. Converts it to what the kernel edge needs.
std::optional<HostInfo> LoadHostLogged(const SysConfPaths& paths);

}  // namespace stas
