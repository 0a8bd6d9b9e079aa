// SPDX-License-Identifier: Apache-2.0
#include "common/config/nvme_stas_conf_options.h"

#include <climits>
#include <cmath>
#include <optional>
#include <string>

#include "common/config/config_options.h"
#include "common/nvme_names.h"
#include "common/secrets.h"
#include "common/timespan.h"
#include "common/tls_psk.h"

namespace stas::stas_conf {
namespace {

constexpr KeySpec kKeys[] = {
    {"transport", "transport", Kind::kPath},
    {"traddr", "traddr", Kind::kPath},
    {"trsvcid", "trsvcid", Kind::kAddress},
    {"host-traddr", "host-traddr", Kind::kAddress},
    {"host-iface", "host-iface", Kind::kAddress},
    {"keep-alive-tmo", "kato", Kind::kTunable},
    {"ctrl-loss-tmo", "ctrl-loss-tmo", Kind::kTunable},
    {"reconnect-delay", "reconnect-delay", Kind::kTunable},
    {"nr-io-queues", "nr-io-queues", Kind::kTunable},
    {"nr-write-queues", "nr-write-queues", Kind::kTunable},
    {"nr-poll-queues", "nr-poll-queues", Kind::kTunable},
    {"queue-size", "queue-size", Kind::kTunable},
    {"hdr-digest", "hdr-digest", Kind::kTunable},
    {"data-digest", "data-digest", Kind::kTunable},
    {"disable-sqflow", "disable-sqflow", Kind::kTunable},
    {"nqn", "subsysnqn", Kind::kNqn},
    {"persistent", "persistent", Kind::kPersistent},
    {"kxchap-secret", "dhchap-secret", Kind::kSecret},
    {"kxchap-ctrl-secret", "dhchap-ctrl-secret", Kind::kSecret},
    {"tls", "tls", Kind::kTls},
    {"tls-key", "tls-key", Kind::kTls},
    {"keyring", "keyring", Kind::kTls},
    {"tls-key-identity", "", Kind::kUnsupported},
    {"concat", "", Kind::kUnsupported},
    {"fast-io-fail-tmo", "", Kind::kNotHandled},
    {"tos", "", Kind::kNotHandled},
    {"duplicate-connect", "", Kind::kNotHandled},
    {"hostnqn", "", Kind::kIdentity},
    {"hostid", "", Kind::kIdentity},
    {"hostsymname", "", Kind::kIdentity},
    {"controller", "", Kind::kController},
};

bool IsTimeKey(std::string_view ours) {
  return ours == "kato" || ours == "ctrl-loss-tmo" || ours == "reconnect-delay";
}
bool IsBoolKey(std::string_view ours) {
  return ours == "hdr-digest" || ours == "data-digest" || ours == "disable-sqflow";
}

// A time written as a systemd time span instead of seconds ("2min"), as seconds in decimal.
std::optional<std::string> SpanSeconds(std::string_view ours, std::string_view text,
                                       std::string* seconds) {
  std::optional<double> span = ParseSystemdTimeSpan(text);
  if (!span)
    return std::string("expected whole seconds or a time span such as \"2min\"");
  if (std::isinf(*span)) {
    if (ours != "ctrl-loss-tmo")
      return std::string("infinity is only for ctrl-loss-tmo");
    *seconds = "-1";  // the kernel's "reconnect forever"
    return std::nullopt;
  }
  if (*span != std::floor(*span) || *span > INT_MAX)
    return std::string("not a whole number of seconds that fits an int");
  *seconds = std::to_string(static_cast<long long>(*span));
  return std::nullopt;
}

// A tunable's canonical text, as ConnectOptionText() writes it, or why `text` is invalid.
std::optional<std::string> ParseTunable(std::string_view ours, std::string_view text,
                                        std::string* canonical) {
  std::string v(text);
  long long unused = 0;
  if (IsBoolKey(ours)) {
    bool b = false;
    if (!ParseSystemdBool(text, &b))
      return std::string("expected a boolean (yes/no, true/false, on/off, 1/0)");
    v = b ? "true" : "false";
  } else if (IsTimeKey(ours) && !ParseInt(text, &unused)) {
    if (auto why = SpanSeconds(ours, text, &v))
      return why;
  }
  ConnectOptions o;
  if (auto why = ParseConnectOption(ours, v, &o))
    return why;
  *canonical = *ConnectOptionText(o, ours);
  return std::nullopt;
}

}  // namespace

const KeySpec* FindKey(std::string_view key) {
  for (const KeySpec& k : kKeys) {
    if (k.key == key)
      return &k;
  }
  return nullptr;
}

std::string SpellingHint(std::string_view key) {
  static constexpr std::pair<std::string_view, std::string_view> kOld[] = {
      {"kato", "keep-alive-tmo"},
      {"subsysnqn", "nqn"},
      {"host-nqn", "hostnqn (in [Host])"},
      {"dhchap-secret", "kxchap-secret"},
      {"dhchap-ctrl-secret", "kxchap-ctrl-secret"}};
  for (const auto& [old_key, key3] : kOld) {
    if (old_key == key)
      return " (nvme-stas 3.x spells it " + std::string(key3) + ")";
  }
  return "";
}

bool IsSecurityKey(std::string_view key) {
  const KeySpec* k = FindKey(key);
  return IsSecretKey(key) || (k != nullptr && (k->kind == Kind::kSecret || k->kind == Kind::kTls ||
                                               k->kind == Kind::kUnsupported));
}

void Put(Level* level, std::string key, std::string value) {
  std::erase_if(*level, [&key](const Setting& s) { return s.key == key; });
  level->push_back(Setting{std::move(key), std::move(value)});
}

void AddOption(const KeySpec& k, std::string_view value, int line, const Place& p, Level* level,
               ConfigReporter* rep) {
  const std::string name = p.Name(k.key);
  const bool reset = value.empty();
  switch (k.kind) {
    case Kind::kAddress:
      if (!reset && k.key == "trsvcid") {
        if (auto why = CheckPort(value))
          return rep->Error(line, name + " " + QuoteValue(value) + " " + *why);
      } else if (!reset && k.key == "host-iface") {
        if (auto why = CheckInterfaceName(value))
          return rep->Error(line, name + " " + QuoteValue(value) + " " + *why);
      } else if (!reset) {
        // host-traddr: checked for its transport, entry by entry, by CheckControllerEntry().
        if (auto why = CheckSafeToken(value))
          return rep->Error(line, name + " " + QuoteValue(value) + " " + *why);
      }
      return Put(level, std::string(k.ours), std::string(value));
    case Kind::kTunable: {
      std::string canonical;
      if (!reset) {
        if (auto why = ParseTunable(k.ours, value, &canonical))
          return rep->Warn(
              line, name + ": invalid value " + QuoteValue(value) + " (" + *why + "); ignored");
      }
      return Put(level, std::string(k.ours), canonical);
    }
    case Kind::kPersistent:
      if (!p.dc)
        return rep->Warn(line, name + " applies to discovery controllers only; ignored");
      if (!reset && !ParseDcPersistence(value)) {
        return rep->Warn(line, name + ": invalid value " + QuoteValue(value) +
                                   " (expected no, auto or force); ignored");
      }
      return Put(level, std::string(k.ours), std::string(value));
    case Kind::kSecret:
      if (p.where != Where::kEndpoint) {
        return rep->Warn(line, name + " belongs in [Host], [" + std::string(kDcSection) + "] or [" +
                                   std::string(kSubsystemSection) + "]; ignored");
      }
      if (!reset) {
        if (auto why = CheckDhchapSecret(value))
          return rep->Error(line, name + " " + *why);  // never the value
      }
      return Put(level, std::string(k.ours), std::string(value));
    case Kind::kTls:
      if (p.where != Where::kEndpoint) {
        return rep->Warn(line, name + " is supported in [" + std::string(kDcSection) + "] and [" +
                                   std::string(kSubsystemSection) + "] only; ignored");
      }
      if (reset)
        return Put(level, std::string(k.ours), "");
      if (k.key == "tls") {
        bool on = false;
        if (!ParseSystemdBool(value, &on)) {
          return rep->Warn(line, name + ": invalid value " + QuoteValue(value) +
                                     " (expected a boolean); ignored");
        }
        return Put(level, std::string(k.ours), on ? "true" : "false");
      }
      if (k.key == "tls-key") {
        Result<ConfiguredPsk> psk = DecodeTlsPsk(value);
        if (!psk)
          return rep->Error(line, name + " " + psk.error().message);  // never the value
        WipePsk(psk->key);
      } else if (auto why = CheckKeyringName(value)) {
        return rep->Error(line, name + " " + QuoteValue(value) + " " + *why);
      }
      return Put(level, std::string(k.ours), std::string(value));
    case Kind::kUnsupported:
      return rep->Warn(line, name + " is not supported yet; ignored");
    case Kind::kNotHandled:
      return rep->Warn(line, name + " is not supported; ignored");
    case Kind::kIdentity:
      return rep->Warn(line, name + " belongs in [Host]; ignored");
    case Kind::kPath:
      return rep->Warn(line, name + " belongs on a controller= line; ignored");
    case Kind::kNqn:
    case Kind::kController:
      return rep->Warn(line, name + " belongs in [" + std::string(kDcSection) + "] or [" +
                                 std::string(kSubsystemSection) + "]; ignored");
  }
}

void WarnUnknown(std::string_view key, int line, const Place& p, ConfigReporter* rep) {
  rep->Warn(line, p.Name(key) + ": unknown option" + SpellingHint(key) + "; ignored");
}

void Apply(const Setting& s, ControllerEntry* c) {
  std::string* core = s.key == "trsvcid"       ? &c->trsvcid
                      : s.key == "host-traddr" ? &c->host_traddr
                      : s.key == "host-iface"  ? &c->host_iface
                                               : nullptr;
  if (core != nullptr) {
    *core = s.value;
    return;
  }
  if (s.key == "persistent") {
    c->persistent = *ParseDcPersistence(s.value);
  } else if (s.key == "dhchap-secret" || s.key == "dhchap-ctrl-secret") {
    (s.key == "dhchap-secret" ? c->dhchap_secret : c->dhchap_ctrl_secret) = s.value;
  } else if (s.key == "tls") {
    c->overrides.tls = s.value == "true";
  } else if (s.key == "tls-key" || s.key == "keyring") {
    (s.key == "tls-key" ? c->tls_key : c->keyring) = s.value;
  } else if (ParseConnectOption(s.key, s.value, &c->overrides)) {
    return;  // cannot happen: AddOption() kept only values ParseTunable() accepted
  }
  c->extras.emplace_back(s.key, s.value);
}

}  // namespace stas::stas_conf
