#include "common/libnvme_info.h"

#include <libnvme.h>

namespace stas {

std::string LibnvmeVersion() {
  const char* v = nvme_get_version(NVME_VERSION_PROJECT);
  return v ? v : "unknown";
}

}  // namespace stas
