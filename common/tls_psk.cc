// SPDX-License-Identifier: Apache-2.0
#include "common/tls_psk.h"

#include <cerrno>
#include <memory>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <optional>
#include <utility>

#include "common/dhchap_key.h"
#include "common/nvme_names.h"
#include "common/str_util.h"

namespace stas {
namespace {

constexpr std::string_view kPrefix = "NVMeTLSkey-1:";
// "NVMeTLSkey-1:hh:" before the base64, and the closing ':' after it.
constexpr size_t kBase64Start = kPrefix.size() + 3;
constexpr size_t kCrcBytes = 4;
constexpr std::string_view kLabelPrefix = "tls13 ";
constexpr std::string_view kDigestSeed = "NVMe-over-Fabrics";

// A copy of `bytes` that is wiped when it goes out of scope: for the intermediate keys.
class ScopedKey {
 public:
  explicit ScopedKey(PskBytes bytes) : bytes_(std::move(bytes)) {}
  ~ScopedKey() { WipePsk(bytes_); }
  ScopedKey(const ScopedKey&) = delete;
  ScopedKey& operator=(const ScopedKey&) = delete;
  const PskBytes& get() const { return bytes_; }

 private:
  PskBytes bytes_;
};

// OpenSSL's name of the digest, for EVP_KDF and EVP_MD; nullptr for kNone.
const char* DigestName(PskHash hash) {
  switch (hash) {
    case PskHash::kSha256:
      return "SHA256";
    case PskHash::kSha384:
      return "SHA384";
    case PskHash::kNone:
      break;
  }
  return nullptr;
}

const EVP_MD* Digest(PskHash hash) {
  switch (hash) {
    case PskHash::kSha256:
      return EVP_sha256();
    case PskHash::kSha384:
      return EVP_sha384();
    case PskHash::kNone:
      break;
  }
  return nullptr;
}

bool IsPskLength(size_t n) {
  return n == 32 || n == 48;
}

// The hash specifier of `value`, if it names one.
std::optional<PskHash> HashFromNumber(int value) {
  switch (value) {
    case 0:
      return PskHash::kNone;
    case 1:
      return PskHash::kSha256;
    case 2:
      return PskHash::kSha384;
    default:
      return std::nullopt;
  }
}

// "hh" of the interchange format and of a PSK identity: two decimal digits.
std::string TwoDigits(PskHash hash) {
  int n = static_cast<int>(hash);
  return {static_cast<char>('0' + n / 10), static_cast<char>('0' + n % 10)};
}

// Why `hash` and a key of `length` bytes do not go together, or nullopt when they do.
std::optional<std::string> LengthProblem(PskHash hash, size_t length) {
  size_t digest = PskHashLength(hash);
  if (digest == 0 ? IsPskLength(length) : length == digest)
    return std::nullopt;
  std::string n = std::to_string(length);
  if (digest == 0)
    return "a key of " + n + " bytes; a TLS PSK has 32 or 48";
  return "a key of " + n + " bytes with hash " + TwoDigits(hash) + " (" +
         std::string(PskHashName(hash)) + "), which takes " + std::to_string(digest) + " bytes";
}

struct KdfCtxDeleter {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter>;

// One HKDF operation of OpenSSL 3's "HKDF" KDF: `mode` is EVP_KDF_HKDF_MODE_EXTRACT_ONLY (key:
// the input key, salt) or EVP_KDF_HKDF_MODE_EXPAND_ONLY (key: the pseudorandom key, info). The
// info goes in as one parameter: some OpenSSL 3 releases replaced the info at each
// EVP_PKEY_CTX_add1_hkdf_info() instead of appending, which gave libnvme different keys on
// different systems (libnvme issue #1053).
Result<PskBytes> Hkdf(PskHash hash, int mode, std::span<const uint8_t> key,
                      std::span<const uint8_t> salt, std::span<const uint8_t> info, size_t length) {
  const char* digest = DigestName(hash);
  if (digest == nullptr)
    return Fail(EINVAL, "HKDF needs SHA-256 or SHA-384");
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
  if (kdf == nullptr)
    return Fail(EIO, "libcrypto has no HKDF");
  KdfCtx ctx(EVP_KDF_CTX_new(kdf));
  EVP_KDF_free(kdf);  // the context keeps its own reference
  if (!ctx)
    return Fail(ENOMEM, "cannot allocate an HKDF context");
  // OSSL_PARAM takes non-const pointers; OpenSSL only reads these.
  auto* key_data = const_cast<uint8_t*>(key.data());
  auto* salt_data = const_cast<uint8_t*>(salt.data());
  auto* info_data = const_cast<uint8_t*>(info.data());
  auto* digest_name = const_cast<char*>(digest);
  OSSL_PARAM params[6];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0);
  params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key_data, key.size());
  if (mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY)
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_data, salt.size());
  else
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info_data, info.size());
  params[n] = OSSL_PARAM_construct_end();
  PskBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    WipePsk(out);
    return Fail(EIO, "HKDF-" + std::string(PskHashName(hash)) + " failed in libcrypto");
  }
  return out;
}

