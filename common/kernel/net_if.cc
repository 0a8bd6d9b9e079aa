// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/net_if.h"

#include <ifaddrs.h>

namespace stas {

InterfaceAddresses ReadInterfaceAddresses() {
  InterfaceAddresses out;
  ifaddrs* list = nullptr;
  // glibc builds this list from RTM_GETADDR dumps, so the order is the kernel's, which
  // is what stas iputil.net_if_addrs() relies on for the "primary" address.
  if (getifaddrs(&list) != 0)
    return out;
  for (const ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_name == nullptr)
      continue;
    std::optional<IpAddress> ip = IpAddress::FromSockaddr(ifa->ifa_addr);
    if (ip)
      out[ifa->ifa_name].push_back(*ip);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace stas
