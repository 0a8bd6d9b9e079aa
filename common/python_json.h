// SPDX-License-Identifier: Apache-2.0
// JSON text as Python's json.dumps() writes it with its defaults (separators ", " and ": ",
// ensure_ascii): the JSON documents of the nvme-stas D-Bus API are compared as text by some
// clients, so stafd and stacd send them exactly so.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace stas {

std::string PythonJsonDumps(const nlohmann::ordered_json& value);

}  // namespace stas
