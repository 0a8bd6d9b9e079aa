// SPDX-License-Identifier: Apache-2.0
// Coexistence with nvme-cli (docs/compatibility.md, "Coexistence with nvme-cli"): while stafd
// runs, nvme-cli's udev rule that
// runs `nvme connect-all` on discovery AENs is overridden, and stafd starts nvme-cli's
// nvmf-connect@ service itself for the discovery controllers it does not manage.
#pragma once

#include <string>

#include "common/kernel/nvme_kernel.h"

namespace stas::staf {

// Writes the override rule; a stale one left by a crashed stafd is replaced. Logs failures.
void InstallUdevRuleOverride(const std::string& path);
void RemoveUdevRuleOverride(const std::string& path);

// The nvmf-connect@ instance for an unmanaged DC's event, e.g.
// "nvmf-connect@--device\x3dnvme3\x09--host-traddr\x3d10.0.0.1.service" (literal backslashes).
std::string NvmfConnectUnit(const KernelEvent& ev);
// Runs `systemctl --quiet --no-block restart <unit>` without waiting; logs if it cannot.
void StartNvmfConnect(const KernelEvent& ev);

}  // namespace stas::staf
