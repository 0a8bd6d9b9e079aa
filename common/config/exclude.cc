// SPDX-License-Identifier: Apache-2.0
#include "common/config/exclude.h"

#include <algorithm>
#include <optional>

namespace stas {

bool ExcludeRule::Matches(const Tid& tid) const {
  // stas excludes every controller for an empty `exclude=` (all() of nothing is true); a
  // blank line in a config file should not silently disable the daemon, so it matches none.
  if (fields.empty())
    return false;
  return std::all_of(fields.begin(), fields.end(), [&tid](const auto& kv) {
    std::optional<std::string> value = tid.Field(kv.first);
    return value && *value == kv.second;
  });
}

bool IsExcluded(const Tid& tid, const std::vector<ExcludeRule>& rules) {
  return std::any_of(rules.begin(), rules.end(),
                     [&tid](const ExcludeRule& rule) { return rule.Matches(tid); });
}

}  // namespace stas
