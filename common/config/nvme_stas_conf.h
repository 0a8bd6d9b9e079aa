// SPDX-License-Identifier: Apache-2.0
// nvme-stas 3.x's connectivity configuration, in libnvme 3's INI format: /etc/nvme/nvme-stas.conf
// and /etc/nvme/nvme-stas.conf.d/*.conf, read into the values that stafd.conf's and stacd.conf's
// controller= entries give (ControllerEntry). Pure but for LoadNvmeStasConf(); thread-safe.
//
// Sections (names case-sensitive):
//   [Host]                           identity of the file's controllers: hostnqn, hostid,
//                                    hostsymname, kxchap-secret, kxchap-ctrl-secret; one per file
//   [Discovery Controller]           nqn (default: the well-known discovery NQN), options,
//                                    controller= paths; for stafd
//   [Subsystem]                      nqn (required), options, controller= paths; for stacd
//   [Discovery Controller Defaults]  options for the DCs,
//   [I/O Controller Defaults]        and the subsystems, of the file (and, for the main file's,
//                                    of every drop-in)
// A controller= line is one path, one controller of its section's nqn:
//   controller = transport=tcp;traddr=192.0.2.1;trsvcid=4420[;host-iface=eth0][;<option>=<v>]
// Options keep the spelling of `nvme connect`'s long options (keep-alive-tmo, ctrl-loss-tmo,
// reconnect-delay, nr-io-queues, nr-write-queues, nr-poll-queues, queue-size, hdr-digest,
// data-digest, disable-sqflow, trsvcid, host-traddr, host-iface), plus `persistent =
// no|auto|force` for DCs. The most specific value wins: the controller= line, then its section,
// then its file's Defaults section, then the main file's; `key =` with no value means the
// kernel's default. Booleans are systemd's (yes/no, on/off, 1/0...); the timeouts take whole
// seconds or a systemd time span ("2min"; ctrl-loss-tmo also "infinity").
//
// Problems are Diagnostics naming file and line. An error (Severity::kError) rejects the whole
// set of files, so that the caller can keep its last good configuration; a warning ignores
// what it names. Secrets are never quoted in a diagnostic.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/config/ini_file.h"
#include "common/diagnostic.h"

namespace stas {

// At most this many drop-ins are read, the first in name order; more are a warning.
inline constexpr size_t kMaxNvmeStasConfDropIns = 256;
// A larger file is refused (an error): these are short files written by hand.
inline constexpr size_t kMaxNvmeStasConfFileBytes = 1 << 20;

// One file's [Host] section, validated: hostnqn starts with "nqn.", hostid is a non-zero UUID,
// the secrets are DH-HMAC-CHAP secrets ("DHHC-1:...": never log them).
struct StasConfHost {
  std::optional<std::string> hostnqn;
  std::optional<std::string> hostid;
  std::optional<std::string> hostsymname;
  std::optional<std::string> dhchap_secret;       // kxchap-secret: the host's key
  std::optional<std::string> dhchap_ctrl_secret;  // kxchap-ctrl-secret
  std::string file;
  int line = 0;  // of the [Host] header
};

// One controller= path with every cascade level applied.
//  - entry: as ParseControllerEntry() builds one and CheckControllerEntry() accepts it; its
//    `overrides`, `persistent`, secrets (from the section's kxchap-secret and
//    kxchap-ctrl-secret) and `extras` (in nvme-stas 2.x's key spelling: kato, dhchap-secret...,
//    the line's options first, in the order written, then the section's, then the Defaults';
//    host-nqn last) hold the effective values; host_nqn is the file's [Host] hostnqn, if any;
//    `line` is the controller= line.
//  - host: the [Host] of the file the path is written in, if it has one. ControllerEntry has no
//    place for a host ID or a host key: they are here.
// A level's `key =` (no value) leaves the option unset, which ConnectOptions cannot tell from
// "not given": a daemon that merges [Global] into `overrides` would bring it back.
struct StasConfController {
  ControllerEntry entry;
  std::string file;
  std::optional<StasConfHost> host;
};

struct NvmeStasConf {
  std::optional<StasConfHost> host;                       // the main file's [Host]
  std::vector<StasConfController> discovery_controllers;  // [Discovery Controller] paths: stafd
  std::vector<StasConfController> subsystems;             // [Subsystem] paths: stacd
  // The files read, in order (ParseNvmeStasConf(): every document's label, the main one too).
  std::vector<std::string> files;
};

struct LoadedNvmeStasConf {
  std::optional<NvmeStasConf> conf;  // nullopt: an error; keep the last good configuration
  Diagnostics diagnostics;           // errors and warnings, in the order of files and lines
};

// Interprets the parsed files: `files[0]` is the main file (an empty document when it does
// not exist), the others its drop-ins in the order they apply. The documents' own problems
// (malformed lines) are errors.
LoadedNvmeStasConf ParseNvmeStasConf(const std::vector<IniDocument>& files);

// Reads `main_path` and `main_path`.d/*.conf (name order; at most kMaxNvmeStasConfDropIns).
// Each must be a regular file of at most kMaxNvmeStasConfFileBytes, opened without blocking (a
// FIFO is refused, never waited on). Neither existing is an empty configuration, not an error;
// a file or directory that exists but cannot be read is an error.
LoadedNvmeStasConf LoadNvmeStasConf(const std::string& main_path);

}  // namespace stas
