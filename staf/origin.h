// SPDX-License-Identifier: Apache-2.0
// Where stafd learnt of a discovery controller, as the last-known configuration and
// process_info name it. Apart from dc.h so that the LKC reader (and its fuzz target) does not
// need the controller machinery. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>

namespace stas::staf {

// kVolumes: held for stacd's volumes (Discovery1.SetVolumeDiscoveryControllers).
enum class Origin { kConfigured, kDiscovered, kReferral, kVolumes };
const char* OriginName(Origin o);
std::optional<Origin> OriginFromName(const std::string& name);

}  // namespace stas::staf
