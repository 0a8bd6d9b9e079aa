// SPDX-License-Identifier: Apache-2.0
#include "common/controller/kernel_index.h"

namespace stas {

void KernelIndex::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  valid_ = false;
}

std::vector<std::string> KernelIndex::ControllersOf(const std::string& subsysnqn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  // Read under the lock: the connects that need it meanwhile would only read it too.
  if (!valid_ || now - read_at_ > kMaxAge) {
    by_nqn_.clear();
    all_.clear();
    for (auto& [name, nqn] : kernel_.ListSubsysNqns()) {
      all_.push_back(name);
      by_nqn_[nqn].push_back(std::move(name));
    }
    valid_ = true;
    read_at_ = now;
    ++reads_;
  }
  if (subsysnqn.empty())
    return all_;
  auto it = by_nqn_.find(subsysnqn);
  return it == by_nqn_.end() ? std::vector<std::string>{} : it->second;
}

std::size_t KernelIndex::reads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reads_;
}

}  // namespace stas
