// SPDX-License-Identifier: Apache-2.0
// The configuration of stafd and stacd (/etc/stas/stafd.conf, /etc/stas/stacd.conf), parsed
// from nvme-stas 2.x files into typed values. Parsing never fails on bad content: every problem
// becomes a Diagnostic naming file, line and option, and the option keeps its default.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/config/exclude.h"
#include "common/config/ini_file.h"
#include "common/diagnostic.h"
#include "common/result.h"

namespace stas {

// The longest zeroconf-connections-persistence kept (100 years, in seconds); longer values are
// cut to it. It fits a guint of seconds, which is what the loop's longest timers count in.
inline constexpr long long kMaxPersistenceSec = 100LL * 365 * 86400;

// [Limits] max-dbus-reply-size: the default bound of a D-Bus reply whose size depends on what
// the fabric sent, a safe margin under the 32 MiB above which the system bus disconnects the
// sender (common/daemon/reply_size.h), and the accepted range.
inline constexpr long long kDefaultMaxDbusReplySize = 24LL << 20;
inline constexpr long long kMinMaxDbusReplySize = 64LL << 10;
inline constexpr long long kMaxMaxDbusReplySize = 128LL << 20;  // sd-bus's own message limit

enum class Daemon { kStafd, kStacd };
const char* DaemonName(Daemon d);

// The per-connection tunables of [Global] and controller= entries (docs/compatibility.md,
// "controller= and exclude= entries"). nullopt = not passed: the kernel decides.
struct ConnectOptions {
  std::optional<bool> hdr_digest;
  std::optional<bool> data_digest;
  std::optional<bool> disable_sqflow;
  std::optional<int> kato;
  std::optional<int> queue_size;
  std::optional<int> reconnect_delay;
  std::optional<int> ctrl_loss_tmo;
  std::optional<int> nr_io_queues;
  std::optional<int> nr_write_queues;
  std::optional<int> nr_poll_queues;

  // Our values, with every value set in `overrides` taking precedence.
  ConnectOptions MergedWith(const ConnectOptions& overrides) const;
  bool operator==(const ConnectOptions&) const = default;
};

struct IpFamilies {
  bool ipv4 = true;
  bool ipv6 = true;
  bool operator==(const IpFamilies&) const = default;
};

enum class DisconnectScope {
  kOnlyStasConnections,
  kAllConnectionsMatchingDisconnectTrtypes,
  kNoDisconnect,
};
const char* DisconnectScopeName(DisconnectScope s);

// One validated `controller=` entry. Transport and traddr are always set; subsysnqn is set
// (stafd fills in the well-known discovery NQN; stacd drops entries without one).
struct ControllerEntry {
  std::string transport;
  std::string traddr;
  std::string trsvcid;  // may be empty: the TID fills in the transport's default
  std::string subsysnqn;
  std::string host_traddr;
  std::string host_iface;
  std::optional<std::string> host_nqn;
  std::optional<std::string> dhchap_secret;       // host key for this controller
  std::optional<std::string> dhchap_ctrl_secret;  // controller key (bidirectional auth)
  ConnectOptions overrides;
  // The optional keys as given (host-nqn, secrets, overrides), in file order, values in their
  // canonical text form; this is what D-Bus shows after the identity keys
  // (docs/compatibility.md, "Controller identity dicts").
  std::vector<std::pair<std::string, std::string>> extras;
  int line = 0;
};

// Few enough that slow DCs leave most of the pool (128 workers) to connects and disconnects,
// enough that a burst of AENs from healthy DCs is read in parallel.
inline constexpr int kDefaultDiscoveryReadWorkers = 8;
inline constexpr int kMaxDiscoveryReadWorkers = 64;  // half the pool: connects keep the rest

struct ServiceConfig {
  Daemon daemon = Daemon::kStafd;
  bool tron = false;
  ConnectOptions connect;  // [Global] tunables
  bool ignore_iface = false;
  IpFamilies ip_family;
  // stafd only
  bool pleo = true;
  bool zeroconf = true;
  bool persistent_connections = true;
  long long zeroconf_persistence_sec = 72 * 3600;  // -1: never purge; at most kMaxPersistenceSec
  // [Limits] discovery-read-workers: the workers that DC reads (log pages, supported log
  // pages, DIM registration) may hold at once; the others wait (common/loop/bounded_runner.h).
  int discovery_read_workers = kDefaultDiscoveryReadWorkers;
  long long max_dbus_reply_size = kDefaultMaxDbusReplySize;  // [Limits] max-dbus-reply-size
  // stacd only
  DisconnectScope disconnect_scope = DisconnectScope::kOnlyStasConnections;
  std::vector<std::string> disconnect_trtypes{"tcp"};
  int connect_attempts_on_ncc = 0;  // 0: retry forever

  std::vector<ControllerEntry> controllers;
  std::vector<ExcludeRule> excludes;

  static ServiceConfig Defaults(Daemon d);
};

struct LoadedConfig {
  ServiceConfig config;
  Diagnostics diagnostics;
};

// Interprets an INI document; the document's own problems are included in the diagnostics.
LoadedConfig ParseServiceConfig(Daemon d, const IniDocument& doc);

// Reads `path`. Fails only when the file exists but cannot be read, or, with
// `missing_is_error`, when it does not exist; a missing file otherwise means defaults.
Result<LoadedConfig> LoadServiceConfig(Daemon d, const std::string& path, bool missing_is_error);

// Parses one controller= or exclude= value: nvme-stas's tokeniser plus validation
// (docs/compatibility.md, "controller= and exclude= entries").
// Problems are appended to `diag` with the given file and line; nullopt if the entry is unusable.
std::optional<ControllerEntry> ParseControllerEntry(Daemon d, std::string_view text,
                                                    const std::string& file, int line,
                                                    Diagnostics* diag);
std::optional<ExcludeRule> ParseExcludeEntry(std::string_view text, const std::string& file,
                                             int line, Diagnostics* diag);

}  // namespace stas
