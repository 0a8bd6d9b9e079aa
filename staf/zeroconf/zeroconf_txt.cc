// SPDX-License-Identifier: Apache-2.0
#include "staf/zeroconf/zeroconf_txt.h"

#include <cerrno>

#include "common/defs.h"
#include "common/nvme_names.h"
#include "common/str_util.h"

namespace stas::staf {
namespace {

// Longest TXT text quoted in a log line; the rest is elided.
constexpr std::size_t kMaxQuoted = 64;

std::string Quote(std::string_view s) {
  if (s.size() > kMaxQuoted)
    return Printable(s.substr(0, kMaxQuoted)) + "...";
  return Printable(s);
}

bool IsUsedKey(std::string_view lower_key) {
  return lower_key == "p" || lower_key == "nqn";
}

// The lower-cased text before the first '=', to tell whether a dropped entry mattered.
std::string KeyOf(std::string_view entry) {
  return ToLower(entry.substr(0, entry.find('=')));
}

// Why `entry` cannot be a key=value pair, or nullopt.
std::optional<std::string> CheckEntry(std::string_view entry) {
  if (entry.size() > kMaxTxtEntryLength) {
    return "longer than " + std::to_string(kMaxTxtEntryLength) + " bytes";
  }
  for (char c : entry) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      return std::string("contains a control character");
    if (u > 0x7f)
      return std::string("contains a non-ASCII byte");
  }
  const std::size_t eq = entry.find('=');
  if (eq == std::string_view::npos)
    return std::string("has no '='");
  if (entry.find('=', eq + 1) != std::string_view::npos)
    return std::string("has more than one '='");
  if (eq == 0)
    return std::string("has an empty key");
  return std::nullopt;
}

}  // namespace

const std::string* TxtDict::Find(const std::string& key) const {
  auto it = pairs.find(key);
  return it == pairs.end() ? nullptr : &it->second;
}

std::string TxtDict::ToString() const {
  std::string out = "{";
  for (const auto& [key, value] : pairs) {
    if (out.size() > 1)
      out += ", ";
    out += Quote(key);
    out += '=';
    out += Quote(value);
  }
  return out + "}";
}

TxtDict ParseTxt(const std::vector<std::string>& entries) {
  TxtDict out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::string_view entry = entries[i];
    const std::string where = "entry " + std::to_string(i) + " (" + Quote(entry) + ")";
    if (i >= kMaxTxtEntries) {
      out.problems.push_back(where + ": more than " + std::to_string(kMaxTxtEntries) +
                             " entries; ignored");
      if (IsUsedKey(KeyOf(entry)))
        out.important_problem = true;
      continue;
    }
    if (auto why = CheckEntry(entry)) {
      out.problems.push_back(where + ": " + *why + "; ignored");
      if (IsUsedKey(KeyOf(entry)))
        out.important_problem = true;
      continue;
    }
    const std::size_t eq = entry.find('=');
    std::string key = ToLower(entry.substr(0, eq));
    std::string value(entry.substr(eq + 1));
    auto [it, inserted] = out.pairs.try_emplace(key, value);
    if (!inserted) {
      // stas builds a Python dict: a later duplicate replaces the earlier value.
      std::string problem = where;
      problem += ": duplicate key '" + key + "' replaces '";
      problem += Quote(it->second);
      problem += "'";
      out.problems.push_back(std::move(problem));
      if (IsUsedKey(key))
        out.important_problem = true;
      it->second = std::move(value);
    }
  }
  return out;
}

std::optional<std::string> TransportFromProtocol(std::string_view p) {
  const std::string proto = ToLower(Trim(p));
  if (proto == "tcp")
    return std::string("tcp");
  if (proto == "roce" || proto == "iwarp" || proto == "rdma")
    return std::string("rdma");
  return std::nullopt;
}

TidFields ZeroconfIdentity::ToTidFields() const {
  TidFields f;
  f.transport = transport;
  f.traddr = traddr;
  f.trsvcid = trsvcid();
  f.subsysnqn = subsysnqn;
  f.host_iface = host_iface;
  return f;
}

std::vector<std::pair<std::string, std::string>> ZeroconfIdentity::AsDict() const {
  return {{"transport", transport},
          {"traddr", traddr},
          {"trsvcid", trsvcid()},
          {"host-iface", host_iface},
          {"subsysnqn", subsysnqn}};
}

Result<ZeroconfIdentity> ParseIdentity(std::string_view ifname, std::string_view address, int port,
                                       const TxtDict& txt, bool kernel_tp8013) {
  const std::string where =
      "address=" + Quote(address) + ", iface=" + Quote(ifname) + ", TXT=" + txt.ToString();
  const std::string* p = txt.Find("p");
  std::optional<std::string> transport = p ? TransportFromProtocol(*p) : std::nullopt;
  if (!transport) {
    return Fail(EINVAL, "Received invalid/undefined protocol in mDNS TXT field: " + where);
  }
  std::optional<IpAddress> ip = IpAddress::Parse(Trim(address));
  // IpAddress::Parse() accepts and drops an IPv6 zone ("%eth0"); Avahi never reports one, so
  // anything but the bare literal is refused here.
  if (!ip || Trim(address).find('%') != std::string_view::npos) {
    return Fail(EINVAL, "Invalid address in mDNS record: " + where);
  }
  if (port < 1 || port > 65535) {
    return Fail(EINVAL, "Invalid port " + std::to_string(port) + " in mDNS record: " + where);
  }
  if (auto why = CheckInterfaceName(ifname)) {
    return Fail(EINVAL, "Invalid interface name " + Quote(ifname) + " (" + *why + "): " + where);
  }
  std::string subsysnqn = kWellKnownDiscoveryNqn;
  if (kernel_tp8013) {
    if (const std::string* nqn = txt.Find("nqn")) {
      std::string_view trimmed = Trim(*nqn);
      if (!trimmed.empty()) {
        if (auto why = CheckNqn(trimmed, /*require_nqn_prefix=*/false)) {
          return Fail(EINVAL, "Invalid nqn in mDNS TXT field (" + *why + "): " + where);
        }
        subsysnqn = std::string(trimmed);
      }
    }
  }
  ZeroconfIdentity id{
      .transport = *transport,
      .ip = *ip,
      .traddr = ip->ToString(),
      .port = static_cast<std::uint16_t>(port),
      .host_iface = *transport == "tcp" ? std::string(ifname) : std::string(),
      .subsysnqn = std::move(subsysnqn),
  };
  return id;
}

}  // namespace stas::staf
