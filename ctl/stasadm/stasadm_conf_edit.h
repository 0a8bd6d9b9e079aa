// SPDX-License-Identifier: Apache-2.0
// Changes one [Host] option in the text of sys.conf (docs/compatibility.md, "stasadm").
// nvme-stas rewrote the whole file with configparser, which lost every comment; this changes
// only the lines of that option and keeps every other byte. On a file stasadm wrote (or none)
// the result is what nvme-stas writes: "[Host]\nnqn = ...\n\n". Pure function, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stas::ctl {

// Returns `text` with [Host] `option` (lower-case) set to `value`, or removed when `value` is
// nullopt. Lines are read as the daemons read them (common/ini_file.h): option names are
// case-insensitive, section names are not, indented lines continue the option above them.
//  - Setting an option that is present replaces its first line (and its continuation lines)
//    in place and drops its other occurrences: the daemons use the last one, so a stale
//    duplicate would win.
//  - Setting an option that is absent adds "option = value" after the last option of the first
//    [Host] section.
//  - Without a [Host] section, one is appended ("[Host]", the option, a blank line), also when
//    removing: nvme-stas always ensured the section.
// The result ends with a newline.
std::string EditHostOption(std::string_view text, std::string_view option,
                           const std::optional<std::string>& value);

}  // namespace stas::ctl
