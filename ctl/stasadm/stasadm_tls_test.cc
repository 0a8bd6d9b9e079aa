// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_tls.h"

#include <cerrno>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/testing/fake_keyrings.h"
#include "common/tls_psk.h"

namespace stas::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kStasadmHost =
    "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000001";
constexpr const char* kStasadmSubsys = "nqn.2014-08.org.example:subsys-3";

class StasadmTlsTest : public ::testing::Test {
 protected:
  TlsKeyEnv Env(bool root = true) {
    return {&keyrings_, root, [this]() -> Result<std::string> {
              ++configured_calls_;
              return std::string(kStasadmHost);
            }};
  }
  TlsKeyInsertRequest Insert() const {
    TlsKeyInsertRequest r;
    r.key = kTestTlsKey;
    r.subsysnqn = kStasadmSubsys;
    r.hostnqn = kStasadmHost;
    return r;
  }

  FakeKeyrings keyrings_;
  int configured_calls_ = 0;
};

TEST_F(StasadmTlsTest, InsertAddsTheDerivedKeyUnderItsIdentity) {
  KeySerial ring = keyrings_.AddKeyring(".nvme");
  Result<TlsKeyEntry> entry = InsertTlsKey(Env(), Insert());
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->identity, std::string("NVMe0R01 ") + kStasadmHost + " " + kStasadmSubsys);
  ASSERT_EQ(keyrings_.keys_.count(entry->serial), 1u);
  const FakeKeyrings::Key& key = keyrings_.keys_[entry->serial];
  EXPECT_EQ(key.type, "psk");
  EXPECT_EQ(key.description, entry->identity);
  EXPECT_EQ(key.ring, ring);

  Result<ConfiguredPsk> psk = DecodeTlsPsk(kTestTlsKey);
  ASSERT_TRUE(psk);
  Result<TlsPsk> tls = DeriveTlsPsk(*psk, kStasadmHost, kStasadmSubsys);
  ASSERT_TRUE(tls);
  EXPECT_EQ(key.payload, tls->key);
  EXPECT_EQ(configured_calls_, 0);

  // Again: the new key displaces the old one.
  Result<TlsKeyEntry> again = InsertTlsKey(Env(), Insert());
  ASSERT_TRUE(again);
  EXPECT_NE(again->serial, entry->serial);
  EXPECT_EQ(keyrings_.keys_.size(), 1u);
}

TEST_F(StasadmTlsTest, InsertCompatAndTheConfiguredHostNqn) {
  keyrings_.AddKeyring(".nvme");
  TlsKeyInsertRequest request = Insert();
  request.hostnqn.reset();
  request.compat = true;
  Result<TlsKeyEntry> entry = InsertTlsKey(Env(), request);
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(configured_calls_, 1);
  Result<ConfiguredPsk> psk = DecodeTlsPsk(kTestTlsKey);
  ASSERT_TRUE(psk);
  Result<TlsPsk> compat =
      DeriveTlsPsk(*psk, kStasadmHost, kStasadmSubsys, 0, HkdfLabelForm::kLibnvmeCompat);
  ASSERT_TRUE(compat);
  EXPECT_EQ(keyrings_.keys_[entry->serial].payload, compat->key);
}

TEST_F(StasadmTlsTest, InsertIntoAnotherKeyring) {
  keyrings_.AddKeyring(".nvme");
  KeySerial mine = keyrings_.AddKeyring("mine");
  TlsKeyInsertRequest request = Insert();
  request.keyring = "mine";
  Result<TlsKeyEntry> entry = InsertTlsKey(Env(), request);
  ASSERT_TRUE(entry);
  EXPECT_EQ(keyrings_.keys_[entry->serial].ring, mine);
}

TEST_F(StasadmTlsTest, InsertChecksEverythingBeforeTheKeyring) {
  // No keyring at all: each of these fails for its argument, not for the keyring.
  struct Case {
    void (*change)(TlsKeyInsertRequest&);
    const char* message;
  };
  const Case cases[] = {
      {[](TlsKeyInsertRequest& r) { r.key = "NVMeTLSkey-1:01:abc:"; }, "--key is not valid base64"},
      {[](TlsKeyInsertRequest& r) { r.key = "DHHC-1:01:abc:"; }, "--key is not a TLS PSK"},
      {[](TlsKeyInsertRequest& r) { r.subsysnqn = "subsys-3"; },
       "--subsysnqn \"subsys-3\": does not start with \"nqn.\""},
      {[](TlsKeyInsertRequest& r) { r.hostnqn = "nqn.a b"; }, "--hostnqn \"nqn.a b\""},
  };
  for (const Case& c : cases) {
    TlsKeyInsertRequest request = Insert();
    c.change(request);
    Result<TlsKeyEntry> entry = InsertTlsKey(Env(), request);
    ASSERT_FALSE(entry) << c.message;
    EXPECT_THAT(entry.error().message, HasSubstr(c.message));
    EXPECT_THAT(entry.error().message, Not(HasSubstr("VRLb")));
  }
  TlsKeyEnv env = Env();
  env.configured_hostnqn = [] {
    return Result<std::string>(Fail(ENOENT, "no host NQN"));
  };
  TlsKeyInsertRequest request = Insert();
  request.hostnqn.reset();
  Result<TlsKeyEntry> entry = InsertTlsKey(env, request);
  ASSERT_FALSE(entry);
  EXPECT_THAT(entry.error().message, HasSubstr("give it with --hostnqn): no host NQN"));
}

