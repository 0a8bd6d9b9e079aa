// SPDX-License-Identifier: Apache-2.0
#include "common/controller/candidates.h"

namespace stas {

ResolvedNames ResolveNames(const std::vector<std::string>& names, const NameResolver& resolve) {
  ResolvedNames out;
  for (const std::string& n : names)
    out[n] = resolve(n);
  return out;
}

ConnectRequest RequestFactory::Make(TidFields fields, const ControllerEntry* entry) const {
  ConnectRequest r;
  r.tid = Tid::Make(std::move(fields), tid_defaults);
  r.discovery = discovery;
  r.options = entry ? config.connect.MergedWith(entry->overrides) : config.connect;
  if (entry) {
    r.dhchap_secret = entry->dhchap_secret;
    r.dhchap_ctrl_secret = entry->dhchap_ctrl_secret;
    r.keyring = entry->keyring;
    r.tls_key = entry->tls_key;
  }
  r.host = host;
  if (r.tid.host_nqn() != host.hostnqn) {
    if (auto it = config.host_ids.find(r.tid.host_nqn()); it != config.host_ids.end())
      r.host.hostid = it->second;
  }
  return r;
}

std::vector<ConfiguredRequest> RequestFactory::Configured(const ResolvedNames& resolved) const {
  std::vector<ConfiguredRequest> out;
  for (const ControllerEntry& e : config.controllers) {
    std::optional<std::string> traddr = TraddrFor(e, resolved, config.ip_family);
    if (!traddr)
      continue;
    TidFields f{.transport = e.transport,
                .traddr = *traddr,
                .trsvcid = e.trsvcid,
                .subsysnqn = e.subsysnqn,
                .host_traddr = e.host_traddr,
                .host_iface = e.host_iface,
                .host_nqn = e.host_nqn};
    out.push_back(ConfiguredRequest{Make(std::move(f), &e), e.extras});
  }
  return out;
}

}  // namespace stas
