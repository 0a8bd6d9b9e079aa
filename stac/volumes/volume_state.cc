// SPDX-License-Identifier: Apache-2.0
#include "stac/volumes/volume_state.h"

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/config/config_options.h"
#include "common/nvme_names.h"

namespace stas::stac {
namespace {

nlohmann::json SpecJson(const VolumeSpec& s) {
  nlohmann::json j = nlohmann::json::object();
  auto add = [&j](const char* key, const std::string& value) {
    if (!value.empty())
      j[key] = value;
  };
  add("subsysnqn", s.subsysnqn);
  add("uuid", s.ns.uuid);
  add("nguid", s.ns.nguid);
  add("eui64", s.ns.eui64);
  if (s.ns.nsid)
    j["nsid"] = *s.ns.nsid;
  add("hostnqn", s.hostnqn);
  add("hostid", s.hostid);
  for (const auto* list : {&s.portals, &s.discovery}) {
    if (list->empty())
      continue;
    nlohmann::json a = nlohmann::json::array();
    for (const Portal& p : *list)
      a.push_back(PortalFields(p));
    j[list == &s.portals ? "portals" : "discovery"] = a;
  }
  return j;
}

nlohmann::json OptionsJson(const AttachOptions& o) {
  nlohmann::json j = nlohmann::json::object();
  for (const OptionSpec& spec : AllOptions()) {
    if (!IsConnectOptionKey(spec.name))
      continue;
    if (std::optional<std::string> text = ConnectOptionText(o.connect, spec.name))
      j[spec.name] = *text;
  }
  if (o.persistent)
    j["persistent"] = true;
  return j;
}

// The JSON back into what AttachVolume receives, for the same checks. Types that do not fit
// are passed on as such, so that the checks name them.
sdbus::Variant ToVariant(const nlohmann::json& v) {
  if (v.is_string())
    return sdbus::Variant(v.get<std::string>());
  if (v.is_boolean())
    return sdbus::Variant(v.get<bool>());
  if (v.is_number_unsigned() && v.get<uint64_t>() <= 0xffffffffULL)
    return sdbus::Variant(static_cast<uint32_t>(v.get<uint64_t>()));
  if (v.is_array()) {
    std::vector<std::map<std::string, std::string>> list;
    for (const nlohmann::json& e : v) {
      std::map<std::string, std::string> d;
      if (!e.is_object())
        return sdbus::Variant(std::string("not a list of objects"));
      for (const auto& [key, value] : e.items()) {
        if (!value.is_string())
          return sdbus::Variant(std::string("not a list of string objects"));
        d[key] = value.get<std::string>();
      }
      list.push_back(std::move(d));
    }
    return sdbus::Variant(list);
  }
  return sdbus::Variant(v.dump());  // a type no key takes: refused by the checks
}

VariantMap ToVariantMap(const nlohmann::json& obj) {
  VariantMap m;
  if (!obj.is_object())
    return m;
  for (const auto& [key, value] : obj.items())
    m[key] = ToVariant(value);
  return m;
}

}  // namespace

std::string SerializeVolumes(const std::vector<VolumeManager::Saved>& volumes,
                             bool persistent_only) {
  nlohmann::json list = nlohmann::json::array();
  for (const VolumeManager::Saved& v : volumes) {
    if (persistent_only && !v.options.persistent)
      continue;
    nlohmann::json entry = {
        {"id", v.id}, {"spec", SpecJson(v.spec)}, {"options", OptionsJson(v.options)}};
    if (!v.found_subsysnqn.empty())
      entry["found-subsysnqn"] = v.found_subsysnqn;
    list.push_back(std::move(entry));
  }
  nlohmann::json doc = {{"format", kVolumesFormat}, {"version", 1}, {"volumes", list}};
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<std::vector<VolumeManager::Saved>> ParseVolumes(const std::string& text,
                                                       std::vector<std::string>* skipped) {
  try {
    nlohmann::json doc = nlohmann::json::parse(text);
    if (!doc.is_object() || doc.value("format", "") != kVolumesFormat ||
        doc.value("version", nlohmann::json()) != 1 || !doc.contains("volumes") ||
        !doc.at("volumes").is_array()) {
      return Fail(EINVAL, "not a stacd volumes document");
    }
    std::vector<VolumeManager::Saved> out;
    std::size_t index = 0;
    for (const nlohmann::json& v : doc.at("volumes")) {
      const std::string where = "entry " + std::to_string(index++);
      if (!v.is_object() || !v.contains("id") || !v.at("id").is_string()) {
        skipped->push_back(where + ": no id");
        continue;
      }
      std::string id = v.at("id").get<std::string>();
      if (Status s = CheckVolumeId(id); !s) {
        skipped->push_back(where + ": " + s.error().message);
        continue;
      }
      Result<VolumeSpec> spec = ParseVolumeSpec(ToVariantMap(v.value("spec", nlohmann::json())));
      Result<AttachOptions> options =
          ParseAttachOptions(ToVariantMap(v.value("options", nlohmann::json())));
      if (!spec || !options) {
        skipped->push_back(where + " (" + id +
                           "): " + (!spec ? spec.error().message : options.error().message));
        continue;
      }
      // Where a volume given by its namespace alone was found: checked as any NQN, and
      // meaningful only for such a volume.
      std::string found;
      if (v.contains("found-subsysnqn")) {
        const nlohmann::json& f = v.at("found-subsysnqn");
        if (!f.is_string() || CheckNqn(f.get<std::string>(), false) || spec->discovery.empty() ||
            !spec->subsysnqn.empty()) {
          skipped->push_back(where + " (" + id + "): found-subsysnqn is not a subsystem NQN " +
                             "of a volume given by its namespace through discovery");
          continue;
        }
        found = f.get<std::string>();
      }
      out.push_back(
          VolumeManager::Saved{std::move(id), std::move(*spec), *options, std::move(found)});
    }
    return out;
  } catch (const nlohmann::json::exception& e) {
    return Fail(EINVAL, e.what());
  }
}

}  // namespace stas::stac
