// SPDX-License-Identifier: Apache-2.0
// The kernel controllers the firmware made when it booted the host from NVMe/TCP, as its NBFT
// tables describe them (nbft.h), and what the daemons do with them: register them in the
// ownership registry as owner "nbft" when nobody owns them, which is what keeps stas from ever
// disconnecting them (the host's root disk may be on one); and, when stafd is asked to, turn
// the tables' discovery records into discovery controllers to keep.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/controller/ownership_registry.h"
#include "common/firmware/nbft.h"
#include "common/kernel/nvme_kernel.h"

namespace stas {

// Whether `dev` is the connection an NBFT subsystem record describes: same transport, address
// (IPv4-mapped compared as IPv4), port and subsystem, and, when the table names a host NQN,
// that host NQN (the boot identity may differ from /etc/nvme/hostnqn).
bool IsNbftConnection(const KernelDevice& dev, const NbftFile& table);

// Claims for kOwnerNbft every kernel controller that an NBFT subsystem or discovery record
// describes and that has no registry entry; an entry of another owner is left alone. Blocking
// (lists the kernel's controllers): a worker, or start-up before the loop runs. Returns one
// line per controller found, for the log.
std::vector<std::string> ClaimNbftConnections(NvmeKernel& kernel, const OwnershipRegistry& registry,
                                              const std::vector<NbftFile>& tables);

// The NBFT discovery records as stafd `controller=` entries (transport, address, port, the
// record's NQN or the well-known one, the table's host NQN as host-nqn). `iface_of_mac` gives
// the OS interface of an HFI's MAC and VLAN ("" when none): the entry's host-iface. Records
// without a usable address are left out.
std::vector<ControllerEntry> NbftDiscoveryEntries(
    const std::vector<NbftFile>& tables,
    const std::function<std::string(const std::string& mac, uint16_t vlan)>& iface_of_mac);

// What process_info shows: {"tables": [{"file": path, <NbftToJson()>}...], "problems": [...]}
// (the tables refused and the records dropped); null when there is neither.
nlohmann::ordered_json NbftStatusJson(const std::vector<NbftFile>& tables,
                                      const Diagnostics& problems);

// The interface whose /sys/class/net/<name>/address is `mac` (case-insensitive): with `vlan`
// 0 not a VLAN interface, else the VLAN interface of that VLAN ID (/proc/net/vlan/<name>).
// "" if none, or if several match (the ports of a bond share a MAC).
std::string InterfaceOfMac(const std::string& mac, uint16_t vlan,
                           const std::string& net_dir = "/sys/class/net",
                           const std::string& vlan_dir = "/proc/net/vlan");

}  // namespace stas
