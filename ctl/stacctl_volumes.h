// SPDX-License-Identifier: Apache-2.0
// stacctl's volume commands, clients of org.nvmexpress.stac.Volumes1: connector-info, attach,
// detach, volumes and watch. Their arguments go to stacd as given: stacd checks them and names what
// is wrong (the D-Bus error's message is printed).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ctl/ctl_app.h"

namespace stas::ctl {

struct VolumeCommands {
  CLI::App* connector_info = nullptr;
  CLI::App* attach = nullptr;
  CLI::App* detach = nullptr;
  CLI::App* volumes = nullptr;
  CLI::App* watch = nullptr;
  uint32_t count = 0;  // watch: exit after this many changes (0: never)
  std::string id;
  std::vector<std::string> ids;
  std::string subsysnqn, uuid, nguid, eui64, hostnqn, hostid;
  std::optional<uint32_t> nsid;
  std::vector<std::string> portals;    // "transport=tcp,traddr=...,trsvcid=..."
  std::vector<std::string> discovery;  // --discovery, one DC each
  std::vector<std::string> options;    // "nr-io-queues=1"
  uint32_t timeout_ms = 30000;
  bool persistent = false;
};

// Adds the subcommands to `app`; `cmds` receives the parsed values.
void AddVolumeCommands(CLI::App& app, VolumeCommands& cmds);
// Runs the one that was parsed; nullopt if none was.
std::optional<int> RunVolumeCommand(const CtlApp& ctl, const VolumeCommands& cmds);

}  // namespace stas::ctl
