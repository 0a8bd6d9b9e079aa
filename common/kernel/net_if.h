// SPDX-License-Identifier: Apache-2.0
// Reads the host's interface addresses: the OS edge behind InterfaceAddresses.
#pragma once

#include "common/ip_address.h"

namespace stas {

// Every interface that has at least one IPv4 or IPv6 address, addresses in the order
// getifaddrs() returns them (the kernel's order, so the first of a family is the primary).
// Returns an empty map if getifaddrs() fails. Blocking (a netlink round trip); thread-safe.
InterfaceAddresses ReadInterfaceAddresses();

}  // namespace stas
