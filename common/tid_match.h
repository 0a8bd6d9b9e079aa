// SPDX-License-Identifier: Apache-2.0
// Decides whether a controller the kernel already has (made by nvme-cli, a previous run, or
// the initramfs) can be adopted for a candidate Tid instead of connecting again
// (stas udev.py _cid_matches_tid). Pure functions; thread-safe. The rules are in
// docs/compatibility.md, "Adopting existing kernel connections".
#pragma once

#include <string>

#include "common/ip_address.h"
#include "common/tid.h"

namespace stas {

// An existing controller's connection parameters as the kernel reports them, already cleaned up
// by the kernel edge (trimmed, "none" turned into ""; see ParseAddressAttribute in
// common/kernel/nvme_kernel_libnvme.h). Empty means "not set".
struct KernelCtrl {
  std::string transport{};
  std::string traddr{};
  std::string trsvcid{};
  std::string host_traddr{};
  std::string host_iface{};
  std::string subsysnqn{};
  std::string host_nqn{};
  std::string src_addr{};  // the connection's source address; only kernels >= 6.1 report it
};

struct MatchResult {
  bool matches = false;
  // Why it did not match, or what was assumed for a match; empty for a clean match.
  // Meant for a debug log line.
  std::string note;
};

// Applies nvme-stas's rules in order: transport/trsvcid/host_nqn; subsysnqn (skipped when the
// candidate uses the well-known discovery NQN, since a TP8013 DC reports its unique NQN);
// traddr; then host_traddr/host_iface per transport. For tcp on kernels without src_addr,
// what cannot be checked is assumed to match, and `note` says so.
MatchResult MatchExistingCtrl(const Tid& candidate, const KernelCtrl& dev,
                              const InterfaceAddresses& ifaddrs);

// The interface a kernel controller uses, for the identity of an adopted connection
// (nvme-stas udev._get_host_iface()): its host_iface when it was made with one; for tcp
// without one, the interface that owns its src_addr (IPv4-mapped IPv6 equal to IPv4); else "".
std::string HostIfaceInUse(const KernelCtrl& dev, const InterfaceAddresses& ifaddrs);

}  // namespace stas
