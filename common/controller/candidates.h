// SPDX-License-Identifier: Apache-2.0
// Candidates: what stafd's and stacd's services share in deciding which controllers they want.
// Each service gathers candidates in its own order of priority (stafd: configured, referrals,
// mDNS; stacd: configured, then stafd's log pages) in its own Candidate type; both build the
// connect requests the same way, take the controller= entries the same way, and keep the same
// candidates: the first of each TID, among those the configuration allows.
// Loop thread only, except ResolveNames().
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/config/config.h"
#include "common/config/name_resolution.h"
#include "common/kernel/nvme_kernel.h"
#include "common/tid.h"

namespace stas {

// Blocking: every address of a host name. Production: ResolveWithGetaddrinfo.
using NameResolver = std::function<std::vector<std::string>(const std::string& name)>;

// Blocking (worker thread): `resolve(name)` for each of `names`.
ResolvedNames ResolveNames(const std::vector<std::string>& names, const NameResolver& resolve);

// One controller= entry of the configuration, as a request, with the keys it gave.
struct ConfiguredRequest {
  ConnectRequest request;
  std::vector<std::pair<std::string, std::string>> extras;  // ControllerEntry::extras
};

// How one service turns controller identities into connect requests. A view of the service's
// own state, built when needed; it must not outlive it.
struct RequestFactory {
  const ServiceConfig& config;
  const TidDefaults& tid_defaults;
  const HostInfo& host;
  bool discovery;  // stafd's discovery controllers: true; stacd's I/O controllers: false

  // The request for the controller `fields` names, its TID normalised with tid_defaults. The
  // [Global] options, merged with the overrides and secrets of `entry` when the controller
  // comes from a controller= entry (null otherwise).
  ConnectRequest Make(TidFields fields, const ControllerEntry* entry) const;
  // The controller= entries of the configuration, in file order. An entry whose host name has
  // no usable address in `resolved` is left out (TraddrFor() logs it).
  std::vector<ConfiguredRequest> Configured(const ResolvedNames& resolved) const;
};

// The candidates a service wants, in the order they were found, and their TIDs.
template <class Candidate>
struct WantedCandidates {
  std::vector<Candidate> list;
  std::set<Tid> tids;
};

// Keeps, from `found` (in priority order), the first candidate of each TID among those
// `config` allows (CandidateAllowed(), which logs what it rejects). A later candidate with the
// TID of a kept one is handed to `merge(kept, later)` when given, and dropped. Candidate has a
// ConnectRequest `request`.
template <class Candidate>
WantedCandidates<Candidate> SelectWanted(
    std::vector<Candidate> found, const ServiceConfig& config,
    const std::function<void(Candidate& kept, const Candidate& later)>& merge = {}) {
  WantedCandidates<Candidate> wanted;
  std::map<Tid, std::size_t> index;  // position in wanted.list
  for (Candidate& c : found) {
    if (auto it = index.find(c.request.tid); it != index.end()) {
      if (merge)
        merge(wanted.list[it->second], c);
      continue;
    }
    if (!CandidateAllowed(c.request.tid, config))
      continue;
    index.emplace(c.request.tid, wanted.list.size());
    wanted.tids.insert(c.request.tid);
    wanted.list.push_back(std::move(c));
  }
  return wanted;
}

}  // namespace stas
