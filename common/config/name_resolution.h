// SPDX-License-Identifier: Apache-2.0
// Turning configured controllers into addresses both daemons accept, as nvme-stas does
// (docs/compatibility.md, "Name resolution and address checks"):
// host names resolved off the loop, the address picked by ip-family, and the checks of
// transport, address syntax, family and exclusions applied to every candidate.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/tid.h"

namespace stas {

using ResolvedNames = std::map<std::string, std::vector<std::string>>;

bool IsIpTransport(const std::string& transport);

// Blocking (worker thread): every address of `name`, in resolver order.
std::vector<std::string> ResolveWithGetaddrinfo(const std::string& name);

// The host names among the tcp/rdma traddr of `entries` (no duplicates).
std::vector<std::string> NamesToResolve(const std::vector<ControllerEntry>& entries);

// The traddr to use for `entry`: its IP literal, or the first resolved IPv4 address if IPv4 is
// allowed, else the first IPv6 one (as nvme-stas). nullopt (logged) when there is none.
std::optional<std::string> TraddrFor(const ControllerEntry& entry, const ResolvedNames& resolved,
                                     const IpFamilies& families);

// Whether a candidate may be connected: not excluded, a known transport, and for tcp/rdma a
// valid IP address of an allowed family. Rejections are logged.
bool CandidateAllowed(const Tid& tid, const ServiceConfig& config);

}  // namespace stas
