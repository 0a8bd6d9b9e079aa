// SPDX-License-Identifier: Apache-2.0
#include "common/daemon/dbus_args.h"

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

std::map<std::string, std::string> ToMap(
    const std::vector<std::pair<std::string, std::string>>& v) {
  return std::map<std::string, std::string>(v.begin(), v.end());
}

}  // namespace stas
