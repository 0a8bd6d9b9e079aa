// SPDX-License-Identifier: Apache-2.0
#include "ctl/stacctl_volumes.h"

#include <iostream>
#include <map>

#include <sdbus-c++/sdbus-c++.h>

#include "common/defs.h"
#include "common/str_util.h"

namespace stas::ctl {
namespace {

constexpr const char* kVolumes = "org.nvmexpress.stac.Volumes1";
using VariantMap = std::map<std::string, sdbus::Variant>;
using StringDicts = std::vector<std::map<std::string, std::string>>;

nlohmann::ordered_json VariantToJson(const sdbus::Variant& v);

nlohmann::ordered_json MapToJson(const VariantMap& m) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [key, value] : m)
    out[key] = VariantToJson(value);
  return out;
}

// The types Volumes1 sends; anything else is shown by its signature.
nlohmann::ordered_json VariantToJson(const sdbus::Variant& v) {
  const std::string t = v.peekValueType();
  if (t == "s")
    return v.get<std::string>();
  if (t == "b")
    return v.get<bool>();
  if (t == "u")
    return v.get<uint32_t>();
  if (t == "t")
    return v.get<uint64_t>();
  if (t == "as")
    return v.get<std::vector<std::string>>();
  if (t == "aa{ss}") {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& d : v.get<StringDicts>())
      list.push_back(DictToJson(d));
    return list;
  }
  if (t == "a{sv}")
    return MapToJson(v.get<VariantMap>());
  return "<" + t + ">";
}

// "key=value,key=value" as a dict of strings.
std::map<std::string, std::string> KeyValues(const std::string& option, const std::string& text) {
  std::map<std::string, std::string> out;
  for (const std::string& pair : Split(text, ',')) {
    auto eq = pair.find('=');
    if (eq == std::string::npos)
      throw CLI::ValidationError(option, "\"" + pair + "\" is not key=value");
    out[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return out;
}

std::unique_ptr<sdbus::IProxy> VolumesProxy(sdbus::IConnection& conn) {
  return sdbus::createProxy(conn, kStacdBusName, kStacdObjectPath);
}

int ConnectorInfo(bool json) {
  auto conn = ConnectSystemBus();
  auto proxy = VolumesProxy(*conn);
  VariantMap info;
  proxy->callMethod("GetConnectorInfo").onInterface(kVolumes).storeResultsTo(info);
  PrintValue(MapToJson(info), json);
  return 0;
}

int Attach(const VolumeCommands& c, bool json) {
  VariantMap spec;
  auto put = [&spec](const char* key, const std::string& value) {
    if (!value.empty())
      spec[key] = sdbus::Variant(value);
  };
  put("subsysnqn", c.subsysnqn);
  put("uuid", c.uuid);
  put("nguid", c.nguid);
  put("eui64", c.eui64);
  put("hostnqn", c.hostnqn);
  put("hostid", c.hostid);
  if (c.nsid)
    spec["nsid"] = sdbus::Variant(*c.nsid);
  StringDicts portals;
  for (const std::string& p : c.portals)
    portals.push_back(KeyValues("--portal", p));
  if (!portals.empty())
    spec["portals"] = sdbus::Variant(portals);
  StringDicts dcs;
  for (const std::string& d : c.discovery)
    dcs.push_back(KeyValues("--discovery", d));
  if (!dcs.empty())
    spec["discovery"] = sdbus::Variant(dcs);
  VariantMap options{{"timeout-ms", sdbus::Variant(c.timeout_ms)}};
  if (c.persistent)
    options["persistent"] = sdbus::Variant(true);
  for (const std::string& o : c.options) {
    auto eq = o.find('=');
    if (eq == std::string::npos)
      throw CLI::ValidationError("--option", "\"" + o + "\" is not key=value");
    options[o.substr(0, eq)] = sdbus::Variant(o.substr(eq + 1));
  }
  auto conn = ConnectSystemBus();
  auto proxy = VolumesProxy(*conn);
  std::string device;
  VariantMap attachment;
  // The attach may take its whole timeout, and a little more to answer.
  proxy->callMethod("AttachVolume")
      .onInterface(kVolumes)
      .withTimeout(std::chrono::milliseconds(c.timeout_ms) + std::chrono::seconds(5))
      .withArguments(c.id, spec, options)
      .storeResultsTo(device, attachment);
  if (json) {
    nlohmann::ordered_json out = {{"device", device}, {"attachment", MapToJson(attachment)}};
    PrintValue(out, true);
  } else {
    std::cout << device << "\n";
  }
  return 0;
}

int Detach(const std::string& id) {
  auto conn = ConnectSystemBus();
  auto proxy = VolumesProxy(*conn);
  proxy->callMethod("DetachVolume")
      .onInterface(kVolumes)
      .withTimeout(std::chrono::seconds(120))
      .withArguments(id, VariantMap{});
  return 0;
}

int Volumes(const std::vector<std::string>& ids, bool json) {
  auto conn = ConnectSystemBus();
  auto proxy = VolumesProxy(*conn);
  std::vector<VariantMap> list;
  proxy->callMethod("ListVolumes").onInterface(kVolumes).withArguments(ids).storeResultsTo(list);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const VariantMap& v : list)
    out.push_back(MapToJson(v));
  PrintValue(out, json);
  return 0;
}

// One line per VolumeChanged signal: "<id> <state> <device>", or the signal as one JSON object
// per line. Runs until interrupted, or `count` changes.
int Watch(uint32_t count, bool json) {
  auto conn = ConnectSystemBus();
  auto proxy = VolumesProxy(*conn);
  uint32_t seen = 0;
  proxy->uponSignal("VolumeChanged")
      .onInterface(kVolumes)
      .call([&](const std::string& id, const std::string& state, const VariantMap& info) {
        if (json) {
          nlohmann::ordered_json line = {{"id", id}, {"state", state}, {"info", MapToJson(info)}};
          std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        } else {
          auto device = info.find("device");
          std::cout << id << " " << state << " "
                    << (device != info.end() && device->second.peekValueType() == "s"
                            ? device->second.get<std::string>()
                            : std::string())
                    << "\n";
        }
        std::cout.flush();
        if (count > 0 && ++seen >= count)
          conn->leaveEventLoop();
      });
  proxy->finishRegistration();
  conn->enterEventLoop();
  return 0;
}

// A refusal by stacd is not "is stacd running?": its message says what was wrong.
int RunVolumes(const CtlApp& ctl, const std::function<int()>& command) {
  try {
    return command();
  } catch (const sdbus::Error& e) {
    const std::string& name = e.getName();
    if (StartsWith(name, std::string(kVolumes) + ".Error.") ||
        name == "org.freedesktop.DBus.Error.AccessDenied") {
      std::cerr << "stacctl: " << name.substr(name.rfind('.') + 1) << ": " << e.getMessage()
                << "\n";
      return 1;
    }
    return ctl.RunDbus(false, [&]() -> int { throw; });
  }
}

}  // namespace

