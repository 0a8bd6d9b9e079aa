// SPDX-License-Identifier: Apache-2.0
#include "common/config/config_json.h"

#include "common/config/config_options.h"

namespace stas {

nlohmann::ordered_json ControllerEntryToJson(const ControllerEntry& e) {
  nlohmann::ordered_json j;
  j["transport"] = e.transport;
  j["traddr"] = e.traddr;
  j["trsvcid"] = e.trsvcid;
  j["subsysnqn"] = e.subsysnqn;
  j["host-traddr"] = e.host_traddr;
  j["host-iface"] = e.host_iface;
  for (const auto& [key, value] : e.extras) {
    j[key] = IsSecretKey(key) ? std::string(kRedacted) : value;
  }
  return j;
}

nlohmann::ordered_json ConfigToJson(const ServiceConfig& c) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const OptionSpec& o : AllOptions()) {
    if (!o.AppliesTo(c.daemon) || o.multi || o.status != OptionStatus::kCurrent)
      continue;
    j[o.section][o.name] = o.show(c);
  }
  nlohmann::ordered_json controllers = nlohmann::ordered_json::array();
  for (const ControllerEntry& e : c.controllers)
    controllers.push_back(ControllerEntryToJson(e));
  nlohmann::ordered_json excludes = nlohmann::ordered_json::array();
  for (const ExcludeRule& r : c.excludes) {
    nlohmann::ordered_json rule = nlohmann::ordered_json::object();
    for (const auto& [key, value] : r.fields)
      rule[key] = value;
    excludes.push_back(std::move(rule));
  }
  j["Controllers"]["controller"] = std::move(controllers);
  j["Controllers"]["exclude"] = std::move(excludes);
  return j;
}

}  // namespace stas
