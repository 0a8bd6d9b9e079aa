// SPDX-License-Identifier: Apache-2.0
#include "common/ip_address.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/str_util.h"

namespace stas {
namespace {

// ::ffff:0:0/96 (RFC 4291 2.5.5.2).
constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; a string_view may not be one.
  std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes_.data()) == 1) {
    ip.family_ = 4;
    return ip;
  }
  // The zone only names the link a link-local address belongs to; the kernel reports
  // addresses without it, so it plays no part in comparisons. An empty zone is a typo.
  size_t pct = s.find('%');
  if (pct != std::string::npos) {
    if (pct + 1 == s.size())
      return std::nullopt;
    s.resize(pct);
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes_.data()) == 1) {
    ip.family_ = 6;
    return ip;
  }
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::FromSockaddr(const struct sockaddr* sa) {
  if (sa == nullptr)
    return std::nullopt;
  IpAddress ip;
  if (sa->sa_family == AF_INET) {
    // memcpy: sockaddr* may not be suitably aligned for a sockaddr_in cast.
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof(sin));
    std::memcpy(ip.bytes_.data(), &sin.sin_addr, 4);
    ip.family_ = 4;
    return ip;
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof(sin6));
    std::memcpy(ip.bytes_.data(), &sin6.sin6_addr, 16);
    ip.family_ = 6;
    return ip;
  }
  return std::nullopt;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family_ == 4 ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
  return buf;
}

bool IpAddress::IsV4Mapped() const {
  return family_ == 6 && std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), bytes_.begin());
}

IpAddress IpAddress::Unmapped() const {
  if (!IsV4Mapped())
    return *this;
  IpAddress v4;
  v4.family_ = 4;
  std::copy(bytes_.begin() + 12, bytes_.end(), v4.bytes_.begin());
  return v4;
}

bool operator==(const IpAddress& a, const IpAddress& b) {
  IpAddress ua = a.Unmapped();
  IpAddress ub = b.Unmapped();
  return ua.family_ == ub.family_ && ua.bytes_ == ub.bytes_;
}

bool SameAddress(std::string_view a, std::string_view b) {
  std::optional<IpAddress> ia = IpAddress::Parse(a);
  std::optional<IpAddress> ib = IpAddress::Parse(b);
  if (ia && ib)
    return *ia == *ib;
  return ToLower(a) == ToLower(b);
}

std::optional<std::string> InterfaceOwning(const InterfaceAddresses& ifaddrs, const IpAddress& ip) {
  for (const auto& [ifname, addrs] : ifaddrs) {
    if (std::find(addrs.begin(), addrs.end(), ip) != addrs.end())
      return ifname;
  }
  return std::nullopt;
}

std::optional<IpAddress> PrimaryAddress(const InterfaceAddresses& ifaddrs,
                                        const std::string& ifname, int family) {
  auto it = ifaddrs.find(ifname);
  if (it == ifaddrs.end())
    return std::nullopt;
  for (const IpAddress& addr : it->second) {
    if (addr.Unmapped().family() == family)
      return addr.Unmapped();
  }
  return std::nullopt;
}

}  // namespace stas
