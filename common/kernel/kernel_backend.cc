// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/kernel_backend.h"

#include "common/kernel/nvme_kernel_libnvme.h"
#include "common/kernel/udev_events.h"

namespace stas {

KernelBackend MakeRealKernelBackend(GlibEventLoop& loop) {
  KernelBackend b;
  b.kernel = std::make_shared<NvmeKernelLibnvme>();
  b.events = std::make_shared<UdevKernelEvents>(loop);
  b.set_trace = [](bool on) {
    NvmeKernelLibnvme::SetTrace(on);
  };
  return b;
}

}  // namespace stas
