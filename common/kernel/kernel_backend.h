// SPDX-License-Identifier: Apache-2.0
// How a daemon gets its kernel edge: the real one (libnvme + udev) in production, the
// simulated one in the test harness. Created after the event loop, which events need.
#pragma once

#include <functional>
#include <memory>

#include "common/kernel/nvme_kernel.h"
#include "common/loop/glib_event_loop.h"

namespace stas {

struct KernelBackend {
  std::shared_ptr<NvmeKernel> kernel;
  std::shared_ptr<KernelEvents> events;
  std::function<void(bool)> set_trace;  // libnvme's own debug logging; may be empty
};

using KernelBackendFactory = std::function<KernelBackend(GlibEventLoop& loop)>;

// libnvme 1.3 + libudev ("kernel" uevent source: works without udevd).
// The real kernel edge: libnvme and sysfs, and a udev monitor of the "nvme" subsystem (and of
// "block" disks with `disk_events`: stacd finds its volumes' block devices by them).
KernelBackend MakeRealKernelBackend(GlibEventLoop& loop, bool disk_events = false);

}  // namespace stas
