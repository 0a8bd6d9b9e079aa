// SPDX-License-Identifier: Apache-2.0
#include "common/tls_psk.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/dhchap_key.h"
#include "common/str_util.h"

namespace stas {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

PskBytes FromHex(std::string_view hex) {
  PskBytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string_view AsText(const PskBytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// The configured PSK of libnvme's test/psk.c (linux-nvme/libnvme, now nvme-cli's
// libnvme/tests/psk.c), the example key of the NVMe/TCP specification, which SPDK's TLS tests
// use too; the 48-byte key repeats its last 16 bytes.
const PskBytes kSpecKey32 =
    FromHex("5512dbb6737d0106f65975b773dfb011ffc344bcf442e2dd6d8bc4870b5d5b03");
const PskBytes kSpecKey48 = FromHex(
    "5512dbb6737d0106f65975b773dfb011ffc344bcf442e2dd6d8bc4870b5d5b03"
    "ffc344bcf442e2dd6d8bc4870b5d5b03");
constexpr const char* kPsk00 = "NVMeTLSkey-1:00:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:";
constexpr const char* kPsk01 = "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:";
constexpr const char* kPsk02 =
    "NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/w0S89ELi3W2LxIcLXVsDn8kXZQ==:";

TEST(TlsPskTest, LibnvmeInterchangeVectorsDecodeAndEncode) {
  struct Vector {
    const char* text;
    PskHash hash;
    const PskBytes* key;
  };
  for (const Vector& v :
       {Vector{kPsk00, PskHash::kNone, &kSpecKey32}, Vector{kPsk01, PskHash::kSha256, &kSpecKey32},
        Vector{kPsk02, PskHash::kSha384, &kSpecKey48}}) {
    Result<ConfiguredPsk> psk = DecodeTlsPsk(v.text);
    ASSERT_TRUE(psk) << v.text << ": " << psk.error().message;
    EXPECT_EQ(psk->hash, v.hash) << v.text;
    EXPECT_EQ(psk->key, *v.key) << v.text;
    Result<std::string> text = EncodeTlsPsk(v.hash, *v.key);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(*text, v.text);
  }
}

// `nvme gen-tls-key --hmac=1` and `--hmac=2` of nvme-cli 2.3 (libnvme 1.3, Debian 12) made these
// keys (random: its --secret is broken), and `nvme check-tls-key --key=...` printed "Key is valid
// (HMAC 1, length 32, CRC c2e1da51)" and "(HMAC 2, length 48, CRC 36aac482)"; for the libnvme
// keys above it printed CRC d9baf45f (kPsk01) and 6517c99f (kPsk02), and it refused kPsk00
// ("Invalid HMAC identifier 0": 2.3 predates hash 00, which libnvme 1.4 and the kernel accept).
TEST(TlsPskTest, NvmeCli23KeysDecodeWithItsCrcAndEncodeBackTheSame) {
  struct Vector {
    const char* text;
    PskHash hash;
    size_t length;
    uint32_t crc;
  };
  for (const Vector& v : {
           Vector{"NVMeTLSkey-1:01:rjdu7WNz8aUlejM9v+5THgbZi37K+X9CW2N+xpd9EdZR2uHC:",
                  PskHash::kSha256, 32, 0xc2e1da51},
           Vector{"NVMeTLSkey-1:02:ManYlvt4Hj4DK/KgKxEg7XTO0ZlKwepBW5T1GBaVukyVEzHsWvxpY6+6Pd+"
                  "IaxNugsSqNg==:",
                  PskHash::kSha384, 48, 0x36aac482},
           Vector{kPsk01, PskHash::kSha256, 32, 0xd9baf45f},
           Vector{kPsk02, PskHash::kSha384, 48, 0x6517c99f},
       }) {
    Result<ConfiguredPsk> psk = DecodeTlsPsk(v.text);
    ASSERT_TRUE(psk) << v.text << ": " << psk.error().message;
    EXPECT_EQ(psk->hash, v.hash);
    ASSERT_EQ(psk->key.size(), v.length);
    EXPECT_EQ(Crc32(psk->key), v.crc) << v.text;
    Result<std::string> text = EncodeTlsPsk(psk->hash, psk->key);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, v.text);
  }
}

TEST(TlsPskTest, DecodeRefusesWhatLibnvmeAndTheKernelRefuseWithoutQuotingTheKey) {
  const std::string base64_32 = "VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ";
  struct Case {
    std::string text;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"", "is not a TLS PSK in the interchange format NVMeTLSkey-1:hh:<base64>:"},
      {"DHHC-1:01:" + base64_32 + ":", "interchange format"},
      {"NVMeTLSkey-2:01:" + base64_32 + ":", "is not of version 1"},
      {"NVMeTLSkey-1:03:" + base64_32 + ":", "names hash 03, not 00 (none), 01 (SHA-256)"},
      {"NVMeTLSkey-1:1:" + base64_32 + ":", "interchange format"},
      {"NVMeTLSkey-1:01:" + base64_32, "interchange format"},  // no final ':'
      {"NVMeTLSkey-1:01:" + base64_32 + ": ", "interchange format"},
      {"NVMeTLSkey-1:01:" + base64_32.substr(0, 45) + ":", "is not valid base64"},
      {"NVMeTLSkey-1:01:" + base64_32.substr(0, 44) + ":", "holds 33 bytes"},
      {"NVMeTLSkey-1:01:" + base64_32.substr(0, 47) + "A:", "does not match its key"},
      // The 48-byte key of kPsk02 with hash 01, which takes 32 bytes.
      {"NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/w0S89ELi3W2LxIcLXVsDn8kXZQ==:",
       "holds a key of 48 bytes with hash 01 (SHA-256), which takes 32 bytes"},
      // 24 bytes and a CRC.
      {"NVMeTLSkey-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXq5y1Xg==:", "holds 28 bytes"},
  };
  for (const Case& c : cases) {
    Result<ConfiguredPsk> psk = DecodeTlsPsk(c.text);
    ASSERT_FALSE(psk) << c.text;
    EXPECT_EQ(psk.error().code, EINVAL);
    EXPECT_THAT(psk.error().message, HasSubstr(c.message)) << c.text;
    EXPECT_THAT(psk.error().message, Not(HasSubstr("VRLb"))) << c.text;
  }
}

TEST(TlsPskTest, EncodeRefusesLengthsThatDoNotFitTheHash) {
  EXPECT_FALSE(EncodeTlsPsk(PskHash::kNone, PskBytes(64, 1)));
  EXPECT_FALSE(EncodeTlsPsk(PskHash::kSha256, kSpecKey48));
  EXPECT_FALSE(EncodeTlsPsk(PskHash::kSha384, kSpecKey32));
  EXPECT_TRUE(EncodeTlsPsk(PskHash::kNone, kSpecKey48));
}

// RFC 8448 (Example Handshake Traces for TLS 1.3), 3. "Simple 1-RTT Handshake": the early
// secret is HKDF-Extract(0, 32 zero bytes), and "derived" is HKDF-Expand-Label(early secret,
// "derived", SHA-256(""), 32). A published vector of the HkdfLabel layout itself.
TEST(TlsPskTest, HkdfExpandLabelMatchesRfc8448) {
  Result<PskBytes> early = HkdfExtract(PskHash::kSha256, PskBytes(32, 0));
  ASSERT_TRUE(early) << early.error().message;
  EXPECT_EQ(HexDigits(*early), "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a");
  const PskBytes empty_hash =
      FromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Result<PskBytes> derived =
      HkdfExpandLabel(PskHash::kSha256, *early, "derived", AsText(empty_hash), 32);
  ASSERT_TRUE(derived) << derived.error().message;
  EXPECT_EQ(HexDigits(*derived),
            "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba");
}

TEST(TlsPskTest, HkdfExpandLabelBounds) {
  const PskBytes prk(32, 7);
  EXPECT_FALSE(HkdfExpandLabel(PskHash::kSha256, prk, "x", std::string(256, 'c'), 32));
  EXPECT_FALSE(HkdfExpandLabel(PskHash::kSha256, prk, std::string(250, 'l'), "", 32));
  EXPECT_FALSE(HkdfExpandLabel(PskHash::kNone, prk, "x", "", 32));
  EXPECT_FALSE(HkdfExpandLabel(PskHash::kSha256, prk, "x", "", 0));
  // libnvme's compat form has no length bytes, hence no bound.
  EXPECT_TRUE(HkdfExpandLabel(PskHash::kSha256, prk, "x", std::string(256, 'c'), 32,
                              HkdfLabelForm::kLibnvmeCompat));
}

// libnvme's test/psk.c, test_data_identity and test_data_identity_compat: the version 1 identity
// of kSpecKey32 (hash 01) and kSpecKey48 (hash 02) for "nqn.psk-test-host" and
// "nqn.psk-test-subsys". Its digest is an HMAC keyed with the retained PSK, so these pin the
// retained-PSK derivation in both HkdfLabel forms, and the digest.
TEST(TlsPskTest, LibnvmeVersion1IdentityVectors) {
  struct Vector {
    PskHash hash;
    const PskBytes* key;
    HkdfLabelForm form;
    const char* identity;
  };
  const Vector vectors[] = {
      {PskHash::kSha256, &kSpecKey32, HkdfLabelForm::kRfc8446,
       "NVMe1R01 nqn.psk-test-host nqn.psk-test-subsys "
       "iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU="},
      {PskHash::kSha384, &kSpecKey48, HkdfLabelForm::kRfc8446,
       "NVMe1R02 nqn.psk-test-host nqn.psk-test-subsys "
       "QhW2+Rp6RzHlNtCslyRxMnwJ11tKKhz8JCAQpQ+XUD8f9td1VeH5h53yz2wKJG1a"},
      {PskHash::kSha256, &kSpecKey32, HkdfLabelForm::kLibnvmeCompat,
       "NVMe1R01 nqn.psk-test-host nqn.psk-test-subsys "
       "66GuqV08TsAGII39teWUfwQwizjv06Jy8jOcX3NAAzM="},
      {PskHash::kSha384, &kSpecKey48, HkdfLabelForm::kLibnvmeCompat,
       "NVMe1R02 nqn.psk-test-host nqn.psk-test-subsys "
       "RsKmYJ3nAn1ApjjMloJFbAkLPivONDAX/xW327YBUsn2eGShXSjCZvBaOxscLqmz"},
  };
  for (const Vector& v : vectors) {
    ConfiguredPsk psk{v.hash, *v.key};
    Result<TlsPsk> tls = DeriveTlsPsk(psk, "nqn.psk-test-host", "nqn.psk-test-subsys", 1, v.form);
    ASSERT_TRUE(tls) << tls.error().message;
    EXPECT_EQ(tls->identity, v.identity);
    EXPECT_EQ(tls->key.size(), v.key->size());
  }
}

// The kernel's KUnit test drivers/nvme/common/tests/auth_kunit.c: from the PSK that
// DH-HMAC-CHAP generated (used as is: hash 00 here), host "hostnqn" and subsystem "subsysnqn",
// nvme_auth_generate_digest() gives the digest and nvme_auth_derive_tls_psk() the TLS PSK, with
// the context "<hash> <digest>" of identity version 1.
TEST(TlsPskTest, KernelVersion1TlsPskVectors) {
  struct Vector {
    const char* input_psk;
    const char* digest;
    const char* tls_psk;
    const char* hh;
  };
  const Vector vectors[] = {
      {"1733c59fa7f48fcf37f5f26fc4ff0268ad4f78e030f4f3b0bfd1d47e7bb1447a",
       "OldoKuTfKddMuyCznAZojkWD7P4D9/AtzDzLimtOxqI=",
       "3c17da628474a04d2247c4cab47968c915388193f7c071bd9489cc3666cd7cc8", "01"},
      {"f14b2dd3234c459694d3bc63f8968bd6b37c2c6de849e22e118749001ce4bbe8640b9e3a748cb11ce4b1d71d3"
       "59cce39",
       "cffMWk8TSS7HOQebjgYEIkrPrjWPV4JE5cdPB8WhEvY4JBW5YynKyv66XscN4A9n",
       "2774753233537b3fa50eb7d16a8e43457d85f4906c005b2236616c5d80939d0898fff15bb8b77119d2be0aac42"
       "3e7590",
       "02"},
  };
  for (const Vector& v : vectors) {
    ConfiguredPsk psk{PskHash::kNone, FromHex(v.input_psk)};
    Result<std::string> digest = PskDigest(PskCipherHash(psk), psk.key, "hostnqn", "subsysnqn");
    ASSERT_TRUE(digest) << digest.error().message;
    EXPECT_EQ(*digest, v.digest);
    Result<TlsPsk> tls = DeriveTlsPsk(psk, "hostnqn", "subsysnqn", 1);
    ASSERT_TRUE(tls) << tls.error().message;
    EXPECT_EQ(tls->identity, std::string("NVMe1R") + v.hh + " hostnqn subsysnqn " + v.digest);
    EXPECT_EQ(HexDigits(tls->key), v.tls_psk);
  }
}

// Identity version 0, what the kernel looks up by default: no published vector has its TLS PSK.
// The identity is the one libnvme inserts, the key is HKDF-Expand-Label over the identity with
// the functions the vectors above pin, and the values below were computed here (independently,
// in Python's hmac module) to keep them from changing.
TEST(TlsPskTest, Version0IdentityAndKey) {
  struct Vector {
    PskHash hash;
    const PskBytes* key;
    HkdfLabelForm form;
    const char* identity;
    const char* tls_psk;
  };
  const Vector vectors[] = {
      {PskHash::kSha256, &kSpecKey32, HkdfLabelForm::kRfc8446,
       "NVMe0R01 nqn.psk-test-host nqn.psk-test-subsys",
       "05c6503551ad136e6ee32e6eeb3f6d500b69701d84ec71e328f65c7f51566f68"},
      {PskHash::kSha384, &kSpecKey48, HkdfLabelForm::kRfc8446,
       "NVMe0R02 nqn.psk-test-host nqn.psk-test-subsys",
       "f42ba63824cdfe421914c582921f85b5b5b7e2d4df084caeedc9be20b212e8bb0fe8a23e9d59a1c8fc6449da49"
       "70a78d"},
      {PskHash::kSha256, &kSpecKey32, HkdfLabelForm::kLibnvmeCompat,
       "NVMe0R01 nqn.psk-test-host nqn.psk-test-subsys",
       "09fb1983ac6d6d0353e7cae4f23daddd651c367fa347c59d9cf6936f5a83eafb"},
      {PskHash::kSha384, &kSpecKey48, HkdfLabelForm::kLibnvmeCompat,
       "NVMe0R02 nqn.psk-test-host nqn.psk-test-subsys",
       "2ee4754186a625b28a3936ef4a40d839c3ad958b2e017562ee07e2501f172ce999dc9c29033ea7ee33f814f192"
       "c13f47"},
      // Hash 00: the configured PSK is the retained PSK; 32 bytes make the identity 01.
      {PskHash::kNone, &kSpecKey32, HkdfLabelForm::kRfc8446,
       "NVMe0R01 nqn.psk-test-host nqn.psk-test-subsys",
       "ec85300ba827726bd3bc4fc07f3a34aec5fe7c8ccac05fefc2f021c74e0df9ef"},
  };
  for (const Vector& v : vectors) {
    ConfiguredPsk psk{v.hash, *v.key};
    Result<TlsPsk> tls = DeriveTlsPsk(psk, "nqn.psk-test-host", "nqn.psk-test-subsys", 0, v.form);
    ASSERT_TRUE(tls) << tls.error().message;
    EXPECT_EQ(tls->identity, v.identity);
    EXPECT_EQ(HexDigits(tls->key), v.tls_psk) << v.identity;

    // The same from the pieces: Expand-Label(Extract(retained), "nvme-tls-psk", identity, L).
    Result<PskBytes> retained = DeriveRetainedPsk(psk, "nqn.psk-test-host", v.form);
    ASSERT_TRUE(retained);
    PskHash cipher = PskCipherHash(psk);
    Result<PskBytes> prk = HkdfExtract(cipher, *retained);
    ASSERT_TRUE(prk);
    Result<PskBytes> key =
        HkdfExpandLabel(cipher, *prk, "nvme-tls-psk", tls->identity, PskHashLength(cipher), v.form);
    ASSERT_TRUE(key);
    EXPECT_EQ(*key, tls->key);
  }
}

TEST(TlsPskTest, RetainedPskOfHash00IsTheConfiguredKey) {
  Result<PskBytes> retained = DeriveRetainedPsk({PskHash::kNone, kSpecKey48}, "nqn.h");
  ASSERT_TRUE(retained);
  EXPECT_EQ(*retained, kSpecKey48);
  EXPECT_EQ(PskCipherHash({PskHash::kNone, kSpecKey48}), PskHash::kSha384);
  EXPECT_EQ(PskCipherHash({PskHash::kNone, kSpecKey32}), PskHash::kSha256);
  // Another host, another retained key.
  Result<PskBytes> a = DeriveRetainedPsk({PskHash::kSha256, kSpecKey32}, "nqn.a");
  Result<PskBytes> b = DeriveRetainedPsk({PskHash::kSha256, kSpecKey32}, "nqn.b");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
}

TEST(TlsPskTest, DeriveChecksTheNqnsAndTheIdentityLength) {
  ConfiguredPsk psk{PskHash::kSha256, kSpecKey32};
  for (const char* bad : {"", "nqn.a b", "nqn.a,b"}) {
    Result<TlsPsk> tls = DeriveTlsPsk(psk, bad, "nqn.s");
    ASSERT_FALSE(tls) << bad;
    EXPECT_THAT(tls.error().message, HasSubstr("the host NQN")) << bad;
    EXPECT_FALSE(DeriveTlsPsk(psk, "nqn.h", bad)) << bad;
  }
  EXPECT_FALSE(DeriveTlsPsk(psk, "nqn.h", "nqn.s", 2));
  // Two NQNs of 123 bytes make a version 0 identity of 9 + 123 + 1 + 123 = 256 bytes: one too
  // many for the HKDF context of RFC 8446; libnvme's compat form takes it.
  const std::string host = "nqn." + std::string(119, 'h');
  const std::string subsys = "nqn." + std::string(119, 's');
  Result<TlsPsk> tls = DeriveTlsPsk(psk, host, subsys);
  ASSERT_FALSE(tls);
  EXPECT_THAT(tls.error().message, HasSubstr("has 256 bytes"));
  EXPECT_THAT(tls.error().message, Not(HasSubstr("VRLb")));
  EXPECT_TRUE(DeriveTlsPsk(psk, host, subsys, 0, HkdfLabelForm::kLibnvmeCompat));
  EXPECT_TRUE(DeriveTlsPsk(psk, host, subsys.substr(1)));
}

TEST(TlsPskTest, WipePskClears) {
  PskBytes key = kSpecKey32;
  WipePsk(key);
  EXPECT_TRUE(key.empty());
}

}  // namespace
}  // namespace stas
