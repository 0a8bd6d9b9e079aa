// SPDX-License-Identifier: Apache-2.0
#include "common/secrets.h"

#include <gtest/gtest.h>

namespace stas {
namespace {

constexpr const char* kSecretText = "DHHC-1:00:ia6zGodOr2SGAaxX/1nZD5ytvqD6UR5ltdQFgEb0vIn0pkoP:";

TEST(SecretsTest, ValuesOfSecretKeysAreRedacted) {
  // A controller= entry, as a warning would quote it.
  EXPECT_EQ(RedactSecrets(std::string("transport=tcp;dhchap-secret=") + kSecretText +
                          ";dhchap-ctrl-secret = my-typo-secret;traddr=1.2.3.4"),
            "transport=tcp;dhchap-secret=<redacted>;dhchap-ctrl-secret = <redacted>;"
            "traddr=1.2.3.4");
  // libnvme's debug line with the connect string.
  EXPECT_EQ(
      RedactSecrets(std::string("connect ctrl, 'nqn=nqn.a,transport=tcp,dhchap_secret=") +
                    kSecretText + ",dhchap_ctrl_secret=" + kSecretText + ",tls_key=0x1234'\n"),
      "connect ctrl, 'nqn=nqn.a,transport=tcp,dhchap_secret=<redacted>,"
      "dhchap_ctrl_secret=<redacted>,tls_key=0x1234'\n");
}

TEST(SecretsTest, ASecretsFormIsRedactedWhereverItStands) {
  EXPECT_EQ(RedactSecrets(std::string("dhchap-secert:") + kSecretText + ";x"),
            "dhchap-secert:<redacted>;x");
  EXPECT_EQ(RedactSecrets("psk NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"),
            "psk <redacted>");
  EXPECT_EQ(RedactSecrets(std::string("\"") + kSecretText + "\""), "\"<redacted>\"");
}

TEST(SecretsTest, TextWithoutSecretsIsUnchanged) {
  for (const char* text : {"", "transport=tcp;traddr=1.2.3.4", "my-dhchap-secret-file=x",
                           "xdhchap_secret=1", "dhchap-secret", "DHHC-2:x", "tls_keyring=3"}) {
    EXPECT_EQ(RedactSecrets(text), text);
  }
}

TEST(SecretsTest, SecretKeys) {
  EXPECT_TRUE(IsSecretKey("dhchap-secret"));
  EXPECT_TRUE(IsSecretKey("dhchap-ctrl-secret"));
  EXPECT_TRUE(IsSecretKey("tls-key"));
  EXPECT_FALSE(IsSecretKey("tls_key"));  // a key's serial
  EXPECT_FALSE(IsSecretKey("host-nqn"));
  EXPECT_FALSE(IsSecretKey("dhchap"));
}

}  // namespace
}  // namespace stas
