// SPDX-License-Identifier: Apache-2.0
#include "staf/last_known_config.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/daemon/state_writer.h"
#include "common/tid_json.h"

namespace stas::staf {
namespace {

constexpr int kFormatVersion = 1;

nlohmann::json EntryToJson(const LogEntry& e) {
  return {{"trtype", e.trtype},   {"adrfam", e.adrfam}, {"subtype", e.subtype},
          {"treq", e.treq},       {"portid", e.portid}, {"cntlid", e.cntlid},
          {"asqsz", e.asqsz},     {"eflags", e.eflags}, {"traddr", e.traddr},
          {"trsvcid", e.trsvcid}, {"subnqn", e.subnqn}, {"sectype", e.sectype}};
}

// Sets *out to j[key] if it is an integer that fits T. nlohmann's get<uint8_t>() converts 1e300
// or -1 without a check (undefined behaviour for the first), and a state file is untrusted.
template <class T>
bool GetUInt(const nlohmann::json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned() ||
      it->template get<std::uint64_t>() > std::numeric_limits<T>::max()) {
    return false;
  }
  *out = static_cast<T>(it->template get<std::uint64_t>());
  return true;
}

std::optional<RawLogEntry> EntryFromJson(const nlohmann::json& j) {
  RawLogEntry e;
  if (!GetUInt(j, "trtype", &e.trtype) || !GetUInt(j, "adrfam", &e.adrfam) ||
      !GetUInt(j, "subtype", &e.subtype) || !GetUInt(j, "treq", &e.treq) ||
      !GetUInt(j, "portid", &e.portid) || !GetUInt(j, "cntlid", &e.cntlid) ||
      !GetUInt(j, "asqsz", &e.asqsz) || !GetUInt(j, "eflags", &e.eflags)) {
    return std::nullopt;
  }
  // Not in the files of versions before TSAS was read: none.
  if (j.contains("sectype") && !GetUInt(j, "sectype", &e.tsas0))
    return std::nullopt;
  e.traddr = j.at("traddr").get<std::string>();
  e.trsvcid = j.at("trsvcid").get<std::string>();
  e.subnqn = j.at("subnqn").get<std::string>();
  return e;
}

}  // namespace

std::string SerializeLkc(const std::vector<SavedDc>& dcs) {
  nlohmann::json list = nlohmann::json::array();
  for (const SavedDc& dc : dcs) {
    nlohmann::json tid = TidToJson(dc.tid);
    nlohmann::json log = nlohmann::json::array();
    for (const LogEntry& e : dc.log)
      log.push_back(EntryToJson(e));
    list.push_back({{"tid", tid}, {"origin", OriginName(dc.origin)}, {"log_pages", log}});
  }
  nlohmann::json doc = {
      {"format", "stafd-last-known-config"}, {"version", kFormatVersion}, {"dcs", list}};
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<std::vector<SavedDc>> ParseLkc(const std::string& text) {
  try {
    nlohmann::json doc = nlohmann::json::parse(text);
    // Compared as JSON values: value("version", 0) would convert a 1e300 to int.
    if (!doc.is_object() || doc.value("format", "") != "stafd-last-known-config" ||
        doc.value("version", nlohmann::json()) != kFormatVersion) {
      return Fail(EINVAL, "not a stafd last-known-config document (version " +
                              std::to_string(kFormatVersion) + ")");
    }
    std::vector<SavedDc> out;
    for (const nlohmann::json& j : doc.at("dcs")) {
      Result<TidFields> f = TidFieldsFromJson(j.at("tid"));
      if (!f)
        return Fail(f.error());
      SavedDc dc;
      dc.tid = Tid::Make(std::move(*f), TidDefaults{});
      std::optional<Origin> origin = OriginFromName(j.at("origin").get<std::string>());
      if (!origin)
        return Fail(EINVAL, "unknown origin " + j.at("origin").dump());
      dc.origin = *origin;
      std::vector<RawLogEntry> raw;
      for (const nlohmann::json& e : j.at("log_pages")) {
        std::optional<RawLogEntry> r = EntryFromJson(e);
        if (!r)
          return Fail(EINVAL, "log page entry with a missing or out-of-range number: " + e.dump());
        raw.push_back(std::move(*r));
      }
      ValidatedLog v = ValidateLogEntries(raw);
      if (!v.rejected.empty()) {
        return Fail(EINVAL, "log page entry rejected: " + v.rejected.front().reason);
      }
      dc.log = std::move(v.entries);
      out.push_back(std::move(dc));
    }
    return out;
  } catch (const nlohmann::json::exception& e) {
    return Fail(EINVAL, e.what());
  }
}

std::string DefaultLkcPath(const char* prog) {
  return RuntimeStatePath(prog, kLkcFileName);
}

}  // namespace stas::staf
