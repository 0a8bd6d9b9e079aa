// SPDX-License-Identifier: Apache-2.0
#include "common/controller/controller.h"

#include <cerrno>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/loop/blocking_runner.h"
#include "common/secrets.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/fake_keyrings.h"
#include "common/testing/held_runner.h"
#include "common/testing/simulated_kernel.h"

namespace stas {
namespace {

using testing::HeldRunner;

// A controller with one more operation: a stand-in for a Dc's log page fetch.
class TestController : public Controller {
 public:
  using Controller::connect_timer;
  using Controller::Controller;
  void StartOperation() {
    RunOp<Status>([] { return Status{}; }, [](Status) {});
  }
};

class ControllerTest : public ::testing::Test {
 protected:
  ControllerTest() {
    testing::SimPort port;
    port.traddr = "192.0.2.20";
    port.trsvcid = "4420";
    port.subsystems = {"nqn.io:1"};
    kernel_.AddPort(port);
    EXPECT_TRUE(kernel_.Start([this](const KernelEvent& ev) { ctrl_.OnKernelEvent(ev); }));
  }

  static ConnectRequest Request() {
    ConnectRequest req;
    req.tid = Tid::Make({.transport = "tcp",
                         .traddr = "192.0.2.20",
                         .trsvcid = "4420",
                         .subsysnqn = "nqn.io:1",
                         .host_nqn = "nqn.host"},
                        TidDefaults{false, "nqn.host"});
    return req;
  }

