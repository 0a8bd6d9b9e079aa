// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_tls.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <iostream>
#include <string>
#include <unistd.h>
#include <utility>

#include "common/nvme_names.h"
#include "common/str_util.h"
#include "common/tls_psk.h"

namespace stas::ctl {
namespace {

// The key text of --key: itself, or for "-" the first line of standard input.
Result<std::string> KeyArgument(const std::string& value) {
  if (value != "-")
    return value;
  std::string line;
  if (!std::getline(std::cin, line) && line.empty())
    return Fail(EINVAL, "--key -: standard input is empty");
  return std::string(Trim(line));
}

int PrintError(const std::string& message) {
  std::cerr << "stasadm: " << message << "\n";
  return 1;
}

}  // namespace

Result<TlsKeyEntry> InsertTlsKey(const TlsKeyEnv& env, const TlsKeyInsertRequest& request) {
  Result<ConfiguredPsk> psk = DecodeTlsPsk(request.key);
  if (!psk)
    return Fail(EINVAL, "--key " + psk.error().message);
  if (std::optional<std::string> why = CheckNqn(request.subsysnqn, /*require_nqn_prefix=*/true)) {
    WipePsk(psk->key);
    return Fail(EINVAL, "--subsysnqn \"" + Printable(request.subsysnqn) + "\": " + *why);
  }
  std::string hostnqn;
  if (request.hostnqn) {
    if (std::optional<std::string> why = CheckNqn(*request.hostnqn, true)) {
      WipePsk(psk->key);
      return Fail(EINVAL, "--hostnqn \"" + Printable(*request.hostnqn) + "\": " + *why);
    }
    hostnqn = *request.hostnqn;
  } else {
    Result<std::string> configured = env.configured_hostnqn
                                         ? env.configured_hostnqn()
                                         : Result<std::string>(Fail(ENOENT, "no configuration"));
    if (!configured) {
      WipePsk(psk->key);
      return Fail(configured.error().code,
                  "the key is derived for a host NQN (give it with --hostnqn): " +
                      configured.error().message);
    }
    hostnqn = *configured;
  }
  Result<KeySerial> ring = FindKeyring(*env.keyrings, request.keyring, env.root);
  if (!ring) {
    WipePsk(psk->key);
    return Fail(ring.error());
  }
  HkdfLabelForm form = request.compat ? HkdfLabelForm::kLibnvmeCompat : HkdfLabelForm::kRfc8446;
  return AddTlsPsk(*env.keyrings, *ring, request.keyring, env.root, *psk, hostnqn,
                   request.subsysnqn, form);
}

Result<std::vector<TlsKeyEntry>> ListTlsKeys(const TlsKeyEnv& env, const std::string& keyring) {
  Result<KeySerial> ring = FindKeyring(*env.keyrings, keyring, env.root);
  if (!ring)
    return Fail(ring.error());
  return PskKeysOf(*env.keyrings, *ring, keyring, env.root);
}

Result<std::vector<TlsKeyEntry>> RemoveTlsKeys(const TlsKeyEnv& env,
                                               const TlsKeyRemoveRequest& request) {
  if (request.serial.has_value() == request.identity.has_value())
    return Fail(EINVAL, "give either --serial or --identity");
  Result<KeySerial> ring = FindKeyring(*env.keyrings, request.keyring, env.root);
  if (!ring)
    return Fail(ring.error());
  Result<std::vector<TlsKeyEntry>> keys =
      PskKeysOf(*env.keyrings, *ring, request.keyring, env.root);
  if (!keys)
    return Fail(keys.error());
  std::vector<TlsKeyEntry> chosen;
  for (const TlsKeyEntry& key : *keys) {
    if (request.serial ? key.serial == *request.serial : key.identity == *request.identity)
      chosen.push_back(key);
  }
  if (chosen.empty()) {
    if (request.serial) {
      return Fail(ENOKEY, KeyringName(request.keyring) + " has no psk key " +
                              std::to_string(*request.serial));
    }
    return Fail(ENOKEY, KeyringName(request.keyring) + " has no psk key with identity \"" +
                            Printable(*request.identity) + "\"");
  }
  for (const TlsKeyEntry& key : chosen) {
    if (Status s = env.keyrings->Unlink(key.serial, *ring); !s) {
      return Fail(KeyringCallProblem(s.error().code,
                                     "cannot unlink key " + std::to_string(key.serial) + " from " +
                                         KeyringName(request.keyring),
                                     env.root));
    }
  }
  return chosen;
}

Result<KeySerial> ParseKeySerial(std::string_view text) {
  std::string given = "--serial \"" + Printable(text) + "\"";
  bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  std::string_view digits = hex ? text.substr(2) : text;
  if (digits.empty() || digits.size() > 10)
    return Fail(EINVAL, given + " is not a key serial (decimal, or hex after 0x)");
  long long value = 0;
  for (char c : digits) {
    int d = -1;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (hex && c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (hex && c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    if (d < 0)
      return Fail(EINVAL, given + " is not a key serial (decimal, or hex after 0x)");
    value = value * (hex ? 16 : 10) + d;
  }
  if (value <= 0 || value > 0x7fffffff)
    return Fail(EINVAL, given + " is not a key serial (1 to 2147483647)");
  return static_cast<KeySerial>(value);
}

TlsKeyCommands::TlsKeyCommands(CLI::App& app) {
  insert_ = app.add_subcommand(
      "tls-key-insert",
      "Add the TLS PSK of a configured PSK to the kernel's keyring, under its PSK identity");
  insert_
      ->add_option("--key", insert_request_.key,
                   "The configured PSK, NVMeTLSkey-1:hh:<base64>: (- reads it from standard "
                   "input)")
      ->required()
      ->type_name("KEY");
  insert_->add_option("--subsysnqn", insert_request_.subsysnqn, "The subsystem NQN")
      ->required()
      ->type_name("NQN");
  hostnqn_option_ =
      insert_
          ->add_option("--hostnqn", hostnqn_,
                       "The host NQN. Default: the host NQN of the configuration file")
          ->type_name("NQN");
  insert_->add_option("--keyring", keyring_, "The keyring. Default: .nvme")->type_name("NAME");
  insert_->add_flag("--compat", insert_request_.compat,
                    "Derive as libnvme 1.7 to 1.15 did (nvme-cli's --compat), not as RFC 8446 "
                    "defines it");

  list_ = app.add_subcommand("tls-key-list",
                             "List the PSK identities of the kernel's keyring, with their serials");
  list_->add_option("--keyring", keyring_, "The keyring. Default: .nvme")->type_name("NAME");

  remove_ = app.add_subcommand("tls-key-remove",
                               "Remove a PSK from the kernel's keyring, by serial or identity");
  serial_option_ =
      remove_->add_option("--serial", serial_, "The key's serial")->type_name("SERIAL");
  identity_option_ = remove_->add_option("--identity", identity_, "The key's PSK identity")
                         ->type_name("IDENTITY")
                         ->excludes(serial_option_);
  remove_->add_option("--keyring", keyring_, "The keyring. Default: .nvme")->type_name("NAME");
}

bool TlsKeyCommands::Parsed() const {
  return insert_->parsed() || list_->parsed() || remove_->parsed();
}

int TlsKeyCommands::Run(const std::function<Result<std::string>()>& configured_hostnqn) const {
  std::unique_ptr<Keyrings> keyrings = MakeKernelKeyrings();
  TlsKeyEnv env{keyrings.get(), ::geteuid() == 0, configured_hostnqn};

  if (insert_->parsed()) {
    TlsKeyInsertRequest request = insert_request_;
    request.keyring = keyring_;
    if (hostnqn_option_->count() != 0)
      request.hostnqn = hostnqn_;
    Result<std::string> key = KeyArgument(request.key);
    if (!key)
      return PrintError(key.error().message);
    request.key = std::move(*key);
    Result<TlsKeyEntry> inserted = InsertTlsKey(env, request);
    if (!inserted)
      return PrintError(inserted.error().message);
    std::cout << inserted->serial << "\n" << std::flush;
    return std::cout ? 0 : PrintError("cannot write the serial to standard output");
  }

  if (list_->parsed()) {
    Result<std::vector<TlsKeyEntry>> keys = ListTlsKeys(env, keyring_);
    if (!keys)
      return PrintError(keys.error().message);
    for (const TlsKeyEntry& key : *keys)
      std::cout << key.serial << " " << key.identity << "\n";
    std::cout << std::flush;
    return std::cout ? 0 : PrintError("cannot write to standard output");
  }

  TlsKeyRemoveRequest request;
  request.keyring = keyring_;
  if (serial_option_->count() != 0) {
    Result<KeySerial> serial = ParseKeySerial(serial_);
    if (!serial)
      return PrintError(serial.error().message);
    request.serial = *serial;
  }
  if (identity_option_->count() != 0)
    request.identity = identity_;
  if (!request.serial && !request.identity) {
    std::cerr << "stasadm: tls-key-remove needs --serial or --identity\n";
    return 2;
  }
  Result<std::vector<TlsKeyEntry>> removed = RemoveTlsKeys(env, request);
  if (!removed)
    return PrintError(removed.error().message);
  return 0;
}

}  // namespace stas::ctl
