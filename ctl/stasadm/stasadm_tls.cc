// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_tls.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <keyutils.h>
#include <string>
#include <system_error>
#include <unistd.h>
#include <utility>

#include "common/nvme_names.h"
#include "common/str_util.h"
#include "common/tls_psk.h"

namespace stas::ctl {
namespace {

constexpr const char* kNvmeTcpHint = "load nvme_tcp (kernel 6.7 or later with NVMe/TCP TLS)";

std::string ErrnoText(int err) {
  return std::generic_category().message(err);
}

// "the keyring \".nvme\"", for messages.
std::string KeyringName(const std::string& keyring) {
  return "the keyring \"" + Printable(keyring) + "\"";
}

// Why the keyring named `keyring` could not be found: ENOKEY means it does not exist or that
// this user cannot see it (the kernel's .nvme is visible to root only).
Error FindProblem(const Error& e, const std::string& keyring, bool root) {
  if (e.code == ENOKEY) {
    if (keyring == kDefaultTlsKeyring) {
      if (root)
        return {ENOKEY, std::string("the kernel has no .nvme keyring: ") + kNvmeTcpHint};
      return {ENOKEY, std::string("the kernel has no .nvme keyring that this user can see: run "
                                  "as root, and ") +
                          kNvmeTcpHint};
    }
    return {ENOKEY, "the kernel has no keyring \"" + Printable(keyring) + "\"" +
                        (root ? "" : " that this user can see (run as root?)")};
  }
  if (e.code == EACCES || e.code == EPERM) {
    return {e.code, "cannot look up " + KeyringName(keyring) + ": permission denied" +
                        (root ? "" : " (run as root)")};
  }
  return {e.code, "cannot look up " + KeyringName(keyring) + ": " + ErrnoText(e.code)};
}

// Why `what` (e.g. "cannot add the key to the keyring \".nvme\"") failed with errno `err`.
Error KeyringCallProblem(int err, const std::string& what, bool root) {
  switch (err) {
    case EACCES:
    case EPERM:
      return {err, what + ": permission denied" + (root ? "" : " (run as root)")};
    case ENODEV:
      return {err, what + ": the kernel has no key type \"psk\": " + kNvmeTcpHint};
    case EDQUOT:
      return {err, what + ": this user's key quota is used up"};
    default:
      return {err, what + ": " + ErrnoText(err)};
  }
}

// The type and the description of a keyctl_describe() text "type;uid;gid;perm;description".
// The description is everything after the fourth ';' (a description may contain ';').
std::optional<std::pair<std::string, std::string>> SplitDescription(std::string_view text) {
  size_t at = 0;
  size_t type_end = std::string_view::npos;
  for (int field = 0; field < 4; ++field) {
    size_t semi = text.find(';', at);
    if (semi == std::string_view::npos)
      return std::nullopt;
    if (field == 0)
      type_end = semi;
    at = semi + 1;
  }
  return std::make_pair(std::string(text.substr(0, type_end)), std::string(text.substr(at)));
}

// The psk keys of the keyring `ring`.
Result<std::vector<TlsKeyEntry>> PskKeys(Keyrings& keyrings, KeySerial ring,
                                         const std::string& keyring, bool root) {
  Result<std::vector<KeySerial>> members = keyrings.Members(ring);
  if (!members)
    return Fail(
        KeyringCallProblem(members.error().code, "cannot read " + KeyringName(keyring), root));
  std::vector<TlsKeyEntry> keys;
  for (KeySerial serial : *members) {
    Result<std::string> text = keyrings.Describe(serial);
    if (!text)
      continue;  // gone since, revoked, or not viewable: not one we could list
    std::optional<std::pair<std::string, std::string>> fields = SplitDescription(*text);
    if (fields && fields->first == kPskKeyType)
      keys.push_back({serial, fields->second});
  }
  return keys;
}

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

// The libkeyutils calls.
class KernelKeyrings : public Keyrings {
 public:
  Result<KeySerial> Find(const std::string& name) override {
    errno = 0;
    key_serial_t id = find_key_by_type_and_desc("keyring", name.c_str(), 0);
    if (id < 0)
      return Fail(errno != 0 ? errno : ENOKEY, "find_key_by_type_and_desc");
    return id;
  }

