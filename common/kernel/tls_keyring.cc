// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/tls_keyring.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <keyutils.h>
#include <string_view>
#include <system_error>
#include <utility>

#include "common/kernel/nvme_kernel.h"
#include "common/str_util.h"

namespace stas {
namespace {

constexpr const char* kNvmeTcpHint = "load nvme_tcp (kernel 6.7 or later with NVMe/TCP TLS)";

std::string ErrnoText(int err) {
  return std::generic_category().message(err);
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

std::string KeyringName(const std::string& keyring) {
  return "the keyring \"" + Printable(keyring) + "\"";
}

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

std::unique_ptr<Keyrings> MakeKernelKeyrings() {
  return std::make_unique<KernelKeyrings>();
}

Result<KeySerial> FindKeyring(Keyrings& keyrings, const std::string& keyring, bool root) {
  Result<KeySerial> ring = keyrings.Find(keyring);
  if (ring)
    return ring;
  // ENOKEY: it does not exist, or this user cannot see it (the kernel's .nvme is visible to
  // root only).
  const int code = ring.error().code;
  if (code == ENOKEY) {
    if (keyring == kDefaultTlsKeyring) {
      if (root)
        return Fail(ENOKEY, std::string("the kernel has no .nvme keyring: ") + kNvmeTcpHint);
      return Fail(ENOKEY, std::string("the kernel has no .nvme keyring that this user can see: "
                                      "run as root, and ") +
                              kNvmeTcpHint);
    }
    return Fail(ENOKEY, "the kernel has no keyring \"" + Printable(keyring) + "\"" +
                            (root ? "" : " that this user can see (run as root?)"));
  }
  if (code == EACCES || code == EPERM) {
    return Fail(code, "cannot look up " + KeyringName(keyring) + ": permission denied" +
                          (root ? "" : " (run as root)"));
  }
  return Fail(code, "cannot look up " + KeyringName(keyring) + ": " + ErrnoText(code));
}

Result<std::vector<TlsKeyEntry>> PskKeysOf(Keyrings& keyrings, KeySerial ring,
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

Result<TlsKeyEntry> AddTlsPsk(Keyrings& keyrings, KeySerial ring, const std::string& keyring,
                              bool root, ConfiguredPsk& psk, const std::string& hostnqn,
                              const std::string& subsysnqn, HkdfLabelForm form) {
  Result<TlsPsk> tls = DeriveTlsPsk(psk, hostnqn, subsysnqn, 0, form);
  WipePsk(psk.key);
  if (!tls)
    return Fail(tls.error());
  Result<KeySerial> serial = keyrings.Add(kPskKeyType, tls->identity, tls->key, ring);
  WipePsk(tls->key);
  if (!serial) {
    return Fail(KeyringCallProblem(serial.error().code,
                                   "cannot add the key to " + KeyringName(keyring), root));
  }
  return TlsKeyEntry{*serial, tls->identity};
}

Result<TlsKeySerials> PrepareTlsKeys(Keyrings& keyrings, const ConnectRequest& req, bool root) {
  TlsKeySerials serials;
  if (!req.keyring && !req.tls_key)
    return serials;
  const std::string keyring = req.keyring.value_or(kDefaultTlsKeyring);
  Result<KeySerial> ring = FindKeyring(keyrings, keyring, root);
  if (!ring)
    return Fail(ring.error());
  if (req.keyring)
    serials.keyring = *ring;
  if (req.tls_key) {
    Result<ConfiguredPsk> psk = DecodeTlsPsk(*req.tls_key);
    if (!psk)
      return Fail(EINVAL, "the configured TLS key (tls-key) " + psk.error().message);
    Result<TlsKeyEntry> added = AddTlsPsk(keyrings, *ring, keyring, root, *psk, HostNqnOf(req),
                                          req.tid.subsysnqn(), HkdfLabelForm::kRfc8446);
    if (!added)
      return Fail(added.error());
    serials.tls_key = added->serial;
  }
  return serials;
}

}  // namespace stas
