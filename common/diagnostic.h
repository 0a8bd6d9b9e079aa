// SPDX-License-Identifier: Apache-2.0
// A problem found in user input (a config file line, a controller= entry...), reported with
// where it was found so that the log line lets the user fix it.
#pragma once

#include <string>
#include <vector>

namespace stas {

enum class Severity { kWarning, kError };

struct Diagnostic {
  Severity severity = Severity::kWarning;
  std::string file;  // may be empty for input that does not come from a file
  int line = 0;      // 1-based; 0 when unknown
  std::string message;

  // "file:line: message", or just the message when there is no file.
  std::string ToString() const;
};

using Diagnostics = std::vector<Diagnostic>;

}  // namespace stas