// HMAC(hash, key, data).
Result<PskBytes> Hmac(PskHash hash, std::span<const uint8_t> key, std::string_view data) {
  const EVP_MD* md = Digest(hash);
  if (md == nullptr)
    return Fail(EINVAL, "HMAC needs SHA-256 or SHA-384");
  PskBytes out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &length) == nullptr) {
    WipePsk(out);
    return Fail(EIO, "HMAC-" + std::string(PskHashName(hash)) + " failed in libcrypto");
  }
  out.resize(length);
  return out;
}

// The NQN `nqn` of a PSK identity, named `what` in the message: CheckNqn()'s rules, which keep
// blanks (the identity's separator) out.
Status CheckIdentityNqn(std::string_view what, std::string_view nqn) {
  if (nqn.empty())
    return Fail(EINVAL, std::string(what) + " is empty");
  if (std::optional<std::string> why = CheckNqn(nqn, /*require_nqn_prefix=*/false))
    return Fail(EINVAL, std::string(what) + " \"" + Printable(nqn) + "\" " + *why);
  return {};
}

}  // namespace

size_t PskHashLength(PskHash hash) {
  switch (hash) {
    case PskHash::kSha256:
      return 32;
    case PskHash::kSha384:
      return 48;
    case PskHash::kNone:
      break;
  }
  return 0;
}

std::string_view PskHashName(PskHash hash) {
  switch (hash) {
    case PskHash::kNone:
      return "none";
    case PskHash::kSha256:
      return "SHA-256";
    case PskHash::kSha384:
      return "SHA-384";
  }
  return "";
}

