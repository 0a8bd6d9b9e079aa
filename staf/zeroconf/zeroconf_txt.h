// SPDX-License-Identifier: Apache-2.0
// What an mDNS (TP8009) announcement of a discovery controller says, parsed and validated.
//
// Everything here comes from the network: any host on the link can announce a service with any
// TXT records. ParseTxt() decodes the TXT strings the way nvme-stas's _txt2dict does, but only
// keeps printable ASCII; ParseIdentity() turns a resolved service into the fields of a DC
// candidate (docs/compatibility.md, "mDNS discovery"): transport from `p=`, traddr/trsvcid from
// the resolved address and
// port, host-iface from the interface for tcp, subsysnqn from `nqn=` (TP8013). What it accepts
// cannot inject an option into the connect string libnvme writes to /dev/nvme-fabrics.
// Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "common/tid.h"

namespace stas::staf {

// A DNS TXT string has a one-byte length; anything longer cannot come from the wire.
inline constexpr std::size_t kMaxTxtEntryLength = 255;
// TP8009 announcements carry two or three keys; more than this is noise or an attack.
inline constexpr std::size_t kMaxTxtEntries = 64;

// The TXT records as a dictionary, as stas's _txt2dict builds it.
struct TxtDict {
  // Lower-case key -> value as given (not trimmed). Of duplicate keys (compared after
  // lower-casing) the last one wins, as in the Python dict of nvme-stas.
  std::map<std::string, std::string> pairs;
  // One line per dropped entry or replaced duplicate, for the log: "entry 2 (\x01p=tcp): ...".
  std::vector<std::string> problems;
  // True if a dropped entry or a duplicate concerns `p` or `nqn`, the keys stas uses.
  bool important_problem = false;

  const std::string* Find(const std::string& key) const;
  // "{nqn=..., p=tcp}", printable, for log lines.
  std::string ToString() const;
};

// Decodes TXT strings ("key=value" byte strings). An entry is dropped when it is longer than
// kMaxTxtEntryLength, is not printable ASCII (control characters, DEL, bytes >= 0x80), does not
// split on '=' into exactly two parts (so a value with '=' is refused, as in stas), or has an
// empty key. Entries past kMaxTxtEntries are dropped.
TxtDict ParseTxt(const std::vector<std::string>& entries);

// The transport for a `p=` value, trimmed and case-insensitive: "tcp" -> "tcp";
// "roce", "iwarp", "rdma" -> "rdma"; anything else -> nullopt.
std::optional<std::string> TransportFromProtocol(std::string_view p);

// A resolved service, validated: the fields of a DC candidate. No host-traddr, no host-nqn
// (the daemon's default host NQN applies), as in stas.
struct ZeroconfIdentity {
  std::string transport;   // "tcp" or "rdma"
  IpAddress ip;            // the resolved address
  std::string traddr;      // ip.ToString()
  std::uint16_t port = 0;  // 1..65535
  std::string host_iface;  // the interface for tcp, "" for rdma (stas: host-iface is tcp only)
  std::string subsysnqn;   // `nqn=` if the kernel supports TP8013 and it is given, else the WKDN

  std::string trsvcid() const { return std::to_string(port); }
  TidFields ToTidFields() const;
  // The stas `data` dict (one entry of process_info's "services"), in its order: transport,
  // traddr,
  // trsvcid, host-iface, subsysnqn.
  std::vector<std::pair<std::string, std::string>> AsDict() const;
  friend bool operator==(const ZeroconfIdentity&, const ZeroconfIdentity&) = default;
};

// Validates a resolved service. `ifname` is the name of the interface it was found on,
// `address` the resolved address as text, `port` the resolved port. Fails with EINVAL when:
//   `p=` is missing or unknown ("invalid/undefined protocol in mDNS TXT field", as stas logs);
//   the address is not an IPv4/IPv6 literal; the port is not 1..65535;
//   the interface name is not a valid Linux interface name;
//   `nqn=` (used only when `kernel_tp8013`) is not a valid NQN after trimming.
// An empty `nqn=` means the well-known discovery NQN (stas would keep "" and later fill it in).
Result<ZeroconfIdentity> ParseIdentity(std::string_view ifname, std::string_view address, int port,
                                       const TxtDict& txt, bool kernel_tp8013);

}  // namespace stas::staf
