// SPDX-License-Identifier: Apache-2.0
#include "common/controller/detailed_listing.h"

#include <algorithm>
#include <utility>

namespace stas {
namespace {

// After "connected", which it qualifies; at the end if a view has no "connected".
void AddState(Dict* details, std::string state) {
  auto connected = std::find_if(details->begin(), details->end(),
                                [](const auto& kv) { return kv.first == "connected"; });
  auto at = connected == details->end() ? details->end() : connected + 1;
  details->emplace(at, kKernelStateKey, std::move(state));
}

}  // namespace

void ListDetailed(BlockingRunner& runner, NvmeKernel& kernel, const Lifetime& owner,
                  std::vector<DetailsSnapshot> snapshots,
                  std::function<void(std::vector<Dict>)> done) {
  std::vector<std::string> devices;
  std::vector<Dict> dicts;
  devices.reserve(snapshots.size());
  dicts.reserve(snapshots.size());
  for (DetailsSnapshot& s : snapshots) {
    devices.push_back(std::move(s.device));
    dicts.push_back(std::move(s.details));
  }
  runner.RunBlocking<std::vector<std::string>>(
      owner,
      [devices = std::move(devices), &kernel]() {
        std::vector<std::string> states;
        states.reserve(devices.size());
        for (const std::string& device : devices)
          states.push_back(device.empty() ? std::string() : kernel.GetDeviceState(device));
        return states;
      },
      [dicts = std::move(dicts), done = std::move(done)](std::vector<std::string> states) mutable {
        for (size_t i = 0; i < dicts.size() && i < states.size(); ++i)
          AddState(&dicts[i], std::move(states[i]));
        done(std::move(dicts));
      });
}

}  // namespace stas
