// SPDX-License-Identifier: Apache-2.0
// The keys of process_info (docs/compatibility.md, "process_info") that stafd and stacd
// share, and what the .debug interface of both needs to answer them.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/kernel/nvme_kernel.h"

namespace stas {

struct ProcessInfoSource {
  HostInfo host;
  std::string state_path;              // "last known config file"
  std::function<void(bool)> set_tron;  // applies the trace flag (logging and libnvme)
  // The firmware's NBFT tables (NbftStatusJson()); null when there are none: then the key is
  // not shown, as in nvme-stas 2.x.
  nlohmann::ordered_json nbft = nullptr;
};

// tron, log-level, host identity (the host key redacted), state file, soak timer, kernel
// support, in nvme-stas's order; then what nvme-stas 2.x did not show: the kernel's support of
// DH-HMAC-CHAP and TLS, and its option table. The daemon appends its own keys.
nlohmann::ordered_json ProcessInfoBase(const ProcessInfoSource& source,
                                       const std::string& soak_timer, const KernelFeatures& kernel);

// A controller's ordered key/value list as a JSON object (keys keep their order).
nlohmann::ordered_json DictJson(const std::vector<std::pair<std::string, std::string>>& dict);

}  // namespace stas
