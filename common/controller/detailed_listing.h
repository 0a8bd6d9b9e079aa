// SPDX-License-Identifier: Apache-2.0
// The detailed view of a daemon's controllers, as list_controllers(detailed=True) gives it:
// each controller's Details() plus kKernelStateKey, the kernel's state of its device at the
// time of the call ("live", "connecting", "resetting"..., controller_state.h), or "" when it
// has no device. "connected" keeps nvme-stas 2.x's meaning (a device is recorded); "state"
// says whether that device carries I/O or the kernel is still reconnecting it. The kernel
// sends no event when a controller loses its transport, so only a read of sysfs at the time
// of the question can tell.
//
// Reading sysfs may block, so it runs on a worker: the Details() are taken on the loop thread
// when asked, the states are read right after, and the dicts come back on the loop thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/controller/controller.h"
#include "common/kernel/nvme_kernel.h"
#include "common/loop/blocking_runner.h"
#include "common/loop/lifetime.h"

namespace stas {

inline constexpr const char* kKernelStateKey = "state";

// One controller's Details() and the device it records, taken on the loop thread.
struct DetailsSnapshot {
  Dict details;
  std::string device;
};

template <class T>
std::vector<DetailsSnapshot> SnapshotDetails(const std::vector<const T*>& controllers) {
  std::vector<DetailsSnapshot> out;
  out.reserve(controllers.size());
  for (const T* c : controllers)
    out.push_back(DetailsSnapshot{c->Details(), c->device()});
  return out;
}

template <class T>
std::vector<Dict> IdDicts(const std::vector<const T*>& controllers) {
  std::vector<Dict> out;
  out.reserve(controllers.size());
  for (const T* c : controllers)
    out.push_back(c->IdDict());
  return out;
}

// Reads the kernel's state of each snapshot's device on a worker of `runner`, adds it to the
// details (after "connected") and hands them to `done` on the loop thread, in the same order;
// `done` is dropped if `owner` has ended by then. Loop thread only.
void ListDetailed(BlockingRunner& runner, NvmeKernel& kernel, const Lifetime& owner,
                  std::vector<DetailsSnapshot> snapshots,
                  std::function<void(std::vector<Dict>)> done);

}  // namespace stas