TEST_F(StasadmTlsTest, NoKeyringMessages) {
  Result<TlsKeyEntry> entry = InsertTlsKey(Env(), Insert());
  ASSERT_FALSE(entry);
  EXPECT_EQ(entry.error().message,
            "the kernel has no .nvme keyring: load nvme_tcp (kernel 6.7 or later with NVMe/TCP "
            "TLS)");
  Result<std::vector<TlsKeyEntry>> keys = ListTlsKeys(Env(/*root=*/false), ".nvme");
  ASSERT_FALSE(keys);
  EXPECT_THAT(keys.error().message, HasSubstr("that this user can see: run as root"));
  keys = ListTlsKeys(Env(), "other");
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().message, "the kernel has no keyring \"other\"");
  keyrings_.find_error_ = EACCES;
  keys = ListTlsKeys(Env(false), ".nvme");
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().message,
            "cannot look up the keyring \".nvme\": permission denied (run as root)");
}

TEST_F(StasadmTlsTest, AddErrors) {
  keyrings_.AddKeyring(".nvme");
  keyrings_.add_error_ = EACCES;
  Result<TlsKeyEntry> entry = InsertTlsKey(Env(false), Insert());
  ASSERT_FALSE(entry);
  EXPECT_EQ(entry.error().message,
            "cannot add the key to the keyring \".nvme\": permission denied (run as root)");
  keyrings_.add_error_ = ENODEV;
  entry = InsertTlsKey(Env(), Insert());
  ASSERT_FALSE(entry);
  EXPECT_THAT(entry.error().message, HasSubstr("the kernel has no key type \"psk\": load "));
}

TEST_F(StasadmTlsTest, ListShowsPskKeysOnly) {
  KeySerial ring = keyrings_.AddKeyring(".nvme");
  ASSERT_TRUE(keyrings_.Add("psk", "NVMe0R01 nqn.h nqn.s1", PskBytes(32, 1), ring));
  ASSERT_TRUE(keyrings_.Add("user", "NVMe0R01 nqn.h nqn.s2", PskBytes(32, 2), ring));
  ASSERT_TRUE(keyrings_.Add("hidden", "x", PskBytes(32, 3), ring));
  ASSERT_TRUE(keyrings_.Add("psk", "NVMe0R02 nqn.h;x nqn.s3", PskBytes(48, 4), ring));
  Result<std::vector<TlsKeyEntry>> keys = ListTlsKeys(Env(), ".nvme");
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].identity, "NVMe0R01 nqn.h nqn.s1");
  EXPECT_EQ((*keys)[1].identity, "NVMe0R02 nqn.h;x nqn.s3");
}

TEST_F(StasadmTlsTest, RemoveBySerialOrIdentity) {
  KeySerial ring = keyrings_.AddKeyring(".nvme");
  Result<KeySerial> a = keyrings_.Add("psk", "NVMe0R01 nqn.h nqn.s1", PskBytes(32, 1), ring);
  Result<KeySerial> b = keyrings_.Add("psk", "NVMe0R01 nqn.h nqn.s2", PskBytes(32, 2), ring);
  Result<KeySerial> other = keyrings_.Add("user", "u", PskBytes(1, 0), ring);
  ASSERT_TRUE(a && b && other);

  TlsKeyRemoveRequest by_serial;
  by_serial.serial = *other;  // not a psk key: refused
  Result<std::vector<TlsKeyEntry>> removed = RemoveTlsKeys(Env(), by_serial);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().message,
            "the keyring \".nvme\" has no psk key " + std::to_string(*other));
  by_serial.serial = *a;
  removed = RemoveTlsKeys(Env(), by_serial);
  ASSERT_TRUE(removed) << removed.error().message;
  ASSERT_EQ(removed->size(), 1u);
  EXPECT_EQ(keyrings_.keys_.count(*a), 0u);

  TlsKeyRemoveRequest by_identity;
  by_identity.identity = "NVMe0R01 nqn.h nqn.s2";
  removed = RemoveTlsKeys(Env(), by_identity);
  ASSERT_TRUE(removed);
  EXPECT_EQ(keyrings_.keys_.count(*b), 0u);
  removed = RemoveTlsKeys(Env(), by_identity);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().message,
            "the keyring \".nvme\" has no psk key with identity \"NVMe0R01 nqn.h nqn.s2\"");
  EXPECT_EQ(keyrings_.keys_.size(), 1u);

  EXPECT_FALSE(RemoveTlsKeys(Env(), TlsKeyRemoveRequest{}));
}

TEST(StasadmTlsSerialTest, ParseKeySerial) {
  EXPECT_EQ(*ParseKeySerial("649274894"), 649274894);
  EXPECT_EQ(*ParseKeySerial("0x26b2f80e"), 0x26b2f80e);
  EXPECT_EQ(*ParseKeySerial("2147483647"), 2147483647);
  for (const char* bad : {"", "0", "-1", "2147483648", "12a", "0x", "0xg", "99999999999", " 1"})
    EXPECT_FALSE(ParseKeySerial(bad)) << bad;
}

}  // namespace
}  // namespace stas::ctl
