// SPDX-License-Identifier: Apache-2.0
// The NVMe/TCP TLS PSKs of the kernel's keyrings (docs/compatibility.md, "TLS"): where the
// kernel looks a PSK up when it connects a controller with the `tls` option (its `.nvme`
// keyring by default, by the PSK identity), or takes the one `tls_key=<serial>` names.
//
// Used by stasadm's tls-key-* commands and, on a worker thread, by the connect of a controller
// configured with `tls-key=` or `keyring=` (PrepareTlsKeys()).
//
// A keyring is looked up by name as libnvme does (find_key_by_type_and_desc: the process's
// keyrings, then /proc/keys): the kernel's .nvme keyring is linked to no process keyring, and
// /proc/keys shows it to root only. Its owner (root) may add, list and unlink without possessing
// it, so unlike libnvme nothing is linked into the session keyring. Messages never quote a key.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/kernel/connect_string.h"
#include "common/result.h"
#include "common/tls_psk.h"

namespace stas {

inline constexpr const char* kDefaultTlsKeyring = ".nvme";
inline constexpr const char* kPskKeyType = "psk";

// The kernel keyring calls; a failure's code is the errno (its message is not shown).
// MakeKernelKeyrings() makes the real one (libkeyutils); tests use
// common/testing/fake_keyrings.h.
class Keyrings {
 public:
  virtual ~Keyrings() = default;
  // The keyring named `name` that this process can see (find_key_by_type_and_desc).
  virtual Result<KeySerial> Find(const std::string& name) = 0;
  // add_key(type, description, payload, keyring): a key of the same type and description
  // already in the keyring is displaced.
  virtual Result<KeySerial> Add(const std::string& type, const std::string& description,
                                std::span<const uint8_t> payload, KeySerial keyring) = 0;
  // The serials the keyring links to (keyctl_read_alloc).
  virtual Result<std::vector<KeySerial>> Members(KeySerial keyring) = 0;
  // "type;uid;gid;perm;description" (keyctl_describe_alloc).
  virtual Result<std::string> Describe(KeySerial key) = 0;
  virtual Status Unlink(KeySerial key, KeySerial keyring) = 0;
};

std::unique_ptr<Keyrings> MakeKernelKeyrings();

struct TlsKeyEntry {
  KeySerial serial = 0;
  std::string identity;
};

// "the keyring \".nvme\"", for messages.
std::string KeyringName(const std::string& keyring);

// Why `what` (e.g. "cannot add the key to the keyring \".nvme\"") failed with errno `err`,
// and what to do about it; `root` as below.
Error KeyringCallProblem(int err, const std::string& what, bool root);

// The keyring named `keyring`. The error says what is missing and, for the default keyring,
// what provides it; `root` tells whether the caller runs as root (a keyring another user owns
// is invisible, not missing).
Result<KeySerial> FindKeyring(Keyrings& keyrings, const std::string& keyring, bool root);

// The psk keys of the keyring `ring` (named `keyring`, for messages), in the keyring's order.
// Keys that cannot be described (just revoked or unlinked, or not viewable) are left out.
Result<std::vector<TlsKeyEntry>> PskKeysOf(Keyrings& keyrings, KeySerial ring,
                                           const std::string& keyring, bool root);

// Derives the TLS PSK of `psk` for the host `hostnqn` and the subsystem `subsysnqn` (version 0
// identity) and adds it to the keyring `ring` (named `keyring`): the new key and its identity.
// Wipes `psk`.
Result<TlsKeyEntry> AddTlsPsk(Keyrings& keyrings, KeySerial ring, const std::string& keyring,
                              bool root, ConfiguredPsk& psk, const std::string& hostnqn,
                              const std::string& subsysnqn, HkdfLabelForm form);

// What a connect of `req` needs from the keyrings, made ready: its configured keyring
// (`keyring=`, by name) looked up, and its configured PSK (`tls-key=`) derived for the request's
// host and subsystem NQNs and added to that keyring (or .nvme), replacing the key with the
// same identity. Nothing for a request without either. Errors are ENOKEY for a keyring that is
// not there (the message says which), EINVAL for a key that is not one, else the keyring
// call's errno.
Result<TlsKeySerials> PrepareTlsKeys(Keyrings& keyrings, const ConnectRequest& req, bool root);

}  // namespace stas
