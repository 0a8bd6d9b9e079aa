// SPDX-License-Identifier: Apache-2.0
// Listing a directory that is not ours (drop-in folders, /sys, /etc/nvme) without letting it
// decide how much is read: at most so many names. Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/result.h"

namespace stas {

// Names looked at in one directory: a drop-in folder has tens, /sys/class/net hundreds; one of
// millions of entries is not listed whole.
inline constexpr std::size_t kMaxDirNames = 4096;

struct DirListing {
  std::vector<std::string> names;  // file names (not paths), sorted; never "." or ".."
  bool truncated = false;          // there were more than the limit: `names` is a partial set
};

// The names in `dir`, at most `max_names`. Fails with the errno when `dir` cannot be listed
// (ENOENT when it does not exist), the message naming `dir`.
Result<DirListing> ListDirectory(const std::string& dir, std::size_t max_names = kMaxDirNames);

}  // namespace stas
