// SPDX-License-Identifier: Apache-2.0
#include "staf/staf_dbus.h"

#include <nlohmann/json.hpp>

#include "common/controller/detailed_listing.h"
#include "common/daemon/dbus_args.h"
#include "common/daemon/process_info.h"
#include "common/daemon/reply_size.h"
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

void StafDbus::OnInitialDiscoveryDone() {
  try {
    getObject().emitPropertiesChangedSignal(kStafdDiscoveryInterface, {"InitialDiscoveryDone"});
  } catch (const sdbus::Error& e) {
    LOG_ERROR("Cannot emit PropertiesChanged: %s", e.what());
  }
}

bool StafDbus::InitialDiscoveryDone() {
  return service_.initial_discovery_done();
}

void StafDbus::SetVolumeDiscoveryControllers(
    const std::vector<std::map<std::string, std::string>>& controllers) {
  GuardDbus(kErr, [&] {
    auto invalid = [](const std::string& why) {
      return sdbus::Error(kErr + ".Error.InvalidArgs", why);
    };
    if (controllers.size() > StafService::kMaxVolumeDcs) {
      throw invalid(std::to_string(controllers.size()) + " discovery controllers; at most " +
                    std::to_string(StafService::kMaxVolumeDcs));
    }
    std::vector<ControllerEntry> dcs;
    for (std::size_t i = 0; i < controllers.size(); ++i) {
      Result<ControllerEntry> e = ControllerEntryFromDict(
          Daemon::kStafd, "controllers[" + std::to_string(i) + "]", controllers[i]);
      if (!e)
        throw invalid(e.error().message);
      dcs.push_back(std::move(*e));
    }
    if (Status s = service_.SetVolumeDcs(dcs); !s)
      throw invalid(s.error().message);
  });
}

void StafDbus::list_controllers(sdbus::Result<ControllerList>&& result, bool detailed) {
  ControllerListReply reply = list_replies_.Take(std::move(result));
  try {
    if (!detailed)
      return reply.Send(IdDicts(service_.dcs()), MaxReplySize());
    // The kernel's states are read on a worker: the answer goes out when they are back.
    service_.ListDetailed(
        [this, reply](const std::vector<Dict>& dicts) { reply.Send(dicts, MaxReplySize()); });
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
    // One DC's page alone may be too large (a DC sends up to 65,536 entries).
    CheckReplySize(kErr, "get_log_pages", DictListReplySize(out), MaxReplySize(),
                   "this discovery controller's log page cannot be read over D-Bus until the "
                   "bound is raised");
    return out;
  });
}

std::size_t StafDbus::MaxReplySize() const {
  return static_cast<std::size_t>(service_.config().limits.max_dbus_reply_size);
}

std::string StafDbus::AllLogPagesJson(bool detailed) {
  // The bound is on the whole reply: the document plus the message's own overhead.
  const std::size_t max = MaxReplySize();
  const std::size_t overhead = StringReplySize(0);
  const std::size_t max_text = max > overhead ? max - overhead : 0;
  AllLogPages::Answer answer = all_log_pages_.Build(service_.dcs(), detailed, max_text);
  CheckReplySize(kErr, "get_all_log_pages", StringReplySize(answer.size), max,
                 "call list_controllers(false), then get_log_pages for each discovery "
                 "controller (stacd does so by itself)");
  return std::move(answer.text);
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
  return GuardDbus(kErr, [&] {
    std::string json = ProcessInfoJson();  // the mDNS services it lists come from the network
    CheckReplySize(kErr, "process_info", StringReplySize(json.size()), MaxReplySize(),
                   "see the journal");
    return json;
  });
}

std::string StafDbus::controller_info(const std::string& transport, const std::string& traddr,
                                      const std::string& trsvcid, const std::string& subsysnqn,
                                      const std::string& host_traddr, const std::string& host_iface,
                                      const std::string& host_nqn) {
  std::string json = debug_.ControllerInfo({.transport = transport,
                                            .traddr = traddr,
                                            .trsvcid = trsvcid,
                                            .subsysnqn = subsysnqn,
                                            .host_traddr = host_traddr,
                                            .host_iface = host_iface,
                                            .host_nqn = host_nqn});
  CheckReplySize(kErr, "controller_info", StringReplySize(json.size()), MaxReplySize(),
                 "see the journal");
  return json;
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
