// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/tls_keyring.h"

#include <cerrno>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/kernel/nvme_kernel.h"
#include "common/testing/fake_keyrings.h"

namespace stas {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kHost =
    "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000001";
constexpr const char* kSubsys = "nqn.2014-08.org.example:subsys-3";

ConnectRequest Request() {
  ConnectRequest req;
  req.tid = Tid::Make({.transport = "tcp", .traddr = "192.0.2.1", .subsysnqn = kSubsys},
                      TidDefaults{false, kHost});
  req.host.hostnqn = "nqn.not-this-one";  // the TID's host NQN is the one connected with
  req.options.tls = true;
  return req;
}

TEST(TlsKeyringTest, ARequestWithoutKeysTouchesNoKeyring) {
  FakeKeyrings keyrings;
  keyrings.find_error_ = EACCES;  // would fail, were it asked
  Result<TlsKeySerials> serials = PrepareTlsKeys(keyrings, Request(), true);
  ASSERT_TRUE(serials) << serials.error().message;
  EXPECT_FALSE(serials->keyring);
  EXPECT_FALSE(serials->tls_key);
}

TEST(TlsKeyringTest, AConfiguredKeyGoesIntoNvmeUnderItsIdentityAndReplacesTheLastOne) {
  FakeKeyrings keyrings;
  KeySerial ring = keyrings.AddKeyring(".nvme");
  ConnectRequest req = Request();
  req.tls_key = kTestTlsKey;
  Result<TlsKeySerials> first = PrepareTlsKeys(keyrings, req, true);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->keyring);  // .nvme is the kernel's default: not named
  ASSERT_TRUE(first->tls_key);
  const FakeKeyrings::Key& key = keyrings.keys_.at(*first->tls_key);
  EXPECT_EQ(key.ring, ring);
  EXPECT_EQ(key.type, "psk");
  EXPECT_EQ(key.description, std::string("NVMe0R01 ") + kHost + " " + kSubsys);
  Result<ConfiguredPsk> psk = DecodeTlsPsk(kTestTlsKey);
  ASSERT_TRUE(psk);
  Result<TlsPsk> expected = DeriveTlsPsk(*psk, kHost, kSubsys);
  ASSERT_TRUE(expected);
  EXPECT_EQ(key.payload, expected->key);

  Result<TlsKeySerials> second = PrepareTlsKeys(keyrings, req, true);
  ASSERT_TRUE(second);
  EXPECT_NE(*second->tls_key, *first->tls_key);
  EXPECT_EQ(keyrings.keys_.size(), 1U);
}

TEST(TlsKeyringTest, AConfiguredKeyringIsNamedByItsSerialAndMustExist) {
  FakeKeyrings keyrings;
  keyrings.AddKeyring(".nvme");
  ConnectRequest req = Request();
  req.keyring = "tenant-keys";
  Result<TlsKeySerials> serials = PrepareTlsKeys(keyrings, req, true);
  ASSERT_FALSE(serials);
  EXPECT_EQ(serials.error().code, ENOKEY);
  EXPECT_EQ(serials.error().message, "the kernel has no keyring \"tenant-keys\"");

  KeySerial ring = keyrings.AddKeyring("tenant-keys");
  serials = PrepareTlsKeys(keyrings, req, true);
  ASSERT_TRUE(serials) << serials.error().message;
  EXPECT_EQ(serials->keyring, ring);
  EXPECT_FALSE(serials->tls_key);  // the kernel looks the PSK up there by identity

  req.tls_key = kTestTlsKey;
  serials = PrepareTlsKeys(keyrings, req, true);
  ASSERT_TRUE(serials);
  EXPECT_EQ(keyrings.keys_.at(*serials->tls_key).ring, ring);
}

TEST(TlsKeyringTest, KeyringFailuresSayWhatToDoAndNeverQuoteTheKey) {
  FakeKeyrings keyrings;
  ConnectRequest req = Request();
  req.tls_key = kTestTlsKey;
  Result<TlsKeySerials> serials = PrepareTlsKeys(keyrings, req, true);
  ASSERT_FALSE(serials);
  EXPECT_EQ(serials.error().code, ENOKEY);
  EXPECT_THAT(serials.error().message, HasSubstr("no .nvme keyring: load nvme_tcp"));

  keyrings.AddKeyring(".nvme");
  keyrings.add_error_ = EDQUOT;
  serials = PrepareTlsKeys(keyrings, req, true);
  ASSERT_FALSE(serials);
  EXPECT_EQ(serials.error().code, EDQUOT);
  EXPECT_EQ(serials.error().message,
            "cannot add the key to the keyring \".nvme\": this user's key quota is used up");

  keyrings.add_error_ = 0;
  req.tls_key = "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrY:";  // bad CRC
  serials = PrepareTlsKeys(keyrings, req, true);
  ASSERT_FALSE(serials);
  EXPECT_EQ(serials.error().code, EINVAL);
  EXPECT_THAT(serials.error().message, Not(HasSubstr("VRLbtnN9")));
  EXPECT_TRUE(keyrings.keys_.empty());
}

}  // namespace
}  // namespace stas
