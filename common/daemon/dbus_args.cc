// SPDX-License-Identifier: Apache-2.0
#include "common/daemon/dbus_args.h"

#include <cerrno>

#include "common/config/name_resolution.h"
#include "common/ip_address.h"
#include "common/str_util.h"

namespace stas {

void CheckControllerIdArgs(const std::string& error_prefix,
                           const std::vector<std::pair<const char*, const std::string*>>& args) {
  for (const auto& [name, value] : args) {
    if (value->size() > 512 || !IsPrintableAscii(*value)) {
      throw sdbus::Error(error_prefix + ".Error.InvalidArgs",
                         std::string("argument ") + name + " \"" + Printable(value->substr(0, 64)) +
                             "\" is not valid: printable ASCII of at most 512 characters expected");
    }
  }
}

Tid TidFromDbusArgs(const std::string& error_prefix, const TidFields& a,
                    const TidDefaults& defaults) {
  const std::string no_host_nqn;  // a D-Bus call always has one; checked only if present
  CheckControllerIdArgs(error_prefix, {{"transport", &a.transport},
                                       {"traddr", &a.traddr},
                                       {"trsvcid", &a.trsvcid},
                                       {"subsysnqn", &a.subsysnqn},
                                       {"host_traddr", &a.host_traddr},
                                       {"host_iface", &a.host_iface},
                                       {"host_nqn", a.host_nqn ? &*a.host_nqn : &no_host_nqn}});
  return Tid::Make(a, defaults);
}

Result<ControllerEntry> ControllerEntryFromDict(Daemon d, const std::string& where,
                                                const std::map<std::string, std::string>& dict) {
  auto shown = [](const std::string& s) {
    return "\"" + Printable(s.substr(0, 64)) + (s.size() > 64 ? "...\"" : "\"");
  };
  ControllerEntry e;
  for (const auto& [key, value] : dict) {
    if (value.size() > 512 || !IsPrintableAscii(value)) {
      return Fail(EINVAL,
                  where + ": " + shown(key) + " is not printable ASCII of at most 512 characters");
    }
    std::string* field = key == "transport"     ? &e.transport
                         : key == "traddr"      ? &e.traddr
                         : key == "trsvcid"     ? &e.trsvcid
                         : key == "host-traddr" ? &e.host_traddr
                         : key == "host-iface"  ? &e.host_iface
                         : key == "nqn"         ? &e.subsysnqn
                                                : nullptr;
    if (key == "host-nqn") {
      e.host_nqn = value;
    } else if (field == nullptr) {
      return Fail(EINVAL, where + ": unknown key " + shown(key) +
                              " (transport, traddr, trsvcid, host-traddr, host-iface, nqn, "
                              "host-nqn)");
    } else {
      *field = value;
    }
  }
  for (const Diagnostic& x : CheckControllerEntry(d, &e, where)) {
    if (x.severity == Severity::kError)
      return Fail(EINVAL, x.message);
  }
  if (IsIpTransport(e.transport) && e.trsvcid.empty())
    return Fail(EINVAL, where + ": trsvcid is missing");
  if (IsIpTransport(e.transport) && !IpAddress::Parse(e.traddr))
    return Fail(EINVAL, where + ": traddr " + shown(e.traddr) + " is not an IP address");
  return e;
}

std::map<std::string, std::string> ToMap(
    const std::vector<std::pair<std::string, std::string>>& v) {
  return std::map<std::string, std::string>(v.begin(), v.end());
}

}  // namespace stas
