// SPDX-License-Identifier: Apache-2.0
#include "common/diagnostic.h"

namespace stas {

std::string Diagnostic::ToString() const {
  if (file.empty())
    return message;
  if (line <= 0)
    return file + ": " + message;
  return file + ":" + std::to_string(line) + ": " + message;
}

}  // namespace stas
