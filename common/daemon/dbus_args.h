// SPDX-License-Identifier: Apache-2.0
// Checks of D-Bus method arguments shared by stafd and stacd: a caller may send anything.
#pragma once

#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "common/config/config.h"
#include "common/result.h"
#include "common/tid.h"

namespace stas {

// Throws sdbus::Error(<iface>.Error.InvalidArgs) when one of the 7 controller-ID strings is
// not plausible (unknown transport, control characters, absurd length). `error_prefix` is
// "org.nvmexpress.staf" or "org.nvmexpress.stac".
void CheckControllerIdArgs(const std::string& error_prefix,
                           const std::vector<std::pair<const char*, const std::string*>>& args);

// Runs `fn`, turning any C++ exception but sdbus::Error into a D-Bus error (sdbus-c++ 1.2 only
// catches sdbus::Error: anything else would unwind through sd-bus's C frames).
template <class Fn>
auto GuardDbus(const std::string& error_prefix, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const sdbus::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw sdbus::Error(error_prefix + ".Error.Failed", e.what());
  }
}

// Checks the 7 strings by which controller_info and get_log_pages name a controller
// (CheckControllerIdArgs) and makes the TID they name, normalised as the daemon's own TIDs are
// (docs/compatibility.md, "Controller lookup on D-Bus"). host_nqn is taken as given, even
// empty: callers pass what list_controllers reported.
Tid TidFromDbusArgs(const std::string& error_prefix, const TidFields& args,
                    const TidDefaults& defaults);

// A controller a D-Bus caller names by a dict of the keys transport, traddr, trsvcid,
// host-traddr, host-iface, nqn and host-nqn (AttachVolume's portals and discovery controllers,
// Discovery1.SetVolumeDiscoveryControllers): every value printable ASCII of at most 512
// characters, checked as a controller= entry of daemon `d` (so that no value can add a connect
// option), and for tcp and rdma a trsvcid and an IP address (a caller's entry is connected as
// given, never looked up). `where` names it in the messages. An EINVAL error otherwise. Without
// nqn, stafd's entry is the well-known discovery NQN; stacd's needs one.
Result<ControllerEntry> ControllerEntryFromDict(Daemon d, const std::string& where,
                                                const std::map<std::string, std::string>& dict);

std::map<std::string, std::string> ToMap(const std::vector<std::pair<std::string, std::string>>& v);

}  // namespace stas
