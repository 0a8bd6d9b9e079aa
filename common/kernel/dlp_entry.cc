// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/dlp_entry.h"

#include <optional>
#include <string_view>

#include "common/ip_address.h"
#include "common/nvme_names.h"
#include "common/str_util.h"

namespace stas {
namespace {

// The names below are those of the switch statements in libnvme 1.3's Python typemap for
// struct nvmf_discovery_log (libnvme/nvme.i), which nvme-stas passes through str().strip().
// Each switch matches exact values and otherwise returns PyLong_FromLong(value), so an unlisted
// value shows as its decimal number. Two consequences kept here for compatibility:
//  - adrfam has no case for NVMF_ADDR_FAMILY_LOOP (254), so it shows "254", while trtype 254
//    shows "loop";
//  - treq is really a bitfield, but the switch has one case per single value, so
//    "required | disable sqflow" (5) or "not required | disable sqflow" (6) show "5" and "6".
std::string TrtypeName(uint8_t v) {
  switch (v) {
    case kTrtypeUnspecified:
      return "unspecified";
    case kTrtypeRdma:
      return "rdma";
    case kTrtypeFc:
      return "fc";
    case kTrtypeTcp:
      return "tcp";
    case kTrtypeLoop:
      return "loop";
    default:
      return std::to_string(v);
  }
}

std::string AdrfamName(uint8_t v) {
  switch (v) {
    case kAdrfamPci:
      return "pci";
    case kAdrfamIpv4:
      return "ipv4";
    case kAdrfamIpv6:
      return "ipv6";
    case kAdrfamInfiniband:
      return "infiniband";
    case kAdrfamFc:
      return "fc";
    default:
      return std::to_string(v);
  }
}

std::string SubtypeName(uint8_t v) {
  switch (v) {
    case kSubtypeReferral:
      return "referral";
    case kSubtypeNvme:
      return "nvme";
    case kSubtypeCurrentDc:
      return "discovery";
    default:
      return std::to_string(v);
  }
}

}  // namespace

void LogEntry::ApplyRequirements(ConnectOptions* options) const {
  if (trtype == kTrtypeTcp && (SecureChannelRequired() || sectype != kSectypeNone))
    options->tls = true;
}

namespace {

// libnvme's names (nvmf_sectype_str()), the number for any other value.
std::string SectypeName(uint8_t v) {
  switch (v) {
    case 0:
      return "none";
    case 1:
      return "tls";
    case 2:
      return "tls13";
    default:
      return std::to_string(v);
  }
}

std::string TreqName(uint8_t v) {
  switch (v) {
    case 0:
      return "not specified";
    case 1:
      return "required";
    case 2:
      return "not required";
    case kTreqDisableSqflow:
      return "disable sqflow";
    default:
      return std::to_string(v);
  }
}

// A field as it arrived, for a log line. Cut well above any valid value so that a hostile
// record cannot make a log line arbitrarily long.
std::string ShowField(std::string_view s) {
  constexpr size_t kMaxShown = kDlpeTraddrSize;
  if (s.size() <= kMaxShown)
    return "'" + Printable(s) + "'";
  return "'" + Printable(s.substr(0, kMaxShown)) + "'...(" + std::to_string(s.size()) + " bytes)";
}

std::string ShowRaw(const RawLogEntry& e) {
  return "trtype=" + std::to_string(e.trtype) + " adrfam=" + std::to_string(e.adrfam) +
         " subtype=" + std::to_string(e.subtype) + " treq=" + std::to_string(e.treq) +
         " portid=" + std::to_string(e.portid) + " traddr=" + ShowField(e.traddr) +
         " trsvcid=" + ShowField(e.trsvcid) + " subnqn=" + ShowField(e.subnqn);
}

// The rule for every string that may reach the connect string: CheckSafeToken() refuses
// controls, non-ASCII, blanks and ','; '=' is refused too because the kernel's option parser
// splits "key=value" tokens and a value is never meant to contain one.
std::optional<std::string> CheckChars(std::string_view s) {
  if (auto why = CheckSafeToken(s))
    return why;
  if (s.find('=') != std::string_view::npos) {
    return "contains '=' (it would inject an option into the connect string)";
  }
  return std::nullopt;
}

std::optional<std::string> CheckLength(std::string_view s, size_t field_size) {
  if (s.size() <= field_size)
    return std::nullopt;
  return "is " + std::to_string(s.size()) + " bytes long; the field holds " +
         std::to_string(field_size);
}

// tcp and rdma: what the kernel's inet_pton_with_scope() accepts, of the family the entry
// claims. Linux nvmet refuses tcp/rdma ports whose adrfam is not ipv4/ipv6; rdma over
// InfiniBand (adrfam ib) still addresses the target by IP (IPoIB via rdma_cm), so any family
// is accepted there.
std::optional<std::string> CheckIpTraddr(const LogEntry& e) {
  std::optional<IpAddress> ip = IpAddress::Parse(e.traddr);
  if (!ip)
    return "traddr is not an IP address";
  if (e.adrfam == kAdrfamIpv4 && ip->family() != 4)
    return "traddr is not IPv4 but adrfam is ipv4";
  if (e.adrfam == kAdrfamIpv6 && ip->family() != 6)
    return "traddr is not IPv6 but adrfam is ipv6";
  if (e.adrfam == kAdrfamIpv4 || e.adrfam == kAdrfamIpv6)
    return std::nullopt;
  if (e.trtype == kTrtypeRdma && e.adrfam == kAdrfamInfiniband)
    return std::nullopt;
  return "adrfam " + AdrfamName(e.adrfam) + " does not fit transport " + e.transport;
}

std::optional<std::string> CheckTransportRules(const LogEntry& e) {
  if (e.trtype == kTrtypeTcp || e.trtype == kTrtypeRdma) {
    if (auto why = CheckIpTraddr(e))
      return why;
    if (auto why = CheckPort(e.trsvcid))
      return "trsvcid " + *why;
  } else if (e.trtype == kTrtypeFc) {
    if (auto why = CheckFcAddress(e.traddr))
      return "traddr " + *why;
  }
  return std::nullopt;
}

// Checks one entry whose traddr is not a dropped one. Returns why it is refused, if it is.
std::optional<std::string> CheckEntry(const RawLogEntry& raw, const LogEntry& e) {
  // Lengths of the raw fields: a longer string cannot come from a real log page.
  if (auto why = CheckLength(raw.traddr, kDlpeTraddrSize))
    return "traddr " + *why;
  if (auto why = CheckLength(raw.trsvcid, kDlpeTrsvcidSize))
    return "trsvcid " + *why;
  if (auto why = CheckLength(raw.subnqn, kDlpeSubnqnSize))
    return "subnqn " + *why;
  if (e.subtype != kSubtypeReferral && e.subtype != kSubtypeNvme &&
      e.subtype != kSubtypeCurrentDc) {
    return "unknown subtype " + std::to_string(e.subtype);
  }
  if (auto why = CheckChars(e.traddr))
    return "traddr " + *why;
  // fc and loop ports may report an empty (or "none") trsvcid; the TID ignores it for them.
  if (!e.trsvcid.empty()) {
    if (auto why = CheckChars(e.trsvcid))
      return "trsvcid " + *why;
  }
  if (e.subnqn.empty())
    return "subnqn is empty";
  // No "nqn." prefix required: nvmet accepts any subsystem name ("starfleet").
  if (auto why = CheckNqn(e.subnqn, /*require_nqn_prefix=*/false))
    return "subnqn " + *why;
  if (auto why = CheckChars(e.subnqn))
    return "subnqn " + *why;
  return CheckTransportRules(e);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> LogEntry::AsDict() const {
  std::vector<std::pair<std::string, std::string>> d = {
      {"trtype", TrtypeName(trtype)},
      {"adrfam", AdrfamName(adrfam)},
      {"traddr", traddr},
      {"trsvcid", trsvcid},
      {"subnqn", subnqn},
      {"subtype", SubtypeName(subtype)},
      {"treq", TreqName(treq)},
      {"portid", std::to_string(portid)},
      {"cntlid", std::to_string(cntlid)},
      {"asqsz", std::to_string(asqsz)},
      {"eflags", std::to_string(eflags)},
  };
  if (sectype != kSectypeNone)
    d.emplace_back("sectype", SectypeName(sectype));
  return d;
}

ValidatedLog ValidateLogEntries(const std::vector<RawLogEntry>& raw) {
  ValidatedLog out;
  for (size_t i = 0; i < raw.size(); ++i) {
    const RawLogEntry& r = raw[i];
    LogEntry e;
    e.trtype = r.trtype;
    e.adrfam = r.adrfam;
    e.subtype = r.subtype;
    e.treq = r.treq;
    e.portid = r.portid;
    e.cntlid = r.cntlid;
    e.asqsz = r.asqsz;
    e.eflags = r.eflags;
    e.sectype = r.trtype == kTrtypeTcp ? r.tsas0 : kSectypeNone;
    e.transport = TrtypeName(r.trtype);
    // libnvme strips the space padding of traddr/trsvcid; nvme-stas then strip()s every value.
    e.traddr = std::string(Trim(r.traddr));
    e.trsvcid = std::string(Trim(r.trsvcid));
    e.subnqn = std::string(Trim(r.subnqn));

    // Compared as text, like nvme-stas: "::0" is not dropped here (and is a valid IP).
    if (e.traddr.empty() || e.traddr == "0.0.0.0" || e.traddr == "::") {
      ++out.dropped_unspecified_addr;
      continue;
    }
    if (auto why = CheckEntry(r, e)) {
      out.rejected.push_back(LogEntryProblem{i, std::move(*why), ShowRaw(r)});
      continue;
    }
    out.entries.push_back(std::move(e));
  }
  return out;
}

std::string DescribeEntry(const LogEntry& entry) {
  std::string addr = entry.traddr;
  bool is_ip = entry.trtype == kTrtypeTcp || entry.trtype == kTrtypeRdma;
  if (is_ip && addr.find(':') != std::string::npos)
    addr = "[" + addr + "]";
  // fc and loop have no service id (the TID forces it to ""), even if the DC reports "none".
  bool has_port = entry.trtype != kTrtypeFc && entry.trtype != kTrtypeLoop;
  if (has_port && !entry.trsvcid.empty())
    addr += ":" + entry.trsvcid;
  return entry.transport + " " + addr + " " + entry.subnqn;
}

namespace {

// A named value, or a decimal number (how AsDict() shows values it has no name for).
std::optional<long long> NamedOrNumber(const std::string& v,
                                       std::initializer_list<std::pair<const char*, int>> names) {
  for (const auto& [name, value] : names) {
    if (v == name)
      return value;
  }
  long long n = 0;
  if (!ParseInt(v, &n))
    return std::nullopt;
  return n;
}

}  // namespace

std::optional<RawLogEntry> RawEntryFromDict(const std::map<std::string, std::string>& d) {
  auto get = [&d](const char* key) -> const std::string* {
    auto it = d.find(key);
    return it == d.end() ? nullptr : &it->second;
  };
  for (const char* key : {"trtype", "adrfam", "traddr", "trsvcid", "subnqn", "subtype", "treq",
                          "portid", "cntlid", "asqsz", "eflags"}) {
    if (get(key) == nullptr)
      return std::nullopt;
  }
  auto trtype = NamedOrNumber(
      *get("trtype"), {{"unspecified", 0}, {"rdma", 1}, {"fc", 2}, {"tcp", 3}, {"loop", 254}});
  auto adrfam = NamedOrNumber(*get("adrfam"),
                              {{"pci", 0}, {"ipv4", 1}, {"ipv6", 2}, {"infiniband", 3}, {"fc", 4}});
  auto subtype = NamedOrNumber(*get("subtype"), {{"referral", 1}, {"nvme", 2}, {"discovery", 3}});
  auto treq = NamedOrNumber(
      *get("treq"),
      {{"not specified", 0}, {"required", 1}, {"not required", 2}, {"disable sqflow", 4}});
  auto portid = NamedOrNumber(*get("portid"), {});
  auto cntlid = NamedOrNumber(*get("cntlid"), {});
  auto asqsz = NamedOrNumber(*get("asqsz"), {});
  auto eflags = NamedOrNumber(*get("eflags"), {});
  auto in = [](const std::optional<long long>& v, long long max) {
    return v && *v >= 0 && *v <= max;
  };
  if (!in(trtype, 255) || !in(adrfam, 255) || !in(subtype, 255) || !in(treq, 255) ||
      !in(portid, 65535) || !in(cntlid, 65535) || !in(asqsz, 65535) || !in(eflags, 65535)) {
    return std::nullopt;
  }
  RawLogEntry e;
  e.trtype = static_cast<uint8_t>(*trtype);
  e.adrfam = static_cast<uint8_t>(*adrfam);
  e.subtype = static_cast<uint8_t>(*subtype);
  e.treq = static_cast<uint8_t>(*treq);
  e.portid = static_cast<uint16_t>(*portid);
  e.cntlid = static_cast<uint16_t>(*cntlid);
  e.asqsz = static_cast<uint16_t>(*asqsz);
  e.eflags = static_cast<uint16_t>(*eflags);
  if (const std::string* sectype = get("sectype")) {
    auto value = NamedOrNumber(*sectype, {{"none", 0}, {"tls", 1}, {"tls13", 2}});
    if (!in(value, 255))
      return std::nullopt;
    e.tsas0 = static_cast<uint8_t>(*value);
  }
  e.traddr = *get("traddr");
  e.trsvcid = *get("trsvcid");
  e.subnqn = *get("subnqn");
  return e;
}

std::vector<std::string> RejectedSummary(const std::vector<LogEntryProblem>& rejected,
                                         size_t max_shown) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < rejected.size() && i < max_shown; ++i) {
    const LogEntryProblem& p = rejected[i];
    lines.push_back("#" + std::to_string(p.index) + " (" + p.reason + "): " + p.shown);
  }
  if (rejected.size() > max_shown) {
    lines.push_back("... and " + std::to_string(rejected.size() - max_shown) +
                    " more refused entries (" + std::to_string(rejected.size()) + " in all)");
  }
  return lines;
}

}  // namespace stas
