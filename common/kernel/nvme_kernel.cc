// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/nvme_kernel.h"

#include "common/defs.h"

namespace stas {

// Same heuristics as nvme-stas (udev.py): old kernels have no cntrltype attribute, so a
// controller with namespaces is an I/O controller and one without is taken for a DC.
bool KernelDevice::IsDiscovery() const {
  if (!cntrltype.empty())
    return cntrltype == "discovery";
  return subsysnqn == kWellKnownDiscoveryNqn || !has_namespaces;
}

bool KernelDevice::IsIo() const {
  if (!cntrltype.empty())
    return cntrltype == "io";
  return has_namespaces;
}

}  // namespace stas
