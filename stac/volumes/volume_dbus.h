// SPDX-License-Identifier: Apache-2.0
// The shapes org.nvmexpress.stac.Volumes1 sends: a volume as an a{sv} dict (ListVolumes,
// AttachVolume's attachment, VolumeChanged) and GetConnectorInfo's dict. The keys are
// documented in dbus-interfaces/org.nvmexpress.stac.xml.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/kernel/nvme_kernel.h"
#include "stac/volumes/volume_manager.h"
#include "stac/volumes/volume_spec.h"

namespace stas::stac {

VariantMap VolumeDict(const VolumeView& v);
VariantMap SpecDict(const VolumeSpec& spec);

struct ConnectorFacts {
  HostInfo host;
  std::string system_uuid;
  std::optional<bool> native_multipath;
  KernelFeatures kernel;
};
VariantMap ConnectorInfoDict(const ConnectorFacts& facts);

}  // namespace stas::stac
