// SPDX-License-Identifier: Apache-2.0
// The discovery log page read, as the specification asks and within DiscoveryLogLimits: the
// header, then the entries in 4 KiB Get Log Page commands with Retain Asynchronous Event set,
// then the header again with RAE cleared; again when the generation counter moved meanwhile.
// The commands themselves are a seam (NvmeKernelLibnvme issues them on /dev/nvmeN, tests
// serve a page from memory), and so is the clock, so that the deadline is tested without
// waiting. Thread-safe; runs on a worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "common/kernel/nvme_kernel.h"
#include "common/result.h"

namespace stas {

// One Get Log Page command for the discovery log: `len` bytes at `offset` into `buf`, with
// RAE as given; a failure ends the read with that error.
using LogChunkReader = std::function<Status(uint64_t offset, void* buf, uint32_t len, bool rae)>;
using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

Result<DiscoveryLogPage> ReadDiscoveryLog(const LogChunkReader& read,
                                          const DiscoveryLogLimits& limits,
                                          const SteadyNow& now = std::chrono::steady_clock::now);

}  // namespace stas
