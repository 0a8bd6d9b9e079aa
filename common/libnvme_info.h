// What libnvme reports about itself. Kept apart so that only edge files include libnvme.h.
#pragma once

#include <string>

namespace stas {

// The libnvme version string, e.g. "1.3".
std::string LibnvmeVersion();

}  // namespace stas
