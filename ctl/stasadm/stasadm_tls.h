// SPDX-License-Identifier: Apache-2.0
// stasadm tls-key-insert, tls-key-list, tls-key-remove: the NVMe/TCP TLS PSKs of the kernel's
// .nvme keyring (docs/compatibility.md, "TLS"), where the kernel looks a PSK up by its identity
// when it connects a controller with the tls option.
//
//  - tls-key-insert derives the TLS PSK and its version 0 identity "NVMe0R0<c> <hostnqn>
//    <subsysnqn>" from a configured PSK in the interchange format (common/tls_psk.h), adds a key
//    of type "psk" with the identity as its description, and prints the key's serial;
//  - tls-key-list prints "<serial> <identity>" for each psk key of the keyring, never a key;
//  - tls-key-remove unlinks a psk key from the keyring, by serial or by identity.
//
// The keyring calls are common/kernel/tls_keyring.h's, as the daemons make them for a controller
// configured with tls-key=. Messages never quote a key.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/kernel/tls_keyring.h"
#include "common/result.h"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's name
class App;
class Option;
}  // namespace CLI

namespace stas::ctl {

// What the tls-key-* commands need from their surroundings.
struct TlsKeyEnv {
  Keyrings* keyrings = nullptr;
  // The caller is root: decides what a missing keyring means.
  bool root = true;
  // The host NQN of the configuration, when --hostnqn is not given.
  std::function<Result<std::string>()> configured_hostnqn;
};

struct TlsKeyInsertRequest {
  std::string key;  // the configured PSK, "NVMeTLSkey-1:hh:<base64>:"
  std::string subsysnqn;
  std::optional<std::string> hostnqn;  // default: env.configured_hostnqn()
  std::string keyring = kDefaultTlsKeyring;
  bool compat = false;  // libnvme 1.7 to 1.15's HKDF-Expand-Label (HkdfLabelForm)
};

// Derives the TLS PSK of `request` and adds it to the keyring: the new key and its identity.
// The key is checked and derived before the keyring is looked up.
Result<TlsKeyEntry> InsertTlsKey(const TlsKeyEnv& env, const TlsKeyInsertRequest& request);

// The psk keys of `keyring`, in the keyring's order. Keys that cannot be described (just
// revoked or unlinked, or not viewable) are left out.
Result<std::vector<TlsKeyEntry>> ListTlsKeys(const TlsKeyEnv& env, const std::string& keyring);

struct TlsKeyRemoveRequest {
  std::optional<KeySerial> serial;
  std::optional<std::string> identity;
  std::string keyring = kDefaultTlsKeyring;
};

// Unlinks from the keyring the psk key with the serial, or every psk key with the identity
// (exactly one of them is set): the keys removed. Fails when there is none, and for a serial
// that is not a psk key of the keyring.
Result<std::vector<TlsKeyEntry>> RemoveTlsKeys(const TlsKeyEnv& env,
                                               const TlsKeyRemoveRequest& request);

// A key serial as keyctl prints it (decimal), or in hex with "0x" as nvme-cli prints it:
// positive and at most 2^31 - 1.
Result<KeySerial> ParseKeySerial(std::string_view text);

// The three subcommands on stasadm's command line. Built before the command line is parsed;
// CLI11 writes the options into this object, which therefore stays where it is.
class TlsKeyCommands {
 public:
  explicit TlsKeyCommands(CLI::App& app);
  TlsKeyCommands(const TlsKeyCommands&) = delete;
  TlsKeyCommands& operator=(const TlsKeyCommands&) = delete;

  // True when one of them was given.
  bool Parsed() const;
  // Runs it: prints its output on stdout, an error on stderr ("stasadm: ..."), and returns the
  // exit status (1 for an error, 2 for a usage error). Reads the key from standard input for
  // --key -.
  int Run(const std::function<Result<std::string>()>& configured_hostnqn) const;

 private:
  CLI::App* insert_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* remove_ = nullptr;
  CLI::Option* hostnqn_option_ = nullptr;
  CLI::Option* serial_option_ = nullptr;
  CLI::Option* identity_option_ = nullptr;
  TlsKeyInsertRequest insert_request_;
  std::string hostnqn_;
  std::string keyring_ = kDefaultTlsKeyring;
  std::string serial_;
  std::string identity_;
};

}  // namespace stas::ctl
