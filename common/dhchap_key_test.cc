// SPDX-License-Identifier: Apache-2.0
#include "common/dhchap_key.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace stas {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

DhchapBytes Counting(size_t n) {
  DhchapBytes b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = static_cast<uint8_t>(i);
  return b;
}

std::string Hex(const DhchapBytes& b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s += kDigits[c >> 4];
    s += kDigits[c & 0xf];
  }
  return s;
}

// What `nvme gen-dhchap-key -s <hex> -m <hmac> -l <length> -n <nqn>` printed (nvme-cli 2.3,
// libnvme 1.3, Debian 12), each secret the bytes 00 01 02 ... of the key's length, or those
// bytes counted down from ff by 7.
struct Vector {
  int hmac;
  size_t length;
  bool counting;  // 00 01 02...; else ff f8 f1...
  const char* nqn;
  const char* text;
};
constexpr const char* kZeroNqn =
    "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000000";
constexpr const char* kHost7 = "nqn.2014-08.com.example:host-7";
const Vector kNvmeCliVectors[] = {
    {0, 32, true, kZeroNqn, "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"},
    {0, 32, false, kZeroNqn, "DHHC-1:00://jx6uPc1c7HwLmyq6Sdlo+IgXpzbGVeV1BJQjs0LSaZwyUO:"},
    {0, 48, true, kZeroNqn,
     "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:"},
    {0, 64, true, kZeroNqn,
     "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7"
     "PD0+P4zODhA=:"},
    {1, 32, true, kZeroNqn, "DHHC-1:01:+lWD8koznOvfLcZ/A0iOsDX3MFZiRRuKShRpHreiaBchnvNE:"},
    {1, 32, true, kHost7, "DHHC-1:01:9CdU3sABX4QY7MxhimLznhtuvLcGGesUqPxqwCCl1OfpArqm:"},
    {1, 32, false, kHost7, "DHHC-1:01:8eacJnvM8Rz9tvCX3EpjX20fQMdSFxdi6EyJvjWaVlToFXjq:"},
    {2, 48, true, kZeroNqn,
     "DHHC-1:02:pilBvcUxfNyuFwDnSBs/dFine03lCXlQm0u0rM4H6SZEBhdKySHnxogY2stNq1sU1nAnSg==:"},
    {2, 48, false, kHost7,
     "DHHC-1:02:DulI2Du0R/BmSJxgR+YcL9aEf1gCSvD0bdGQYL8fUxuIG9kJxJ3VPda3Z+BNdgG1PmsLyA==:"},
    {3, 64, true, kZeroNqn,
     "DHHC-1:03:MhWS5rN6n/7ZlsuU/xgJTyYp80gEwJCmAOMDQRNMuoJAix9uwsQbOyJU7rhXZXDd39psrIw4BzjyItuUk6"
     "JhSqI0Yn0=:"},
    {3, 64, false, kHost7,
     "DHHC-1:03:82vcR0X4zMcWC+Ee1+dhV/0DHjMKo/wD4unJP5+4ORMg6kftZTcOoA1JdZeXyi2y6cVjweYOapq6Mjsgiv"
     "36dc5flQ4=:"},
};

DhchapBytes Secret(const Vector& v) {
  if (v.counting)
    return Counting(v.length);
  DhchapBytes b(v.length);
  for (size_t i = 0; i < v.length; ++i)
    b[i] = static_cast<uint8_t>(0xff - 7 * i);
  return b;
}

TEST(DhchapKeyTest, Crc32IsZlibs) {
  const std::string check = "123456789";  // the CRC catalogue's check input
  EXPECT_EQ(Crc32({reinterpret_cast<const uint8_t*>(check.data()), check.size()}), 0xCBF43926u);
  EXPECT_EQ(Crc32({}), 0u);
}

TEST(DhchapKeyTest, UntransformedKeysEncodeAsNvmeCliPrintsThem) {
  for (const Vector& v : kNvmeCliVectors) {
    if (v.hmac != 0)
      continue;
    Result<std::string> text = EncodeDhchapSecret(0, Secret(v));
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(*text, v.text);
  }
}

