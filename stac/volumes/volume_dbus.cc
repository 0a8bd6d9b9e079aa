// SPDX-License-Identifier: Apache-2.0
#include "stac/volumes/volume_dbus.h"

#include <algorithm>
#include <ctime>
#include <map>

namespace stas::stac {
namespace {

using StringDicts = std::vector<std::map<std::string, std::string>>;

std::string IsoUtc(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

}  // namespace

VariantMap SpecDict(const VolumeSpec& spec) {
  VariantMap d;
  auto add = [&d](const char* key, const std::string& value) {
    if (!value.empty())
      d[key] = sdbus::Variant(value);
  };
  add("subsysnqn", spec.subsysnqn);
  add("uuid", spec.ns.uuid);
  add("nguid", spec.ns.nguid);
  add("eui64", spec.ns.eui64);
  if (spec.ns.nsid)
    d["nsid"] = sdbus::Variant(*spec.ns.nsid);
  add("hostnqn", spec.hostnqn);
  add("hostid", spec.hostid);
  for (const auto* list : {&spec.portals, &spec.discovery}) {
    if (list->empty())
      continue;
    StringDicts portals;
    for (const Portal& p : *list)
      portals.push_back(PortalFields(p));
    d[list == &spec.portals ? "portals" : "discovery"] = sdbus::Variant(portals);
  }
  return d;
}

VariantMap VolumeDict(const VolumeView& v) {
  const bool found = !v.ns.block.empty();
  VariantMap d;
  d["id"] = sdbus::Variant(v.id);
  d["state"] = sdbus::Variant(std::string(VolumeStateName(v.state)));
  d["device"] = sdbus::Variant(v.device);
  d["exists"] = sdbus::Variant(v.exists);
  d["subsysnqn"] = sdbus::Variant(v.spec.subsysnqn);
  // The namespace's own identifiers once found; what was asked for until then.
  d["nsid"] = sdbus::Variant(found ? v.ns.nsid : v.spec.ns.nsid.value_or(0));
  d["uuid"] = sdbus::Variant(found ? v.ns.uuid : v.spec.ns.uuid);
  d["nguid"] = sdbus::Variant(found ? v.ns.nguid : v.spec.ns.nguid);
  d["eui64"] = sdbus::Variant(found ? v.ns.eui64 : v.spec.ns.eui64);
  d["size"] = sdbus::Variant(static_cast<uint64_t>(v.ns.size_bytes));
  d["spec"] = sdbus::Variant(SpecDict(v.spec));
  StringDicts paths;
  for (const VolumePath& p : v.paths) {
    paths.push_back({{"transport", p.tid.transport()},
                     {"traddr", p.tid.traddr()},
                     {"trsvcid", p.tid.trsvcid()},
                     {"host-traddr", p.tid.host_traddr()},
                     {"host-iface", p.tid.host_iface()},
                     {"controller", p.controller},
                     {"state", p.state},
                     {"node", p.node}});
  }
  d["paths"] = sdbus::Variant(paths);
  d["last-error"] = sdbus::Variant(v.last_error);
  d["since"] = sdbus::Variant(IsoUtc(v.since));
  return d;
}

VariantMap ConnectorInfoDict(const ConnectorFacts& f) {
  VariantMap d;
  d["nqn"] = sdbus::Variant(f.host.hostnqn);
  d["nvme_hostid"] = sdbus::Variant(f.host.hostid);
  d["uuid"] = sdbus::Variant(f.system_uuid);
  d["system uuid"] = sdbus::Variant(f.system_uuid);
  d["nvme_native_multipath"] = sdbus::Variant(f.native_multipath.value_or(false));
  d["connect-options"] = sdbus::Variant(f.kernel.options);
  d["dhchap"] = sdbus::Variant(f.kernel.dhchap());
  d["tls"] = sdbus::Variant(f.kernel.tls());
  return d;
}

}  // namespace stas::stac
