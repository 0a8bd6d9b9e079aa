#include "common/daemon_support.h"

#include <systemd/sd-daemon.h>

#include "common/log.h"

namespace stas {

void NotifySystemd(const char* state) { sd_notify(0, state); }

std::optional<ServiceConfig> LoadConfigLogged(Daemon d, const DaemonOptions& opts) {
  Result<LoadedConfig> loaded = LoadServiceConfig(d, opts.conf_file, opts.conf_file_given);
  if (!loaded) {
    LOG_ERROR("Cannot read the configuration: %s", loaded.error().message.c_str());
    return std::nullopt;
  }
  for (const Diagnostic& diag : loaded->diagnostics) {
    if (diag.severity == Severity::kError) {
      LOG_ERROR("%s", diag.ToString().c_str());
    } else {
      LOG_WARNING("%s", diag.ToString().c_str());
    }
  }
  return std::move(loaded->config);
}

std::optional<HostInfo> LoadHostLogged(const SysConfPaths& paths) {
  Diagnostics warnings;
  Result<HostIdentity> id = LoadHostIdentity(paths, &warnings);
  for (const Diagnostic& w : warnings) LOG_WARNING("%s", w.ToString().c_str());
  if (!id) {
    LOG_ERROR("%s", id.error().message.c_str());
    return std::nullopt;
  }
  return HostInfo{id->hostnqn, id->hostid, id->hostkey, id->symname};
}

}  // namespace stas