  FakeEventLoop loop_;
  HeldRunner runner_{loop_};
  testing::SimulatedKernel kernel_{loop_};
  KernelIndex index_{kernel_};
  ControllerContext ctx_{.loop = loop_, .runner = runner_, .kernel = kernel_, .index = index_};
  TestController ctrl_{ctx_, Request(), {}};
};

TEST_F(ControllerTest, RemovalDuringAnOperationStillReconnects) {
  ctrl_.Start();
  loop_.RunUntilIdle();
  ASSERT_EQ(ctrl_.device(), "nvme0");
  runner_.hold = true;
  ctrl_.StartOperation();  // e.g. a log page fetch blocked on a controller being deleted
  kernel_.RemoveDevice("nvme0");
  loop_.RunUntilIdle();
  EXPECT_FALSE(ctrl_.connected());
  loop_.AdvanceBy(Controller::kFastConnectRetry);  // the retry comes while it is still busy
  EXPECT_FALSE(ctrl_.connected());
  runner_.hold = false;
  runner_.RunHeld();
  loop_.RunUntilIdle();
  EXPECT_EQ(ctrl_.device(), "nvme1");  // connected as soon as the operation ended
}

// Debian 12's 6.1: the option table lists dhchap_secret, the kernel has no nvme_auth.
KernelFeatures KernelWithoutAuthentication() {
  KernelFeatures f;
  f.options = {"transport", "traddr",        "trsvcid",           "nqn",
               "hostnqn",   "dhchap_secret", "dhchap_ctrl_secret"};
  f.host_auth_code = false;
  return f;
}

std::string InfoValue(const Controller& c, const std::string& key) {
  for (const auto& [k, v] : c.Info()) {
    if (k == key)
      return v;
  }
  return "<none>";
}

TEST_F(ControllerTest, ASecretTheKernelCannotUseIsRefusedOnceAndNeverRetried) {
  kernel_.SetFeatures(KernelWithoutAuthentication());
  ctx_.features = KernelWithoutAuthentication();
  ConnectRequest req = Request();
  req.dhchap_secret = "DHHC-1:00:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTIzNDU2Nzg=:";
  TestController c{ctx_, req, {}};
  c.Start();
  loop_.RunUntilIdle();
  for (int i = 0; i < 5; ++i)
    loop_.AdvanceBy(Controller::kConnectRetry);
  EXPECT_FALSE(c.connected());
  EXPECT_EQ(kernel_.connect_calls(), 0);  // never written to the kernel
  EXPECT_EQ(c.connect_attempts(), 0);
  EXPECT_FALSE(c.connect_timer().running());
  EXPECT_EQ(c.unsupported(),
            "the kernel has no DH-HMAC-CHAP authentication (needed for dhchap_secret)");
  EXPECT_EQ(InfoValue(c, "unsupported by the kernel"), c.unsupported());
  // The secret removed by a reload: it connects, and says nothing more about the kernel.
  c.UpdateSecrets(Request());
  loop_.RunUntilIdle();
  EXPECT_TRUE(c.connected());
  EXPECT_EQ(c.unsupported(), "");
  EXPECT_EQ(InfoValue(c, "unsupported by the kernel"), "<none>");
}

TEST_F(ControllerTest, NewSecretsReauthenticateAConnectedController) {
  ConnectRequest req = Request();
  req.dhchap_secret = "DHHC-1:00:old-host:";
  TestController c{ctx_, req, {}};
  c.Start();
  loop_.RunUntilIdle();
  ASSERT_EQ(c.device(), "nvme0");
  c.UpdateSecrets(req);  // unchanged: nothing
  loop_.RunUntilIdle();
  EXPECT_TRUE(kernel_.reauthentications().empty());
  req.dhchap_secret = "DHHC-1:00:new-host:";
  c.UpdateSecrets(req);
  loop_.RunUntilIdle();
  ASSERT_EQ(kernel_.reauthentications().size(), 1U);
  EXPECT_EQ(kernel_.reauthentications()[0].device, "nvme0");
  EXPECT_EQ(kernel_.reauthentications()[0].host_secret, "DHHC-1:00:new-host:");
  EXPECT_EQ(c.device(), "nvme0");  // not disconnected
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  EXPECT_EQ(kernel_.connect_calls(), 1);
}

TEST_F(ControllerTest, ASecretAddedByAReloadConnectsAgainWithIt) {
  ctrl_.Start();
  loop_.RunUntilIdle();
  ASSERT_EQ(ctrl_.device(), "nvme0");
  ConnectRequest req = Request();
  req.dhchap_secret = "DHHC-1:00:host:";
  req.dhchap_ctrl_secret = "DHHC-1:00:ctrl:";
  ctrl_.UpdateSecrets(req);  // the kernel takes no secret where it had none
  loop_.RunUntilIdle();
  EXPECT_TRUE(kernel_.reauthentications().empty());
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  EXPECT_EQ(ctrl_.device(), "nvme1");
  ASSERT_EQ(kernel_.connect_requests().size(), 2U);
  EXPECT_EQ(kernel_.connect_requests()[1].dhchap_secret, req.dhchap_secret);
  EXPECT_EQ(kernel_.connect_requests()[1].dhchap_ctrl_secret, req.dhchap_ctrl_secret);
}

TEST_F(ControllerTest, SecretsThatComeDuringAConnectApplyAfterIt) {
  ConnectRequest req = Request();
  req.dhchap_secret = "DHHC-1:00:old:";
  TestController c{ctx_, req, {}};
  runner_.hold = true;
  c.Start();
  loop_.RunUntilIdle();
  ASSERT_TRUE(c.busy());  // the connect, with the old secret, is in flight
  req.dhchap_secret = "DHHC-1:00:new:";
  c.UpdateSecrets(req);
  runner_.hold = false;
  runner_.RunHeld();
  loop_.RunUntilIdle();
  ASSERT_EQ(c.device(), "nvme0");
  ASSERT_EQ(kernel_.reauthentications().size(), 1U);
  EXPECT_EQ(kernel_.reauthentications()[0].host_secret, "DHHC-1:00:new:");
}

TEST_F(ControllerTest, RefusedKeysAreTriedThreeTimesThenAgainOnlyAfterAReload) {
  kernel_.FailNext("connect", 10, EKEYREJECTED);
  ConnectRequest req = Request();
  req.dhchap_secret = "DHHC-1:00:wrong:";
  TestController c{ctx_, req, {}};
  c.Start();
  loop_.RunUntilIdle();
  loop_.AdvanceBy(Controller::kFastConnectRetry);
  loop_.AdvanceBy(Controller::kConnectRetry);
  EXPECT_EQ(kernel_.connect_calls(), Controller::kAuthenticationAttempts);
  EXPECT_FALSE(c.connect_timer().running());
  for (int i = 0; i < 5; ++i)
    loop_.AdvanceBy(Controller::kConnectRetry);
  EXPECT_EQ(kernel_.connect_calls(), Controller::kAuthenticationAttempts);
  // A reload: not retried before its pass (the old key would be refused once more), then
  // retried in the pass even with the same key (the target may have been put right).
  EXPECT_FALSE(c.RetryOnReload());
  loop_.RunUntilIdle();
  EXPECT_EQ(kernel_.connect_calls(), Controller::kAuthenticationAttempts);
  c.UpdateSecrets(req);
  loop_.RunUntilIdle();
  EXPECT_EQ(kernel_.connect_calls(), Controller::kAuthenticationAttempts + 1);
}

// Debian 12's 6.12: NVMe/TCP TLS.
KernelFeatures KernelWithTls() {
  KernelFeatures f;
  f.options = {"transport", "traddr", "trsvcid", "nqn", "hostnqn", "tls", "keyring", "tls_key"};
  return f;
}

TEST_F(ControllerTest, AConfiguredTlsKeyIsPutInTheKeyringAndNamedByItsSerial) {
  kernel_.SetFeatures(KernelWithTls());
  ctx_.features = KernelWithTls();
  ConnectRequest req = Request();
  req.options.tls = true;
  req.tls_key = kTestTlsKey;
  TestController c{ctx_, req, {{"tls-key", kTestTlsKey}}};
  c.Start();
  loop_.RunUntilIdle();
  ASSERT_TRUE(c.connected());
  std::vector<TlsKeyEntry> keys = kernel_.psk_keys(".nvme");
  ASSERT_EQ(keys.size(), 1U);
  EXPECT_EQ(keys[0].identity, "NVMe0R01 nqn.host nqn.io:1");
  ASSERT_EQ(kernel_.connect_strings().size(), 1U);
  const std::string sent = kernel_.connect_strings()[0];
  EXPECT_NE(sent.find(",tls,tls_key=" + std::to_string(keys[0].serial)), std::string::npos) << sent;
  EXPECT_EQ(sent.find("keyring="), std::string::npos) << sent;  // .nvme: the kernel's default
  EXPECT_EQ(sent.find("NVMeTLSkey"), std::string::npos) << sent;
  for (const auto& [key, value] : c.IdDict())
    EXPECT_EQ(value.find("NVMeTLSkey"), std::string::npos) << key;
}

TEST_F(ControllerTest, AConfiguredKeyringIsLookedUpByNameBeforeEachConnect) {
  kernel_.SetFeatures(KernelWithTls());
  ctx_.features = KernelWithTls();
  ConnectRequest req = Request();
  req.options.tls = true;
  req.keyring = "tenant-keys";
  req.tls_key = kTestTlsKey;
  TestController c{ctx_, req, {}};
  c.Start();
  loop_.RunUntilIdle();
  // No such keyring yet: a key problem, said once and bounded like a refused key.
  EXPECT_FALSE(c.connected());
  EXPECT_EQ(kernel_.connect_strings().size(), 0U);
  loop_.AdvanceBy(Controller::kFastConnectRetry);
  loop_.AdvanceBy(Controller::kConnectRetry);
  EXPECT_FALSE(c.connect_timer().running());
  EXPECT_TRUE(kernel_.psk_keys(".nvme").empty());
  // The admin makes it, and reloads: connected, with the keyring and the key in it.
  KeySerial ring = kernel_.AddKeyring("tenant-keys");
  EXPECT_FALSE(c.RetryOnReload());
  c.UpdateSecrets(req);
  loop_.RunUntilIdle();
  ASSERT_TRUE(c.connected());
  std::vector<TlsKeyEntry> keys = kernel_.psk_keys("tenant-keys");
  ASSERT_EQ(keys.size(), 1U);
  ASSERT_EQ(kernel_.connect_strings().size(), 1U);
  EXPECT_NE(kernel_.connect_strings()[0].find(",tls,keyring=" + std::to_string(ring) +
                                              ",tls_key=" + std::to_string(keys[0].serial)),
            std::string::npos)
      << kernel_.connect_strings()[0];
}

TEST_F(ControllerTest, NewTlsKeysAreUsedFromTheNextConnect) {
  kernel_.SetFeatures(KernelWithTls());
  ctx_.features = KernelWithTls();
  ctrl_.Start();
  loop_.RunUntilIdle();
  ASSERT_EQ(ctrl_.device(), "nvme0");
  ConnectRequest req = Request();
  req.options.tls = true;
  req.tls_key = kTestTlsKey;
  ctrl_.UpdateSecrets(req);
  loop_.RunUntilIdle();
  // The session stays as it was made: no reconnect, no re-authentication, no key yet.
  EXPECT_EQ(ctrl_.device(), "nvme0");
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  EXPECT_TRUE(kernel_.reauthentications().empty());
  EXPECT_TRUE(kernel_.psk_keys(".nvme").empty());
  EXPECT_EQ(InfoValue(ctrl_, "tls-key"), kRedacted);
  // The kernel loses it: our connect takes the new key, with TLS.
  kernel_.RemoveDevice("nvme0");
  loop_.RunUntilIdle();
  loop_.AdvanceBy(Controller::kFastConnectRetry);
  ASSERT_EQ(ctrl_.device(), "nvme1");
  ASSERT_EQ(kernel_.psk_keys(".nvme").size(), 1U);
  EXPECT_NE(kernel_.connect_strings().back().find(",tls,tls_key="), std::string::npos)
      << kernel_.connect_strings().back();
}

// nvmet tears the connection down as it refuses a key; the kernel then sometimes answers EIO.
TEST_F(ControllerTest, AnIoErrorAfterARefusedKeyIsTheSameRefusal) {
  kernel_.FailNext("connect", 1, EKEYREJECTED);
  kernel_.FailNext("connect", 10, EIO);
  ctrl_.Start();
  loop_.RunUntilIdle();
  loop_.AdvanceBy(Controller::kFastConnectRetry);
  loop_.AdvanceBy(Controller::kConnectRetry);
  for (int i = 0; i < 3; ++i)
    loop_.AdvanceBy(Controller::kConnectRetry);
  EXPECT_EQ(kernel_.connect_calls(), Controller::kAuthenticationAttempts);
  EXPECT_FALSE(ctrl_.connect_timer().running());
}

TEST_F(ControllerTest, OtherConnectFailuresAreRetriedForever) {
  kernel_.FailNext("connect", 10, ECONNREFUSED);
  ctrl_.Start();
  loop_.RunUntilIdle();
  loop_.AdvanceBy(Controller::kFastConnectRetry);
  for (int i = 0; i < 5; ++i)
    loop_.AdvanceBy(Controller::kConnectRetry);
  EXPECT_EQ(kernel_.connect_calls(), 7);
  EXPECT_TRUE(ctrl_.connect_timer().running());
  EXPECT_TRUE(ctrl_.RetryOnReload());
}

}  // namespace
}  // namespace stas
