// SPDX-License-Identifier: Apache-2.0
// Whole small files (state files, sys.conf, hostnqn, the udev rule override): read in one go,
// and replaced atomically, so that a crash or a full disk leaves the old file or the new one,
// never half of one. Not thread-safe per path: two writers of one file race (the last rename
// wins); daemons write their state files through StateWriter (common/daemon/state_writer.h).
#pragma once

#include <string>
#include <sys/types.h>

#include "common/result.h"

namespace stas {

// Replaces `path` with a regular file holding `content`, with permission bits `mode` (the
// umask does not apply) and the caller as owner. Steps: a new temporary file beside `path`
// (unique name, O_EXCL and O_NOFOLLOW, so that nothing planted there is opened), write, fsync,
// rename over `path`, fsync of the directory. A symbolic link at `path` is replaced, never
// followed. On failure nothing is left behind and `path` is untouched; the Error has the errno
// and the message "cannot write <path>: <reason>", where the reason is strerror() or
// "cannot create a file in <dir>: <strerror>" when the temporary cannot be created.
Status WriteFileAtomic(const std::string& path, const std::string& content, mode_t mode);

// The whole file. ENOENT when it does not exist; the message is "<path>: <strerror>".
Result<std::string> ReadWholeFile(const std::string& path);

// The whole file if it is a regular file (symbolic links followed) of at most `max_bytes`:
// EINVAL "not a regular file" for a FIFO, a device or a directory (opened without blocking, so
// a FIFO planted there never stalls the reader), EFBIG when larger. For files an admin writes
// that a daemon reads again and again (the exclusion list).
Result<std::string> ReadRegularFile(const std::string& path, size_t max_bytes);
// A message of ReadRegularFile() (or ListDirectory()) without its leading "PATH: ", for a
// diagnostic that names the file already.
std::string WithoutPathPrefix(const std::string& path, const std::string& message);

// The start of the file: what read() returns until `stop` has been read, at least `max_bytes`
// have been read, or the file ends (a result may pass `max_bytes` by less than one read, and
// contains what follows `stop` in the same read). Stopping at `stop` means a FIFO or a device
// is never read past the line asked for. Errors as ReadWholeFile().
Result<std::string> ReadFileHead(const std::string& path, size_t max_bytes, char stop);

// Creates the directory that holds `path` (mode 0755, parents included) if it is missing, so
// that a daemon started by hand, without systemd's RuntimeDirectory=, can save its state.
Status EnsureParentDirectory(const std::string& path);

}  // namespace stas
