// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/kernel_backend.h"

#include "common/kernel/nvme_kernel_libnvme.h"
#include "common/kernel/udev_events.h"

namespace stas {

KernelBackend MakeRealKernelBackend(GlibEventLoop& loop, bool disk_events) {
  KernelBackend b;
  b.kernel = std::make_shared<NvmeKernelLibnvme>();
  std::vector<std::string> subsystems{"nvme"};
  if (disk_events)
    subsystems.emplace_back("block");
  b.events = std::make_shared<UdevKernelEvents>(loop, "kernel", std::move(subsystems));
  b.set_trace = [](bool on) {
    NvmeKernelLibnvme::SetTrace(on);
  };
  return b;
}

}  // namespace stas