TEST(DhchapKeyTest, NvmeCliVectorsDecodeAndEncodeBack) {
  for (const Vector& v : kNvmeCliVectors) {
    Result<DhchapSecret> secret = DecodeDhchapSecret(v.text);
    ASSERT_TRUE(secret) << v.text << ": " << secret.error().message;
    EXPECT_EQ(secret->hmac, v.hmac) << v.text;
    ASSERT_EQ(secret->key.size(), v.length) << v.text;
    if (v.hmac == 0)
      EXPECT_EQ(secret->key, Secret(v)) << v.text;
    else
      EXPECT_NE(secret->key, Secret(v)) << v.text;  // nvme-cli transformed it
    Result<std::string> again = EncodeDhchapSecret(secret->hmac, secret->key);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, v.text);
  }
}

TEST(DhchapKeyTest, TransformedKeyIsTheHmacOfNqnAndSeed) {
  // HMAC-SHA-256(key = 00 01 ... 1f, data = kZeroNqn "NVMe-over-Fabrics"), computed with
  // Python's hmac module: the key nvme-cli encoded in the first SHA-256 vector.
  Result<DhchapSecret> secret = DecodeDhchapSecret(kNvmeCliVectors[4].text);
  ASSERT_TRUE(secret);
  EXPECT_EQ(Hex(secret->key), "fa5583f24a339cebdf2dc67f03488eb035f7305662451b8a4a14691eb7a26817");
  EXPECT_EQ(DhchapTransformData("nqn.a"), "nqn.aNVMe-over-Fabrics");
}

TEST(DhchapKeyTest, KeyLengthFollowsNvmeCliRules) {
  EXPECT_EQ(*DhchapKeyLength(0, std::nullopt), 32u);
  EXPECT_EQ(*DhchapKeyLength(1, std::nullopt), 32u);
  EXPECT_EQ(*DhchapKeyLength(2, std::nullopt), 48u);
  EXPECT_EQ(*DhchapKeyLength(3, std::nullopt), 64u);
  for (long long n : {32, 48, 64})
    EXPECT_EQ(*DhchapKeyLength(0, n), static_cast<size_t>(n));
  EXPECT_EQ(*DhchapKeyLength(3, 64), 64u);

  for (int hmac : {-1, 4, 255}) {
    Result<size_t> r = DhchapKeyLength(hmac, std::nullopt);
    ASSERT_FALSE(r) << hmac;
    EXPECT_EQ(r.error().message, "--hmac " + std::to_string(hmac) +
                                     ": must be 0 (none), 1 (SHA-256), 2 (SHA-384) or 3 (SHA-512)");
  }
  for (long long n : {0LL, 16LL, 33LL, -32LL, 1LL << 40}) {
    Result<size_t> r = DhchapKeyLength(0, n);
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.error().message,
              "--key-length " + std::to_string(n) + ": must be 32, 48 or 64 (bytes)");
  }
  Result<size_t> mismatch = DhchapKeyLength(1, 48);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().message,
            "--key-length 48 does not match --hmac 1: SHA-256 makes 32-byte keys");
}

TEST(DhchapKeyTest, HexSecretIsParsedInEitherCase) {
  Result<DhchapBytes> lower = ParseDhchapHexSecret(Hex(Counting(32)), 32);
  ASSERT_TRUE(lower);
  EXPECT_EQ(*lower, Counting(32));
  std::string upper = "FFEEDDCCBBAA99887766554433221100FFEEDDCCBBAA99887766554433221100";
  Result<DhchapBytes> r = ParseDhchapHexSecret(upper, 32);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0], 0xff);
  EXPECT_EQ((*r)[15], 0x00);
}

TEST(DhchapKeyTest, BadHexSecretsAreRejectedWithoutQuotingThem) {
  const std::string good = Hex(Counting(32));
  struct Case {
    std::string hex;
    size_t length;
    std::string message;
  };
  const Case cases[] = {
      {"", 32, "--secret is empty"},
      {"zz" + good.substr(2), 32, "--secret: character 1 is not a hex digit"},
      {good.substr(0, 10) + " " + good.substr(11), 32, "--secret: character 11 is not a hex digit"},
      {"0x" + good.substr(2), 32, "--secret: character 2 is not a hex digit"},
      {good + "0", 32, "--secret has an odd number of hex digits"},
      {good.substr(0, 62), 32, "--secret is 31 bytes; the key length is 32"},
      {good, 48, "--secret is 32 bytes; the key length is 48"},
  };
  for (const Case& c : cases) {
    Result<DhchapBytes> r = ParseDhchapHexSecret(c.hex, c.length);
    ASSERT_FALSE(r) << c.hex;
    EXPECT_EQ(r.error().message, c.message);
    EXPECT_THAT(r.error().message, Not(HasSubstr(good.substr(4, 8))));
  }
}

