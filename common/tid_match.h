// SPDX-License-Identifier: Apache-2.0
// Decides whether a controller the kernel already has (made by nvme-cli, a previous run, or
// the initramfs) can be adopted for a candidate Tid instead of connecting again
// (reference §4.8, stas udev.py _cid_matches_tid). Pure functions; thread-safe.
#pragma once

#include <string>

#include "common/ip_address.h"
#include "common/tid.h"

namespace stas {

// What the kernel reports for an existing controller, as udev/sysfs give it.
struct KernelCtrlRaw {
  std::string trtype{};       // udev NVME_TRTYPE
  std::string traddr{};       // udev NVME_TRADDR
  std::string trsvcid{};      // udev NVME_TRSVCID
  std::string host_traddr{};  // udev NVME_HOST_TRADDR
  std::string host_iface{};   // udev NVME_HOST_IFACE
  std::string subsysnqn{};    // sysfs subsysnqn
  std::string hostnqn{};      // sysfs hostnqn
  std::string address{};  // sysfs address: "traddr=..,trsvcid=..[,host_traddr=..][,src_addr=..]"
};

// An existing controller's connection parameters, cleaned up. Empty means "not set".
struct KernelCtrl {
  std::string transport{};
  std::string traddr{};
  std::string trsvcid{};
  std::string host_traddr{};
  std::string host_iface{};
  std::string subsysnqn{};
  std::string host_nqn{};
  std::string src_addr{};  // the connection's source address; only kernels >= 6.1 report it

  // Trims every value, turns "none" (any case) into "", and takes src_addr from `address`.
  static KernelCtrl FromRaw(const KernelCtrlRaw& raw);
};

struct MatchResult {
  bool matches = false;
  // Why it did not match, or what was assumed for a match; empty for a clean match.
  // Meant for a debug log line.
  std::string note;
};

// Applies the §4.8 rules in order: transport/trsvcid/host_nqn; subsysnqn (skipped when the
// candidate uses the well-known discovery NQN, since a TP8013 DC reports its unique NQN);
// traddr; then host_traddr/host_iface per transport. For tcp on kernels without src_addr,
// what cannot be checked is assumed to match, and `note` says so.
MatchResult MatchExistingCtrl(const Tid& candidate, const KernelCtrl& dev,
                              const InterfaceAddresses& ifaddrs);

}  // namespace stas
