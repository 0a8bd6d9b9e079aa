// SPDX-License-Identifier: Apache-2.0
#include "common/controller/limits.h"

#include <algorithm>

#include "common/log.h"

namespace stas {

EntrySelection SelectEntries(const std::vector<LogEntry>& page,
                             const std::function<bool(const LogEntry&)>& wanted,
                             const std::string& dc_transport, bool follow_cross_transport,
                             int max) {
  EntrySelection out;
  for (const LogEntry& e : page) {
    if (!wanted(e))
      continue;
    if (!follow_cross_transport && e.transport != dc_transport) {
      out.other_transport.push_back(e);
    } else if (out.used.size() < static_cast<size_t>(std::max(max, 0))) {
      out.used.push_back(e);
    } else {
      ++out.over_max;
    }
  }
  return out;
}

std::string EntriesText(const std::vector<LogEntry>& entries) {
  constexpr size_t kShown = 3;
  std::string out;
  for (size_t i = 0; i < entries.size() && i < kShown; ++i) {
    const LogEntry& e = entries[i];
    out += (i ? "; " : "") + e.transport + " " + e.traddr + " " + e.trsvcid + " " + e.subnqn;
  }
  if (entries.size() > kShown)
    out += "; and " + std::to_string(entries.size() - kShown) + " more";
  return out;
}

void LimitHits::Note(const std::string& prefix, const char* limit, const std::string& value,
                     size_t dropped, const std::string& what) {
  if (dropped == 0) {
    if (dropped_.erase(limit) > 0)
      LOG_INFO("%s[Limits] %s no longer reached", prefix.c_str(), limit);
    return;
  }
  const bool was_hit = dropped_.count(limit) > 0;
  dropped_[limit] = dropped;
  if (was_hit) {
    LOG_DEBUG("%s%s (%zu), as before: [Limits] %s=%s", prefix.c_str(), what.c_str(), dropped, limit,
              value.c_str());
  } else {
    LOG_WARNING(
        "%s%s (%zu): [Limits] %s=%s reached; change it in the configuration file to "
        "use more",
        prefix.c_str(), what.c_str(), dropped, limit, value.c_str());
  }
}

nlohmann::ordered_json LimitsJson(
    const std::vector<std::pair<std::string, nlohmann::ordered_json>>& configured,
    const std::vector<std::pair<std::string, const LimitHits*>>& hits) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, value] : configured) {
    nlohmann::ordered_json hit_by = nlohmann::ordered_json::array();
    size_t dropped = 0;
    for (const auto& [owner, h] : hits) {
      auto it = h->dropped().find(name);
      if (it == h->dropped().end())
        continue;
      dropped += it->second;
      if (!owner.empty())
        hit_by.push_back(owner);
    }
    out[name] = {{"value", value}, {"hit-by", std::move(hit_by)}, {"dropped", dropped}};
  }
  return out;
}

}  // namespace stas
