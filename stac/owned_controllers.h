// SPDX-License-Identifier: Apache-2.0
// owned-controllers.json: the controllers stacd connected (or adopted), so that a restarted
// stacd takes back the right to disconnect those whose kernel connection still exists
// (docs/compatibility.md, "State across restarts"). Split out of StacService so that the
// reader of this untrusted file is a pure function that tests and the fuzz tier can call.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "common/tid.h"

namespace stas::stac {

inline constexpr const char* kOwnedControllersFormat = "stacd-owned-controllers";

// The document, one line of JSON: {"format": ..., "version": 1, "controllers": [tid, ...]}.
std::string SerializeOwnedControllers(const std::vector<Tid>& tids);
// The identity fields of each controller; fails with EINVAL and a reason when the text is not
// such a document or an entry is not a controller identity (tid_json.h).
Result<std::vector<TidFields>> ParseOwnedControllers(const std::string& text);

}  // namespace stas::stac
