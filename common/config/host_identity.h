// SPDX-License-Identifier: Apache-2.0
// The host's NVMe identity (host NQN, host ID, DH-HMAC-CHAP host key, symbolic name), resolved
// from sys.conf ([Host] nqn/id/key/symname) and the /etc/nvme files it points to. A plain value:
// load it once at start-up and pass it to whoever needs it (nvme-stas does not re-read sys.conf
// on SIGHUP either).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/diagnostic.h"
#include "common/result.h"

namespace stas {

// TP8010 gives the host symbolic name 256 bytes including the terminating NUL. stasadm refuses
// longer names; the daemons ignore them (with a warning).
inline constexpr size_t kMaxSymnameBytes = 255;

// Where the identity is read from.
struct SysConfPaths {
  std::string sys_conf;      // /etc/stas/sys.conf
  std::string hostnqn_file;  // used when [Host] nqn is absent
  std::string hostid_file;   // used when [Host] id is absent
  std::string hostkey_file;  // used when [Host] key is absent
  // Where the host-wide exclusion list is (/etc/nvme: exclusions.conf, exclusions.conf.d/;
  // exclusions.h); empty: none.
  std::string exclusions_dir{};

  // The paths under kSysconfDir.
  static SysConfPaths Default();
};

// All fields are validated: see LoadHostIdentity().
struct HostIdentity {
  std::string hostnqn;
  std::string hostid;
  std::optional<std::string> hostkey;  // a DH-HMAC-CHAP secret: never log it
  std::optional<std::string> symname;

  // {"hostnqn", "hostid", "hostkey", "symname"} with their values, in that order (the keys of
  // nvme-stas's SysConf.as_dict()). With `redact_key`, an existing key reads "<redacted>".
  std::vector<std::pair<std::string, std::optional<std::string>>> AsFields(bool redact_key) const;
};

// Resolves each [Host] option of `paths.sys_conf`: the option's value when set, else
// "file://<default file>" (symname has no default). A value "file://PATH" stands for the first
// whitespace-separated token of the first line of PATH. The last occurrence of an option wins.
//
// Fails (Error.message ready for the user, Error.code an errno) when:
//  - the host NQN or host ID cannot be read or is empty: "Error reading mandatory Host NQN (see
//    stasadm --help): <reason>" (code: the file's errno, or ENODATA when empty);
//  - the host NQN is not "nqn."-prefixed, longer than kMaxNqnLength, or holds non-printable
//    characters, blanks or ',' (EINVAL);
//  - the host ID is not a UUID xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (EINVAL);
//  - a host key is present but not "DHHC-1:NN:<base64>:" (EINVAL; the message never quotes it),
//    or its file exists but cannot be read.
// A missing sys.conf means all defaults; a missing key file means no key.
// Appends to `warnings` (may be null): the INI parser's problems, unknown sections and options,
// options without a value (ignored), and a symname that cannot be read or is not printable
// ASCII of at most kMaxSymnameBytes without ',' (dropped).
Result<HostIdentity> LoadHostIdentity(const SysConfPaths& paths, Diagnostics* warnings);

// The machine's DMI product UUID as firmware reports it (lowercase), what os-brick's connectors
// call "system uuid"; "" if unreadable (root only) or not a UUID ("Not Settable", all zeros).
std::string ReadSystemUuid(const std::string& path = "/sys/class/dmi/id/product_uuid");

}  // namespace stas
