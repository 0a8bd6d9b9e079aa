// SPDX-License-Identifier: Apache-2.0
// Helpers of tests that look at text (logs, program output).
#pragma once

#include <cstddef>
#include <string>

namespace stas::testing {

// How many times `what` occurs in `text` (overlapping occurrences count).
inline std::size_t CountOf(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

}  // namespace stas::testing
