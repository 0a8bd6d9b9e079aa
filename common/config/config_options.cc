// SPDX-License-Identifier: Apache-2.0
#include "common/config/config_options.h"

#include <climits>
#include <cmath>

#include "common/python_compat.h"
#include "common/str_util.h"
#include "common/timespan.h"

namespace stas {
namespace {

using Json = nlohmann::ordered_json;
using Notes = std::vector<std::string>;
using Why = std::optional<std::string>;

struct IntRange {
  long long min;
  long long max;
};

// The connect tunables: key, field, and for integers the accepted range.
struct TunableSpec {
  const char* key;
  std::optional<bool> ConnectOptions::*bool_field;
  std::optional<int> ConnectOptions::*int_field;
  IntRange range;
};

const std::vector<TunableSpec>& Tunables() {
  static const std::vector<TunableSpec> kTunables = {
      {"hdr-digest", &ConnectOptions::hdr_digest, nullptr, {}},
      {"data-digest", &ConnectOptions::data_digest, nullptr, {}},
      {"kato", nullptr, &ConnectOptions::kato, {0, INT_MAX}},
      {"nr-io-queues", nullptr, &ConnectOptions::nr_io_queues, {0, INT_MAX}},
      {"nr-write-queues", nullptr, &ConnectOptions::nr_write_queues, {0, INT_MAX}},
      {"nr-poll-queues", nullptr, &ConnectOptions::nr_poll_queues, {0, INT_MAX}},
      {"queue-size", nullptr, &ConnectOptions::queue_size, {16, 1024}},
      {"reconnect-delay", nullptr, &ConnectOptions::reconnect_delay, {1, INT_MAX}},
      {"ctrl-loss-tmo", nullptr, &ConnectOptions::ctrl_loss_tmo, {-1, INT_MAX}},
      {"disable-sqflow", &ConnectOptions::disable_sqflow, nullptr, {}},
  };
  return kTunables;
}

const TunableSpec* FindTunable(std::string_view key) {
  for (const TunableSpec& t : Tunables()) {
    if (key == t.key)
      return &t;
  }
  return nullptr;
}

Why ParseBoolInto(std::string_view text, bool* out) {
  if (!ParseBool(text, out))
    return std::string("expected true or false");
  return std::nullopt;
}

Why ParseEnabled(std::string_view text, bool* out) {
  std::string v = ToLower(text);
  if (v == "enabled") {
    *out = true;
  } else if (v == "disabled") {
    *out = false;
  } else {
    return std::string("expected enabled or disabled");
  }
  return std::nullopt;
}

Why ParseIpFamily(std::string_view text, IpFamilies* out) {
  std::string v = ToLower(text);
  if (v == "ipv4") {
    *out = {true, false};
  } else if (v == "ipv6") {
    *out = {false, true};
  } else if (v == "ipv4+ipv6" || v == "ipv6+ipv4") {
    *out = {true, true};
  } else {
    return std::string("expected ipv4, ipv6 or ipv4+ipv6");
  }
  return std::nullopt;
}

std::string IpFamilyText(const IpFamilies& f) {
  if (f.ipv4 && f.ipv6)
    return "ipv4+ipv6";
  return f.ipv4 ? "ipv4" : "ipv6";
}

Why ParseScope(std::string_view text, DisconnectScope* out) {
  // Case-sensitive, as in nvme-stas.
  for (DisconnectScope s : {DisconnectScope::kOnlyStasConnections,
                            DisconnectScope::kAllConnectionsMatchingDisconnectTrtypes,
                            DisconnectScope::kNoDisconnect}) {
    if (text == DisconnectScopeName(s)) {
      *out = s;
      return std::nullopt;
    }
  }
  return std::string(
      "expected only-stas-connections, all-connections-matching-disconnect-trtypes or "
      "no-disconnect");
}

Why ParseTrtypes(std::string_view text, std::vector<std::string>* out, Notes* notes) {
  std::vector<std::string> types;
  for (const std::string& item : Split(text, '+')) {
    if (item != "tcp" && item != "rdma" && item != "fc") {
      notes->push_back("\"" + Printable(item) + "\" is not one of tcp, rdma, fc; dropped");
      continue;
    }
    bool seen = false;
    for (const std::string& t : types)
      seen = seen || t == item;
    if (!seen)
      types.push_back(item);
  }
  if (types.empty())
    return std::string("no valid transport (expected tcp, rdma, fc joined by '+')");
  *out = std::move(types);
  return std::nullopt;
}

Why ParseNccAttempts(std::string_view text, int* out, Notes* notes) {
  long long v = 0;
  if (!ParseInt(text, &v))
    return std::string("expected an integer");
  if (v < 0 || v > INT_MAX)
    return std::string("expected 0 (no limit) or a positive count");
  if (v == 1) {
    // One attempt would give up before the fast retry; nvme-stas raises it too.
    notes->push_back("1 is raised to 2");
    v = 2;
  }
  *out = static_cast<int>(v);
  return std::nullopt;
}

Why ParsePersistence(std::string_view text, long long* out, Notes* notes) {
  std::optional<double> secs = ParseTimeSpan(text);
  if (!secs)
    return std::string("expected seconds or a time span such as \"72hours\" or \"3 days 5 hours\"");
  if (*secs < 0) {
    *out = -1;  // any negative value means forever, -1 is the documented spelling
  } else if (*secs > static_cast<double>(kMaxPersistenceSec)) {
    // nvme-stas takes any float; converting one beyond long long would be undefined, and a
    // century is as good as forever for a countdown.
    notes->push_back("more than 100 years; 100 years used");
    *out = kMaxPersistenceSec;
  } else {
    *out = static_cast<long long>(*secs + 0.5);
  }
  return std::nullopt;
}

// dc-giveup-timeout: zeroconf-connections-persistence in nvme-stas 3.x's spelling and
// systemd.time(7)'s grammar ("infinity" is -1, forever).
Why ParseGiveupTimeout(std::string_view text, long long* out, Notes* notes) {
  std::optional<double> secs = ParseSystemdTimeSpan(text);
  if (!secs)
    return std::string("expected a systemd time span such as \"72h\", \"3d 5h\" or infinity");
  if (std::isinf(*secs)) {
    *out = -1;
  } else if (*secs > static_cast<double>(kMaxPersistenceSec)) {
    notes->push_back("more than 100 years; 100 years used");
    *out = kMaxPersistenceSec;
  } else {
    *out = static_cast<long long>(*secs + 0.5);
  }
  return std::nullopt;
}

Why ParseDcPersistenceInto(std::string_view text, DcPersistence* out) {
  std::optional<DcPersistence> p = ParseDcPersistence(Trim(text));
  if (!p)
    return std::string("expected no, auto or force");
  *out = *p;
  return std::nullopt;
}

// honor-fabric-zoning: nvme-stas 3.x's disconnect-scope, yes = only-stas-connections,
// no = no-disconnect.
Why ParseFabricZoning(std::string_view text, DisconnectScope* out) {
  bool honor = true;
  if (!ParseSystemdBool(text, &honor))
    return std::string("expected yes or no");
  *out = honor ? DisconnectScope::kOnlyStasConnections : DisconnectScope::kNoDisconnect;
  return std::nullopt;
}

// An integer option of [Limits], checked against its range.
Why ParseIntIn(std::string_view text, IntRange range, int* out) {
  long long v = 0;
  if (!ParseInt(text, &v))
    return std::string("expected an integer");
  if (v < range.min || v > range.max)
    return "out of range " + std::to_string(range.min) + ".." + std::to_string(range.max);
  *out = static_cast<int>(v);
  return std::nullopt;
}

Why ParseCrossTransport(std::string_view text, bool* out) {
  std::string v = ToLower(text);
  if (v == "follow") {
    *out = true;
  } else if (v == "ignore") {
    *out = false;
  } else {
    return std::string("expected ignore or follow");
  }
  return std::nullopt;
}

Json OptJson(const std::optional<int>& v) {
  return v ? Json(*v) : Json(nullptr);
}
Json OptJson(const std::optional<bool>& v) {
  return v ? Json(*v) : Json(nullptr);
}

// Builds a table entry. `in` lists the daemons: "fc" = stafd+stacd, "f" = stafd, "c" = stacd.
OptionSpec Make(const char* section, const char* name, const char* in, OptionStatus status,
                decltype(OptionSpec::parse) parse, decltype(OptionSpec::show) show) {
  std::string daemons(in);
  OptionSpec o;
  o.section = section;
  o.name = name;
  o.stafd = daemons.find('f') != std::string::npos;
  o.stacd = daemons.find('c') != std::string::npos;
  o.status = status;
  o.parse = std::move(parse);
  o.show = std::move(show);
  return o;
}

OptionSpec Alias(OptionSpec o, const char* alias_of) {
  o.status = OptionStatus::kAlias;
  o.alias_of = alias_of;
  return o;
}

OptionSpec Tunable(const char* name, const char* in) {
  return Make(
      "Global", name, in, OptionStatus::kCurrent,
      [name](std::string_view t, ServiceConfig& c, Notes*) {
        return ParseConnectOption(name, t, &c.connect);
      },
      [name](const ServiceConfig& c) { return ConnectOptionJson(c.connect, name); });
}

OptionSpec Limit(const char* name, const char* in, IntRange range, int Limits::*field) {
  return Make(
      "Limits", name, in, OptionStatus::kCurrent,
      [range, field](std::string_view t, ServiceConfig& c, Notes*) {
        return ParseIntIn(t, range, &(c.limits.*field));
      },
      [field](const ServiceConfig& c) { return Json(c.limits.*field); });
}

OptionSpec Multi(const char* name, OptionStatus status) {
  OptionSpec o = Make("Controllers", name, "fc", status, nullptr, nullptr);
  o.multi = true;  // parsed entry by entry in config_parser.cc
  return o;
}

std::vector<OptionSpec> BuildTable() {
  constexpr auto kCur = OptionStatus::kCurrent;
  std::vector<OptionSpec> t;
  t.push_back(Make(
      "Global", "tron", "fc", kCur,
      [](std::string_view s, ServiceConfig& c, Notes*) { return ParseBoolInto(s, &c.tron); },
      [](const ServiceConfig& c) { return Json(c.tron); }));
  t.push_back(Tunable("hdr-digest", "fc"));
  t.push_back(Tunable("data-digest", "fc"));
  t.push_back(Tunable("kato", "fc"));
  t.push_back(Tunable("nr-io-queues", "c"));
  t.push_back(Tunable("nr-write-queues", "c"));
  t.push_back(Tunable("nr-poll-queues", "c"));
  t.push_back(Tunable("queue-size", "fc"));
  t.push_back(Tunable("reconnect-delay", "fc"));
  t.push_back(Tunable("ctrl-loss-tmo", "fc"));
  t.push_back(Tunable("disable-sqflow", "fc"));
  t.push_back(Make(
      "Global", "ignore-iface", "fc", kCur,
      [](std::string_view s, ServiceConfig& c, Notes*) {
        return ParseBoolInto(s, &c.ignore_iface);
      },
      [](const ServiceConfig& c) { return Json(c.ignore_iface); }));
  t.push_back(Make(
      "Global", "ip-family", "fc", kCur,
      [](std::string_view s, ServiceConfig& c, Notes*) { return ParseIpFamily(s, &c.ip_family); },
      [](const ServiceConfig& c) { return Json(IpFamilyText(c.ip_family)); }));
  t.push_back(Make(
      "Global", "pleo", "f", kCur,
      [](std::string_view s, ServiceConfig& c, Notes*) { return ParseEnabled(s, &c.pleo); },
      [](const ServiceConfig& c) { return Json(c.pleo ? "enabled" : "disabled"); }));
  // Legacy location (nvme-stas 2.0); honoured when the new location is not set (see parser).
  t.push_back(Make(
      "Global", "persistent-connections", "f", OptionStatus::kDeprecated,
      [](std::string_view s, ServiceConfig& c, Notes*) {
        return ParseBoolInto(s, &c.persistent_connections);
      },
      // Needed although the option is never shown: an invalid value is reported with the
      // default it keeps (DefaultText()), which calls show.
      [](const ServiceConfig& c) { return Json(c.persistent_connections); }));
  t.push_back(Make("Global", "sticky-connections", "c", OptionStatus::kObsolete, nullptr, nullptr));
  t.push_back(Make("Global", "udev-rule", "c", OptionStatus::kObsolete, nullptr, nullptr));
  t.push_back(Make(
      "Service Discovery", "zeroconf", "f", kCur,
      [](std::string_view s, ServiceConfig& c, Notes*) { return ParseEnabled(s, &c.zeroconf); },
      [](const ServiceConfig& c) { return Json(c.zeroconf ? "enabled" : "disabled"); }));
  t.push_back(Make(
      "Service Discovery", "nbft", "f", kCur,
      [](std::string_view s, ServiceConfig& c, Notes*) {
        return ParseEnabled(s, &c.nbft_discovery);
      },
      [](const ServiceConfig& c) { return Json(c.nbft_discovery ? "enabled" : "disabled"); }));
  t.push_back(Make(
      "Discovery controller connection management", "persistent-connections", "f", kCur,
      [](std::string_view s, ServiceConfig& c, Notes*) {
        return ParseBoolInto(s, &c.persistent_connections);
      },
      [](const ServiceConfig& c) { return Json(c.persistent_connections); }));
  t.push_back(Make(
      "Discovery controller connection management", "zeroconf-connections-persistence", "f", kCur,
      [](std::string_view s, ServiceConfig& c, Notes* n) {
        return ParsePersistence(s, &c.zeroconf_persistence_sec, n);
      },
      [](const ServiceConfig& c) { return Json(c.zeroconf_persistence_sec); }));
  // nvme-stas 3.x's spelling of zeroconf-connections-persistence (after it: it wins).
  t.push_back(
      Alias(Make(
                "Discovery controller connection management", "dc-giveup-timeout", "f", kCur,
                [](std::string_view s, ServiceConfig& c, Notes* n) {
                  return ParseGiveupTimeout(s, &c.zeroconf_persistence_sec, n);
                },
                [](const ServiceConfig& c) { return Json(c.zeroconf_persistence_sec); }),
            "zeroconf-connections-persistence"));
  // EPCSD-driven persistence (TP8014): every DC's choice unless its controller= entry says.
  t.push_back(Make(
      "Discovery controller connection management", "persistent", "f", kCur,
      [](std::string_view s, ServiceConfig& c, Notes*) {
        return ParseDcPersistenceInto(s, &c.dc_persistence);
      },
      [](const ServiceConfig& c) {
        return c.dc_persistence == DcPersistence::kUnset
                   ? Json(nullptr)
                   : Json(DcPersistenceName(c.dc_persistence));
      }));
  t.push_back(Make(
      "Discovery controller connection management", "epcsd-poll-interval-minutes", "f", kCur,
      [](std::string_view s, ServiceConfig& c, Notes*) {
        return ParseIntIn(s, {1, kMaxEpcsdPollMinutes}, &c.epcsd_poll_minutes);
      },
      [](const ServiceConfig& c) { return Json(c.epcsd_poll_minutes); }));
  t.push_back(Make(
      "I/O controller connection management", "disconnect-scope", "c", kCur,
      [](std::string_view s, ServiceConfig& c, Notes*) {
        return ParseScope(s, &c.disconnect_scope);
      },
      [](const ServiceConfig& c) { return Json(DisconnectScopeName(c.disconnect_scope)); }));
  t.push_back(Make(
      "I/O controller connection management", "disconnect-trtypes", "c", kCur,
      [](std::string_view s, ServiceConfig& c, Notes* n) {
        return ParseTrtypes(s, &c.disconnect_trtypes, n);
      },
      [](const ServiceConfig& c) {
        std::string joined;
        for (const std::string& x : c.disconnect_trtypes)
          joined += (joined.empty() ? "" : "+") + x;
        return Json(joined);
      }));
  t.push_back(Make(
      "I/O controller connection management", "connect-attempts-on-ncc", "c", kCur,
      [](std::string_view s, ServiceConfig& c, Notes* n) {
        return ParseNccAttempts(s, &c.connect_attempts_on_ncc, n);
      },
      [](const ServiceConfig& c) { return Json(c.connect_attempts_on_ncc); }));
  // nvme-stas 3.x's spelling of disconnect-scope (after it: it wins).
  t.push_back(Alias(
      Make(
          "I/O controller connection management", "honor-fabric-zoning", "c", kCur,
          [](std::string_view s, ServiceConfig& c, Notes*) {
            return ParseFabricZoning(s, &c.disconnect_scope);
          },
          [](const ServiceConfig& c) { return Json(DisconnectScopeName(c.disconnect_scope)); }),
      "disconnect-scope"));
  // Zero referrals or I/O controllers per DC is a valid choice (follow none); a read must be
  // allowed at least one entry and one second.
  t.push_back(
      Limit("max-discovery-controllers", "f", {1, 65536}, &Limits::max_discovery_controllers));
  t.push_back(Limit("max-referrals-per-dc", "f", {0, 65536}, &Limits::max_referrals_per_dc));
  t.push_back(Limit("max-log-page-entries", "f", {1, kMaxLogPageEntriesCeiling},
                    &Limits::max_log_page_entries));
  t.push_back(Limit("log-page-read-timeout", "f", {1, 3600}, &Limits::log_page_read_timeout_sec));
  t.push_back(Limit("max-iocs-per-dc", "c", {0, 65536}, &Limits::max_iocs_per_dc));
  t.push_back(Make(
      "Limits", "cross-transport-entries", "fc", kCur,
      [](std::string_view s, ServiceConfig& c, Notes*) {
        return ParseCrossTransport(s, &c.limits.follow_cross_transport);
      },
      [](const ServiceConfig& c) {
        return Json(c.limits.follow_cross_transport ? "follow" : "ignore");
      }));
  // Slow DCs cannot take every worker (common/loop/bounded_runner.h).
  t.push_back(Limit("discovery-read-workers", "f", {1, kMaxDiscoveryReadWorkers},
                    &Limits::discovery_read_workers));
  // No reply over the bus's message limit (common/daemon/reply_size.h).
  t.push_back(Limit("max-dbus-reply-size", "f", {kMinMaxDbusReplySize, kMaxMaxDbusReplySize},
                    &Limits::max_dbus_reply_size));
  t.push_back(Multi("controller", kCur));
  t.push_back(Multi("exclude", kCur));
  t.push_back(Multi("blacklist", OptionStatus::kDeprecated));
  return t;
}

}  // namespace

const std::vector<OptionSpec>& AllOptions() {
  static const std::vector<OptionSpec> kTable = BuildTable();
  return kTable;
}

bool IsConnectOptionKey(std::string_view key) {
  return FindTunable(key) != nullptr;
}

std::optional<std::string> ParseConnectOption(std::string_view key, std::string_view text,
                                              ConnectOptions* out) {
  const TunableSpec* t = FindTunable(key);
  if (t == nullptr)
    return "unknown option";
  if (t->bool_field) {
    bool v = false;
    if (auto why = ParseBoolInto(text, &v))
      return why;
    out->*(t->bool_field) = v;
    return std::nullopt;
  }
  long long v = 0;
  if (!ParseInt(text, &v))
    return std::string("expected an integer");
  if (v < t->range.min || v > t->range.max) {
    std::string max = t->range.max == INT_MAX ? "" : std::to_string(t->range.max);
    return "out of range " + std::to_string(t->range.min) + ".." + max;
  }
  out->*(t->int_field) = static_cast<int>(v);
  return std::nullopt;
}

nlohmann::ordered_json ConnectOptionJson(const ConnectOptions& o, std::string_view key) {
  const TunableSpec* t = FindTunable(key);
  if (t == nullptr)
    return nullptr;
  return t->bool_field ? OptJson(o.*(t->bool_field)) : OptJson(o.*(t->int_field));
}

std::optional<std::string> ConnectOptionText(const ConnectOptions& o, std::string_view key) {
  const TunableSpec* t = FindTunable(key);
  if (t == nullptr)
    return std::nullopt;
  if (t->bool_field) {
    const std::optional<bool>& v = o.*(t->bool_field);
    if (!v)
      return std::nullopt;
    return PythonBool(*v);  // what nvme-stas clients see
  }
  const std::optional<int>& v = o.*(t->int_field);
  if (!v)
    return std::nullopt;
  return std::to_string(*v);
}

}  // namespace stas
