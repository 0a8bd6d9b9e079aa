// SPDX-License-Identifier: Apache-2.0
#include "stac/owned_controllers.h"

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/tid_json.h"

namespace stas::stac {

std::string SerializeOwnedControllers(const std::vector<Tid>& tids) {
  nlohmann::json list = nlohmann::json::array();
  for (const Tid& tid : tids)
    list.push_back(TidToJson(tid));
  nlohmann::json doc = {{"format", kOwnedControllersFormat}, {"version", 1}, {"controllers", list}};
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<std::vector<TidFields>> ParseOwnedControllers(const std::string& text) {
  try {
    nlohmann::json doc = nlohmann::json::parse(text);
    // The version compared as JSON: value("version", 0) would convert 1e300 to int (undefined).
    if (!doc.is_object() || doc.value("format", "") != kOwnedControllersFormat ||
        doc.value("version", nlohmann::json()) != 1)
      return Fail(EINVAL, "not a stacd state document");
    std::vector<TidFields> out;
    for (const nlohmann::json& t : doc.at("controllers")) {
      Result<TidFields> f = TidFieldsFromJson(t);
      if (!f)
        return Fail(f.error());
      out.push_back(std::move(*f));
    }
    return out;
  } catch (const nlohmann::json::exception& e) {
    return Fail(EINVAL, e.what());
  }
}

}  // namespace stas::stac
