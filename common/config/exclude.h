// SPDX-License-Identifier: Apache-2.0
// exclude= entries of stafd.conf/stacd.conf: which controllers to leave alone
// (docs/compatibility.md, "controller= and exclude= entries").
// Plain values; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/tid.h"

namespace stas {

// One exclude= line, after the config parser has renamed nqn -> subsysnqn and dropped
// host-traddr. Keys are Tid::Field()'s dashed names.
struct ExcludeRule {
  std::vector<std::pair<std::string, std::string>> fields;

  // True when every (key, value) equals tid.Field(key) as exact, case-sensitive strings
  // (a "minimal match", no address normalisation). Unlike stas, a rule with no fields, or
  // with a key Tid::Field() does not know, never matches.
  bool Matches(const Tid& tid) const;
};

// True if any rule matches.
bool IsExcluded(const Tid& tid, const std::vector<ExcludeRule>& rules);

}  // namespace stas
