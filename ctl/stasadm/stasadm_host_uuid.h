// SPDX-License-Identifier: Apache-2.0
// Where `stasadm hostnqn` gets the host's UUID (docs/compatibility.md, "stasadm"), in
// nvme-stas's order:
//  1. /etc/machine-id, hashed (see AppSpecificUuid()): stable, and needs no privilege;
//  2. only root may go on (the DMI file is mode 0400): otherwise "Permission denied";
//  3. /sys/class/dmi/id/product_uuid, its first three fields byte-swapped (SMBIOS stores them
//     little-endian: DMTF SMBIOS 3.0 §7.2.1);
//  4. /proc/device-tree/ibm,partition-uuid (IBM Power LPARs), as is;
//  5. a random UUID.
// A source that is missing, unreadable or malformed is skipped. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace stas::ctl {

// The files read; tests point them at their own files.
struct HostUuidSources {
  std::string machine_id = "/etc/machine-id";
  std::string product_uuid = "/sys/class/dmi/id/product_uuid";
  std::string partition_uuid = "/proc/device-tree/ibm,partition-uuid";
};

// The UUID for the host NQN. `is_root`: whether the caller may read the root-only sources.
// Fails with EACCES and nvme-stas's "Permission denied. Root privileges required." (plus why)
// when the machine ID is unusable and `is_root` is false.
Result<std::string> HostUuid(const HostUuidSources& sources, bool is_root);

// The DMI product UUID in network byte order, or nullopt when `text` is not a UUID or is one
// of the "not set" values firmware leaves there (all zeros, all ones), which would give many
// hosts the same NQN.
std::optional<std::string> DmiProductUuid(std::string_view text);

}  // namespace stas::ctl
