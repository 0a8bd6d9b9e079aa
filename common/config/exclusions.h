// SPDX-License-Identifier: Apache-2.0
// The host-wide exclusion list that the NVMe-oF tools of a host share (nvme-cli and nvme-stas
// 3.x read the same files): <dir>/exclusions.conf and <dir>/exclusions.conf.d/*.conf, where
// <dir> is /etc/nvme. In each, only the [exclusions] section counts, one entry per line:
//
//   [exclusions]
//   exclusion = transport=tcp;traddr=192.0.2.10;nqn=nqn.2014-08.org.example:sub1
//
// Keys: transport traddr trsvcid nqn host-traddr host-iface hostnqn hostid. An entry excludes
// a connection when every field it names equals the connection's (IP addresses compared as
// addresses, fc addresses without regard to case); a field the connection does not have, an
// unknown key, or an empty entry never matches (and is logged once). The files are read again
// for every connect attempt, so an entry added while the daemons run stops the next connect; a
// file that cannot be read excludes nothing (fail-open, as the other tools), nor does one that
// is not a regular file or is larger than 256 KiB (both logged once). At most 256 .conf files
// of the directory are read, the first in name order. They apply to every connection the
// daemons make (log page entries, referrals, configured and mDNS DCs, volumes), on top of
// exclude= of stafd.conf and stacd.conf. Pure but for ReadExclusions(); thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace stas {

struct Exclusion {
  std::string where;  // "file:line", for the log
  std::vector<std::pair<std::string, std::string>> fields;
  bool usable = true;  // false: an unknown key or no field; never matches
};

// A connection as an exclusion sees it; an empty field is one the connection does not have.
struct ExcludedConnection {
  std::string transport, traddr, trsvcid, nqn, host_traddr, host_iface, hostnqn, hostid;
};

std::vector<Exclusion> ParseExclusions(const std::string& text, const std::string& file);
// Every entry of <dir>/exclusions.conf and <dir>/exclusions.conf.d/*.conf (in name order).
std::vector<Exclusion> ReadExclusions(const std::string& dir);
// The first entry that excludes `c`.
std::optional<Exclusion> MatchExclusion(const std::vector<Exclusion>& list,
                                        const ExcludedConnection& c);

}  // namespace stas
