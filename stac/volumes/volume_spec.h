// SPDX-License-Identifier: Apache-2.0
// What a caller of org.nvmexpress.stac.Volumes1 asks for, checked at the edge into typed values:
// the volume's id, the namespace and where to reach it (AttachVolume's `spec`), and how
// (`options`). Every key, type and value is checked here; nothing downstream sees a D-Bus
// variant. The keys are documented in dbus-interfaces/org.nvmexpress.stac.xml and stacctl(8).
//
// Errors are Result errors whose code says which named D-Bus error the caller gets
// (VolumeErrorName()): EINVAL invalid argument, ENOENT not found, ETIMEDOUT timeout, EEXIST
// mismatch, EACCES excluded, ENOTSUP unsupported by this host, anything else failed.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "common/config/config.h"
#include "common/result.h"

namespace stas::stac {

using VariantMap = std::map<std::string, sdbus::Variant>;

// "org.nvmexpress.stac.Volumes1.Error.InvalidArgument" and the like, for a Result error code.
std::string VolumeErrorName(int code);

// Which namespace: by its identifiers (normalised as NamespaceInfo's) and/or its NSID. At least
// one is set.
struct NamespaceSelector {
  std::string uuid{};
  std::string nguid{};
  std::string eui64{};
  std::optional<uint32_t> nsid{};
  bool operator==(const NamespaceSelector&) const = default;
  // "uuid 7e0c...", "nsid 2"...: for messages.
  std::string ToString() const;
};

// One way to the subsystem (AttachVolume's `portals` and `discovery` entries), checked and
// normalised as a controller= entry of stacd.conf is.
struct Portal {
  std::string transport{};
  std::string traddr{};
  std::string trsvcid{};
  std::string host_traddr{};
  std::string host_iface{};
  std::string nqn{};  // portals: the subsystem (the spec's subsysnqn if absent)
  bool operator==(const Portal&) const = default;
};

struct VolumeSpec {
  std::string subsysnqn{};
  NamespaceSelector ns{};
  std::vector<Portal> portals{};
  std::vector<Portal> discovery{};
  std::string hostnqn{};  // "" : the host's
  std::string hostid{};   // "" : the host's
  bool operator==(const VolumeSpec&) const = default;
};

struct AttachOptions {
  static constexpr std::chrono::milliseconds kDefaultTimeout{30000};
  static constexpr std::chrono::milliseconds kMaxTimeout{600000};
  std::chrono::milliseconds timeout = kDefaultTimeout;
  ConnectOptions connect{};  // the tunables given, by their stacd.conf names
  // Asked for native multipath (one head device over every path) or not; unset: as the host
  // is. The kernel decides for the whole host (nvme_core.multipath): a request it cannot meet
  // is refused as unsupported.
  std::optional<bool> multipath{};
  // Kept across a reboot: re-attached when stacd first starts after one.
  bool persistent = false;
};

// At most this many entries in `portals` and in `discovery` each.
inline constexpr std::size_t kMaxPortalsPerVolume = 16;
// The longest volume id: printable ASCII, no blanks.
inline constexpr std::size_t kMaxVolumeIdLength = 256;

// A portal as the keys it was given by (the inverse of the checks): "transport", "traddr", and
// the others only when set. For D-Bus answers and volumes.json.
std::map<std::string, std::string> PortalFields(const Portal& p);

Status CheckVolumeId(const std::string& id);
Result<VolumeSpec> ParseVolumeSpec(const VariantMap& spec);
Result<AttachOptions> ParseAttachOptions(const VariantMap& options);
// DetachVolume's options: none are defined yet; any key is refused, so that a caller relying on
// one learns it has no effect.
Status CheckDetachOptions(const VariantMap& options);

}  // namespace stas::stac
