// SPDX-License-Identifier: Apache-2.0
#include "stac/volumes/volume_spec.h"

#include <cerrno>
#include <set>

#include "common/config/config_options.h"
#include "common/config/name_resolution.h"
#include "common/daemon/dbus_args.h"
#include "common/defs.h"
#include "common/ip_address.h"
#include "common/kernel/sysfs_namespaces.h"
#include "common/nvme_names.h"
#include "common/str_util.h"

namespace stas::stac {
namespace {

constexpr std::size_t kMaxStringArg = 512;
constexpr const char* kErrPrefix = "org.nvmexpress.stac.Volumes1.Error.";

Unexpected Invalid(const std::string& what) {
  return Fail(EINVAL, what);
}

// A key's value as text for messages: printable, cut.
std::string Shown(const std::string& s) {
  return "\"" + Printable(s.substr(0, 64)) + (s.size() > 64 ? "...\"" : "\"");
}

// The variant's D-Bus signature, checked against `want`.
Status CheckType(const std::string& where, const std::string& key, const sdbus::Variant& v,
                 const char* want) {
  std::string got = v.peekValueType();
  if (got != want)
    return Invalid(where + " key " + Shown(key) + " must be of type '" + want + "', not '" + got +
                   "'");
  return {};
}

// A string argument: bounded, printable ASCII (identifiers, addresses and names are all ASCII).
Result<std::string> GetString(const std::string& where, const std::string& key,
                              const sdbus::Variant& v) {
  if (Status s = CheckType(where, key, v, "s"); !s)
    return Fail(s.error());
  std::string text = v.get<std::string>();
  if (text.size() > kMaxStringArg || !IsPrintableAscii(text))
    return Invalid(where + " key " + Shown(key) + ": " + Shown(text) +
                   " is not printable ASCII of at most 512 characters");
  return text;
}

Result<Portal> ParsePortal(const std::string& where, const std::map<std::string, std::string>& d) {
  // The host NQN is the spec's: one for every path.
  if (d.count("host-nqn") != 0) {
    return Invalid(where +
                   ": unknown key \"host-nqn\" (transport, traddr, trsvcid, "
                   "host-traddr, host-iface, nqn); give the spec's hostnqn");
  }
  // Without nqn, the spec's subsysnqn is meant: a placeholder passes the entry's checks.
  std::map<std::string, std::string> checked = d;
  const bool nqn_given = checked.count("nqn") != 0;
  if (!nqn_given)
    checked["nqn"] = kWellKnownDiscoveryNqn;
  Result<ControllerEntry> e = ControllerEntryFromDict(Daemon::kStacd, where, checked);
  if (!e)
    return Fail(e.error());
  return Portal{.transport = e->transport,
                .traddr = e->traddr,
                .trsvcid = e->trsvcid,
                .host_traddr = e->host_traddr,
                .host_iface = e->host_iface,
                .nqn = nqn_given ? e->subsysnqn : ""};
}

Result<std::vector<Portal>> ParsePortals(const std::string& key, const sdbus::Variant& v) {
  if (Status s = CheckType("spec", key, v, "aa{ss}"); !s)
    return Fail(s.error());
  auto list = v.get<std::vector<std::map<std::string, std::string>>>();
  if (list.empty() || list.size() > kMaxPortalsPerVolume)
    return Invalid("spec key " + Shown(key) + ": 1 to " + std::to_string(kMaxPortalsPerVolume) +
                   " entries expected, not " + std::to_string(list.size()));
  std::vector<Portal> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    Result<Portal> p = ParsePortal("spec " + key + "[" + std::to_string(i) + "]", list[i]);
    if (!p)
      return Fail(p.error());
    for (const Portal& seen : out) {
      if (seen == *p)
        return Invalid("spec " + key + "[" + std::to_string(i) + "] repeats an earlier entry");
    }
    out.push_back(std::move(*p));
  }
  return out;
}

}  // namespace

