// SPDX-License-Identifier: Apache-2.0
// The [Limits] of #13 as both daemons apply them to one discovery controller's log page: which
// entries are used (SelectEntries), remembering which limits a DC hit so that each is logged
// once (LimitHits), and what `status` shows of them (LimitsJson). Pure; loop thread only.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/kernel/dlp_entry.h"

namespace stas {

inline constexpr const char* kLimitMaxDcs = "max-discovery-controllers";
inline constexpr const char* kLimitReferrals = "max-referrals-per-dc";
inline constexpr const char* kLimitLogEntries = "max-log-page-entries";
inline constexpr const char* kLimitReadTimeout = "log-page-read-timeout";
inline constexpr const char* kLimitIocs = "max-iocs-per-dc";
inline constexpr const char* kLimitCrossTransport = "cross-transport-entries";

// The entries of one DC's page that `wanted` picks (referrals for stafd, nvme entries for
// stacd), split by the limits: those used, those of another transport than the DC's (unless
// followed), and how many were beyond `max` (in page order: the first `max` are used).
struct EntrySelection {
  std::vector<LogEntry> used;
  std::vector<LogEntry> other_transport;
  size_t over_max = 0;
};
EntrySelection SelectEntries(const std::vector<LogEntry>& page,
                             const std::function<bool(const LogEntry&)>& wanted,
                             const std::string& dc_transport, bool follow_cross_transport, int max);

// "rdma 192.0.2.1 4420 nqn.x" for the first few entries, then "and N more".
std::string EntriesText(const std::vector<LogEntry>& entries);

// Which limits one DC (or the service, for max-discovery-controllers) hit at its last page,
// and how many entries each dropped. Note() logs a warning when a limit becomes hit, and only
// at debug level while it stays hit: a DC sends the same page after every AEN.
class LimitHits {
 public:
  // After a page: `dropped` entries (or reads) were not used because of `limit`, whose
  // configured value is `value` (0: the limit is not hit now). `what` says what was dropped.
  void Note(const std::string& prefix, const char* limit, const std::string& value, size_t dropped,
            const std::string& what);
  void Clear(const char* limit) { dropped_.erase(limit); }
  const std::map<std::string, size_t>& dropped() const { return dropped_; }

 private:
  std::map<std::string, size_t> dropped_;  // the limits hit now
};

// `status`'s "limits" object: for each configured limit (name, value), its value, the DCs
// that hit it now and what they dropped:
// {"max-referrals-per-dc": {"value": 64, "hit-by": ["(tcp, ...)"], "dropped": 936}, ...}.
// `hits` pairs a DC's id ("" for the service itself) with its LimitHits.
nlohmann::ordered_json LimitsJson(
    const std::vector<std::pair<std::string, nlohmann::ordered_json>>& configured,
    const std::vector<std::pair<std::string, const LimitHits*>>& hits);

}  // namespace stas
