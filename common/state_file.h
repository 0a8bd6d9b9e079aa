// Small files that must survive a daemon restart (the last-known configuration): written
// atomically (temporary file, fsync, rename) so that a crash never leaves half a file.
#pragma once

#include <string>

#include "common/result.h"

namespace stas {

Status WriteFileAtomic(const std::string& path, const std::string& content);
// ENOENT when the file does not exist.
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace stas
