// SPDX-License-Identifier: Apache-2.0
// The states of a kernel NVMe controller, as its sysfs `state` attribute names them
// (drivers/nvme/host/core.c, nvme_sysfs_show_state()), and what they mean to stafd and stacd.
//
// A controller is "live" when it carries I/O. When the transport fails, the kernel moves it to
// "resetting" and then "connecting", retries every reconnect-delay seconds and deletes it
// ("deleting", "deleting (no IO)", then gone, with a remove uevent) once ctrl-loss-tmo has
// passed; a dead PCIe controller is "dead"; "new" is a controller not started yet. Only the
// return to "live" comes with a uevent (NVME_EVENT=connected).
#pragma once

#include <string>
#include <string_view>

namespace stas {

inline constexpr std::string_view kCtrlStateLive = "live";
inline constexpr std::string_view kCtrlStateConnecting = "connecting";
inline constexpr std::string_view kCtrlStateResetting = "resetting";
inline constexpr std::string_view kCtrlStateDeleting = "deleting";
inline constexpr std::string_view kCtrlStateDeletingNoIo = "deleting (no IO)";
inline constexpr std::string_view kCtrlStateDead = "dead";
inline constexpr std::string_view kCtrlStateNew = "new";
// What the kernel itself prints for a state it has no name for.
inline constexpr std::string_view kCtrlStateUnknown = "unknown state";

// The text of a sysfs `state` attribute as one of the names above: surrounding white space
// removed, "" for an empty text (no attribute), and kCtrlStateUnknown for anything that is
// not a known name. The text is untrusted (it reaches D-Bus callers): nothing else gets
// through, whatever its length or bytes.
std::string ControllerStateFromSysfs(std::string_view text);

// Whether the kernel is tearing the controller down ("deleting", "deleting (no IO)", "dead").
// The kernel's duplicate-connect check (nvmf_ctlr_matches_baseopts()) ignores such a
// controller, so a new connect to the same target succeeds: it is never adopted.
bool IsBeingDeleted(std::string_view state);

}  // namespace stas