TEST(DhchapKeyTest, EncodeRefusesWhatTheKernelWouldNot) {
  EXPECT_FALSE(EncodeDhchapSecret(4, Counting(32)));
  EXPECT_FALSE(EncodeDhchapSecret(-1, Counting(32)));
  for (size_t n : {0, 31, 33, 36, 65})
    EXPECT_FALSE(EncodeDhchapSecret(0, Counting(n))) << n;
}

TEST(DhchapKeyTest, RandomLookingKeysRoundTrip) {
  for (int hmac = 0; hmac <= kDhchapMaxHmac; ++hmac) {
    for (size_t length : {32, 48, 64}) {
      DhchapBytes key(length);
      for (size_t i = 0; i < length; ++i)
        key[i] = static_cast<uint8_t>((i * 131 + length * 7 + hmac) % 256);
      Result<std::string> text = EncodeDhchapSecret(hmac, key);
      ASSERT_TRUE(text);
      Result<DhchapSecret> back = DecodeDhchapSecret(*text);
      ASSERT_TRUE(back) << *text << ": " << back.error().message;
      EXPECT_EQ(back->hmac, hmac);
      EXPECT_EQ(back->key, key);
    }
  }
}

TEST(DhchapKeyTest, CrcMismatchIsRejected) {
  // One key byte changed: the base64 still decodes to 36 bytes, the CRC no longer matches.
  std::string text = kNvmeCliVectors[0].text;
  text[10] = 'B';  // "AAEC..." -> "BAEC...": the first key byte 00 becomes 04
  Result<DhchapSecret> r = DecodeDhchapSecret(text);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "has a CRC-32 that does not match its key (a mistyped secret?)");

  // A CRC byte changed: the last base64 digit holds the low bits of the CRC's last byte.
  text = kNvmeCliVectors[0].text;
  ASSERT_EQ(text.substr(text.size() - 3), "aR:");
  text[text.size() - 2] = 'S';
  EXPECT_FALSE(DecodeDhchapSecret(text));

  // The form is fine, so the daemons' CheckDhchapSecret() accepts it; the kernel would not.
  const std::string mistyped = "DHHC-1:00:ia6zGodOr2SGAaxX/1nZD5ytvqD6UR5ltdQFgEb0vIn0pkoP:";
  EXPECT_FALSE(DecodeDhchapSecret(mistyped));
}

TEST(DhchapKeyTest, MalformedSecretsAreRejected) {
  const std::string key = std::string(kNvmeCliVectors[0].text).substr(10, 48);
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      // The form: CheckDhchapSecret()'s message.
      {"DHHC-1:00:" + key, "is not a DH-HMAC-CHAP secret (DHHC-1:NN:<base64>:)"},
      {"DHHC-2:00:" + key + ":", "is not a DH-HMAC-CHAP secret (DHHC-1:NN:<base64>:)"},
      {"DHHC-1:00:" + key.substr(0, 20) + "," + key.substr(21) + ":",
       "is not a DH-HMAC-CHAP secret (DHHC-1:NN:<base64>:)"},
      {"DHHC-1:04:" + key + ":",
       "names hash 04, not 00 (none), 01 (SHA-256), 02 (SHA-384) or 03 (SHA-512)"},
      {"DHHC-1:ff:" + key + ":",
       "names hash ff, not 00 (none), 01 (SHA-256), 02 (SHA-384) or 03 (SHA-512)"},
      {"DHHC-1:00:" + key.substr(1) + ":",
       "is not valid base64 between \"DHHC-1:NN:\" and the final ':'"},
      {"DHHC-1:00:" + key.substr(0, 20) + "=" + key.substr(21) + ":",
       "is not valid base64 between \"DHHC-1:NN:\" and the final ':'"},
      {"DHHC-1:00:YWJjZB==:",  // stray bits under the padding
       "is not valid base64 between \"DHHC-1:NN:\" and the final ':'"},
      {"DHHC-1:00:YWJjZA==:",
       "holds 4 bytes; a key of 32, 48 or 64 bytes and its CRC-32 make 36, 52 or 68"},
      {"DHHC-1:00:" + key.substr(0, 44) + ":",
       "holds 33 bytes; a key of 32, 48 or 64 bytes and its CRC-32 make 36, 52 or 68"},
  };
  for (const Case& c : cases) {
    Result<DhchapSecret> r = DecodeDhchapSecret(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().message, c.message) << c.text;
  }
}

}  // namespace
}  // namespace stas
