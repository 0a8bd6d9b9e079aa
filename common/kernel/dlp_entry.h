// SPDX-License-Identifier: Apache-2.0
// Discovery log page entries (DLPEs): the edge where untrusted records from a discovery
// controller become typed, checked values. ValidateLogEntries() trims, drops and rejects exactly
// once, so that nothing downstream (Tid, connect requests, D-Bus replies, the LKC) ever sees a
// traddr, trsvcid or subnqn that could inject an option into the string libnvme writes to
// /dev/nvme-fabrics. Pure functions and plain values; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/kernel/nvme_kernel.h"

namespace stas {

// Field sizes of struct nvmf_disc_log_entry (NVMe-oF spec; libnvme nvme/types.h).
inline constexpr size_t kDlpeTrsvcidSize = 32;
inline constexpr size_t kDlpeSubnqnSize = 256;  // CheckNqn() then limits it to 223 bytes
inline constexpr size_t kDlpeTraddrSize = 256;

// Values of the numeric fields (libnvme enum nvmf_trtype, nvmf_addr_family, nvme_subsys_type,
// nvmf_treq, nvmf_disc_eflags).
inline constexpr uint8_t kTrtypeUnspecified = 0;
inline constexpr uint8_t kTrtypeRdma = 1;
inline constexpr uint8_t kTrtypeFc = 2;
inline constexpr uint8_t kTrtypeTcp = 3;
inline constexpr uint8_t kTrtypeLoop = 254;
inline constexpr uint8_t kAdrfamPci = 0;
inline constexpr uint8_t kAdrfamIpv4 = 1;
inline constexpr uint8_t kAdrfamIpv6 = 2;
inline constexpr uint8_t kAdrfamInfiniband = 3;
inline constexpr uint8_t kAdrfamFc = 4;
inline constexpr uint8_t kSubtypeReferral = 1;   // NVME_NQN_DISC: another discovery controller
inline constexpr uint8_t kSubtypeNvme = 2;       // NVME_NQN_NVME: an I/O subsystem
inline constexpr uint8_t kSubtypeCurrentDc = 3;  // NVME_NQN_CURR: the DC serving this log
// TREQ is a bitfield: bits 1:0 secure channel (0 not specified, 1 required, 2 not required),
// bit 2 "SQ flow control disable supported".
inline constexpr uint8_t kTreqDisableSqflow = 1 << 2;
inline constexpr uint8_t kTreqSecureChannelMask = 0x3;
inline constexpr uint8_t kTreqSecureChannelRequired = 1;
// TSAS SECTYPE of an NVMe/TCP entry (TP8011): the port's security; TLS 1.2 or 1.3 is TLS.
inline constexpr uint8_t kSectypeNone = 0;
inline constexpr uint16_t kEflagsEpcsd =
    1 << 1;  // Explicit Persistent Connection Support for Discovery (TP8014)
inline constexpr uint16_t kEflagsNcc = 1 << 2;  // Not Connected to CDC (TP8010)

// One validated DLPE. Strings are trimmed and safe to hand to libnvme: traddr and subnqn are
// non-empty printable ASCII without ',', '=' or blanks, as is trsvcid unless it is empty (only
// possible for transports other than tcp/rdma). For tcp/rdma, traddr is an IP literal of the
// family adrfam names and trsvcid a port 1..65535; for fc, traddr is an FC address. Other
// transports are kept (stafd/stacd drop them later, as nvme-stas does) with only the character
// rules applied. subtype is 1, 2 or 3.
struct LogEntry {
  uint8_t trtype = 0;
  uint8_t adrfam = 0;
  uint8_t subtype = 0;
  uint8_t treq = 0;
  uint16_t portid = 0;
  uint16_t cntlid = 0;
  uint16_t asqsz = 0;
  uint16_t eflags = 0;
  uint8_t sectype = 0;    // TSAS SECTYPE for tcp entries; 0 for every other transport
  std::string transport;  // trtype as the D-Bus dict shows it: "tcp", "rdma", "fc", "loop", "7"...
  std::string traddr;
  std::string trsvcid;
  std::string subnqn;

  bool IsReferral() const { return subtype == kSubtypeReferral; }
  bool IsIoSubsystem() const { return subtype == kSubtypeNvme; }
  bool IsCurrentDc() const { return subtype == kSubtypeCurrentDc; }
  bool Ncc() const { return (eflags & kEflagsNcc) != 0; }
  // TREQ says a secure channel is required: for NVMe/TCP, TLS (TP8011). Such an entry is
  // connected with TLS, or not at all (ConnectOptions::tls).
  bool SecureChannelRequired() const {
    return (treq & kTreqSecureChannelMask) == kTreqSecureChannelRequired;
  }
  // The connect options the entry itself asks for: TLS on tcp when SecureChannelRequired(), or
  // when its TSAS says the port's security is TLS (as libnvme decides since 1.11: the port
  // speaks TLS, so a clear connect could only fail, or not be what the target meant).
  void ApplyRequirements(ConnectOptions* options) const;

  // The DLPE dict of get_log_pages / get_all_log_pages, as nvme-stas builds it from the libnvme
  // 1.3 Python binding: keys trtype, adrfam, traddr, trsvcid, subnqn, subtype, treq, portid,
  // cntlid, asqsz, eflags in that order, and then, only for a tcp entry whose TSAS names a
  // security type, sectype ("tls", "tls13" as libnvme names them; the binding had no TSAS:
  // stacd needs it, and an entry without it is as nvme-stas showed it). Enum fields use the
  // binding's names and fall back to the decimal number for values its switch does not list (adrfam
  // 254 gives "254"; a treq with several bits set, such as 6, gives "6").
  std::vector<std::pair<std::string, std::string>> AsDict() const;

  friend bool operator==(const LogEntry&, const LogEntry&) = default;
};

// Why one raw entry was refused. `index` is its position in the raw log; `shown` is the whole
// raw record rendered for a log line (non-printable bytes as \xNN, long fields cut).
struct LogEntryProblem {
  size_t index = 0;
  std::string reason;
  std::string shown;
};

struct ValidatedLog {
  std::vector<LogEntry> entries;          // accepted, in log order
  std::vector<LogEntryProblem> rejected;  // refused; the caller logs RejectedSummary()
  // Entries whose trimmed traddr is "", "0.0.0.0" or "::": nvme-stas drops these silently
  // (ctrl.py _on_get_log_success), so they are counted, not reported.
  size_t dropped_unspecified_addr = 0;
};

// Validates and normalises a discovery log page as received from the kernel.
ValidatedLog ValidateLogEntries(const std::vector<RawLogEntry>& raw);

// The inverse of LogEntry::AsDict(): a raw entry from the dict another process (stafd) sent,
// to be validated with ValidateLogEntries(). nullopt if a key is missing or a value unknown.
std::optional<RawLogEntry> RawEntryFromDict(const std::map<std::string, std::string>& dict);

// What to log about refused entries, a line each: the first `max_shown` as "#N (reason): entry",
// then "... and K more refused entries (M in all)". A DC may send 65,536 bad entries on each
// fetch; the log gets a bounded summary, not a line per entry. Empty when nothing was refused.
std::vector<std::string> RejectedSummary(const std::vector<LogEntryProblem>& rejected,
                                         size_t max_shown = 5);

// One line for logs: "tcp 192.0.2.1:4420 nqn.x", "tcp [2001:db8::1]:4420 nqn.x",
// "fc nn-0x...:pn-0x... nqn.x" (no ":port" when trsvcid is empty).
std::string DescribeEntry(const LogEntry& entry);

}  // namespace stas
