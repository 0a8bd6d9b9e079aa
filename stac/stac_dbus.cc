// SPDX-License-Identifier: Apache-2.0
#include "stac/stac_dbus.h"

#include "common/controller/detailed_listing.h"
#include "common/daemon/dbus_args.h"
#include "common/defs.h"
#include "common/python_compat.h"

namespace stas::stac {
namespace {

const std::string kErr = kStacdBusName;

}  // namespace

StacDbus::StacDbus(sdbus::IConnection& conn, StacService& service, ProcessInfoSource info)
    : AdaptorInterfaces(conn, kStacdObjectPath),
      service_(service),
      list_replies_(kErr),
      debug_(kErr, service, std::move(info)) {
  registerAdaptor();
}

StacDbus::~StacDbus() {
  unregisterAdaptor();
}

void StacDbus::list_controllers(sdbus::Result<ControllerList>&& result, bool detailed) {
  ControllerListReply reply = list_replies_.Take(std::move(result));
  try {
    if (!detailed)
      return reply.Send(IdDicts(service_.iocs()));
    // The kernel's states are read on a worker: the answer goes out when they are back.
    service_.ListDetailed([reply](const std::vector<Dict>& dicts) { reply.Send(dicts); });
  } catch (const std::exception& e) {
    reply.SendError(e.what());
  }
}

std::string StacDbus::ProcessInfoJson() const {
  return PythonJsonDumps(debug_.ProcessInfo());
}

std::string StacDbus::process_info() {
  return GuardDbus(kErr, [&] { return ProcessInfoJson(); });
}

std::string StacDbus::controller_info(const std::string& transport, const std::string& traddr,
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

bool StacDbus::tron() {
  return debug_.tron();
}

void StacDbus::tron(const bool& value) {
  debug_.set_tron(value);
}

std::string StacDbus::log_level() {
  return debug_.log_level();
}

}  // namespace stas::stac
