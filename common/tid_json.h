// SPDX-License-Identifier: Apache-2.0
// A Tid as the JSON object the state files use: its 7 identity fields under their D-Bus keys
// (traddr, trsvcid, transport, subsysnqn, host-iface, host-traddr, host-nqn).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "common/tid.h"

namespace stas {

nlohmann::json TidToJson(const Tid& tid);
// nullopt when a key is missing or not a string, or when a value that is set could inject into
// the connect string (nvme_names.h CheckSafeToken(): blanks, ',', control or non-ASCII bytes).
// State files are read back as untrusted.
std::optional<TidFields> TidFieldsFromJson(const nlohmann::json& j);

}  // namespace stas
