// SPDX-License-Identifier: Apache-2.0
// DH-HMAC-CHAP secrets in their NVMe representation (NVMe Base Specification 2.0, 8.13.5.8),
// the text `nvme gen-dhchap-key` prints and the kernel's nvme_auth_extract_key() reads:
//
//   "DHHC-1:" NN ":" base64(key || CRC-32 of key, little-endian) ":"
//
// NN, two hex digits, names the hash the key was transformed with: 00 none, 01 SHA-256,
// 02 SHA-384, 03 SHA-512. The key is 32, 48 or 64 bytes.
//
// CheckDhchapSecret() (nvme_names.h) checks only the form, which is what the daemons need of
// a configured secret; DecodeDhchapSecret() starts from the same check and also verifies the
// hash id, the base64, the length and the CRC, as the kernel does at connect time.
//
// The HMAC of the transformation is left to the caller (stasadm, which has libcrypto): this
// module is libc only. Pure functions, thread-safe. No message quotes a secret or its hex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace stas {

using DhchapBytes = std::vector<uint8_t>;

// The largest hash id (SHA-512).
inline constexpr int kDhchapMaxHmac = 3;

// The length of the key that hash id `hmac` makes (1: 32, 2: 48, 3: 64); 0 for 0 (no
// transformation) or an unknown id.
size_t DhchapHashLength(int hmac);

// "none", "SHA-256", "SHA-384", "SHA-512", for messages; "" for an unknown id.
std::string_view DhchapHashName(int hmac);

// nvme-cli's rules for --hmac and --key-length: `hmac` is 0..3; without `key_length` the key
// is 32 bytes, or as long as the hash's digest; a given `key_length` is 32, 48 or 64 and must
// equal the digest length when `hmac` > 0 (the HMAC output is the key).
Result<size_t> DhchapKeyLength(int hmac, std::optional<long long> key_length);

// The bytes of `hex` (--secret): an even number of hex digits, either case, making exactly
// `key_length` bytes.
Result<DhchapBytes> ParseDhchapHexSecret(std::string_view hex, size_t key_length);

// What the transformation hashes: HMAC(hash, key = secret, data = DhchapTransformData(nqn)),
// that is the host NQN followed by "NVMe-over-Fabrics". nvme-cli applies it when it makes the
// key; the kernel applies it again when it uses one.
std::string DhchapTransformData(std::string_view nqn);

// Base64 (RFC 4648, standard alphabet, '=' padding), as the DHHC-1 and NVMeTLSkey-1 (tls_psk.h)
// representations carry their keys.
std::string Base64Encode(std::span<const uint8_t> data);

// The bytes of `text` if it is canonical base64: groups of 4 digits, '=' only to pad the last
// group, and the bits the padding leaves over all zero, so that only the text Base64Encode()
// makes decodes (a changed character never decodes to the same key).
std::optional<DhchapBytes> Base64Decode(std::string_view text);

// CRC-32 as zlib's crc32() computes it (reflected, polynomial 0x04C11DB7, inverted in and
// out): the kernel's ~crc32(~0, ...).
uint32_t Crc32(std::span<const uint8_t> data);

// "DHHC-1:NN:<base64>:" for `key`, already transformed with hash id `hmac`. Fails when `hmac`
// is not 0..3 or `key` is not 32, 48 or 64 bytes.
Result<std::string> EncodeDhchapSecret(int hmac, std::span<const uint8_t> key);

struct DhchapSecret {
  int hmac = 0;     // the hash id NN
  DhchapBytes key;  // 32, 48 or 64 bytes, the CRC removed
};

// The secret `text` holds, if it is one the kernel accepts: the form of CheckDhchapSecret(),
// a hash id 00..03, canonical base64 (padded, no stray bits) of 36, 52 or 68 bytes, and a
// CRC-32 that matches the key. The error message is a predicate ("is not...") to put after
// the name of where the text came from.
Result<DhchapSecret> DecodeDhchapSecret(std::string_view text);

}  // namespace stas
