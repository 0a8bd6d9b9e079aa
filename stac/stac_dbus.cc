// SPDX-License-Identifier: Apache-2.0
#include "stac/stac_dbus.h"

#include "common/daemon/dbus_args.h"
#include "common/defs.h"
#include "common/log.h"
#include "common/python_json.h"

namespace stas::stac {
namespace {

const std::string kErr = kStacdBusName;

}  // namespace

StacDbus::StacDbus(sdbus::IConnection& conn, StacService& service, ProcessInfoSource info)
    : AdaptorInterfaces(conn, kStacdObjectPath), service_(service), info_(std::move(info)) {
  registerAdaptor();
}

StacDbus::~StacDbus() {
  unregisterAdaptor();
}

std::vector<std::map<std::string, std::string>> StacDbus::list_controllers(const bool& detailed) {
  return GuardDbus(kErr, [&] {
    std::vector<std::map<std::string, std::string>> out;
    for (const Ioc* ioc : service_.iocs())
      out.push_back(ToMap(detailed ? ioc->Details() : ioc->IdDict()));
    return out;
  });
}

std::string StacDbus::ProcessInfoJson() const {
  return PythonJsonDumps(ProcessInfoBase(info_, service_.soak_timer().ToString(),
                                         service_.kernel_supports("discovery"),
                                         service_.kernel_supports("host_iface")));
}

std::string StacDbus::process_info() {
  return GuardDbus(kErr, [&] { return ProcessInfoJson(); });
}

std::string StacDbus::controller_info(const std::string& transport, const std::string& traddr,
                                      const std::string& trsvcid, const std::string& subsysnqn,
                                      const std::string& host_traddr, const std::string& host_iface,
                                      const std::string& host_nqn) {
  return GuardDbus(kErr, [&] {
    const Ioc* ioc = service_.Find(TidFromDbusArgs(
        kErr, {transport, traddr, trsvcid, subsysnqn, host_traddr, host_iface, host_nqn},
        service_.tid_defaults()));
    return ioc ? PythonJsonDumps(DictJson(ioc->Info())) : std::string("{}");
  });
}

bool StacDbus::tron() {
  return LogDebugEnabled();
}

void StacDbus::tron(const bool& value) {
  GuardDbus(kErr, [&] {
    if (info_.set_tron)
      info_.set_tron(value);
    LOG_INFO("tron set to %s over D-Bus", value ? "True" : "False");
  });
}

std::string StacDbus::log_level() {
  return LogLevelName();
}

}  // namespace stas::stac
