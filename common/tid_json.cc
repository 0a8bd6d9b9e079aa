// SPDX-License-Identifier: Apache-2.0
#include "common/tid_json.h"

#include "common/nvme_names.h"

namespace stas {

nlohmann::json TidToJson(const Tid& tid) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, value] : tid.CoreFields())
    j[key] = value;
  return j;
}

std::optional<TidFields> TidFieldsFromJson(const nlohmann::json& t) {
  try {
    TidFields f;
    f.transport = t.at("transport").get<std::string>();
    f.traddr = t.at("traddr").get<std::string>();
    f.trsvcid = t.at("trsvcid").get<std::string>();
    f.subsysnqn = t.at("subsysnqn").get<std::string>();
    f.host_traddr = t.at("host-traddr").get<std::string>();
    f.host_iface = t.at("host-iface").get<std::string>();
    f.host_nqn = t.at("host-nqn").get<std::string>();
    // The file may have been changed by anyone who could write it, and the Tid made from these
    // fields is connected (stafd) or adopted and reconnected (stacd): every value set must be
    // safe in the connect string, as the validators made it when the file was written.
    for (const std::string* v : {&f.transport, &f.traddr, &f.trsvcid, &f.subsysnqn, &f.host_traddr,
                                 &f.host_iface, &*f.host_nqn}) {
      if (!v->empty() && CheckSafeToken(*v))
        return std::nullopt;
    }
    return f;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace stas
