// SPDX-License-Identifier: Apache-2.0
#include "common/dir_listing.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace stas {

Result<DirListing> ListDirectory(const std::string& dir, std::size_t max_names) {
  DirListing out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  for (std::filesystem::directory_iterator end; !ec && it != end; it.increment(ec)) {
    if (out.names.size() == max_names) {
      out.truncated = true;
      break;
    }
    out.names.push_back(it->path().filename().string());
  }
  if (ec)
    return Fail(ec.value(), dir + ": cannot be listed: " + ec.message());
  std::sort(out.names.begin(), out.names.end());
  return out;
}

}  // namespace stas
