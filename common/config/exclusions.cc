// SPDX-License-Identifier: Apache-2.0
#include "common/config/exclusions.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <mutex>
#include <set>

#include "common/atomic_file.h"
#include "common/config/ini_file.h"
#include "common/dir_listing.h"
#include "common/ip_address.h"
#include "common/log.h"
#include "common/str_util.h"

namespace stas {
namespace {

// The most entries read from one file: the list is a hand-written file, and every connect
// attempt reads it.
constexpr std::size_t kMaxEntriesPerFile = 4096;
constexpr std::size_t kMaxFilesInDir = 256;
constexpr std::size_t kMaxFileBytes = 256 * 1024;
// Names looked at in exclusions.conf.d before the first kMaxFilesInDir (in name order) are
// taken: a directory of millions of files is not read whole at every connect.
constexpr std::size_t kMaxWarned = 256;

// What makes an entry or a file exclude nothing is said once per process (the files are read
// at every connect): the admin believes it excludes something.
void WarnOnce(const std::string& message) {
  static std::mutex mu;
  static std::set<std::string> warned;
  std::lock_guard<std::mutex> lock(mu);
  if (warned.size() >= kMaxWarned || !warned.insert(message).second)
    return;
  LOG_WARNING("%s", message.c_str());
}

const char* const kKeys[] = {"transport",   "traddr",     "trsvcid", "nqn",
                             "host-traddr", "host-iface", "hostnqn", "hostid"};

const std::string* FieldOf(const ExcludedConnection& c, const std::string& key) {
  if (key == "transport")
    return &c.transport;
  if (key == "traddr")
    return &c.traddr;
  if (key == "trsvcid")
    return &c.trsvcid;
  if (key == "nqn")
    return &c.nqn;
  if (key == "host-traddr")
    return &c.host_traddr;
  if (key == "host-iface")
    return &c.host_iface;
  if (key == "hostnqn")
    return &c.hostnqn;
  if (key == "hostid")
    return &c.hostid;
  return nullptr;
}

bool SameValue(const std::string& key, const std::string& want, const std::string& have) {
  if (key == "traddr" || key == "host-traddr") {
    // 2001:DB8::1 is 2001:db8:0::1; an fc address is hex of either case.
    auto a = IpAddress::Parse(want);
    auto b = IpAddress::Parse(have);
    if (a && b)
      return *a == *b;
    return ToLower(want) == ToLower(have);
  }
  return want == have;
}

}  // namespace

std::vector<Exclusion> ParseExclusions(const std::string& text, const std::string& file) {
  std::vector<Exclusion> out;
  IniDocument doc = ParseIniText(text, file);
  for (const IniEntry& e : doc.entries) {
    if (e.section != "exclusions" || e.name != "exclusion" || !e.value)
      continue;
    if (out.size() == kMaxEntriesPerFile)
      break;
    Exclusion x;
    x.where = file + ":" + std::to_string(e.line);
    std::string why;
    for (const std::string& part : Split(*e.value, ';')) {
      std::string field(Trim(part));
      if (field.empty())
        continue;
      auto eq = field.find('=');
      std::string key(Trim(std::string_view(field).substr(0, eq)));
      std::string value(eq == std::string::npos ? std::string_view()
                                                : Trim(std::string_view(field).substr(eq + 1)));
      if (eq == std::string::npos ||
          std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
        x.usable = false;
        if (why.empty())
          why = eq == std::string::npos ? "\"" + key + "\" has no value"
                                        : "unknown key \"" + key + "\"";
      }
      x.fields.emplace_back(std::move(key), std::move(value));
    }
    if (x.fields.empty()) {
      x.usable = false;
      why = "it names no field";
    }
    if (!x.usable)
      WarnOnce(x.where + ": this exclusion never matches: " + why);
    out.push_back(std::move(x));
  }
  return out;
}

std::vector<Exclusion> ReadExclusions(const std::string& dir) {
  std::vector<std::string> files = {dir + "/exclusions.conf"};
  std::vector<std::string> extra;
  if (Result<DirListing> d = ListDirectory(dir + "/exclusions.conf.d")) {
    for (const std::string& name : d->names) {
      if (std::filesystem::path(name).extension() == ".conf")
        extra.push_back(dir + "/exclusions.conf.d/" + name);
    }
  }
  if (extra.size() > kMaxFilesInDir)
    extra.resize(kMaxFilesInDir);
  files.insert(files.end(), extra.begin(), extra.end());
  std::vector<Exclusion> out;
  for (const std::string& f : files) {
    Result<std::string> text = ReadRegularFile(f, kMaxFileBytes);
    if (!text) {
      // Missing or unreadable: excludes nothing. Anything but a missing file is said once.
      if (text.error().code != ENOENT)
        WarnOnce("Exclusion list not read: " + text.error().message);
      continue;
    }
    for (Exclusion& x : ParseExclusions(*text, f))
      out.push_back(std::move(x));
  }
  return out;
}

std::optional<Exclusion> MatchExclusion(const std::vector<Exclusion>& list,
                                        const ExcludedConnection& c) {
  for (const Exclusion& x : list) {
    if (!x.usable)
      continue;
    const bool all = std::all_of(x.fields.begin(), x.fields.end(), [&c](const auto& kv) {
      const std::string* have = FieldOf(c, kv.first);
      return have != nullptr && !have->empty() && SameValue(kv.first, kv.second, *have);
    });
    if (all)
      return x;
  }
  return std::nullopt;
}

}  // namespace stas
