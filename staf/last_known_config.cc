// SPDX-License-Identifier: Apache-2.0
#include "staf/last_known_config.h"

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/daemon/state_writer.h"
#include "common/tid_json.h"

namespace stas::staf {
namespace {

constexpr int kFormatVersion = 1;

nlohmann::json EntryToJson(const LogEntry& e) {
  return {{"trtype", e.trtype},   {"adrfam", e.adrfam}, {"subtype", e.subtype},
          {"treq", e.treq},       {"portid", e.portid}, {"cntlid", e.cntlid},
          {"asqsz", e.asqsz},     {"eflags", e.eflags}, {"traddr", e.traddr},
          {"trsvcid", e.trsvcid}, {"subnqn", e.subnqn}};
}

// A field of the DLPE: an integer that fits T. get<T>() alone would wrap 259 to 3 (tcp) and
// convert 1e300 with undefined behaviour.
template <class T>
T Field(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = j.at(key);
  if (!v.is_number_unsigned() || v.get<uint64_t>() > std::numeric_limits<T>::max()) {
    throw nlohmann::json::other_error::create(501, std::string(key) + " is not a valid value", &v);
  }
  return static_cast<T>(v.get<uint64_t>());
}

RawLogEntry EntryFromJson(const nlohmann::json& j) {
  RawLogEntry e;
  e.trtype = Field<uint8_t>(j, "trtype");
  e.adrfam = Field<uint8_t>(j, "adrfam");
  e.subtype = Field<uint8_t>(j, "subtype");
  e.treq = Field<uint8_t>(j, "treq");
  e.portid = Field<uint16_t>(j, "portid");
  e.cntlid = Field<uint16_t>(j, "cntlid");
  e.asqsz = Field<uint16_t>(j, "asqsz");
  e.eflags = Field<uint16_t>(j, "eflags");
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
  return doc.dump() + "\n";
}

Result<std::vector<SavedDc>> ParseLkc(const std::string& text) {
  try {
    nlohmann::json doc = nlohmann::json::parse(text);
    // The version compared as JSON: value("version", 0) would convert 1e300 to int (undefined).
    if (doc.value("format", "") != "stafd-last-known-config" ||
        doc.value("version", nlohmann::json()) != kFormatVersion) {
      return Fail(EINVAL, "not a stafd last-known-config document (version " +
                              std::to_string(kFormatVersion) + ")");
    }
    std::vector<SavedDc> out;
    for (const nlohmann::json& j : doc.at("dcs")) {
      std::optional<TidFields> f = TidFieldsFromJson(j.at("tid"));
      if (!f)
        return Fail(EINVAL, "bad controller identity " + j.at("tid").dump());
      SavedDc dc;
      dc.tid = Tid::Make(std::move(*f), TidDefaults{});
      std::optional<Origin> origin = OriginFromName(j.at("origin").get<std::string>());
      if (!origin)
        return Fail(EINVAL, "unknown origin " + j.at("origin").dump());
      dc.origin = *origin;
      std::vector<RawLogEntry> raw;
      for (const nlohmann::json& e : j.at("log_pages"))
        raw.push_back(EntryFromJson(e));
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
