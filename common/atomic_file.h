// SPDX-License-Identifier: Apache-2.0
// Small files that must survive a daemon restart (the last-known configuration): written
// atomically (temporary file, fsync, rename) so that a crash never leaves half a file.
#pragma once

#include <string>

#include "common/result.h"

namespace stas {

Status WriteFileAtomic(const std::string& path, const std::string& content);
// ENOENT when the file does not exist.
Result<std::string> ReadWholeFile(const std::string& path);

// Where a daemon keeps `file` across restarts: $RUNTIME_DIRECTORY/<file> (systemd's
// RuntimeDirectory=), or /run/<prog>/<file> when it is not set.
std::string RuntimeStatePath(const char* prog, const char* file);

// Creates the directory that holds `path` (mode 0755, parents included) if it is missing, so
// that a daemon started by hand, without systemd's RuntimeDirectory=, can save its state.
Status EnsureParentDirectory(const std::string& path);

}  // namespace stas
