// SPDX-License-Identifier: Apache-2.0
#include "staf/staf_dbus.h"

#include <nlohmann/json.hpp>

#include "common/controller/detailed_listing.h"
#include "common/daemon/dbus_args.h"
#include "common/daemon/process_info.h"
#include "common/defs.h"
#include "common/log.h"
#include "common/python_compat.h"

namespace stas::staf {
namespace {

const std::string kErr = kStafdBusName;

}  // namespace

StafDbus::StafDbus(sdbus::IConnection& conn, StafService& service, ProcessInfoSource info)
    : AdaptorInterfaces(conn, kStafdObjectPath),
      service_(service),
      list_replies_(kErr),
      debug_(kErr, service, std::move(info)) {
  registerAdaptor();
}

StafDbus::~StafDbus() {
  unregisterAdaptor();
}

void StafDbus::OnLogPagesChanged(const Dc& dc) {
  const Tid& t = dc.tid();
  try {
    emitLog_pages_changed(t.transport(), t.traddr(), t.trsvcid(), t.subsysnqn(), t.host_traddr(),
                          t.host_iface(), t.host_nqn(), dc.device());
  } catch (const sdbus::Error& e) {
    LOG_ERROR("Cannot emit log_pages_changed: %s", e.what());
  }
}

void StafDbus::OnDcRemoved() {
  try {
    emitDc_removed();
  } catch (const sdbus::Error& e) {
    LOG_ERROR("Cannot emit dc_removed: %s", e.what());
  }
}

void StafDbus::list_controllers(sdbus::Result<ControllerList>&& result, bool detailed) {
  ControllerListReply reply = list_replies_.Take(std::move(result));
  try {
    if (!detailed)
      return reply.Send(IdDicts(service_.dcs()));
    // The kernel's states are read on a worker: the answer goes out when they are back.
    service_.ListDetailed([reply](const std::vector<Dict>& dicts) { reply.Send(dicts); });
  } catch (const std::exception& e) {
    reply.SendError(e.what());
  }
}

std::vector<std::map<std::string, std::string>> StafDbus::get_log_pages(
    const std::string& transport, const std::string& traddr, const std::string& trsvcid,
    const std::string& subsysnqn, const std::string& host_traddr, const std::string& host_iface,
    const std::string& host_nqn) {
  return GuardDbus(kErr, [&] {
    std::vector<std::map<std::string, std::string>> out;
    const Dc* dc = debug_.Find({.transport = transport,
                                .traddr = traddr,
                                .trsvcid = trsvcid,
                                .subsysnqn = subsysnqn,
                                .host_traddr = host_traddr,
                                .host_iface = host_iface,
                                .host_nqn = host_nqn});
    if (dc == nullptr)
      return out;
    for (const LogEntry& e : dc->log_pages())
      out.push_back(ToMap(e.AsDict()));
    return out;
  });
}

std::string StafDbus::AllLogPagesJson(bool detailed) const {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const Dc* dc : service_.dcs()) {
    nlohmann::ordered_json pages = nlohmann::ordered_json::array();
    for (const LogEntry& e : dc->log_pages())
      pages.push_back(DictJson(e.AsDict()));
    all.push_back({{"discovery-controller", DictJson(detailed ? dc->Details() : dc->IdDict())},
                   {"log-pages", std::move(pages)}});
  }
  return PythonJsonDumps(all);
}

std::string StafDbus::get_all_log_pages(const bool& detailed) {
  return GuardDbus(kErr, [&] { return AllLogPagesJson(detailed); });
}

std::string StafDbus::ProcessInfoJson() const {
  nlohmann::ordered_json info = debug_.ProcessInfo();
  info["avahi"] = service_.AvahiInfo();
  return PythonJsonDumps(info);
}

std::string StafDbus::process_info() {
  return GuardDbus(kErr, [&] { return ProcessInfoJson(); });
}

std::string StafDbus::controller_info(const std::string& transport, const std::string& traddr,
                                      const std::string& trsvcid, const std::string& subsysnqn,
                                      const std::string& host_traddr, const std::string& host_iface,
                                      const std::string& host_nqn) {
  return debug_.ControllerInfo({.transport = transport,
                                .traddr = traddr,
                                .trsvcid = trsvcid,
                                .subsysnqn = subsysnqn,
                                .host_traddr = host_traddr,
                                .host_iface = host_iface,
                                .host_nqn = host_nqn});
}

bool StafDbus::tron() {
  return debug_.tron();
}

void StafDbus::tron(const bool& value) {
  debug_.set_tron(value);
}

std::string StafDbus::log_level() {
  return debug_.log_level();
}

}  // namespace stas::staf
