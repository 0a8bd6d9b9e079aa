// SPDX-License-Identifier: Apache-2.0
#include "tests/sim/sim_kernel_devices.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/atomic_file.h"
#include "common/log.h"

namespace stas::testing {

std::string KernelDevicesJson(std::vector<KernelDevice> devices) {
  std::sort(devices.begin(), devices.end(),
            [](const KernelDevice& a, const KernelDevice& b) { return a.name < b.name; });
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const KernelDevice& d : devices) {
    list.push_back({{"name", d.name},
                    {"subsysnqn", d.subsysnqn},
                    {"traddr", d.traddr},
                    {"trsvcid", d.trsvcid},
                    {"serial", d.serial},
                    {"state", d.state}});
  }
  return list.dump() + "\n";
}

KernelDevicesPublisher::KernelDevicesPublisher(std::shared_ptr<SimulatedKernel> kernel,
                                               std::string path)
    : kernel_(std::move(kernel)), path_(std::move(path)) {}

void KernelDevicesPublisher::Start(EventLoop& loop) {
  Publish();
  Poll(loop);
}

void KernelDevicesPublisher::Poll(EventLoop& loop) {
  (void)loop.AddTimer(kPollInterval, [this, &loop] {
    Publish();
    Poll(loop);
  });
}

void KernelDevicesPublisher::Publish() {
  std::string text = KernelDevicesJson(kernel_->ListDevices());
  if (text == written_)
    return;
  Status s = EnsureParentDirectory(path_);
  if (s)
    s = WriteFileAtomic(path_, text, 0644);
  if (!s) {
    LOG_ERROR("sim: %s", s.error().message.c_str());
    return;
  }
  written_ = std::move(text);
}

}  // namespace stas::testing
