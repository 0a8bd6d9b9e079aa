// SPDX-License-Identifier: Apache-2.0
// KernelIndex: which of the kernel's controllers belong to which subsystem, shared by the
// connects of one daemon. Before each connect, a controller looks for an existing kernel
// controller to adopt (connect_or_adopt.h); finding the candidates by reading every
// controller's subsysnqn for each connect would make a burst of N connects read sysfs N × N
// times. The index reads each controller's subsysnqn once and is read again when the daemon
// starts a reconciliation pass (Invalidate()), when it is older than kMaxAge, or when a connect
// is refused as a duplicate. Between two reads a controller someone else creates may be missed:
// the kernel refuses an exact duplicate with EALREADY, on which ConnectOrAdopt() reads the
// index again and adopts it; the window is the one any check-then-connect has, only longer.
// Thread-safe: used from worker threads; Invalidate() from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/kernel/nvme_kernel.h"

namespace stas {

class KernelIndex {
 public:
  static constexpr std::chrono::milliseconds kMaxAge{1000};

  explicit KernelIndex(NvmeKernel& kernel) : kernel_(kernel) {}

  // The next lookup reads the kernel's controllers again.
  void Invalidate();
  // The names of the kernel's controllers of `subsysnqn`, or of every controller if it is
  // empty, as of the last read (which this call makes if the index is invalid or too old).
  // A name may be gone, or recycled for another subsystem, by the time it is used.
  std::vector<std::string> ControllersOf(const std::string& subsysnqn);
  // How many times the kernel's controllers were listed (for tests and the benchmark).
  std::size_t reads() const;

 private:
  NvmeKernel& kernel_;
  mutable std::mutex mu_;
  bool valid_ = false;
  std::chrono::steady_clock::time_point read_at_{};
  std::map<std::string, std::vector<std::string>> by_nqn_;
  std::vector<std::string> all_;
  std::size_t reads_ = 0;
};

}  // namespace stas
