// SPDX-License-Identifier: Apache-2.0
// NVMe/TCP TLS pre-shared keys (NVMe TCP Transport Specification 1.1, 3.6.1, from TP8011 and
// TP8018), as the Linux kernel, libnvme and nvme-cli handle them:
//
//  - the PSK interchange format, the text `nvme gen-tls-key` prints:
//      "NVMeTLSkey-1:" hh ":" base64(configured PSK || CRC-32 of it, little-endian) ":"
//    hh names the hash of the retained-PSK derivation: 00 none (the configured PSK is the
//    retained PSK, 32 or 48 bytes), 01 SHA-256 (a 32-byte PSK), 02 SHA-384 (48 bytes);
//  - the retained PSK:  HKDF-Expand-Label(HKDF-Extract(0, configured PSK), "HostNQN", NQNh,
//    length of the configured PSK), with the hash hh (none: the configured PSK itself);
//  - the TLS PSK, the key the kernel's .nvme keyring holds, under the description that is its
//    PSK identity:  HKDF-Expand-Label(HKDF-Extract(0, retained PSK), "nvme-tls-psk", context,
//    hash length), with the hash of the cipher suite (hh, or from the length when hh is 00:
//    32 bytes SHA-256, 48 bytes SHA-384), where
//      identity version 0: identity "NVMe0R0<c> <NQNh> <NQNc>"; context = the identity;
//      identity version 1: identity "NVMe1R0<c> <NQNh> <NQNc> <digest>"; context =
//        "0<c> <digest>", digest = base64(HMAC(retained PSK, NQNh " " NQNc " NVMe-over-Fabrics"));
//    c is the cipher suite's hash (1 SHA-256, 2 SHA-384). The kernel's default lookup
//    (nvme_tls_psk_default) finds version 0 identities only.
//
// HKDF-Expand-Label is RFC 8446's: the info is the HkdfLabel structure, a 2-byte big-endian
// length, then "tls13 " + label and the context, each after a one-byte length. So the kernel
// (drivers/nvme/common/auth.c), SPDK and libnvme 1.16 and later (nvme-cli 2.16) compute it.
// libnvme 1.7 to 1.15 (nvme-cli 2.7 to 2.15) concatenated a 2-byte little-endian length,
// "tls13 ", the label and the context without length bytes: HkdfLabelForm::kLibnvmeCompat
// reproduces that, as nvme-cli's --compat does, for targets whose keys those versions inserted.
// Not reproduced: libnvme 1.4 to 1.6 put no length at all, and with OpenSSL releases whose
// EVP_PKEY_CTX_add1_hkdf_info() replaced the info instead of appending (libnvme issue #1053)
// libnvme derived from the context alone.
//
// libcrypto (OpenSSL 3) computes the hashes. Pure functions, thread-safe. No error message
// quotes a key or a part of one; WipePsk() clears a key that is no longer needed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace stas {

using PskBytes = std::vector<uint8_t>;

// A hash specifier: the hh of the interchange format, the <c> of a PSK identity.
enum class PskHash : uint8_t { kNone = 0, kSha256 = 1, kSha384 = 2 };

// 32 for SHA-256, 48 for SHA-384, 0 for none.
size_t PskHashLength(PskHash hash);
// "none", "SHA-256", "SHA-384", for messages.
std::string_view PskHashName(PskHash hash);

// A configured PSK, as the interchange format carries it.
struct ConfiguredPsk {
  PskHash hash = PskHash::kNone;  // of the retained-PSK derivation
  PskBytes key;                   // 32 or 48 bytes, the CRC removed
};

// The key `text` holds, if it is one libnvme and the kernel accept: "NVMeTLSkey-1:", hh 00, 01
// or 02, ':', canonical base64 (padded, no stray bits) of 36 or 52 bytes, and a final ':'; a
// 32-byte key for 01, 48 bytes for 02, either for 00; and a CRC-32 that matches the key. The
// error message is a predicate ("is not...") to put after the name of where the text came from.
Result<ConfiguredPsk> DecodeTlsPsk(std::string_view text);

// "NVMeTLSkey-1:hh:<base64>:" for `key` with hash specifier `hash`. Fails unless `key` is 32 or
// 48 bytes, and as long as the hash's digest when `hash` is not kNone.
Result<std::string> EncodeTlsPsk(PskHash hash, std::span<const uint8_t> key);

// How HKDF-Expand-Label lays out its info: see the top of this file.
enum class HkdfLabelForm { kRfc8446, kLibnvmeCompat };

// HKDF-Extract (RFC 5869) with a salt of HashLen zero bytes: the pseudorandom key, as long as
// the hash's digest. `hash` must not be kNone.
Result<PskBytes> HkdfExtract(PskHash hash, std::span<const uint8_t> input_key);

// HKDF-Expand-Label (RFC 8446, 7.1): HKDF-Expand(prk, HkdfLabel(length, "tls13 " + label,
// context), length). In kRfc8446 form the label may have 249 bytes and the context 255.
Result<PskBytes> HkdfExpandLabel(PskHash hash, std::span<const uint8_t> prk, std::string_view label,
                                 std::string_view context, size_t length,
                                 HkdfLabelForm form = HkdfLabelForm::kRfc8446);

// The hash of the cipher suite the PSK is for: its hash specifier, or when that is kNone, the
// hash whose digest is as long as the key (SHA-256 for 32 bytes, SHA-384 for 48).
PskHash PskCipherHash(const ConfiguredPsk& psk);

// The retained PSK of `psk` for the host `hostnqn` (the configured key itself when its hash is
// kNone).
Result<PskBytes> DeriveRetainedPsk(const ConfiguredPsk& psk, std::string_view hostnqn,
                                   HkdfLabelForm form = HkdfLabelForm::kRfc8446);

// The PSK digest of identity version 1, base64(HMAC(cipher, retained, NQNh " " NQNc " "
// "NVMe-over-Fabrics")): 44 characters for SHA-256, 64 for SHA-384.
Result<std::string> PskDigest(PskHash cipher, std::span<const uint8_t> retained,
                              std::string_view hostnqn, std::string_view subsysnqn);

// What goes into the keyring: the TLS PSK, under its PSK identity.
struct TlsPsk {
  std::string identity;
  PskBytes key;  // as long as the cipher suite's hash
};

// The TLS PSK and PSK identity of `psk` for the host `hostnqn` and the subsystem `subsysnqn`,
// with identity version `identity_version` (0 or 1). The NQNs must be printable ASCII without
// blanks or commas, at most 223 bytes; in kRfc8446 form a version 0 identity has at most 255
// bytes (the HKDF context), which two NQNs of more than 245 bytes together exceed.
Result<TlsPsk> DeriveTlsPsk(const ConfiguredPsk& psk, std::string_view hostnqn,
                            std::string_view subsysnqn, int identity_version = 0,
                            HkdfLabelForm form = HkdfLabelForm::kRfc8446);

// Overwrites `bytes` with zeros in a way the compiler keeps (OPENSSL_cleanse), then empties it.
void WipePsk(PskBytes& bytes);

}  // namespace stas
