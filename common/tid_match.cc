// SPDX-License-Identifier: Apache-2.0
#include "common/tid_match.h"

#include <optional>
#include <string_view>
#include <utility>

#include "common/defs.h"
#include "common/str_util.h"

namespace stas {
namespace {

MatchResult Match(std::string note = {}) {
  return {true, std::move(note)};
}
MatchResult Reject(std::string note) {
  return {false, std::move(note)};
}
MatchResult Differs(std::string_view what, const std::string& cand, const std::string& dev) {
  return Reject(std::string(what) + " " + cand + " != " + dev);
}

// Kernel >= 6.1: src_addr is the source address the connection really uses.
MatchResult MatchTcpBySrcAddr(const Tid& cand, const IpAddress& src,
                              const InterfaceAddresses& ifaddrs) {
  std::optional<IpAddress> want = IpAddress::Parse(cand.host_traddr());
  if (!cand.host_traddr().empty() && !(want && *want == src)) {
    return Reject("host_traddr " + cand.host_traddr() + " != src_addr " + src.ToString());
  }
  if (!cand.host_iface().empty()) {
    std::optional<std::string> owner = InterfaceOwning(ifaddrs, src);
    if (owner != cand.host_iface()) {
      return Reject("host_iface " + cand.host_iface() + " does not own src_addr " + src.ToString() +
                    " (" + owner.value_or("no interface") + " does)");
    }
  }
  return Match();
}

// Legacy kernels: the connection's source address is unknown, so infer it from what the
// connection was created with. Returns a rejection, or a match whose note lists assumptions.
MatchResult MatchLegacyHostTraddr(const Tid& cand, const KernelCtrl& dev,
                                  const InterfaceAddresses& ifaddrs) {
  if (!dev.host_traddr.empty()) {
    if (SameAddress(cand.host_traddr(), dev.host_traddr))
      return Match();
    return Differs("host_traddr", cand.host_traddr(), dev.host_traddr);
  }
  if (!dev.host_iface.empty()) {
    // Without a host_traddr the kernel used the interface's primary address of the family.
    std::optional<IpAddress> want = IpAddress::Parse(cand.host_traddr());
    if (!want)
      return Reject("host_traddr " + cand.host_traddr() + " is not an IP address");
    std::optional<IpAddress> primary =
        PrimaryAddress(ifaddrs, dev.host_iface, want->Unmapped().family());
    if (primary && *primary == *want)
      return Match();
    return Reject("host_traddr " + cand.host_traddr() + " is not the primary address of " +
                  dev.host_iface);
  }
  return Match("legacy kernel: no src_addr, host_traddr not comparable, assuming a match");
}

MatchResult MatchLegacyHostIface(const Tid& cand, const KernelCtrl& dev,
                                 const InterfaceAddresses& ifaddrs) {
  if (!dev.host_iface.empty()) {
    if (cand.host_iface() == dev.host_iface)
      return Match();
    return Differs("host_iface", cand.host_iface(), dev.host_iface);
  }
  if (!dev.host_traddr.empty()) {
    std::optional<IpAddress> ip = IpAddress::Parse(dev.host_traddr);
    std::optional<std::string> owner = ip ? InterfaceOwning(ifaddrs, *ip) : std::nullopt;
    if (owner == cand.host_iface())
      return Match();
    return Reject("host_iface " + cand.host_iface() + " does not own host_traddr " +
                  dev.host_traddr);
  }
  return Match("legacy kernel: no src_addr, host_iface not comparable, assuming a match");
}

MatchResult MatchTcpLegacy(const Tid& cand, const KernelCtrl& dev,
                           const InterfaceAddresses& ifaddrs) {
  std::string notes;
  if (!cand.host_traddr().empty()) {
    MatchResult r = MatchLegacyHostTraddr(cand, dev, ifaddrs);
    if (!r.matches)
      return r;
    notes = std::move(r.note);
  }
  if (!cand.host_iface().empty()) {
    MatchResult r = MatchLegacyHostIface(cand, dev, ifaddrs);
    if (!r.matches)
      return r;
    if (!r.note.empty())
      notes += (notes.empty() ? "" : "; ") + r.note;
  }
  return Match(std::move(notes));
}

MatchResult MatchHost(const Tid& cand, const KernelCtrl& dev, const InterfaceAddresses& ifaddrs) {
  const std::string& transport = cand.transport();
  if (transport == "tcp") {
    if (cand.host_traddr().empty() && cand.host_iface().empty())
      return Match();
    std::optional<IpAddress> src = IpAddress::Parse(dev.src_addr);
    return src ? MatchTcpBySrcAddr(cand, *src, ifaddrs) : MatchTcpLegacy(cand, dev, ifaddrs);
  }
  if (transport == "fc") {
    // host_traddr is mandatory for FC: it names the local port (nn-0x..:pn-0x..).
    if (ToLower(cand.host_traddr()) == ToLower(dev.host_traddr))
      return Match();
    return Differs("fc host_traddr", cand.host_traddr(), dev.host_traddr);
  }
  if (transport == "rdma" && !cand.host_traddr().empty() &&
      !SameAddress(cand.host_traddr(), dev.host_traddr)) {
    return Differs("rdma host_traddr", cand.host_traddr(), dev.host_traddr);
  }
  return Match();
}

}  // namespace

MatchResult MatchExistingCtrl(const Tid& cand, const KernelCtrl& dev,
                              const InterfaceAddresses& ifaddrs) {
  if (cand.transport() != dev.transport)
    return Differs("transport", cand.transport(), dev.transport);
  if (cand.trsvcid() != dev.trsvcid)
    return Differs("trsvcid", cand.trsvcid(), dev.trsvcid);
  if (cand.host_nqn() != dev.host_nqn)
    return Differs("host_nqn", cand.host_nqn(), dev.host_nqn);
  // TP8013: a DC reached through the well-known NQN may report its own unique NQN.
  if (cand.subsysnqn() != kWellKnownDiscoveryNqn && cand.subsysnqn() != dev.subsysnqn) {
    return Differs("subsysnqn", cand.subsysnqn(), dev.subsysnqn);
  }
  bool ip_transport = cand.transport() == "tcp" || cand.transport() == "rdma";
  bool same_traddr = ip_transport ? SameAddress(cand.traddr(), dev.traddr)
                                  : ToLower(cand.traddr()) == ToLower(dev.traddr);
  if (!same_traddr)
    return Differs("traddr", cand.traddr(), dev.traddr);
  return MatchHost(cand, dev, ifaddrs);
}

std::string HostIfaceInUse(const KernelCtrl& dev, const InterfaceAddresses& ifaddrs) {
  if (!dev.host_iface.empty() || dev.transport != "tcp")
    return dev.host_iface;
  std::optional<IpAddress> src = IpAddress::Parse(dev.src_addr);
  if (!src)
    return "";  // a kernel older than 6.1 does not say
  return InterfaceOwning(ifaddrs, *src).value_or("");
}

}  // namespace stas
