// SPDX-License-Identifier: Apache-2.0
// stasadm's save(), as nvme-stas's (docs/compatibility.md, "stasadm"): the value goes to the
// -f file, if any, and sys.conf's [Host] section names it. Unlike nvme-stas, every file is
// replaced atomically (a crash leaves
// the old or the new file, never half of one), missing directories are created, and an
// unreadable sys.conf is an error rather than a file to overwrite. Not thread-safe: it writes
// files.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"

namespace stas::ctl {

struct SaveRequest {
  std::string conf_file;             // sys.conf; empty: leave it alone (as nvme-stas did)
  std::string option;                // "nqn", "id" or "symname"
  std::optional<std::string> value;  // nullopt: remove the option
  std::optional<std::string> file;   // -f FILE, an absolute path: write the value there and
                                     // set the option to "file://FILE"
};

// Reads sys.conf first (a missing one is empty), so that nothing is written when it cannot be
// read; then writes FILE (value + "\n"), then sys.conf (see EditHostOption()). Error messages
// name the file and the reason, ready for the user.
Status Save(const SaveRequest& request);

// Replaces `path` with `content` through WriteFileAtomic() (common/atomic_file.h). The
// directory is created (mode 0755) if missing. The new file keeps the mode of a file the caller
// owns, else gets mode 0644 (and the caller as owner). A symbolic link is followed, not
// replaced, if root or the caller made it in a directory no one else may write to.
Status WriteFileReplacing(const std::string& path, const std::string& content);

}  // namespace stas::ctl