std::string VolumeErrorName(int code) {
  switch (code) {
    case EINVAL:
      return std::string(kErrPrefix) + "InvalidArgument";
    case ENOENT:
      return std::string(kErrPrefix) + "NotFound";
    case ETIMEDOUT:
      return std::string(kErrPrefix) + "Timeout";
    case EEXIST:
      return std::string(kErrPrefix) + "Mismatch";
    case EACCES:
      return std::string(kErrPrefix) + "Excluded";
    case ENOTSUP:
      return std::string(kErrPrefix) + "Unsupported";
    default:
      return std::string(kErrPrefix) + "Failed";
  }
}

std::string NamespaceSelector::ToString() const {
  std::string out;
  auto add = [&out](const char* name, const std::string& value) {
    if (!value.empty())
      out += (out.empty() ? "" : ", ") + std::string(name) + " " + value;
  };
  add("uuid", uuid);
  add("nguid", nguid);
  add("eui64", eui64);
  if (nsid)
    add("nsid", std::to_string(*nsid));
  return out;
}

std::map<std::string, std::string> PortalFields(const Portal& p) {
  std::map<std::string, std::string> d{{"transport", p.transport}, {"traddr", p.traddr}};
  for (const auto& [key, value] :
       {std::pair<const char*, const std::string*>{"trsvcid", &p.trsvcid},
        {"host-traddr", &p.host_traddr},
        {"host-iface", &p.host_iface},
        {"nqn", &p.nqn}}) {
    if (!value->empty())
      d[key] = *value;
  }
  return d;
}

Status CheckVolumeId(const std::string& id) {
  if (id.empty() || id.size() > kMaxVolumeIdLength || !IsPrintableAscii(id) ||
      id.find(' ') != std::string::npos) {
    return Invalid("volume id " + Shown(id) +
                   " is not 1 to 256 printable ASCII characters without blanks");
  }
  return {};
}

Result<VolumeSpec> ParseVolumeSpec(const VariantMap& spec) {
  VolumeSpec out;
  for (const auto& [key, v] : spec) {
    if (key == "portals" || key == "discovery") {
      Result<std::vector<Portal>> p = ParsePortals(key, v);
      if (!p)
        return Fail(p.error());
      (key == "portals" ? out.portals : out.discovery) = std::move(*p);
      continue;
    }
    if (key == "nsid") {
      if (Status s = CheckType("spec", key, v, "u"); !s)
        return Fail(s.error());
      uint32_t nsid = v.get<uint32_t>();
      // 0 and the broadcast value name no single namespace.
      if (nsid == 0 || nsid == 0xffffffffU)
        return Invalid("spec key \"nsid\": " + std::to_string(nsid) + " names no namespace");
      out.ns.nsid = nsid;
      continue;
    }
    if (key != "subsysnqn" && key != "uuid" && key != "nguid" && key != "eui64" &&
        key != "hostnqn" && key != "hostid") {
      return Invalid("spec: unknown key " + Shown(key) +
                     " (subsysnqn, uuid, nguid, eui64, nsid, portals, discovery, hostnqn, hostid)");
    }
    Result<std::string> text = GetString("spec", key, v);
    if (!text)
      return Fail(text.error());
    if (key == "subsysnqn") {
      if (auto why = CheckNqn(*text, false))
        return Invalid("spec key \"subsysnqn\": " + Shown(*text) + " " + *why);
      out.subsysnqn = *text;
    } else if (key == "uuid") {
      std::optional<std::string> u = CanonicalUuid(*text);
      if (!u)
        return Invalid("spec key \"uuid\": " + Shown(*text) + " is not a UUID");
      out.ns.uuid = *u;
    } else if (key == "nguid" || key == "eui64") {
      std::optional<std::string> hex = HexIdentifier(*text, key == "nguid" ? 32 : 16);
      if (!hex)
        return Invalid("spec key " + Shown(key) + ": " + Shown(*text) + " is not " +
                       (key == "nguid" ? "32" : "16") + " hex digits");
      (key == "nguid" ? out.ns.nguid : out.ns.eui64) = *hex;
    } else if (key == "hostnqn") {
      if (auto why = CheckNqn(*text, true))
        return Invalid("spec key \"hostnqn\": " + Shown(*text) + " " + *why);
      out.hostnqn = *text;
    } else {
      if (auto why = CheckUuid(*text))
        return Invalid("spec key \"hostid\": " + Shown(*text) + " " + *why);
      out.hostid = *text;
    }
  }
  if (out.ns == NamespaceSelector{})
    return Invalid("spec names no namespace: give uuid, nguid, eui64 or nsid");
  if (out.portals.empty() && out.discovery.empty())
    return Invalid("spec says nowhere to find the volume: give portals or discovery");
  // Direct connects need the subsystem: the spec's, or each portal's nqn, and not two.
  for (const Portal& p : out.portals) {
    if (!p.nqn.empty() && !out.subsysnqn.empty() && p.nqn != out.subsysnqn)
      return Invalid("spec: a portal's nqn " + Shown(p.nqn) + " is not the subsysnqn " +
                     Shown(out.subsysnqn));
    if (p.nqn.empty() && out.subsysnqn.empty())
      return Invalid("spec: portals need the subsystem: give subsysnqn");
    if (out.subsysnqn.empty())
      out.subsysnqn = p.nqn;
  }
  if (out.ns.nsid && out.ns.uuid.empty() && out.ns.nguid.empty() && out.ns.eui64.empty() &&
      out.subsysnqn.empty()) {
    return Invalid("spec: an nsid alone needs the subsysnqn it belongs to");
  }
  return out;
}

