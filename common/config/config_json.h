// SPDX-License-Identifier: Apache-2.0
// The effective configuration as JSON, for `stafd --dump-config` / `stacd --dump-config`.
// Every option of the daemon appears (null when unset); secrets are shown as "<redacted>".
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/config/config.h"
#include "common/secrets.h"

namespace stas {

nlohmann::ordered_json ConfigToJson(const ServiceConfig& c);

// One controller= entry as D-Bus and the dump show it: identity keys, then the extras in file
// order, secrets redacted.
nlohmann::ordered_json ControllerEntryToJson(const ControllerEntry& e);

}  // namespace stas
