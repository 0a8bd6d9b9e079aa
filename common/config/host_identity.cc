// SPDX-License-Identifier: Apache-2.0
#include "common/config/host_identity.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <fcntl.h>
#include <string_view>
#include <system_error>
#include <unistd.h>

#include "build_config.h"
#include "common/atomic_file.h"
#include "common/config/ini_file.h"
#include "common/defs.h"
#include "common/nvme_names.h"
#include "common/str_util.h"

namespace stas {
namespace {

constexpr std::string_view kHostSection = "Host";
constexpr std::string_view kFileScheme = "file://";
constexpr std::array<std::string_view, 4> kHostOptions = {"nqn", "id", "key", "symname"};

// Every identity value fits in a few hundred bytes; reading at most this much of a first line
// keeps a wrong path (a device, a huge log) from hanging or bloating the daemon.
constexpr size_t kMaxFirstLineLength = 4096;

std::string ErrnoText(int err) {
  return std::generic_category().message(err);
}

// One [Host] option after following file://.
struct Resolved {
  std::optional<std::string> value;  // nullopt: unset, empty value or empty file
  std::string read_path;             // the file it came from; empty for a literal value
  int conf_line = 0;                 // the sys.conf line that set it; 0 for a default

  // Where the value came from, for messages.
  std::string Origin(const std::string& conf_file) const {
    if (!read_path.empty())
      return read_path;
    return conf_file + ":" + std::to_string(conf_line);
  }
};

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n';
}

// The first whitespace-separated token of the first line of `path` (Python's
// f.readline().split()[0]); nullopt when there is none.
Result<std::optional<std::string>> ReadFirstToken(const std::string& path) {
  Result<std::string> head = ReadFileHead(path, kMaxFirstLineLength, '\n');
  if (!head)
    return Fail(head.error());
  std::string line = std::move(*head);
  line = line.substr(0, std::min(line.find('\n'), kMaxFirstLineLength));

  auto begin = std::find_if_not(line.begin(), line.end(), IsBlank);
  auto end = std::find_if(begin, line.end(), IsBlank);
  if (begin == end)
    return std::optional<std::string>();
  return std::optional<std::string>(std::string(begin, end));
}

// The last [Host] `option` that has a value (bare names are reported by CheckSysConf()).
const IniEntry* FindOption(const IniDocument& doc, std::string_view option) {
  const IniEntry* found = nullptr;
  for (const IniEntry& e : doc.entries) {
    if (e.section == kHostSection && e.name == option && e.value)
      found = &e;
  }
  return found;
}

// Looks up `option`; when it is absent, uses "file://<default_file>" unless `default_file` is
// null.
Result<Resolved> Resolve(const IniDocument& doc, std::string_view option,
                         const std::string* default_file) {
  Resolved r;
  std::string path;
  if (const IniEntry* entry = FindOption(doc, option)) {
    r.conf_line = entry->line;
    if (!StartsWith(*entry->value, kFileScheme)) {
      if (!entry->value->empty())
        r.value = *entry->value;
      return r;
    }
    path = entry->value->substr(kFileScheme.size());
  } else if (default_file) {
    path = *default_file;
  } else {
    return r;
  }
  r.read_path = path;
  auto token = ReadFirstToken(path);
  if (!token)
    return Fail(token.error());
  r.value = std::move(*token);
  return r;
}

// The NQN and ID are mandatory: nvme-stas exits when it cannot read them. On success, `value`
// is set.
Result<Resolved> ResolveMandatory(const IniDocument& doc, std::string_view option,
                                  const std::string& default_file, const std::string& what) {
  std::string prefix = "Error reading mandatory " + what + " (see stasadm --help): ";
  auto r = Resolve(doc, option, &default_file);
  if (!r)
    return Fail(r.error().code, prefix + r.error().message);
  if (!r->value) {
    if (!r->read_path.empty())
      return Fail(ENODATA, prefix + r->read_path + " is empty");
    return Fail(ENODATA, prefix + "[" + std::string(kHostSection) + "] " + std::string(option) +
                             " is empty at " + r->Origin(doc.file));
  }
  return r;
}

Status CheckHostNqn(const std::string& nqn, const std::string& origin) {
  if (auto why = CheckNqn(nqn, /*require_nqn_prefix=*/true)) {
    return Fail(EINVAL, "Error Host NQN \"" + Printable(nqn) + "\" " + *why + " (read from " +
                            origin + ")");
  }
  return {};
}

// Why `symname` cannot be used, or an empty string when it can.
std::string SymnameProblem(const std::string& symname) {
  if (symname.size() > kMaxSymnameBytes) {
    return "is too long: " + std::to_string(symname.size()) + " bytes, at most " +
           std::to_string(kMaxSymnameBytes) + " allowed";
  }
  if (!IsPrintableAscii(symname))
    return "must be printable ASCII";
  if (symname.find(',') != std::string::npos)
    return "must not contain ','";
  return "";
}

Status CheckHostId(const std::string& hostid, const std::string& origin) {
  // nvmf_parse_options() passes hostid= to uuid_parse() and fails the connect otherwise.
  if (!CheckUuid(hostid))
    return {};
  return Fail(EINVAL, "Error Host ID \"" + Printable(hostid) +
                          "\" is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits); "
                          "the kernel rejects any other host ID (read from " +
                          origin + ")");
}

// The key is optional: nullopt when it is unset, empty or its file is missing.
Result<std::optional<std::string>> LoadHostKey(const IniDocument& doc,
                                               const std::string& default_file,
                                               Diagnostics* warnings) {
  auto key = Resolve(doc, "key", &default_file);
  if (!key && key.error().code != ENOENT) {
    return Fail(key.error().code, "Error reading Host key: " + key.error().message);
  }
  if (!key) {
    // No key is normal when the default file is missing, but a missing file named in sys.conf
    // means that authentication the user asked for will not happen.
    if (const IniEntry* e = FindOption(doc, "key")) {
      warnings->push_back(Diagnostic{
          Severity::kWarning, doc.file, e->line,
          "cannot read Host key: " + key.error().message + "; continuing without a host key"});
    }
    return std::optional<std::string>();
  }
  if (key->value && CheckDhchapSecret(*key->value)) {
    // The value is a secret (maybe with a typo): say where it is, never what it is.
    return Fail(EINVAL, "Error Host key read from " + key->Origin(doc.file) +
                            " is not a DH-HMAC-CHAP secret \"DHHC-1:NN:<base64>:\" "
                            "(NN: two hex digits); value not shown");
  }
  return std::move(key->value);
}

// A bad symname only costs the DIM registration its name, so it is a warning, not an error.
std::optional<std::string> LoadSymname(const IniDocument& doc, Diagnostics* warnings) {
  auto symname = Resolve(doc, "symname", nullptr);
  if (!symname) {
    const IniEntry* e = FindOption(doc, "symname");
    warnings->push_back(Diagnostic{
        Severity::kWarning, doc.file, e ? e->line : 0,
        "Error reading host symbolic name (will remain undefined): " + symname.error().message});
    return std::nullopt;
  }
  if (!symname->value)
    return std::nullopt;
  std::string problem = SymnameProblem(*symname->value);
  if (problem.empty())
    return std::move(symname->value);
  warnings->push_back(
      Diagnostic{Severity::kWarning, doc.file, symname->conf_line,
                 "[Host] symname \"" + Printable(*symname->value) + "\" " + problem + "; ignored"});
  return std::nullopt;
}

// configparser accepted anything; we warn so that typos ("hostnqn=", "[host]") do not go
// unnoticed. Returns the warnings in line order.
Diagnostics CheckSysConf(const IniDocument& doc) {
  Diagnostics out;
  for (Diagnostic d : doc.problems) {
    d.severity = Severity::kWarning;
    out.push_back(std::move(d));
  }
  auto warn = [&](int line, std::string message) {
    out.push_back(Diagnostic{Severity::kWarning, doc.file, line, std::move(message)});
  };
  for (const IniSection& s : doc.sections) {
    if (s.name != kHostSection)
      warn(s.line, "unknown section [" + Printable(s.name) + "]; ignored");
  }
  for (const IniEntry& e : doc.entries) {
    if (e.section != kHostSection)
      continue;
    std::string where = "[" + std::string(kHostSection) + "] ";
    if (std::find(kHostOptions.begin(), kHostOptions.end(), e.name) == kHostOptions.end()) {
      warn(e.line, where + "unknown option \"" + Printable(e.name) + "\"; ignored");
    } else if (!e.value) {
      warn(e.line, where + "option \"" + e.name + "\" has no value; ignored");
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
  return out;
}

IniDocument ReadSysConf(const std::string& path, Diagnostics* warnings) {
  auto doc = ParseIniFile(path);
  if (doc)
    return std::move(*doc);
  // Like configparser.read(), treat an unreadable file as empty; only a missing one is normal.
  if (doc.error().code != ENOENT) {
    warnings->push_back(
        Diagnostic{Severity::kWarning, path, 0,
                   ErrnoText(doc.error().code) + "; using the default [Host] options"});
  }
  IniDocument empty;
  empty.file = path;
  return empty;
}

}  // namespace

SysConfPaths SysConfPaths::Default() {
  std::string etc = kSysconfDir;
  return SysConfPaths{etc + "/stas/sys.conf", etc + "/nvme/hostnqn", etc + "/nvme/hostid",
                      etc + "/nvme/hostkey", etc + "/nvme"};
}

std::vector<std::pair<std::string, std::optional<std::string>>> HostIdentity::AsFields(
    bool redact_key) const {
  std::optional<std::string> key = hostkey;
  if (redact_key && key)
    key = "<redacted>";
  return {{"hostnqn", hostnqn}, {"hostid", hostid}, {"hostkey", key}, {"symname", symname}};
}

Result<HostIdentity> LoadHostIdentity(const SysConfPaths& paths, Diagnostics* warnings) {
  Diagnostics ignored;
  if (!warnings)
    warnings = &ignored;
  IniDocument doc = ReadSysConf(paths.sys_conf, warnings);
  Diagnostics conf_warnings = CheckSysConf(doc);
  warnings->insert(warnings->end(), conf_warnings.begin(), conf_warnings.end());

  HostIdentity id;
  auto nqn = ResolveMandatory(doc, "nqn", paths.hostnqn_file, "Host NQN");
  if (!nqn)
    return Fail(nqn.error());
  if (Status s = CheckHostNqn(*nqn->value, nqn->Origin(doc.file)); !s)
    return Fail(s.error());
  id.hostnqn = std::move(*nqn->value);

  auto hostid = ResolveMandatory(doc, "id", paths.hostid_file, "Host ID");
  if (!hostid)
    return Fail(hostid.error());
  if (Status s = CheckHostId(*hostid->value, hostid->Origin(doc.file)); !s)
    return Fail(s.error());
  id.hostid = std::move(*hostid->value);

  auto key = LoadHostKey(doc, paths.hostkey_file, warnings);
  if (!key)
    return Fail(key.error());
  id.hostkey = std::move(*key);

  id.symname = LoadSymname(doc, warnings);
  return id;
}

std::string ReadSystemUuid(const std::string& path) {
  Result<std::string> text = ReadFileHead(path, 64, '\n');
  if (!text)
    return "";
  std::string uuid = ToLower(Trim(std::string_view(*text).substr(0, text->find('\n'))));
  if (CheckUuid(uuid) || uuid == "00000000-0000-0000-0000-000000000000")
    return "";
  return uuid;
}

}  // namespace stas