  Result<KeySerial> Add(const std::string& type, const std::string& description,
                        std::span<const uint8_t> payload, KeySerial keyring) override {
    key_serial_t id =
        add_key(type.c_str(), description.c_str(), payload.data(), payload.size(), keyring);
    if (id < 0)
      return Fail(errno, "add_key");
    return id;
  }

  Result<std::vector<KeySerial>> Members(KeySerial keyring) override {
    void* buffer = nullptr;
    int size = keyctl_read_alloc(keyring, &buffer);
    if (size < 0)
      return Fail(errno, "keyctl_read_alloc");
    std::vector<KeySerial> serials(static_cast<size_t>(size) / sizeof(key_serial_t));
    const auto* bytes = static_cast<const uint8_t*>(buffer);
    for (size_t i = 0; i < serials.size(); ++i) {
      key_serial_t serial = 0;
      std::copy_n(bytes + i * sizeof(serial), sizeof(serial), reinterpret_cast<uint8_t*>(&serial));
      serials[i] = serial;
    }
    std::free(buffer);  // NOLINT(cppcoreguidelines-no-malloc): libkeyutils allocated it
    return serials;
  }

  Result<std::string> Describe(KeySerial key) override {
    char* buffer = nullptr;
    int size = keyctl_describe_alloc(key, &buffer);
    if (size < 0)
      return Fail(errno, "keyctl_describe_alloc");
    std::string text(buffer);
    std::free(buffer);  // NOLINT(cppcoreguidelines-no-malloc): libkeyutils allocated it
    return text;
  }

  Status Unlink(KeySerial key, KeySerial keyring) override {
    if (keyctl_unlink(key, keyring) < 0)
      return Fail(errno, "keyctl_unlink");
    return {};
  }
};

}  // namespace

std::unique_ptr<Keyrings> MakeKernelKeyrings() {
  return std::make_unique<KernelKeyrings>();
}

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
  HkdfLabelForm form = request.compat ? HkdfLabelForm::kLibnvmeCompat : HkdfLabelForm::kRfc8446;
  Result<TlsPsk> tls = DeriveTlsPsk(*psk, hostnqn, request.subsysnqn, 0, form);
  WipePsk(psk->key);
  if (!tls)
    return Fail(tls.error());

  Result<KeySerial> ring = env.keyrings->Find(request.keyring);
  if (!ring) {
    WipePsk(tls->key);
    return Fail(FindProblem(ring.error(), request.keyring, env.root));
  }
  Result<KeySerial> serial = env.keyrings->Add(kPskKeyType, tls->identity, tls->key, *ring);
  WipePsk(tls->key);
  if (!serial) {
    return Fail(KeyringCallProblem(
        serial.error().code, "cannot add the key to " + KeyringName(request.keyring), env.root));
  }
  return TlsKeyEntry{*serial, tls->identity};
}

Result<std::vector<TlsKeyEntry>> ListTlsKeys(const TlsKeyEnv& env, const std::string& keyring) {
  Result<KeySerial> ring = env.keyrings->Find(keyring);
  if (!ring)
    return Fail(FindProblem(ring.error(), keyring, env.root));
  return PskKeys(*env.keyrings, *ring, keyring, env.root);
}

Result<std::vector<TlsKeyEntry>> RemoveTlsKeys(const TlsKeyEnv& env,
                                               const TlsKeyRemoveRequest& request) {
  if (request.serial.has_value() == request.identity.has_value())
    return Fail(EINVAL, "give either --serial or --identity");
  Result<KeySerial> ring = env.keyrings->Find(request.keyring);
  if (!ring)
    return Fail(FindProblem(ring.error(), request.keyring, env.root));
  Result<std::vector<TlsKeyEntry>> keys = PskKeys(*env.keyrings, *ring, request.keyring, env.root);
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
