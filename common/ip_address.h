// SPDX-License-Identifier: Apache-2.0
// IpAddress: an IPv4 or IPv6 address parsed from text, the C++ side of stas's iputil
// (get_ipaddress_obj, ip_equal, get_interface). Plain value type; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sockaddr;

namespace stas {

class IpAddress {
 public:
  // Accepts IPv4 dotted quads and IPv6 literals (inet_pton). An IPv6 zone suffix
  // ("fe80::1%eth0") is accepted and dropped. Brackets, ports and names are not accepted.
  static std::optional<IpAddress> Parse(std::string_view text);

  // Converts an AF_INET/AF_INET6 socket address; nullopt for any other family or null.
  static std::optional<IpAddress> FromSockaddr(const struct sockaddr* sa);

  // 4 or 6, as stored: "::ffff:1.2.3.4" is 6 (see Unmapped()).
  int family() const { return family_; }

  // Canonical text from inet_ntop ("2001:db8::1", "::ffff:1.2.3.4"), without a zone.
  std::string ToString() const;

  bool IsV4Mapped() const;
  // The IPv4 address for an IPv4-mapped IPv6 address, else a copy of this one.
  IpAddress Unmapped() const;

  // Compares the unmapped forms, like stas ip_equal(): "::ffff:10.0.0.1" == "10.0.0.1".
  friend bool operator==(const IpAddress& a, const IpAddress& b);

 private:
  IpAddress() = default;

  int family_ = 4;
  std::array<uint8_t, 16> bytes_{};  // network order; IPv4 uses the first 4
};

// ifname -> addresses in kernel order. The first address of a family is the interface's
// primary address, the one the kernel picks as source by default.
// Whether two address texts name one address: IP literals compared as parsed values (IPv6 has
// many spellings, an IPv4-mapped address is the IPv4 one); other text (a host name, an FC
// address) compared case-insensitively.
bool SameAddress(std::string_view a, std::string_view b);

using InterfaceAddresses = std::map<std::string, std::vector<IpAddress>>;

// The interface that holds `ip` (IPv4-mapped equivalence applies); nullopt if none does.
std::optional<std::string> InterfaceOwning(const InterfaceAddresses& ifaddrs, const IpAddress& ip);

// The first address of `family` (4 or 6) on `ifname`; nullopt if the interface has none.
std::optional<IpAddress> PrimaryAddress(const InterfaceAddresses& ifaddrs,
                                        const std::string& ifname, int family);

}  // namespace stas
