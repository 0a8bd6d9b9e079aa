// SPDX-License-Identifier: Apache-2.0
// Names and numbers fixed by the NVMe specifications and by nvme-stas's interfaces.
#pragma once

#include <cstddef>

namespace stas {

inline constexpr const char* kWellKnownDiscoveryNqn = "nqn.2014-08.org.nvmexpress.discovery";
inline constexpr const char* kDiscoveryPort = "8009";  // IANA, NVMe/TCP discovery
inline constexpr const char* kRdmaPort = "4420";       // IANA, NVMe over Fabrics
// The ownership registry of the host's NVMe-oF managers (controller/ownership_registry.h).
inline constexpr const char* kDefaultRegistryDir = "/run/nvme/registry";
// The keep-alive of a discovery connection, in seconds, when the configuration sets none (or
// 0): without one the kernel neither keeps it persistent nor reports its AENs.
inline constexpr int kDiscoveryKeepAliveS = 30;

inline constexpr const char* kStafdBusName = "org.nvmexpress.staf";
inline constexpr const char* kStafdObjectPath = "/org/nvmexpress/staf";
// stafd's interface beside the nvme-stas API (dbus-interfaces/org.nvmexpress.staf.xml).
inline constexpr const char* kStafdDiscoveryInterface = "org.nvmexpress.staf.Discovery1";
inline constexpr const char* kStacdBusName = "org.nvmexpress.stac";
inline constexpr const char* kStacdObjectPath = "/org/nvmexpress/stac";

// NVMe Base spec: an NQN is at most 223 bytes.
inline constexpr size_t kMaxNqnLength = 223;

}  // namespace stas
