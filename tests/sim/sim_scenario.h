// SPDX-License-Identifier: Apache-2.0
// The JSON scenario that drives the simulated kernel of the test harness daemons:
// {"connect_latency_ms": 0, "ports": [{"traddr": "192.0.2.1", "trsvcid": "8009",
//   "dctype": "ddc", "up": true, "subsystems": ["nqn..."],
//   "log": [{"subnqn": "...", "traddr": "...", "trsvcid": "4420", "subtype": 2,
//            "eflags": 0, "trtype": 3, "adrfam": 1}]}]}
#pragma once

#include <string>

#include "common/result.h"
#include "common/testing/simulated_kernel.h"

namespace stas::testing {

// Adds the scenario's ports to `kernel` (first load) or updates their logs, subsystems and
// state, adding new ports (later loads: a changed log sends AENs as nvmet does).
Status ApplyScenarioFile(const std::string& path, SimulatedKernel& kernel, bool first);

}  // namespace stas::testing
