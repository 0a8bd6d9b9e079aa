// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/kernel_features.h"

#include <gtest/gtest.h>

namespace stas {
namespace {

// Debian 12's 6.1: the table lists the DH-HMAC-CHAP options, but the kernel has no nvme_auth.
KernelFeatures Kernel61() {
  return {
      {"transport", "traddr", "nqn", "hostnqn", "discovery", "dhchap_secret", "dhchap_ctrl_secret"},
      false};
}
// Debian 12's 6.12: authentication and TLS.
KernelFeatures Kernel612() {
  return {{"transport", "traddr", "nqn", "hostnqn", "discovery", "dhchap_secret",
           "dhchap_ctrl_secret", "tls", "keyring", "tls_key", "concat"},
          true};
}

TEST(KernelFeaturesTest, SaysWhatTheKernelCanDo) {
  EXPECT_FALSE(Kernel61().dhchap());
  EXPECT_FALSE(Kernel61().tls());
  EXPECT_TRUE(Kernel612().dhchap());
  EXPECT_TRUE(Kernel612().tls());
  EXPECT_FALSE(KernelFeatures{}.known());
  // Listed, but the code is missing: not supported.
  KernelFeatures no_table_entry{{"transport"}, true};
  EXPECT_FALSE(no_table_entry.dhchap());
}

TEST(KernelFeaturesTest, ASecretOnAKernelWithoutAuthenticationIsNamedWithoutItsValue) {
  const std::string s =
      "nqn=nqn.x,transport=tcp,traddr=1.2.3.4,hostnqn=h,dhchap_secret=DHHC-1:00:c2VjcmV0:,"
      "dhchap_ctrl_secret=DHHC-1:00:b3RoZXI=:";
  std::optional<std::string> why = MissingKernelFeature(Kernel61(), s);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(*why,
            "the kernel has no DH-HMAC-CHAP authentication (needed for dhchap_secret, "
            "dhchap_ctrl_secret)");
  EXPECT_EQ(why->find("DHHC"), std::string::npos);
  EXPECT_FALSE(MissingKernelFeature(Kernel612(), s).has_value());
}

TEST(KernelFeaturesTest, TlsOptionsNeedAKernelWithTls) {
  const std::string s = "nqn=nqn.x,transport=tcp,traddr=1.2.3.4,tls,keyring=123,tls_key=456";
  EXPECT_EQ(MissingKernelFeature(Kernel61(), s).value_or(""),
            "the kernel has no NVMe/TCP TLS (needed for tls, keyring, tls_key)");
  EXPECT_FALSE(MissingKernelFeature(Kernel612(), s).has_value());
  // A table with tls but no keyring: only what is missing is named.
  KernelFeatures partial = Kernel612();
  partial.options.erase(partial.options.begin() + 8);  // "keyring"
  EXPECT_EQ(MissingKernelFeature(partial, s).value_or(""),
            "the kernel has no NVMe/TCP TLS (needed for keyring)");
}

TEST(KernelFeaturesTest, BothFeaturesMissingAreNamedInOneSentence) {
  const std::string s = "nqn=nqn.x,dhchap_secret=k,tls";
  EXPECT_EQ(MissingKernelFeature(KernelFeatures{{"nqn"}, true}, s).value_or(""),
            "the kernel has no DH-HMAC-CHAP authentication (needed for dhchap_secret) and no "
            "NVMe/TCP TLS (needed for tls)");
}

TEST(KernelFeaturesTest, OtherOptionsAndUnknownTablesAreLeftToTheKernel) {
  // host_iface missing from the table is not this check's business (the services warn).
  EXPECT_FALSE(MissingKernelFeature(Kernel61(), "nqn=n,host_iface=eth0,transport=tcp"));
  // No table read: nothing is refused, the kernel decides.
  EXPECT_FALSE(MissingKernelFeature(KernelFeatures{}, "nqn=n,dhchap_secret=k,tls"));
  EXPECT_EQ(KernelFeatureOf("tls_key"), "NVMe/TCP TLS");
  EXPECT_FALSE(UsesKernelFeatures("nqn=n,transport=tcp,traddr=1.2.3.4,hostnqn=h,hdr_digest"));
  EXPECT_TRUE(UsesKernelFeatures("nqn=n,transport=tcp,dhchap_ctrl_secret=k"));
  EXPECT_TRUE(UsesKernelFeatures("nqn=n,transport=tcp,tls"));
  EXPECT_EQ(KernelFeatureOf("host_iface"), "");
}

}  // namespace
}  // namespace stas
