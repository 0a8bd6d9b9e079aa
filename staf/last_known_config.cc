// SPDX-License-Identifier: Apache-2.0
#include "staf/last_known_config.h"

#include <cerrno>
#include <cstdlib>
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

RawLogEntry EntryFromJson(const nlohmann::json& j) {
  RawLogEntry e;
  e.trtype = j.at("trtype").get<uint8_t>();
  e.adrfam = j.at("adrfam").get<uint8_t>();
  e.subtype = j.at("subtype").get<uint8_t>();
  e.treq = j.at("treq").get<uint8_t>();
  e.portid = j.at("portid").get<uint16_t>();
  e.cntlid = j.at("cntlid").get<uint16_t>();
  e.asqsz = j.at("asqsz").get<uint16_t>();
  e.eflags = j.at("eflags").get<uint16_t>();
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
    if (doc.value("format", "") != "stafd-last-known-config" ||
        doc.value("version", 0) != kFormatVersion) {
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
