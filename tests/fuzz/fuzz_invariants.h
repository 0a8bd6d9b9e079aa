// SPDX-License-Identifier: Apache-2.0
// The contract every fuzz target checks on what a parser ACCEPTS, written independently of
// the validators it checks (no call into common/nvme_names.h or IpAddress): a value that
// reaches a Tid or a ConnectRequest ends up in the connect string written to /dev/nvme-fabrics
// ("nqn=...,transport=tcp,traddr=...,trsvcid=...", common/kernel/connect_string.h), which
// refuses a ',' or a control character itself; still, the value must not be able to add or
// change an option, and must mean to the kernel what it means to us.
// A violation prints what was wrong and traps, which libFuzzer reports as a crash and saves
// as a reproducer.
#pragma once

#include <arpa/inet.h>
#include <cstdio>
#include <string>
#include <string_view>

#include "common/kernel/dlp_entry.h"
#include "common/tid.h"

namespace stas::fuzz {

[[noreturn]] inline void Violated(const char* what, std::string_view value) {
  std::fprintf(stderr, "INVARIANT VIOLATED: %s: '", what);
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f)
      std::fputc(c, stderr);
    else
      std::fprintf(stderr, "\\x%02x", u);
  }
  std::fprintf(stderr, "'\n");
  __builtin_trap();
}

inline void Require(bool ok, const char* what, std::string_view value = {}) {
  if (!ok)
    Violated(what, value);
}

// Printable ASCII without blank and ',': the kernel splits options on ',' and nothing may
// hide a separator or a control character. Empty is not a value.
inline bool IsSafeToken(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == ',')
      return false;
  }
  return true;
}

// What a log line may hold: printable ASCII only (no newline to forge another line).
inline bool IsPrintable(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f)
      return false;
  }
  return true;
}

// A port as the kernel reads it: inet_pton_with_scope() calls kstrtou16(port, 0, ...), base 0,
// so "04420" is octal 2320 and "0x1144" hex. Only 1..65535 in plain decimal without a leading
// zero means the same to the kernel as to us (and gives one Tid per port).
inline bool IsCanonicalPort(std::string_view s) {
  if (s.empty() || s.size() > 5 || s[0] == '0')
    return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v >= 1 && v <= 65535;
}

// 4 or 6 for an IP literal (an IPv6 one may carry a "%zone"), 0 otherwise. inet_pton, as the
// kernel's in4_pton/in6_pton, accepts no brackets, ports or names.
inline int IpFamily(std::string_view text) {
  unsigned char buf[16];
  std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), buf) == 1)
    return 4;
  if (size_t pct = s.find('%'); pct != std::string::npos)
    s.resize(pct);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1)
    return 6;
  return 0;
}

inline bool IsHexDigits(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
      return false;
  }
  return !s.empty();
}

// "nn-0x<16 hex>:pn-0x<16 hex>", case-insensitive.
inline bool IsFcAddress(std::string_view s) {
  auto prefix = [](std::string_view v, std::string_view p) {
    if (v.size() < p.size())
      return false;
    for (size_t i = 0; i < p.size(); ++i) {
      char c = v[i];
      if (c >= 'A' && c <= 'Z')
        c = static_cast<char>(c - 'A' + 'a');
      if (c != p[i])
        return false;
    }
    return true;
  };
  return s.size() == 43 && prefix(s, "nn-0x") && IsHexDigits(s.substr(5, 16)) &&
         prefix(s.substr(21), ":pn-0x") && IsHexDigits(s.substr(27));
}

// Every field of a Tid that is set is a safe token: each may be written into the connect
// string (host_traddr, host_iface and host_nqn too). tcp/rdma always have a port (Tid::Make
// fills in the default); whether it is a canonical one is up to the parser that made it.
inline void CheckTid(const Tid& tid) {
  for (const auto& [key, value] : tid.CoreFields()) {
    if (!value.empty())
      Require(IsSafeToken(value), "Tid field is not a safe token", key + "=" + value);
  }
  if (tid.transport() == "tcp" || tid.transport() == "rdma")
    Require(!tid.trsvcid().empty(), "tcp/rdma Tid without a port");
}

// dlp_entry.h's promise for a LogEntry that ValidateLogEntries() accepted.
inline void CheckLogEntry(const LogEntry& e) {
  Require(IsSafeToken(e.traddr), "traddr is not a safe token", e.traddr);
  Require(e.traddr.find('=') == std::string::npos, "traddr has '='", e.traddr);
  Require(e.traddr != "0.0.0.0" && e.traddr != "::", "unspecified traddr kept", e.traddr);
  Require(IsSafeToken(e.subnqn), "subnqn is not a safe token", e.subnqn);
  Require(e.subnqn.find('=') == std::string::npos, "subnqn has '='", e.subnqn);
  Require(e.subnqn.size() <= 223, "subnqn longer than an NQN", e.subnqn);
  if (!e.trsvcid.empty()) {
    Require(IsSafeToken(e.trsvcid), "trsvcid is not a safe token", e.trsvcid);
    Require(e.trsvcid.find('=') == std::string::npos, "trsvcid has '='", e.trsvcid);
  }
  Require(e.subtype >= 1 && e.subtype <= 3, "unknown subtype kept");
  if (e.trtype == kTrtypeTcp || e.trtype == kTrtypeRdma) {
    Require(e.transport == (e.trtype == kTrtypeTcp ? "tcp" : "rdma"), "transport name",
            e.transport);
    int family = IpFamily(e.traddr);
    Require(family != 0, "tcp/rdma traddr is not an IP literal", e.traddr);
    if (e.adrfam == kAdrfamIpv4)
      Require(family == 4, "adrfam ipv4 with a non-IPv4 traddr", e.traddr);
    else if (e.adrfam == kAdrfamIpv6)
      Require(family == 6, "adrfam ipv6 with a non-IPv6 traddr", e.traddr);
    else
      Require(e.trtype == kTrtypeRdma && e.adrfam == kAdrfamInfiniband,
              "tcp/rdma entry with a non-IP adrfam", e.traddr);
    Require(IsCanonicalPort(e.trsvcid), "tcp/rdma trsvcid is not a canonical port", e.trsvcid);
  } else if (e.trtype == kTrtypeFc) {
    Require(e.transport == "fc", "transport name", e.transport);
    Require(IsFcAddress(e.traddr), "fc traddr is not nn-0x..:pn-0x..", e.traddr);
  }
  // What stacd builds from it (StacService::Discovered) and stafd for a referral.
  CheckTid(Tid::Make({.transport = e.transport,
                      .traddr = e.traddr,
                      .trsvcid = e.trsvcid,
                      .subsysnqn = e.subnqn,
                      .host_nqn = std::string()},
                     TidDefaults{}));
}

// Everything ValidateLogEntries() says about a log: each raw entry is accounted for once, each
// accepted entry keeps the contract, each rejection is loggable as one line.
inline void CheckValidatedLog(size_t raw_count, const ValidatedLog& v) {
  Require(v.entries.size() + v.rejected.size() + v.dropped_unspecified_addr == raw_count,
          "entries lost or counted twice");
  for (const LogEntry& e : v.entries)
    CheckLogEntry(e);
  for (const LogEntryProblem& p : v.rejected) {
    Require(p.index < raw_count, "rejected index out of range");
    Require(IsPrintable(p.reason), "rejection reason is not printable", p.reason);
    Require(IsPrintable(p.shown), "rejected entry shown with non-printable bytes", p.shown);
  }
}

}  // namespace stas::fuzz
