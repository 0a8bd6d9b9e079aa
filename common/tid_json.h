// SPDX-License-Identifier: Apache-2.0
// A Tid as the JSON object the state files use: its 7 identity fields under their D-Bus keys
// (traddr, trsvcid, transport, subsysnqn, host-iface, host-traddr, host-nqn).
#pragma once

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/tid.h"

namespace stas {

nlohmann::json TidToJson(const Tid& tid);
// The fields of a state file's identity object, read back as untrusted: an error (EINVAL) when a
// key is missing or not a string, or when CheckTidFields() refuses a value.
Result<TidFields> TidFieldsFromJson(const nlohmann::json& j);

}  // namespace stas
