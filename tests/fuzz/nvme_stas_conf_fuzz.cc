// SPDX-License-Identifier: Apache-2.0
// Fuzz target: nvme-stas 3.x's nvme-stas.conf and its drop-ins (common/config/nvme_stas_conf.h,
// ParseIniText() then ParseNvmeStasConf()). The input is up to four files separated by NUL
// bytes, the first the main file, so that the cascade across files and the checks between
// their [Host] sections are reached. Invariants: every path kept keeps the contract of
// config_invariants.h (stafd's for DCs, stacd's for subsystems) and carries only known
// options; every [Host] kept is a valid identity, no two files share one; a configuration is
// returned exactly when no diagnostic is an error; every diagnostic is one printable line;
// and no diagnostic quotes a secret: when the marker "SeCrEt" appears in the input only inside
// the values of security keys, it appears in no diagnostic. tests/fuzz/nvme_stas_conf.dict
// holds the section and key names.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/nvme_stas_conf.h"
#include "common/log.h"
#include "tests/fuzz/config_invariants.h"

namespace {

constexpr std::string_view kMarker = "SeCrEt";
constexpr size_t kMaxFiles = 4;

size_t CountMarker(std::string_view s) {
  size_t n = 0;
  for (size_t pos = s.find(kMarker); pos != std::string_view::npos;
       pos = s.find(kMarker, pos + 1)) {
    ++n;
  }
  return n;
}

// The keys whose values are secrets or key material, in any spelling the reader knows. Not
// "keyring" (it names a kernel keyring: anyone can read the names in /proc/keys) nor "tls" (a
// boolean): an error about a bad value of either quotes it, so that the admin sees what was read.
bool IsSecurityKey(std::string_view key) {
  for (std::string_view k :
       {"kxchap-secret", "kxchap-ctrl-secret", "tls-key", "tls-key-identity", "concat",
        "dhchap-secret", "dhchap-ctrl-secret", "dhchap_secret", "dhchap_ctrl_secret", "tls_key"}) {
    if (k == key)
      return true;
  }
  return false;
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// The markers inside security values: of an INI option, or of a controller= field.
size_t MarkersInSecrets(const stas::IniDocument& doc) {
  size_t n = 0;
  for (const stas::IniEntry& e : doc.entries) {
    if (!e.value)
      continue;
    if (IsSecurityKey(e.name))
      n += CountMarker(*e.value);
    if (e.name != "controller")
      continue;
    std::string_view rest = *e.value;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view field = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      size_t eq = field.find('=');
      if (eq != std::string_view::npos && IsSecurityKey(TrimBlanks(field.substr(0, eq))))
        n += CountMarker(field.substr(eq + 1));
    }
  }
  return n;
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

void CheckHost(const stas::StasConfHost& h) {
  using stas::fuzz::IsSafeToken;
  using stas::fuzz::Require;
  if (h.hostnqn) {
    Require(IsSafeToken(*h.hostnqn) && h.hostnqn->size() <= 223 && h.hostnqn->rfind("nqn.", 0) == 0,
            "[Host] hostnqn", *h.hostnqn);
  }
  if (h.hostid) {
    const std::string& id = *h.hostid;
    bool uuid = id.size() == 36;
    bool zero = true;
    for (size_t i = 0; uuid && i < id.size(); ++i) {
      bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      uuid = dash ? id[i] == '-' : IsHex(id[i]);
      zero = zero && (dash || id[i] == '0');
    }
    Require(uuid && !zero, "[Host] hostid is not a non-zero UUID", id);
  }
  if (h.hostsymname) {
    Require(stas::fuzz::IsPrintable(*h.hostsymname) &&
                h.hostsymname->find(',') == std::string::npos && h.hostsymname->size() <= 255,
            "[Host] hostsymname", *h.hostsymname);
  }
  for (const auto* secret : {&h.dhchap_secret, &h.dhchap_ctrl_secret}) {
    if (*secret)
      Require(IsSafeToken(**secret) && (*secret)->rfind("DHHC-1:", 0) == 0, "[Host] secret");
  }
}

void CheckPath(stas::Daemon d, const stas::StasConfController& c,
               std::map<std::string, std::string>* host_of_file) {
  using stas::fuzz::Require;
  stas::fuzz::CheckControllerEntry(d, c.entry);
  Require(!c.entry.subsysnqn.empty(), "a path without an NQN");
  for (const auto& [key, value] : c.entry.extras) {
    bool known = false;
    for (std::string_view k : {"kato", "ctrl-loss-tmo", "reconnect-delay", "nr-io-queues",
                               "nr-write-queues", "nr-poll-queues", "queue-size", "hdr-digest",
                               "data-digest", "disable-sqflow", "persistent", "dhchap-secret",
                               "dhchap-ctrl-secret", "host-nqn", "tls", "tls-key", "keyring"}) {
      known = known || k == key;
    }
    Require(known, "an unknown key in extras", key);
  }
  if (d == stas::Daemon::kStacd)
    Require(c.entry.persistent == stas::DcPersistence::kUnset, "persistent on an I/O path");
  if (c.host) {
    CheckHost(*c.host);
    Require(c.host->file == c.file, "a path's [Host] is of another file", c.file);
    Require(c.entry.host_nqn == c.host->hostnqn, "host_nqn is not its [Host]'s");
    // One identity per file, and no identity in two files.
    if (c.host->hostnqn) {
      auto [it, fresh] = host_of_file->emplace(*c.host->hostnqn, c.file);
      Require(it->second == c.file, "one hostnqn in two files", *c.host->hostnqn);
    }
  } else {
    Require(!c.entry.host_nqn, "host_nqn without a [Host]");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  stas::SetLogSinkForTesting([](stas::LogLevel, const std::string&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<stas::IniDocument> docs;
  size_t markers_in_text = 0;
  size_t markers_in_secrets = 0;
  while (docs.size() < kMaxFiles) {
    size_t nul = input.find('\0');
    std::string_view text = docs.size() + 1 == kMaxFiles ? input : input.substr(0, nul);
    docs.push_back(stas::ParseIniText(
        text, docs.empty() ? "fuzz.conf" : "fuzz.conf.d/" + std::to_string(docs.size()) + ".conf"));
    markers_in_text += CountMarker(text);
    markers_in_secrets += MarkersInSecrets(docs.back());
    if (nul == std::string_view::npos || docs.size() == kMaxFiles)
      break;
    input.remove_prefix(nul + 1);
  }
  stas::LoadedNvmeStasConf loaded = stas::ParseNvmeStasConf(docs);
  stas::fuzz::CheckDiagnostics(loaded.diagnostics);
  bool error = false;
  for (const stas::Diagnostic& d : loaded.diagnostics)
    error = error || d.severity == stas::Severity::kError;
  stas::fuzz::Require(error != loaded.conf.has_value(),
                      "a configuration is returned exactly when there is no error");
  if (markers_in_text > 0 && markers_in_text == markers_in_secrets) {
    for (const stas::Diagnostic& d : loaded.diagnostics)
      stas::fuzz::Require(CountMarker(d.message) == 0, "a diagnostic quotes a secret", d.message);
  }
  if (!loaded.conf)
    return 0;
  if (loaded.conf->host)
    CheckHost(*loaded.conf->host);
  std::map<std::string, std::string> host_of_file;
  for (const stas::StasConfController& c : loaded.conf->discovery_controllers)
    CheckPath(stas::Daemon::kStafd, c, &host_of_file);
  for (const stas::StasConfController& c : loaded.conf->subsystems)
    CheckPath(stas::Daemon::kStacd, c, &host_of_file);
  return 0;
}
