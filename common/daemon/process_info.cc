// SPDX-License-Identifier: Apache-2.0
#include "common/daemon/process_info.h"

#include "common/config/config_json.h"
#include "common/log.h"
#include "common/python_compat.h"

namespace stas {

nlohmann::ordered_json ProcessInfoBase(const ProcessInfoSource& source,
                                       const std::string& soak_timer,
                                       const KernelFeatures& kernel) {
  auto optional = [](const std::optional<std::string>& v) {
    return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json j;
  j["tron"] = LogDebugEnabled();
  j["log-level"] = LogLevelName();
  j["hostnqn"] = source.host.hostnqn;
  j["hostid"] = source.host.hostid;
  // nvme-stas exposed the DH-HMAC-CHAP host key here; we say whether there is one.
  j["hostkey"] =
      source.host.hostkey ? nlohmann::ordered_json(kRedacted) : nlohmann::ordered_json(nullptr);
  j["symname"] = optional(source.host.symname);
  j["last known config file"] = source.state_path;
  j["config soak timer"] = soak_timer;
  j["kernel support.TP8013"] = PythonBool(kernel.Has("discovery"));
  j["kernel support.host_iface"] = PythonBool(kernel.Has("host_iface"));
  j["kernel support.DH-HMAC-CHAP"] = PythonBool(kernel.dhchap());
  j["kernel support.TLS"] = PythonBool(kernel.tls());
  j["kernel support.options"] = kernel.options;
  if (!source.nbft.is_null())
    j["nbft"] = source.nbft;
  return j;
}

nlohmann::ordered_json DictJson(const std::vector<std::pair<std::string, std::string>>& dict) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [k, v] : dict)
    j[k] = v;
  return j;
}

}  // namespace stas
