// SPDX-License-Identifier: Apache-2.0
// stacctl: asks stacd over D-Bus what it knows (docs/compatibility.md, "Command-line tools").
// stafctl's tron, troff, status (without log pages) and ls, with stacd's proxy; prints Python
// pprint, or JSON with --json. Also the volume commands (stacctl_volumes.h).
#include <optional>

#include <sdbus-c++/sdbus-c++.h>

#include "common/defs.h"
#include "ctl/ctl_app.h"
#include "ctl/daemon_proxies.h"
#include "ctl/stacctl_volumes.h"

namespace stas::ctl {
namespace {

constexpr const char* kDaemon = "stacd";

int Main(int argc, char** argv) {
  CtlApp ctl("STorage Appliance Connector (STAC)", "stacctl", kDaemon, "List I/O controllers");
  VolumeCommands volumes;
  AddVolumeCommands(ctl.app(), volumes);
  if (int rc = ctl.Parse(argc, argv); rc >= 0)
    return rc;
  if (std::optional<int> rc = ctl.RunCommon<StacProxy>())
    return *rc;
  if (std::optional<int> rc = RunVolumeCommand(ctl, volumes))
    return *rc;
  return ctl.Usage();
}

}  // namespace
}  // namespace stas::ctl

int main(int argc, char** argv) {
  return stas::ctl::GuardedMain("stacctl", stas::ctl::kDaemon,
                                [&] { return stas::ctl::Main(argc, argv); });
}
