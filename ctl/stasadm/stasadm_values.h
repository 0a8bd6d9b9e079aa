// SPDX-License-Identifier: Apache-2.0
// What stasadm agrees to write into sys.conf (docs/compatibility.md, "Tools and files"):
// nvme-stas wrote any string, so a newline in a symbolic name broke the file and a name the
// daemons refuse was only noticed in
// their logs. Each check returns why a value is refused, or nullopt when it is fine.
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace stas::ctl {

// Why sys.conf cannot hold `value` as "option = value" and read it back unchanged: control
// characters (a newline ends the line), leading or trailing blanks (the parser strips them) and
// a blank followed by '#' (the parser takes the rest for a comment).
std::optional<std::string> ConfValueProblem(std::string_view value);

// Why `symname` cannot be the host symbolic name: empty, longer than kMaxSymnameBytes, not
// UTF-8, control characters, or what stafd and stacd would ignore (anything but printable
// ASCII, ','). With `in_file` (set-symname -f), blanks too: the daemons read only the first
// word of the file.
std::optional<std::string> SymnameProblem(std::string_view symname, bool in_file);

// The -f FILE argument as sys.conf must name it, "file://" + the result: an absolute path,
// since the daemons do not run in the caller's directory. Fails (EINVAL) for an empty path or
// one sys.conf cannot hold.
Result<std::string> ValueFilePath(const std::string& file);

}  // namespace stas::ctl
