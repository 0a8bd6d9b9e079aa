// SPDX-License-Identifier: Apache-2.0
#include "common/tid_json.h"

#include <cerrno>
#include <string>

namespace stas {

nlohmann::json TidToJson(const Tid& tid) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, value] : tid.CoreFields())
    j[key] = value;
  return j;
}

Result<TidFields> TidFieldsFromJson(const nlohmann::json& t) {
  try {
    TidFields f;
    f.transport = t.at("transport").get<std::string>();
    f.traddr = t.at("traddr").get<std::string>();
    f.trsvcid = t.at("trsvcid").get<std::string>();
    f.subsysnqn = t.at("subsysnqn").get<std::string>();
    f.host_traddr = t.at("host-traddr").get<std::string>();
    f.host_iface = t.at("host-iface").get<std::string>();
    f.host_nqn = t.at("host-nqn").get<std::string>();
    if (auto why = CheckTidFields(f))
      return Fail(EINVAL, "controller identity: " + *why);
    return f;
  } catch (const nlohmann::json::exception& e) {
    return Fail(EINVAL, std::string("controller identity: ") + e.what());
  }
}

}  // namespace stas