void AddVolumeCommands(CLI::App& app, VolumeCommands& c) {
  c.connector_info = app.add_subcommand(
      "connector-info", "Show this host's identity and NVMe-oF capabilities for orchestrators");
  c.attach = app.add_subcommand("attach", "Attach a volume (one namespace) and print its device");
  c.attach->add_option("id", c.id, "The volume's id")->required();
  c.attach->add_option("--subsysnqn", c.subsysnqn, "The subsystem NQN");
  c.attach->add_option("--uuid", c.uuid, "The namespace's UUID");
  c.attach->add_option("--nguid", c.nguid, "The namespace's NGUID");
  c.attach->add_option("--eui64", c.eui64, "The namespace's EUI-64");
  c.attach->add_option("--nsid", c.nsid, "The namespace's ID");
  c.attach->add_option("--portal", c.portals,
                       "transport=tcp,traddr=ADDR,trsvcid=PORT[,host-iface=IF,host-traddr=ADDR]"
                       " (repeat for more paths)");
  c.attach->add_option(
      "--discovery", c.discovery,
      "transport=tcp,traddr=ADDR,trsvcid=PORT[,host-iface=IF,host-traddr=ADDR,"
      "nqn=DCNQN]: a discovery controller stafd holds for the volume (repeatable)");
  c.attach->add_option("--hostnqn", c.hostnqn, "Host NQN (default: the host's)");
  c.attach->add_option("--hostid", c.hostid, "Host ID (default: the host's)");
  c.attach->add_option("--timeout-ms", c.timeout_ms, "How long to wait for the device");
  c.attach->add_option("--option", c.options,
                       "A stacd.conf connect option, e.g. nr-io-queues=1 (repeatable)");
  c.attach->add_flag("--persistent", c.persistent, "Attach it again after a reboot");
  c.detach = app.add_subcommand("detach", "Detach a volume");
  c.detach->add_option("id", c.id, "The volume's id")->required();
  c.volumes = app.add_subcommand("volumes", "List the attached volumes");
  c.volumes->add_option("ids", c.ids, "Only these volumes");
  c.watch = app.add_subcommand("watch", "Print a line per volume change");
  c.watch->add_option("--count", c.count, "Exit after this many changes");
}

std::optional<int> RunVolumeCommand(const CtlApp& ctl, const VolumeCommands& c) {
  if (c.connector_info->parsed())
    return RunVolumes(ctl, [&] { return ConnectorInfo(ctl.json()); });
  if (c.attach->parsed())
    return RunVolumes(ctl, [&] { return Attach(c, ctl.json()); });
  if (c.detach->parsed())
    return RunVolumes(ctl, [&] { return Detach(c.id); });
  if (c.volumes->parsed())
    return RunVolumes(ctl, [&] { return Volumes(c.ids, ctl.json()); });
  if (c.watch->parsed())
    return RunVolumes(ctl, [&] { return Watch(c.count, ctl.json()); });
  return std::nullopt;
}

}  // namespace stas::ctl
