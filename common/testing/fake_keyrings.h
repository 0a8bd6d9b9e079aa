// SPDX-License-Identifier: Apache-2.0
// The kernel's keyrings as common/kernel/tls_keyring.h sees them: named keyrings and their keys,
// in memory, with errors to inject. Not thread-safe: one test thread, or the caller's lock.
#pragma once

#include <cerrno>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "common/kernel/tls_keyring.h"

namespace stas {

// A configured PSK (SHA-256) for tests: libnvme's test key (common/tls_psk_test.cc).
inline constexpr const char* kTestTlsKey =
    "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:";

class FakeKeyrings : public Keyrings {
 public:
  struct Key {
    std::string type;
    std::string description;
    PskBytes payload;
    KeySerial ring = 0;
  };

  KeySerial AddKeyring(const std::string& name) {
    KeySerial serial = next_++;
    rings_[name] = serial;
    return serial;
  }

  Result<KeySerial> Find(const std::string& name) override {
    if (find_error_ != 0)
      return Fail(find_error_, "find");
    auto it = rings_.find(name);
    if (it == rings_.end())
      return Fail(ENOKEY, "find");
    return it->second;
  }
  Result<KeySerial> Add(const std::string& type, const std::string& description,
                        std::span<const uint8_t> payload, KeySerial keyring) override {
    if (add_error_ != 0)
      return Fail(add_error_, "add_key");
    // add_key(2): a key of the same type and description is displaced.
    for (auto it = keys_.begin(); it != keys_.end(); ++it) {
      if (it->second.ring == keyring && it->second.type == type &&
          it->second.description == description) {
        keys_.erase(it);
        break;
      }
    }
    KeySerial serial = next_++;
    keys_[serial] = {type, description, PskBytes(payload.begin(), payload.end()), keyring};
    return serial;
  }
  Result<std::vector<KeySerial>> Members(KeySerial keyring) override {
    std::vector<KeySerial> out;
    for (const auto& [serial, key] : keys_) {
      if (key.ring == keyring)
        out.push_back(serial);
    }
    return out;
  }
  Result<std::string> Describe(KeySerial serial) override {
    auto it = keys_.find(serial);
    if (it == keys_.end() || it->second.type == "hidden")
      return Fail(EACCES, "describe");
    return it->second.type + ";0;0;3f010000;" + it->second.description;
  }
  Status Unlink(KeySerial serial, KeySerial keyring) override {
    auto it = keys_.find(serial);
    if (it == keys_.end() || it->second.ring != keyring)
      return Fail(ENOENT, "unlink");
    keys_.erase(it);
    return {};
  }

  std::map<KeySerial, Key> keys_;
  std::map<std::string, KeySerial> rings_;
  int find_error_ = 0;
  int add_error_ = 0;

 private:
  KeySerial next_ = 100;
};

}  // namespace stas
