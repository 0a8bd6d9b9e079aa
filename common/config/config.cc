// SPDX-License-Identifier: Apache-2.0
// Interprets stafd.conf / stacd.conf. See config.h for the contract and config_options.cc for
// the option table; this file walks the INI document and turns problems into diagnostics.
#include "common/config/config.h"

#include <algorithm>
#include <cerrno>
#include <set>

#include "common/config/config_options.h"
#include "common/config/config_reporter.h"
#include "common/config/name_resolution.h"
#include "common/defs.h"
#include "common/ip_address.h"
#include "common/nvme_names.h"
#include "common/secrets.h"
#include "common/str_util.h"
#include "common/tls_psk.h"

namespace stas {
namespace {

constexpr const char* kControllers = "Controllers";

const OptionSpec* FindOption(Daemon d, std::string_view section, std::string_view name) {
  for (const OptionSpec& o : AllOptions()) {
    if (o.AppliesTo(d) && o.section == section && o.name == name)
      return &o;
  }
  return nullptr;
}

bool IsKnownSection(Daemon d, std::string_view section) {
  for (const OptionSpec& o : AllOptions()) {
    if (o.AppliesTo(d) && o.section == section)
      return true;
  }
  return false;
}

std::string DefaultText(const OptionSpec& o, Daemon d) {
  nlohmann::ordered_json v = o.show(ServiceConfig::Defaults(d));
  if (v.is_null())
    return "leaving it unset (the kernel default applies)";
  return "using the default " + (v.is_string() ? v.get<std::string>() : v.dump());
}

void ApplySingle(Daemon d, const OptionSpec& o, const IniEntry& e, ServiceConfig* cfg,
                 ConfigReporter* rep) {
  std::string where = "[" + o.section + "] " + o.name;
  if (!e.value) {
    rep->Warn(e.line, where + " has no value; " + DefaultText(o, d));
    return;
  }
  std::vector<std::string> notes;
  if (auto why = o.parse(*e.value, *cfg, &notes)) {
    rep->Warn(e.line, where + ": invalid value " + QuoteValue(*e.value) + " (" + *why + "); " +
                          DefaultText(o, d));
  }
  for (const std::string& n : notes)
    rep->Warn(e.line, where + ": " + n);
}

void ApplyLegacyPersistence(const IniDocument& doc, ServiceConfig* cfg, ConfigReporter* rep) {
  const IniEntry* legacy = doc.Last("Global", "persistent-connections");
  if (legacy == nullptr)
    return;
  const IniEntry* current =
      doc.Last("Discovery controller connection management", "persistent-connections");
  if (current != nullptr) {
    rep->Warn(legacy->line,
              "[Global] persistent-connections is deprecated and overridden by [Discovery "
              "controller connection management] persistent-connections; ignored");
    return;
  }
  rep->Warn(legacy->line,
            "[Global] persistent-connections is deprecated; move it to [Discovery controller "
            "connection management]");
  ApplySingle(Daemon::kStafd, *FindOption(Daemon::kStafd, "Global", "persistent-connections"),
              *legacy, cfg, rep);
}

void ReportUnknown(Daemon d, const IniDocument& doc, ConfigReporter* rep) {
  std::set<std::string> reported;
  for (const IniSection& s : doc.sections) {
    if (!IsKnownSection(d, s.name) && reported.insert(s.name).second) {
      rep->Warn(s.line, "unknown section [" + Printable(s.name) + "]; its options are ignored");
    }
  }
  for (const IniEntry& e : doc.entries) {
    if (!IsKnownSection(d, e.section))
      continue;
    const OptionSpec* o = FindOption(d, e.section, e.name);
    std::string where = "[" + e.section + "] " + Printable(e.name);
    if (o == nullptr) {
      rep->Warn(e.line, where + ": unknown option; ignored");
    } else if (o->status == OptionStatus::kObsolete) {
      rep->Warn(e.line, where + ": obsolete option (nvme-stas 1.x); ignored");
    }
  }
}

struct Token {
  std::string key;
  std::string value;
};

// The controller=/exclude= tokeniser: fields split on ';', key and value on the first '='.
// nvme-stas split on every '=', which silently dropped base64 secrets ending in '='.
std::vector<Token> Tokenize(std::string_view text, int line, const std::string& what,
                            ConfigReporter* rep) {
  std::vector<Token> tokens;
  for (const std::string& field : SplitTrimmed(text, ';')) {
    if (field.empty())
      continue;
    size_t eq = field.find('=');
    if (eq == std::string::npos || Trim(field.substr(0, eq)).empty()) {
      rep->Warn(line, what + ": field " + QuoteValue(field) + " is not key=value; ignored");
      continue;
    }
    std::string key(Trim(field.substr(0, eq)));
    if (key == "nqn")
      key = "subsysnqn";
    std::string value(Trim(field.substr(eq + 1)));
    for (Token& t : tokens) {
      if (t.key == key) {
        // Printable(): a key is any bytes the file holds, and a diagnostic is one log line.
        rep->Warn(line, what + ": " + Printable(key) + " given twice; the last one is used");
        t.key.clear();
      }
    }
    tokens.push_back(Token{std::move(key), std::move(value)});
  }
  std::erase_if(tokens, [](const Token& t) { return t.key.empty(); });
  return tokens;
}

// The TLS keys of a controller entry: a configured PSK that is one (never quoted), a keyring
// name the kernel can hold, and TLS on, which either needs: an entry that asks for a key and
// tls=false at once is ignored, since which one was meant cannot be told.
bool CheckTlsKeys(ControllerEntry* c, int line, const std::string& what, ConfigReporter* rep) {
  if (!c->tls_key && !c->keyring)
    return true;
  if (c->transport != "tcp") {
    rep->Warn(line, what + ": tls-key and keyring apply to NVMe/TCP only; ignored");
    c->tls_key.reset();
    c->keyring.reset();
    std::erase_if(c->extras,
                  [](const auto& kv) { return kv.first == "tls-key" || kv.first == "keyring"; });
    return true;
  }
  if (c->tls_key) {
    Result<ConfiguredPsk> psk = DecodeTlsPsk(*c->tls_key);
    if (!psk) {
      rep->Error(line, what + ": tls-key " + psk.error().message + "; entry ignored");
      return false;
    }
    WipePsk(psk->key);
  }
  if (c->keyring) {
    if (auto why = CheckKeyringName(*c->keyring)) {
      rep->Error(line,
                 what + ": keyring " + QuoteValue(*c->keyring) + " " + *why + "; entry ignored");
      return false;
    }
  }
  if (c->overrides.tls == false) {
    rep->Error(line, what + ": " + (c->tls_key ? "tls-key" : "keyring") +
                         " needs TLS, and tls is false; entry ignored");
    return false;
  }
  c->overrides.tls = true;
  return true;
}

// Checks the identity fields of a controller entry; returns false if the entry is unusable.
bool CheckIdentity(Daemon d, ControllerEntry* c, int line, const std::string& what,
                   ConfigReporter* rep) {
  auto reject = [&](const std::string& key, const std::string& value, const std::string& why) {
    rep->Error(line, what + ": " + key + " " + QuoteValue(value) + " " + why + "; entry ignored");
    return false;
  };
  if (c->transport.empty()) {
    rep->Error(line, what + ": transport is missing; entry ignored");
    return false;
  }
  if (c->transport != "tcp" && c->transport != "rdma" && c->transport != "fc" &&
      c->transport != "loop") {
    return reject("transport", c->transport, "is not one of tcp, rdma, fc, loop");
  }
  if (c->traddr.empty() && c->transport != "loop") {
    rep->Error(line, what + ": traddr is missing; entry ignored");
    return false;
  }
  if (!c->traddr.empty()) {
    std::string original = c->traddr;
    if (auto why = CheckTransportAddress(c->transport, &c->traddr))
      return reject("traddr", original, *why);
  }
  if (!c->trsvcid.empty()) {
    if (!IsIpTransport(c->transport)) {
      rep->Warn(line, what + ": trsvcid does not apply to " + c->transport + "; ignored");
      c->trsvcid.clear();
    } else if (auto why = CheckPort(c->trsvcid)) {
      return reject("trsvcid", c->trsvcid, *why);
    }
  }
  if (!c->host_traddr.empty()) {
    std::string original = c->host_traddr;
    if (auto why = CheckTransportAddress(c->transport, &c->host_traddr)) {
      return reject("host-traddr", original, *why);
    }
  }
  if (!c->host_iface.empty()) {
    if (auto why = CheckInterfaceName(c->host_iface))
      return reject("host-iface", c->host_iface, *why);
  }
  if (c->subsysnqn.empty()) {
    if (d == Daemon::kStacd) {
      rep->Error(line, what + ": nqn is missing (stacd needs the subsystem NQN); entry ignored");
      return false;
    }
    c->subsysnqn = kWellKnownDiscoveryNqn;
  } else if (auto why = CheckNqn(c->subsysnqn, false)) {
    return reject("nqn", c->subsysnqn, *why);
  }
  if (c->host_nqn) {
    if (auto why = CheckNqn(*c->host_nqn, true))
      return reject("host-nqn", *c->host_nqn, *why);
  }
  for (const auto* secret : {&c->dhchap_secret, &c->dhchap_ctrl_secret}) {
    if (*secret) {
      if (auto why = CheckDhchapSecret(**secret)) {
        rep->Error(line, what + ": DH-HMAC-CHAP secret " + *why + "; entry ignored");
        return false;
      }
    }
  }
  return CheckTlsKeys(c, line, what, rep);
}

void ParseControllerEntries(Daemon d, const IniDocument& doc, ServiceConfig* cfg,
                            Diagnostics* diag) {
  for (const IniEntry& e : doc.entries) {
    if (e.section != kControllers)
      continue;
    bool is_exclude = e.name == "exclude" || e.name == "blacklist";
    if (e.name != "controller" && !is_exclude)
      continue;
    if (!e.value) {
      diag->push_back(Diagnostic{Severity::kWarning, doc.file, e.line,
                                 "[Controllers] " + e.name + " has no value; ignored"});
      continue;
    }
    if (e.name == "blacklist") {
      diag->push_back(Diagnostic{Severity::kWarning, doc.file, e.line,
                                 "[Controllers] blacklist= is deprecated; use exclude="});
    }
    if (is_exclude) {
      if (auto rule = ParseExcludeEntry(*e.value, doc.file, e.line, diag)) {
        cfg->excludes.push_back(std::move(*rule));
      }
    } else if (auto c = ParseControllerEntry(d, *e.value, doc.file, e.line, diag)) {
      cfg->controllers.push_back(std::move(*c));
    }
  }
}

}  // namespace

std::string QuoteValue(std::string_view s) {
  return "\"" + Printable(RedactSecrets(s)) + "\"";
}

const char* DaemonName(Daemon d) {
  return d == Daemon::kStafd ? "stafd" : "stacd";
}

const char* DisconnectScopeName(DisconnectScope s) {
  switch (s) {
    case DisconnectScope::kOnlyStasConnections:
      return "only-stas-connections";
    case DisconnectScope::kAllConnectionsMatchingDisconnectTrtypes:
      return "all-connections-matching-disconnect-trtypes";
    case DisconnectScope::kNoDisconnect:
      return "no-disconnect";
  }
  return "?";
}

std::optional<DcPersistence> ParseDcPersistence(std::string_view text) {
  if (text == "no")
    return DcPersistence::kNo;
  if (text == "auto")
    return DcPersistence::kAuto;
  if (text == "force")
    return DcPersistence::kForce;
  return std::nullopt;
}

const char* DcPersistenceName(DcPersistence p) {
  switch (p) {
    case DcPersistence::kUnset:
      return "";
    case DcPersistence::kNo:
      return "no";
    case DcPersistence::kAuto:
      return "auto";
    case DcPersistence::kForce:
      return "force";
  }
  return "";
}

ConnectOptions ConnectOptions::MergedWith(const ConnectOptions& o) const {
  ConnectOptions r = *this;
  auto take = [](auto& mine, const auto& theirs) {
    if (theirs)
      mine = theirs;
  };
  take(r.hdr_digest, o.hdr_digest);
  take(r.data_digest, o.data_digest);
  take(r.disable_sqflow, o.disable_sqflow);
  take(r.kato, o.kato);
  take(r.queue_size, o.queue_size);
  take(r.reconnect_delay, o.reconnect_delay);
  take(r.ctrl_loss_tmo, o.ctrl_loss_tmo);
  take(r.nr_io_queues, o.nr_io_queues);
  take(r.nr_write_queues, o.nr_write_queues);
  take(r.nr_poll_queues, o.nr_poll_queues);
  take(r.tls, o.tls);
  return r;
}

ServiceConfig ServiceConfig::Defaults(Daemon d) {
  ServiceConfig c;
  c.daemon = d;
  c.connect.hdr_digest = false;
  c.connect.data_digest = false;
  // stafd keeps persistent discovery connections, which need an explicit keep-alive
  // (docs/compatibility.md, "Persistent discovery connections"); stacd leaves the I/O
  // controller keep-alive to the kernel.
  if (d == Daemon::kStafd)
    c.connect.kato = kDiscoveryKeepAliveS;
  return c;
}

std::optional<ControllerEntry> ParseControllerEntry(Daemon d, std::string_view text,
                                                    const std::string& file, int line,
                                                    Diagnostics* diag) {
  ConfigReporter rep(file, diag);
  const std::string what = "[Controllers] controller=" + QuoteValue(Trim(text));
  std::vector<Token> tokens = Tokenize(text, line, what, &rep);
  if (tokens.empty()) {
    rep.Warn(line, what + ": empty entry; ignored");
    return std::nullopt;
  }
  ControllerEntry c;
  c.line = line;
  for (const Token& t : tokens) {
    std::string* core = t.key == "transport"     ? &c.transport
                        : t.key == "traddr"      ? &c.traddr
                        : t.key == "trsvcid"     ? &c.trsvcid
                        : t.key == "subsysnqn"   ? &c.subsysnqn
                        : t.key == "host-traddr" ? &c.host_traddr
                        : t.key == "host-iface"  ? &c.host_iface
                                                 : nullptr;
    if (core != nullptr) {
      *core = t.value;
    } else if (t.key == "host-nqn") {
      c.host_nqn = t.value;
      c.extras.emplace_back(t.key, t.value);
    } else if (t.key == "dhchap-secret" || t.key == "dhchap-ctrl-secret") {
      (t.key == "dhchap-secret" ? c.dhchap_secret : c.dhchap_ctrl_secret) = t.value;
      c.extras.emplace_back(t.key, t.value);
    } else if (t.key == kDcConnectKey) {
      if (d != Daemon::kStafd) {
        rep.Warn(line, what + ": connect= applies to stafd's discovery controllers; ignored");
      } else if (t.value != "all" && t.value != "volumes") {
        rep.Warn(line, what + ": connect " + QuoteValue(t.value) +
                           " is neither \"all\" nor \"volumes\"; \"all\" is used");
      } else {
        c.connect_volumes_only = t.value == kDcConnectVolumes;
        c.extras.emplace_back(t.key, t.value);
      }
    } else if (t.key == "tls-key" || t.key == "keyring") {
      (t.key == "tls-key" ? c.tls_key : c.keyring) = t.value;
      c.extras.emplace_back(t.key, t.value);
    } else if (t.key == "tls") {
      bool on = false;
      if (!ParseBool(t.value, &on)) {
        rep.Warn(line, what + ": tls " + QuoteValue(t.value) +
                           " is invalid (expected true or "
                           "false); ignored");
      } else {
        c.overrides.tls = on;
        c.extras.emplace_back(t.key, on ? "true" : "false");
      }
    } else if (t.key == kDcPersistentKey) {
      std::optional<DcPersistence> p = ParseDcPersistence(t.value);
      if (d != Daemon::kStafd) {
        rep.Warn(line, what + ": persistent= applies to stafd's discovery controllers; ignored");
      } else if (!p) {
        rep.Warn(line, what + ": persistent " + QuoteValue(t.value) +
                           " is not one of no, auto, force; the [Discovery controller connection "
                           "management] persistent applies");
      } else {
        c.persistent = *p;
        c.extras.emplace_back(t.key, t.value);
      }
    } else if (IsConnectOptionKey(t.key)) {
      if (auto why = ParseConnectOption(t.key, t.value, &c.overrides)) {
        rep.Warn(line, what + ": " + t.key + " " + QuoteValue(t.value) + " is invalid (" + *why +
                           "); the [Global] value is used");
      } else {
        c.extras.emplace_back(t.key, *ConnectOptionText(c.overrides, t.key));
      }
    } else {
      rep.Warn(line, what + ": unknown key " + QuoteValue(t.key) + "; ignored");
    }
  }
  if (!CheckIdentity(d, &c, line, what, &rep))
    return std::nullopt;
  return c;
}

Diagnostics CheckControllerEntry(Daemon d, ControllerEntry* c, const std::string& what) {
  Diagnostics diag;
  ConfigReporter rep("", &diag);
  if (!CheckIdentity(d, c, 0, what, &rep) &&
      std::none_of(diag.begin(), diag.end(),
                   [](const Diagnostic& x) { return x.severity == Severity::kError; })) {
    diag.push_back(Diagnostic{Severity::kError, "", 0, what + ": unusable"});
  }
  return diag;
}

std::optional<ExcludeRule> ParseExcludeEntry(std::string_view text, const std::string& file,
                                             int line, Diagnostics* diag) {
  ConfigReporter rep(file, diag);
  const std::string what = "[Controllers] exclude=" + QuoteValue(Trim(text));
  ExcludeRule rule;
  for (Token& t : Tokenize(text, line, what, &rep)) {
    if (t.key == "host-traddr") {
      rep.Warn(line, what + ": host-traddr does not apply to exclude=; ignored");
      continue;
    }
    if (t.key != "transport" && t.key != "traddr" && t.key != "trsvcid" && t.key != "subsysnqn" &&
        t.key != "host-iface" && t.key != "host-nqn") {
      rep.Warn(line, what + ": unknown key " + QuoteValue(t.key) + "; ignored");
      continue;
    }
    if (auto why = CheckSafeToken(t.value)) {
      rep.Warn(line, what + ": " + t.key + " " + QuoteValue(t.value) + " " + *why + "; ignored");
      continue;
    }
    rule.fields.emplace_back(std::move(t.key), std::move(t.value));
  }
  if (rule.fields.empty()) {
    // nvme-stas let an empty exclude= exclude everything; we refuse to guess.
    rep.Warn(line, what + ": nothing to match on; ignored (it does NOT exclude everything)");
    return std::nullopt;
  }
  return rule;
}

LoadedConfig ParseServiceConfig(Daemon d, const IniDocument& doc) {
  LoadedConfig out{ServiceConfig::Defaults(d), doc.problems};
  ConfigReporter rep(doc.file, &out.diagnostics);
  ReportUnknown(d, doc, &rep);
  if (d == Daemon::kStafd)
    ApplyLegacyPersistence(doc, &out.config, &rep);
  for (const OptionSpec& o : AllOptions()) {
    const bool alias = o.status == OptionStatus::kAlias;
    if (!o.AppliesTo(d) || o.multi || (o.status != OptionStatus::kCurrent && !alias))
      continue;
    const IniEntry* e = doc.Last(o.section, o.name);
    if (e == nullptr)
      continue;
    if (alias && doc.Last(o.section, o.alias_of) != nullptr) {
      rep.Warn(e->line, "[" + o.section + "] " + o.name + " and " + o.alias_of +
                            " are two spellings of one option; " + o.name + " is used");
    }
    ApplySingle(d, o, *e, &out.config, &rep);
  }
  ParseControllerEntries(d, doc, &out.config, &out.diagnostics);
  return out;
}

Result<LoadedConfig> LoadServiceConfig(Daemon d, const std::string& path, bool missing_is_error) {
  Result<IniDocument> doc = ParseIniFile(path);
  if (!doc) {
    if (doc.error().code == ENOENT && !missing_is_error) {
      return ParseServiceConfig(d, ParseIniText("", path));
    }
    return Fail(doc.error());
  }
  return ParseServiceConfig(d, *doc);
}

}  // namespace stas
