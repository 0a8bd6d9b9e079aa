// SPDX-License-Identifier: Apache-2.0
// Python's text forms of values, written the way CPython 3.11 writes them. nvme-stas is Python:
// its tools print with pprint, its daemons send json.dumps text and str() of Python values over
// D-Bus, and clients compare those texts. Every such text in this project comes from here, so
// that the rules live in one place. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace stas {

// str(bool) and repr(bool): "True" or "False". nvme-stas sends these as D-Bus string values
// (e.g. "connected" in list_controllers), so they are part of the API.
const char* PythonBool(bool value);

// repr(float): the shortest digits that round-trip, fixed notation with at least one decimal
// ("60.0", "0.0001") when the decimal exponent is in [-4, 16), otherwise "5e-05", "1e+16";
// "inf", "-inf", "nan".
std::string PythonFloatRepr(double value);

// pprint.pformat(value, width=width) with the defaults indent=1, depth=None, compact=False,
// sort_dicts=True: objects become dicts (keys sorted by code point), arrays lists, null None,
// booleans True/False, numbers int/float repr. Widths are counted in code points, as Python
// does. Strings are expected to be UTF-8; an invalid byte is shown as Python shows a
// surrogateescape-decoded one ('\udcXX'). No trailing newline. stafctl and stacctl print this,
// as nvme-stas's print(pprint.pformat(obj, width=120)).
// Limits: a code point unassigned in Unicode 14 that lies below U+2FA1E counts as printable
// (Python escapes it); binary values print as a one-line bytes repr (never wrapped).
std::string PythonPformat(const nlohmann::ordered_json& value, int width = 120);

// The one-line form of the same values that pformat uses for what fits on a line: repr() with
// dict keys sorted, as pprint sorts them.
std::string PythonRepr(const nlohmann::ordered_json& value);

// str() of a dict whose values are all str, keys in the given order (a plain Python dict keeps
// insertion order): "{'trtype': 'tcp', 'traddr': '192.0.2.1'}".
std::string PythonDictRepr(const std::vector<std::pair<std::string, std::string>>& dict);

// json.dumps(value) with its defaults (separators ", " and ": ", ensure_ascii), keys in the
// given order: the JSON documents of the nvme-stas D-Bus API are compared as text by some
// clients, so stafd and stacd send them exactly so.
std::string PythonJsonDumps(const nlohmann::ordered_json& value);

}  // namespace stas
