// SPDX-License-Identifier: Apache-2.0
// A stdio stream for libnvme's messages that keeps secrets out of them. With tron, libnvme logs
// at debug level, and its debug output includes the whole connect string it writes to
// /dev/nvme-fabrics: dhchap_secret=, dhchap_ctrl_secret= and the host's key among them.
#pragma once

#include <cstdio>

namespace stas {

// A line-buffered FILE* whose output reaches `fd` a line at a time, each line through
// RedactSecrets() (common/secrets.h). A line longer than 64 KiB is written in pieces of that
// size. Thread-safe as any FILE*: stdio locks it around each call. fclose() writes what is
// left and does not close `fd`. nullptr if glibc cannot make one.
std::FILE* OpenRedactingStream(int fd);

// The process's one such stream on stderr, made at first use and never closed: where libnvme
// writes.
std::FILE* RedactingStderr();

}  // namespace stas