Result<ConfiguredPsk> DecodeTlsPsk(std::string_view text) {
  constexpr std::string_view kForm =
      "is not a TLS PSK in the interchange format NVMeTLSkey-1:hh:<base64>:";
  // The messages give the form, counts and the hash specifier, never a character of the key.
  if (text.substr(0, kPrefix.size()) != kPrefix) {
    if (text.substr(0, 11) == kPrefix.substr(0, 11))  // "NVMeTLSkey-" and another version
      return Fail(EINVAL, "is not of version 1 (\"NVMeTLSkey-1:\"), the only one defined");
    return Fail(EINVAL, std::string(kForm));
  }
  if (text.size() < kBase64Start + 1 || text[kBase64Start - 1] != ':' || text.back() != ':')
    return Fail(EINVAL, std::string(kForm));
  std::string_view hh = text.substr(kPrefix.size(), 2);
  if (hh[0] < '0' || hh[0] > '9' || hh[1] < '0' || hh[1] > '9')
    return Fail(EINVAL, std::string(kForm));
  std::optional<PskHash> hash = HashFromNumber((hh[0] - '0') * 10 + (hh[1] - '0'));
  if (!hash) {
    return Fail(EINVAL,
                "names hash " + std::string(hh) + ", not 00 (none), 01 (SHA-256) or 02 (SHA-384)");
  }
  std::optional<PskBytes> framed =
      Base64Decode(text.substr(kBase64Start, text.size() - kBase64Start - 1));
  if (!framed) {
    return Fail(EINVAL, "is not valid base64 between \"NVMeTLSkey-1:" + std::string(hh) +
                            ":\" and the "
                            "final ':'");
  }
  ScopedKey wipe(std::move(*framed));
  const PskBytes& bytes = wipe.get();
  if (bytes.size() < kCrcBytes || !IsPskLength(bytes.size() - kCrcBytes)) {
    return Fail(EINVAL, "holds " + std::to_string(bytes.size()) +
                            " bytes; a key of 32 or 48 bytes and its CRC-32 make 36 or 52");
  }
  ConfiguredPsk psk{*hash, PskBytes(bytes.begin(), bytes.end() - kCrcBytes)};
  if (std::optional<std::string> why = LengthProblem(psk.hash, psk.key.size())) {
    WipePsk(psk.key);
    return Fail(EINVAL, "holds " + *why);
  }
  uint32_t stored = 0;
  for (size_t i = 0; i < kCrcBytes; ++i)
    stored |= uint32_t{bytes[psk.key.size() + i]} << (8 * i);
  if (stored != Crc32(psk.key)) {
    WipePsk(psk.key);
    return Fail(EINVAL, "has a CRC-32 that does not match its key (a mistyped key?)");
  }
  return psk;
}

Result<std::string> EncodeTlsPsk(PskHash hash, std::span<const uint8_t> key) {
  if (PskHashName(hash).empty())
    return Fail(EINVAL,
                "hash specifier " + std::to_string(static_cast<int>(hash)) + " is not 0..2");
  if (std::optional<std::string> why = LengthProblem(hash, key.size()))
    return Fail(EINVAL, *why);
  PskBytes framed(key.begin(), key.end());
  uint32_t crc = Crc32(key);
  for (size_t i = 0; i < kCrcBytes; ++i)
    framed.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  ScopedKey wipe(std::move(framed));
  return std::string(kPrefix) + TwoDigits(hash) + ":" + Base64Encode(wipe.get()) + ":";
}

Result<PskBytes> HkdfExtract(PskHash hash, std::span<const uint8_t> input_key) {
  // RFC 5869: "if not provided, [the salt] is set to a string of HashLen zeros"; the kernel
  // passes that string, libnvme none, which HMAC pads to the same key.
  const PskBytes salt(PskHashLength(hash), 0);
  return Hkdf(hash, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, input_key, salt, {}, PskHashLength(hash));
}

Result<PskBytes> HkdfExpandLabel(PskHash hash, std::span<const uint8_t> prk, std::string_view label,
                                 std::string_view context, size_t length, HkdfLabelForm form) {
  if (length == 0 || length > 0xffff)
    return Fail(EINVAL, "HKDF-Expand-Label: an output of " + std::to_string(length) + " bytes");
  std::string full_label = std::string(kLabelPrefix) + std::string(label);
  std::string info;
  if (form == HkdfLabelForm::kRfc8446) {
    // struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } HkdfLabel;
    if (full_label.size() > 255 || context.size() > 255) {
      return Fail(EINVAL, "HKDF-Expand-Label: a label of " + std::to_string(full_label.size()) +
                              " bytes and a context of " + std::to_string(context.size()) +
                              "; each may have 255");
    }
    info += static_cast<char>(length >> 8);
    info += static_cast<char>(length & 0xff);
    info += static_cast<char>(full_label.size());
    info += full_label;
    info += static_cast<char>(context.size());
    info += context;
  } else {
    // libnvme 1.7 to 1.15: the length in the host's (little-endian) order, no length bytes.
    info += static_cast<char>(length & 0xff);
    info += static_cast<char>(length >> 8);
    info += full_label;
    info += context;
  }
  std::span<const uint8_t> info_bytes(reinterpret_cast<const uint8_t*>(info.data()), info.size());
  return Hkdf(hash, EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, {}, info_bytes, length);
}

