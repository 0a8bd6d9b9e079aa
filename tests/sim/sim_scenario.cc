// SPDX-License-Identifier: Apache-2.0
#include "tests/sim/sim_scenario.h"

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"

namespace stas::testing {

Status ApplyScenarioFile(const std::string& path, SimulatedKernel& kernel, bool first) {
  Result<std::string> text = ReadWholeFile(path);
  if (!text)
    return Fail(text.error());
  try {
    nlohmann::json doc = nlohmann::json::parse(*text);
    if (first)
      kernel.SetConnectLatency(std::chrono::milliseconds(doc.value("connect_latency_ms", 0)));
    for (const nlohmann::json& p : doc.at("ports")) {
      SimPort port;
      port.transport = p.value("transport", "tcp");
      port.traddr = p.at("traddr").get<std::string>();
      port.trsvcid = p.value("trsvcid", "8009");
      port.dctype = p.value("dctype", "ddc");
      port.up = p.value("up", true);
      port.subsystems = p.value("subsystems", std::vector<std::string>{});
      for (const nlohmann::json& e : p.value("log", nlohmann::json::array())) {
        RawLogEntry entry =
            SimEntry(e.at("subnqn").get<std::string>(), e.at("traddr").get<std::string>(),
                     e.value("trsvcid", "4420"), e.value("subtype", 2), e.value("eflags", 0));
        if (e.contains("trtype"))
          entry.trtype = e.at("trtype").get<uint8_t>();
        if (e.contains("adrfam"))
          entry.adrfam = e.at("adrfam").get<uint8_t>();
        port.log.push_back(std::move(entry));
      }
      if (first || !kernel.HasPort(port.traddr, port.trsvcid)) {
        kernel.AddPort(std::move(port));
      } else {
        kernel.SetPortUp(port.traddr, port.trsvcid, port.up);
        kernel.SetSubsystems(port.traddr, port.trsvcid, std::move(port.subsystems));
        kernel.SetLog(port.traddr, port.trsvcid, std::move(port.log));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return Fail(EINVAL, path + ": " + e.what());
  }
  return {};
}

}  // namespace stas::testing
