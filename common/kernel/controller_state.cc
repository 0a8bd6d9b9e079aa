// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/controller_state.h"

#include <array>

#include "common/str_util.h"

namespace stas {

std::string ControllerStateFromSysfs(std::string_view text) {
  static constexpr std::array<std::string_view, 8> kKnown = {
      kCtrlStateLive,         kCtrlStateConnecting, kCtrlStateResetting, kCtrlStateDeleting,
      kCtrlStateDeletingNoIo, kCtrlStateDead,       kCtrlStateNew,       kCtrlStateUnknown};
  std::string_view state = Trim(text);
  if (state.empty())
    return "";
  for (std::string_view known : kKnown) {
    if (state == known)
      return std::string(known);
  }
  return std::string(kCtrlStateUnknown);
}

bool IsBeingDeleted(std::string_view state) {
  return state == kCtrlStateDeleting || state == kCtrlStateDeletingNoIo || state == kCtrlStateDead;
}

}  // namespace stas