Result<AttachOptions> ParseAttachOptions(const VariantMap& options) {
  AttachOptions out;
  for (const auto& [key, v] : options) {
    if (key == "timeout-ms") {
      if (Status s = CheckType("options", key, v, "u"); !s)
        return Fail(s.error());
      auto ms = std::chrono::milliseconds(v.get<uint32_t>());
      if (ms.count() < 1 || ms > AttachOptions::kMaxTimeout)
        return Invalid("options key \"timeout-ms\": 1 to 600000 expected, not " +
                       std::to_string(ms.count()));
      out.timeout = ms;
    } else if (key == "multipath") {
      if (Status s = CheckType("options", key, v, "b"); !s)
        return Fail(s.error());
      out.multipath = v.get<bool>();
    } else if (key == "persistent") {
      if (Status s = CheckType("options", key, v, "b"); !s)
        return Fail(s.error());
      out.persistent = v.get<bool>();
    } else if (IsConnectOptionKey(key)) {
      // The tunables take their stacd.conf text; numbers and booleans are accepted as such.
      std::string got = v.peekValueType();
      std::string text;
      if (got == "s") {
        Result<std::string> s = GetString("options", key, v);
        if (!s)
          return Fail(s.error());
        text = *s;
      } else if (got == "u") {
        text = std::to_string(v.get<uint32_t>());
      } else if (got == "i") {
        text = std::to_string(v.get<int32_t>());
      } else if (got == "b") {
        text = v.get<bool>() ? "true" : "false";
      } else {
        return Invalid("options key " + Shown(key) +
                       " must be of type 's', 'u', 'i' or 'b', not '" + got + "'");
      }
      if (auto why = ParseConnectOption(key, text, &out.connect))
        return Invalid("options key " + Shown(key) + ": " + Shown(text) + " " + *why);
    } else {
      return Invalid("options: unknown key " + Shown(key) +
                     " (timeout-ms, multipath, persistent, or a stacd.conf connect option such as "
                     "nr-io-queues)");
    }
  }
  return out;
}

Status CheckDetachOptions(const VariantMap& options) {
  if (!options.empty())
    return Invalid("options: unknown key " + Shown(options.begin()->first) +
                   " (DetachVolume takes none yet)");
  return {};
}

}  // namespace stas::stac
