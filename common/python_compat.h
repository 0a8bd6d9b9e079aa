// SPDX-License-Identifier: Apache-2.0
// Python-compatible text rendering of JSON values, so that stafctl/stacctl print exactly what
// nvme-stas prints with `print(pprint.pformat(obj, width=120))`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace stas {

// CPython 3.11 `pprint.pformat(value, width=width)` with the defaults indent=1, depth=None,
// compact=False, sort_dicts=True: objects become dicts (keys sorted by code point), arrays lists,
// null None, booleans True/False, numbers int/float repr. Widths are counted in code points, as
// Python does. Strings are expected to be UTF-8; an invalid byte is shown as Python shows a
// surrogateescape-decoded one ('\udcXX'). No trailing newline. Thread-safe.
// Limits: a code point unassigned in Unicode 14 that lies below U+2FA1E counts as printable
// (Python escapes it); binary values print as a one-line bytes repr (never wrapped).
std::string PythonPformat(const nlohmann::ordered_json& value, int width = 120);

// Python's `repr()` of the same values, on one line.
std::string PythonRepr(const nlohmann::ordered_json& value);

}  // namespace stas
