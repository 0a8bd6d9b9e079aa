// SPDX-License-Identifier: Apache-2.0
#include "common/dhchap_key.h"

#include <algorithm>
#include <array>
#include <cerrno>

#include "common/nvme_names.h"

namespace stas {
namespace {

constexpr std::string_view kPrefix = "DHHC-1:";
// "DHHC-1:NN:" and the closing ':' around the base64.
constexpr size_t kBase64Start = kPrefix.size() + 3;
constexpr size_t kCrcBytes = 4;
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool IsKeyLength(size_t n) {
  return n == 32 || n == 48 || n == 64;
}

// The value of a hex digit, or -1.
int HexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// The value of a base64 digit, or -1 (for '=' too).
int Base64Value(char c) {
  size_t at = kBase64Alphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// The table of the reflected polynomial 0xEDB88320, one entry per byte value.
constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < table.size(); ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit)
      c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

}  // namespace

std::string Base64Encode(std::span<const uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (size_t i = 0; i < data.size(); i += 3) {
    size_t n = std::min<size_t>(3, data.size() - i);
    uint32_t group = uint32_t{data[i]} << 16;
    if (n > 1)
      group |= uint32_t{data[i + 1]} << 8;
    if (n > 2)
      group |= data[i + 2];
    // n bytes give n + 1 digits; '=' pads the group to 4.
    for (size_t d = 0; d < 4; ++d)
      out += d <= n ? kBase64Alphabet[(group >> (18 - 6 * d)) & 0x3f] : '=';
  }
  return out;
}

std::optional<DhchapBytes> Base64Decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0)
    return std::nullopt;
  size_t pad = 0;
  while (pad < 2 && text[text.size() - 1 - pad] == '=')
    ++pad;
  DhchapBytes out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    size_t digits = last ? 4 - pad : 4;
    uint32_t group = 0;
    for (size_t d = 0; d < 4; ++d) {
      int v = d < digits ? Base64Value(text[i + d]) : 0;
      if (v < 0)
        return std::nullopt;
      group = (group << 6) | static_cast<uint32_t>(v);
    }
    size_t bytes = digits - 1;
    if (bytes < 3 && (group & ((1u << (8 * (3 - bytes))) - 1)) != 0)
      return std::nullopt;
    for (size_t b = 0; b < bytes; ++b)
      out.push_back(static_cast<uint8_t>(group >> (16 - 8 * b)));
  }
  return out;
}

size_t DhchapHashLength(int hmac) {
  switch (hmac) {
    case 1:
      return 32;
    case 2:
      return 48;
    case 3:
      return 64;
    default:
      return 0;
  }
}

std::string_view DhchapHashName(int hmac) {
  switch (hmac) {
    case 0:
      return "none";
    case 1:
      return "SHA-256";
    case 2:
      return "SHA-384";
    case 3:
      return "SHA-512";
    default:
      return "";
  }
}

Result<size_t> DhchapKeyLength(int hmac, std::optional<long long> key_length) {
  if (hmac < 0 || hmac > kDhchapMaxHmac) {
    return Fail(EINVAL, "--hmac " + std::to_string(hmac) +
                            ": must be 0 (none), 1 (SHA-256), 2 (SHA-384) or 3 (SHA-512)");
  }
  size_t digest = DhchapHashLength(hmac);
  if (!key_length)
    return digest != 0 ? digest : 32;
  std::string given = "--key-length " + std::to_string(*key_length);
  if (*key_length < 0 || !IsKeyLength(static_cast<size_t>(*key_length)))
    return Fail(EINVAL, given + ": must be 32, 48 or 64 (bytes)");
  if (digest != 0 && static_cast<size_t>(*key_length) != digest) {
    return Fail(EINVAL, given + " does not match --hmac " + std::to_string(hmac) + ": " +
                            std::string(DhchapHashName(hmac)) + " makes " + std::to_string(digest) +
                            "-byte keys");
  }
  return static_cast<size_t>(*key_length);
}

