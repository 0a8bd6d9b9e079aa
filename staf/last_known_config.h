// SPDX-License-Identifier: Apache-2.0
// The last-known configuration of stafd: every DC with its origin and cached log page, saved
// as JSON after each reconciliation and at exit, restored at start-up so that stacd never sees
// log pages vanish across a stafd restart (docs/compatibility.md, "State across restarts").
// The file is untrusted input on
// reading: entries are validated again, a corrupt or foreign file is logged and ignored.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/kernel/dlp_entry.h"
#include "common/result.h"
#include "common/tid.h"
#include "staf/origin.h"

namespace stas::staf {

inline constexpr const char* kLkcFileName = "last-known-config.json";

struct SavedDc {
  Tid tid;
  Origin origin = Origin::kConfigured;
  std::vector<LogEntry> log;
};

std::string SerializeLkc(const std::vector<SavedDc>& dcs);
// Fails with EINVAL and a reason when the text is not a valid LKC document.
Result<std::vector<SavedDc>> ParseLkc(const std::string& text);

// $RUNTIME_DIRECTORY/last-known-config.json, or /run/stafd/... when it is not set.
std::string DefaultLkcPath(const char* prog);

}  // namespace stas::staf
