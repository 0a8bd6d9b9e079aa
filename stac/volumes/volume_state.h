// SPDX-License-Identifier: Apache-2.0
// volumes.json: the volumes stacd keeps across its own restart (/run/stacd/), so that a
// restarted stacd takes them back (re-adopting their controllers) instead of disconnecting
// controllers nothing seems to want; and the same document of the volumes attached with the
// option "persistent" in /var/lib/stacd/, which stacd reads when it first starts after a
// reboot (when the one in /run is not there) to attach them again. Written by the service's
// StateWriter; read once at start. The file is parsed back through the same checks as
// AttachVolume's arguments (volume_spec.h): a damaged or hand-edited file cannot smuggle anything
// past them.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "stac/volumes/volume_manager.h"

namespace stas::stac {

inline constexpr const char* kVolumesFileName = "volumes.json";
inline constexpr const char* kVolumesFormat = "stacd-volumes";

std::string SerializeVolumes(const std::vector<VolumeManager::Saved>& volumes,
                             bool persistent_only = false);
// The volumes of a document; an entry that fails the checks is left out and named in
// `skipped` (the others still count). Fails only for a document that is not one of ours.
Result<std::vector<VolumeManager::Saved>> ParseVolumes(const std::string& text,
                                                       std::vector<std::string>* skipped);

}  // namespace stas::stac
