// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_uuid.h"

#include <algorithm>
#include <cerrno>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>
#include <system_error>

#include "common/str_util.h"

namespace stas::ctl {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

}  // namespace

Uuid MakeV4(Uuid bytes) {
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // variant 10xx: RFC 4122
  return bytes;
}

Result<std::string> RandomUuid() {
  Uuid bytes{};
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::getrandom(bytes.data() + done, bytes.size() - done, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      return Fail(err, "cannot get random bytes: " + std::generic_category().message(err));
    }
    done += static_cast<size_t>(n);
  }
  return UuidText(MakeV4(bytes));
}

std::optional<Uuid> ParseMachineId(std::string_view text) {
  if (text.size() != 32)
    return std::nullopt;
  Uuid bytes{};
  for (size_t i = 0; i < bytes.size(); ++i) {
    int hi = HexValue(text[2 * i]);
    int lo = HexValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return bytes;
}

std::optional<std::string> AppSpecificUuid(const Uuid& machine_id, std::string_view app_key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (HMAC(EVP_sha256(), app_key.data(), static_cast<int>(app_key.size()), machine_id.data(),
           machine_id.size(), digest, &digest_len) == nullptr ||
      digest_len < sizeof(Uuid)) {
    return std::nullopt;
  }
  Uuid bytes{};
  std::copy(digest, digest + bytes.size(), bytes.begin());
  return UuidText(MakeV4(bytes));
}

}  // namespace stas::ctl
