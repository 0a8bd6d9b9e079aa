// SPDX-License-Identifier: Apache-2.0
#include "common/config/name_resolution.h"

#include <algorithm>
#include <netdb.h>
#include <sys/socket.h>

#include "common/config/exclude.h"
#include "common/ip_address.h"
#include "common/log.h"

namespace stas {

bool IsIpTransport(const std::string& t) {
  return t == "tcp" || t == "rdma";
}

std::vector<std::string> ResolveWithGetaddrinfo(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::vector<std::string> out;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &res) != 0)
    return out;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (auto ip = IpAddress::FromSockaddr(ai->ai_addr)) {
      std::string s = ip->ToString();
      if (std::find(out.begin(), out.end(), s) == out.end())
        out.push_back(s);
    }
  }
  freeaddrinfo(res);
  return out;
}

std::vector<std::string> NamesToResolve(const std::vector<ControllerEntry>& entries) {
  std::vector<std::string> names;
  for (const ControllerEntry& e : entries) {
    if (IsIpTransport(e.transport) && !IpAddress::Parse(e.traddr) &&
        std::find(names.begin(), names.end(), e.traddr) == names.end()) {
      names.push_back(e.traddr);
    }
  }
  return names;
}

std::optional<std::string> TraddrFor(const ControllerEntry& e, const ResolvedNames& resolved,
                                     const IpFamilies& families) {
  if (!IsIpTransport(e.transport) || IpAddress::Parse(e.traddr))
    return e.traddr;
  auto it = resolved.find(e.traddr);
  if (it != resolved.end()) {
    for (int want : {4, 6}) {
      if ((want == 4 && !families.ipv4) || (want == 6 && !families.ipv6))
        continue;
      for (const std::string& a : it->second) {
        if (auto ip = IpAddress::Parse(a); ip && ip->family() == want)
          return a;
      }
    }
  }
  LOG_ERROR("Cannot resolve host name \"%s\" (controller= at line %d); skipped for now",
            e.traddr.c_str(), e.line);
  return std::nullopt;
}

bool CandidateAllowed(const Tid& tid, const ServiceConfig& config) {
  if (IsExcluded(tid, config.excludes)) {
    LOG_DEBUG("%s excluded by the configuration", tid.ToString().c_str());
    return false;
  }
  if (tid.transport() == "fc" || tid.transport() == "loop")
    return true;
  if (!IsIpTransport(tid.transport())) {
    LOG_WARNING("%s Invalid transport %s", tid.ToString().c_str(), tid.transport().c_str());
    return false;
  }
  std::optional<IpAddress> ip = IpAddress::Parse(tid.traddr());
  if (!ip) {
    LOG_WARNING("%s Invalid traddr: not an IP address", tid.ToString().c_str());
    return false;
  }
  int family = ip->Unmapped().family();
  if ((family == 4 && !config.ip_family.ipv4) || (family == 6 && !config.ip_family.ipv6)) {
    LOG_DEBUG("%s excluded based on the \"ip-family\" setting", tid.ToString().c_str());
    return false;
  }
  return true;
}

}  // namespace stas
