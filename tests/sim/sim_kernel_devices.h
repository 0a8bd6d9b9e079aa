// SPDX-License-Identifier: Apache-2.0
// The simulated kernel's controllers, published for the test that runs a sim daemon. The test
// process cannot see the daemon's SimulatedKernel, so it cannot tell a controller the daemon
// disconnected from one it only logged about; the daemon therefore writes the kernel's device
// list to a file whenever the list changes, and once more after it has stopped.
//
// The file is a JSON array ordered by device name, one object per controller:
//   [{"name": "nvme0", "subsysnqn": "...", "traddr": "192.0.2.20", "trsvcid": "4420",
//     "serial": "sim1", "state": "live"}]
// It is replaced atomically, so a reader sees one list or the next, never half of one.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/kernel/nvme_kernel.h"
#include "common/loop/event_loop.h"
#include "common/testing/simulated_kernel.h"

namespace stas::testing {

// The file's text for `devices`.
std::string KernelDevicesJson(std::vector<KernelDevice> devices);

// Writes `kernel`'s device list to `path` when it differs from what was written last.
// SimulatedKernel has no change callback, so the daemon's loop polls it. Loop thread only;
// must outlive the EventLoop it polls on (the loop's destructor drops the pending poll).
class KernelDevicesPublisher {
 public:
  // Often enough that a test waiting for a disconnect sees it at once; the list is in memory,
  // so a poll costs a mutex and a copy.
  static constexpr std::chrono::milliseconds kPollInterval{20};

  KernelDevicesPublisher(std::shared_ptr<SimulatedKernel> kernel, std::string path);

  // Publishes now, then polls on `loop` every kPollInterval until the loop is destroyed.
  void Start(EventLoop& loop);
  // Writes the list if it changed; errors go to the log (the waiting test then times out).
  void Publish();

 private:
  void Poll(EventLoop& loop);

  std::shared_ptr<SimulatedKernel> kernel_;
  std::string path_;
  std::string written_;  // the text last written; "" before the first write
};

}  // namespace stas::testing