PskHash PskCipherHash(const ConfiguredPsk& psk) {
  if (psk.hash != PskHash::kNone)
    return psk.hash;
  return psk.key.size() == PskHashLength(PskHash::kSha384) ? PskHash::kSha384 : PskHash::kSha256;
}

Result<PskBytes> DeriveRetainedPsk(const ConfiguredPsk& psk, std::string_view hostnqn,
                                   HkdfLabelForm form) {
  if (std::optional<std::string> why = LengthProblem(psk.hash, psk.key.size()))
    return Fail(EINVAL, "cannot derive a retained PSK from " + *why);
  if (psk.hash == PskHash::kNone)
    return psk.key;
  Result<PskBytes> prk = HkdfExtract(psk.hash, psk.key);
  if (!prk)
    return Fail(prk.error());
  ScopedKey wipe(std::move(*prk));
  return HkdfExpandLabel(psk.hash, wipe.get(), "HostNQN", hostnqn, psk.key.size(), form);
}

Result<std::string> PskDigest(PskHash cipher, std::span<const uint8_t> retained,
                              std::string_view hostnqn, std::string_view subsysnqn) {
  std::string data =
      std::string(hostnqn) + " " + std::string(subsysnqn) + " " + std::string(kDigestSeed);
  Result<PskBytes> mac = Hmac(cipher, retained, data);
  if (!mac)
    return Fail(mac.error());
  return Base64Encode(*mac);
}

Result<TlsPsk> DeriveTlsPsk(const ConfiguredPsk& psk, std::string_view hostnqn,
                            std::string_view subsysnqn, int identity_version, HkdfLabelForm form) {
  if (identity_version != 0 && identity_version != 1) {
    return Fail(EINVAL, "PSK identity version " + std::to_string(identity_version) +
                            "; versions 0 and 1 are defined");
  }
  if (Status s = CheckIdentityNqn("the host NQN", hostnqn); !s)
    return Fail(s.error());
  if (Status s = CheckIdentityNqn("the subsystem NQN", subsysnqn); !s)
    return Fail(s.error());
  Result<PskBytes> retained = DeriveRetainedPsk(psk, hostnqn, form);
  if (!retained)
    return Fail(retained.error());
  ScopedKey wipe(std::move(*retained));
  PskHash cipher = PskCipherHash(psk);
  std::string hh = TwoDigits(cipher);
  TlsPsk out;
  out.identity = "NVMe" + std::to_string(identity_version) + "R" + hh + " " + std::string(hostnqn) +
                 " " + std::string(subsysnqn);
  std::string context = out.identity;
  if (identity_version == 1) {
    Result<std::string> digest = PskDigest(cipher, wipe.get(), hostnqn, subsysnqn);
    if (!digest)
      return Fail(digest.error());
    out.identity += " " + *digest;
    context = hh + " " + *digest;
  }
  if (form == HkdfLabelForm::kRfc8446 && context.size() > 255) {
    return Fail(EINVAL, "the PSK identity \"" + out.identity + "\" has " +
                            std::to_string(context.size()) +
                            " bytes; the TLS PSK derivation takes at most 255 (shorter NQNs)");
  }
  Result<PskBytes> extracted = HkdfExtract(cipher, wipe.get());
  if (!extracted)
    return Fail(extracted.error());
  ScopedKey prk(std::move(*extracted));
  Result<PskBytes> tls =
      HkdfExpandLabel(cipher, prk.get(), "nvme-tls-psk", context, PskHashLength(cipher), form);
  if (!tls)
    return Fail(tls.error());
  out.key = std::move(*tls);
  return out;
}

void WipePsk(PskBytes& bytes) {
  if (!bytes.empty())
    OPENSSL_cleanse(bytes.data(), bytes.size());
  bytes.clear();
}

}  // namespace stas
