// SPDX-License-Identifier: Apache-2.0
// The contract of a controller= entry that common/config/config.h accepted
// (ParseControllerEntry(): CheckIdentity()), checked independently: every field reaches the
// Tid and the connect string of a configured controller.
#pragma once

#include <string_view>

#include "common/config/config.h"
#include "tests/fuzz/fuzz_invariants.h"

namespace stas::fuzz {

// A host name as CheckHostname() allows it (labels of letters, digits, '-', '_').
inline bool IsHostnameChars(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok)
      return false;
  }
  return !s.empty();
}

inline void CheckAddressFor(std::string_view transport, std::string_view addr, const char* what) {
  Require(IsSafeToken(addr), what, addr);
  if (transport == "fc")
    Require(IsFcAddress(addr), what, addr);
  else
    Require(IpFamily(addr) != 0 || IsHostnameChars(addr), what, addr);
}

inline void CheckControllerEntry(Daemon d, const ControllerEntry& c) {
  const std::string& t = c.transport;
  Require(t == "tcp" || t == "rdma" || t == "fc" || t == "loop", "unknown transport kept", t);
  if (t != "loop")
    Require(!c.traddr.empty(), "traddr missing");
  if (!c.traddr.empty())
    CheckAddressFor(t, c.traddr, "controller= traddr");
  if (!c.trsvcid.empty()) {
    Require(t == "tcp" || t == "rdma", "trsvcid kept for a transport without ports", t);
    Require(IsCanonicalPort(c.trsvcid), "controller= trsvcid is not a canonical port", c.trsvcid);
  }
  if (!c.host_traddr.empty())
    CheckAddressFor(t, c.host_traddr, "controller= host-traddr");
  if (!c.host_iface.empty()) {
    Require(IsSafeToken(c.host_iface) && c.host_iface.size() <= 15 &&
                c.host_iface.find_first_of("/:=") == std::string::npos,
            "controller= host-iface is not an interface name", c.host_iface);
  }
  Require(IsSafeToken(c.subsysnqn) && c.subsysnqn.size() <= 223, "controller= nqn", c.subsysnqn);
  if (d == Daemon::kStafd)
    Require(!c.subsysnqn.empty(), "stafd entry without an NQN");
  if (c.host_nqn) {
    Require(
        IsSafeToken(*c.host_nqn) && c.host_nqn->size() <= 223 && c.host_nqn->rfind("nqn.", 0) == 0,
        "controller= host-nqn", *c.host_nqn);
  }
  for (const auto* secret : {&c.dhchap_secret, &c.dhchap_ctrl_secret}) {
    if (*secret) {
      Require(IsSafeToken(**secret) && (*secret)->rfind("DHHC-1:", 0) == 0,
              "controller= DH-HMAC-CHAP secret", **secret);
    }
  }
  for (const auto& [key, value] : c.extras)
    Require(IsSafeToken(value), "controller= option value is not a safe token", key + "=" + value);
  CheckTid(Tid::Make({.transport = c.transport,
                      .traddr = c.traddr,
                      .trsvcid = c.trsvcid,
                      .subsysnqn = c.subsysnqn,
                      .host_traddr = c.host_traddr,
                      .host_iface = c.host_iface,
                      .host_nqn = c.host_nqn},
                     TidDefaults{.ignore_iface = false, .host_nqn = "nqn.2014-08.org.x:host"}));
}

inline void CheckDiagnostics(const Diagnostics& diags) {
  for (const Diagnostic& d : diags)
    Require(IsPrintable(d.message), "a diagnostic is not one printable line", d.message);
}

}  // namespace stas::fuzz
