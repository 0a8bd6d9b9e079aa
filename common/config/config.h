// SPDX-License-Identifier: Apache-2.0
// The configuration of stafd and stacd (/etc/stas/stafd.conf, /etc/stas/stacd.conf), parsed
// from nvme-stas 2.x files into typed values. Parsing never fails on bad content: every problem
// becomes a Diagnostic naming file, line and option, and the option keeps its default.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
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

// Few enough that slow DCs leave most of the pool (128 workers) to connects and disconnects,
// enough that a burst of AENs from healthy DCs is read in parallel.
inline constexpr int kDefaultDiscoveryReadWorkers = 8;
inline constexpr int kMaxDiscoveryReadWorkers = 64;  // half the pool: connects keep the rest

// [Limits] max-dbus-reply-size: the default bound of a D-Bus reply whose size depends on what
// the fabric sent, a safe margin under the 32 MiB above which the system bus disconnects the
// sender (common/daemon/reply_size.h), and the accepted range.
inline constexpr int kDefaultMaxDbusReplySize = 24 << 20;
inline constexpr int kMinMaxDbusReplySize = 64 << 10;
inline constexpr int kMaxMaxDbusReplySize = 128 << 20;  // sd-bus's own message limit

// The most entries any discovery log page read may hold ([Limits] max-log-page-entries is at
// most this): 64 MiB of 1 KiB records, already far more than any real DC serves.
inline constexpr int kMaxLogPageEntriesCeiling = 65536;

// [Limits] (#13): how much one fabric can make the host hold. Every limit counts per
// discovery controller except max_discovery_controllers; configured controllers are never
// refused by a limit.
struct Limits {
  int max_discovery_controllers = 256;  // stafd: DCs held (referred and mDNS ones count)
  int max_referrals_per_dc = 64;        // stafd: referral entries followed from one page
  int max_log_page_entries = 4096;      // stafd: entries read from one page
  int log_page_read_timeout_sec = 60;   // stafd: deadline of one whole page read
  int max_iocs_per_dc = 1024;           // stacd: nvme entries of one page connected
  // Both: follow a referral (stafd) or connect an nvme entry (stacd) whose transport is not
  // the transport of the DC that listed it. Off: a TCP DC cannot make the host open an FC,
  // RDMA or loop connection.
  bool follow_cross_transport = false;
  // stafd: the workers that DC reads (log pages, supported log pages, DIM registration) may
  // hold at once; the others wait (common/loop/bounded_runner.h).
  int discovery_read_workers = kDefaultDiscoveryReadWorkers;
  // stafd: the largest D-Bus reply it sends, in bytes (common/daemon/reply_size.h).
  int max_dbus_reply_size = kDefaultMaxDbusReplySize;
  bool operator==(const Limits&) const = default;
};

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
  // NVMe/TCP TLS (TP8011): `tls=true` on a controller= entry, or a log page entry that requires
  // a secure channel (TREQ); not a [Global] option. The kernel finds the PSK in its .nvme
  // keyring.
  std::optional<bool> tls;

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

// The key a DC's identity dict (and its controller= entry) shows its choice under, and the
// value that means "only what volumes need"; absent (or "all"): everything it lists.
inline constexpr char kDcConnectKey[] = "connect";
inline constexpr char kDcConnectVolumes[] = "volumes";

// A DC's connection between log page reads (TP8014 EPCSD, "explicit persistent connection
// support for discovery"): kUnset keeps nvme-stas 2.x's behaviour (always held); kAuto holds it
// when the DC's own log page entry sets EPCSD and parks it otherwise (disconnected, its cached
// page kept, polled); kForce holds it whatever EPCSD says; kNo always parks it.
enum class DcPersistence { kUnset, kNo, kAuto, kForce };
// "no", "auto", "force"; nullopt for anything else.
std::optional<DcPersistence> ParseDcPersistence(std::string_view text);
const char* DcPersistenceName(DcPersistence p);  // "" for kUnset
inline constexpr char kDcPersistentKey[] = "persistent";
// How often a parked DC is connected again to read its page, by default (minutes).
inline constexpr int kDefaultEpcsdPollMinutes = 15;
inline constexpr int kMaxEpcsdPollMinutes = 7 * 24 * 60;

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
  // NVMe/TCP TLS (either sets overrides.tls): the keyring the kernel takes the PSK from, by
  // name (`keyring=`), and a configured PSK in the interchange format, "NVMeTLSkey-1:..."
  // (`tls-key=`, checked), whose TLS PSK goes there before each connect.
  std::optional<std::string> keyring;
  std::optional<std::string> tls_key;
  ConnectOptions overrides;
  // stafd only, `connect=volumes`: stacd connects from this DC's log page only the subsystems
  // its attached volumes need, not every one it lists (`connect=all`, the default).
  bool connect_volumes_only = false;
  // stafd only, `persistent=`: overrides the [Discovery controller connection management]
  // choice for this DC (kUnset: that choice applies).
  DcPersistence persistent = DcPersistence::kUnset;
  // The optional keys as given (host-nqn, secrets, overrides), in file order, values in their
  // canonical text form; this is what D-Bus shows after the identity keys
  // (docs/compatibility.md, "Controller identity dicts").
  std::vector<std::pair<std::string, std::string>> extras;
  int line = 0;
};

struct ServiceConfig {
  Daemon daemon = Daemon::kStafd;
  bool tron = false;
  ConnectOptions connect;  // [Global] tunables
  bool ignore_iface = false;
  IpFamilies ip_family;
  // stafd only
  bool pleo = true;
  bool zeroconf = true;
  // [Service Discovery] nbft: keep the firmware's NBFT discovery records as DCs
  // (common/firmware/nbft_connections.h). Off by default: Debian 12's nvme-stas (libnvme 1.3)
  // never read the NBFT, and nvme-stas 3.x leaves those DCs to their owner.
  bool nbft_discovery = false;
  bool persistent_connections = true;
  long long zeroconf_persistence_sec = 72 * 3600;  // -1: never purge; at most kMaxPersistenceSec
  DcPersistence dc_persistence = DcPersistence::kUnset;  // every DC's, unless its entry says
  int epcsd_poll_minutes = kDefaultEpcsdPollMinutes;     // a parked DC's poll interval
  // stacd only
  DisconnectScope disconnect_scope = DisconnectScope::kOnlyStasConnections;
  std::vector<std::string> disconnect_trtypes{"tcp"};
  int connect_attempts_on_ncc = 0;  // 0: retry forever
  Limits limits;

  std::vector<ControllerEntry> controllers;
  std::vector<ExcludeRule> excludes;
  // The host ID of each other host identity the host has (host NQN -> host ID): nvme-stas
  // 3.x's [Host] sections, the NBFT's boot host. A connection made with one of those host
  // NQNs presents its host ID, not the daemon's: an identity is taken whole (newer kernels
  // refuse one host ID under two host NQNs).
  std::map<std::string, std::string> host_ids;

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
// The identity checks of a controller= entry (transport, traddr, trsvcid, host-traddr,
// host-iface, subsysnqn, host-nqn, secrets) for one built from elsewhere (a D-Bus caller's
// dict), with `what` naming it in the messages. Addresses are normalised in place. An entry
// with an error (Severity::kError) is unusable.
Diagnostics CheckControllerEntry(Daemon d, ControllerEntry* c, const std::string& what);
std::optional<ExcludeRule> ParseExcludeEntry(std::string_view text, const std::string& file,
                                             int line, Diagnostics* diag);

}  // namespace stas