Result<DhchapBytes> ParseDhchapHexSecret(std::string_view hex, size_t key_length) {
  // The messages give positions and counts, never the digits: they are the secret.
  if (hex.empty())
    return Fail(EINVAL, "--secret is empty");
  for (size_t i = 0; i < hex.size(); ++i) {
    if (HexValue(hex[i]) < 0) {
      return Fail(EINVAL, "--secret: character " + std::to_string(i + 1) + " is not a hex digit");
    }
  }
  if (hex.size() % 2 != 0)
    return Fail(EINVAL, "--secret has an odd number of hex digits");
  if (hex.size() / 2 != key_length) {
    return Fail(EINVAL, "--secret is " + std::to_string(hex.size() / 2) +
                            " bytes; the key length is " + std::to_string(key_length));
  }
  DhchapBytes out;
  out.reserve(key_length);
  for (size_t i = 0; i < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>((HexValue(hex[i]) << 4) | HexValue(hex[i + 1])));
  return out;
}

std::string DhchapTransformData(std::string_view nqn) {
  return std::string(nqn) + "NVMe-over-Fabrics";
}

uint32_t Crc32(std::span<const uint8_t> data) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : data)
    c = kCrcTable[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

Result<std::string> EncodeDhchapSecret(int hmac, std::span<const uint8_t> key) {
  if (hmac < 0 || hmac > kDhchapMaxHmac)
    return Fail(EINVAL, "hash id " + std::to_string(hmac) + " is not 0..3");
  if (!IsKeyLength(key.size())) {
    return Fail(EINVAL, "a key of " + std::to_string(key.size()) +
                            " bytes; DH-HMAC-CHAP keys are 32, 48 or 64 bytes");
  }
  DhchapBytes framed(key.begin(), key.end());
  uint32_t crc = Crc32(key);
  for (size_t i = 0; i < kCrcBytes; ++i)
    framed.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string text(kPrefix);
  text += kHex[hmac >> 4];
  text += kHex[hmac & 0xf];
  text += ':';
  text += Base64Encode(framed);
  text += ':';
  return text;
}

Result<DhchapSecret> DecodeDhchapSecret(std::string_view text) {
  if (std::optional<std::string> why = CheckDhchapSecret(text))
    return Fail(EINVAL, *why);
  // The form guarantees "DHHC-1:", two hex digits, ':', base64 digits and a closing ':'.
  int hmac = (HexValue(text[kPrefix.size()]) << 4) | HexValue(text[kPrefix.size() + 1]);
  if (hmac > kDhchapMaxHmac) {
    return Fail(EINVAL, "names hash " + std::string(text.substr(kPrefix.size(), 2)) +
                            ", not 00 (none), 01 (SHA-256), 02 (SHA-384) or 03 (SHA-512)");
  }
  std::optional<DhchapBytes> framed =
      Base64Decode(text.substr(kBase64Start, text.size() - kBase64Start - 1));
  if (!framed)
    return Fail(EINVAL, "is not valid base64 between \"DHHC-1:NN:\" and the final ':'");
  if (framed->size() < kCrcBytes || !IsKeyLength(framed->size() - kCrcBytes)) {
    return Fail(EINVAL, "holds " + std::to_string(framed->size()) +
                            " bytes; a key of 32, 48 or 64 bytes and its CRC-32 make 36, 52 "
                            "or 68");
  }
  DhchapSecret secret{hmac, DhchapBytes(framed->begin(), framed->end() - kCrcBytes)};
  uint32_t stored = 0;
  for (size_t i = 0; i < kCrcBytes; ++i)
    stored |= uint32_t{(*framed)[secret.key.size() + i]} << (8 * i);
  if (stored != Crc32(secret.key))
    return Fail(EINVAL, "has a CRC-32 that does not match its key (a mistyped secret?)");
  return secret;
}

}  // namespace stas
