// SPDX-License-Identifier: Apache-2.0
#include "common/python_json.h"

namespace stas {
namespace {

void Dump(const nlohmann::ordered_json& v, std::string* out) {
  if (v.is_object()) {
    *out += '{';
    bool first = true;
    for (const auto& [key, item] : v.items()) {
      if (!first)
        *out += ", ";
      first = false;
      *out += nlohmann::ordered_json(key).dump(-1, ' ', /*ensure_ascii=*/true);
      *out += ": ";
      Dump(item, out);
    }
    *out += '}';
  } else if (v.is_array()) {
    *out += '[';
    bool first = true;
    for (const auto& item : v) {
      if (!first)
        *out += ", ";
      first = false;
      Dump(item, out);
    }
    *out += ']';
  } else {
    *out += v.dump(-1, ' ', /*ensure_ascii=*/true);
  }
}

}  // namespace

std::string PythonJsonDumps(const nlohmann::ordered_json& value) {
  std::string out;
  Dump(value, &out);
  return out;
}

}  // namespace stas
