// SPDX-License-Identifier: Apache-2.0
#include "common/nvme_names.h"

#include <gtest/gtest.h>

namespace stas {
namespace {

TEST(NvmeNamesTest, Nqn) {
  EXPECT_FALSE(CheckNqn("nqn.2014-08.org.nvmexpress.discovery", true));
  EXPECT_FALSE(CheckNqn("starfleet", false));  // nvmet accepts any subsystem name
  EXPECT_TRUE(CheckNqn("starfleet", true));
  EXPECT_TRUE(CheckNqn("", false));
  EXPECT_TRUE(CheckNqn("nqn.a,b", false));
  EXPECT_TRUE(CheckNqn("nqn.a b", false));
  EXPECT_TRUE(CheckNqn("nqn.a\nb", false));
  EXPECT_TRUE(CheckNqn("nqn.\xc3\xa9", false));
  EXPECT_FALSE(CheckNqn("nqn." + std::string(219, 'x'), true));  // 223 bytes
  EXPECT_TRUE(CheckNqn("nqn." + std::string(220, 'x'), true));   // 224 bytes
}

TEST(NvmeNamesTest, Uuid) {
  EXPECT_FALSE(CheckUuid("797cff3d-8b1a-4f0b-9c1e-0123456789AB"));
  EXPECT_TRUE(CheckUuid("797cff3d8b1a4f0b9c1e0123456789ab"));
  EXPECT_TRUE(CheckUuid("797cff3d-8b1a-4f0b-9c1e-0123456789a"));
  EXPECT_TRUE(CheckUuid("797cff3d-8b1a-4f0b-9c1e-0123456789abc"));
  EXPECT_TRUE(CheckUuid("797cff3g-8b1a-4f0b-9c1e-0123456789ab"));
  EXPECT_TRUE(CheckUuid(""));
}

TEST(NvmeNamesTest, DhchapSecret) {
  EXPECT_FALSE(CheckDhchapSecret("DHHC-1:00:2kx1hDTUPdvwtxHYUXFRl8pzn5hYZH7K3Z77IYM4hNN6/fQT:"));
  EXPECT_FALSE(CheckDhchapSecret("DHHC-1:03:YWJjZA==:"));
  EXPECT_TRUE(CheckDhchapSecret("DHHC-1:00:abc"));    // no closing ':'
  EXPECT_TRUE(CheckDhchapSecret("DHHC-2:00:abc:"));   // unknown version
  EXPECT_TRUE(CheckDhchapSecret("DHHC-1:0g:abc:"));   // hash not hex
  EXPECT_TRUE(CheckDhchapSecret("DHHC-1:00::"));      // no key
  EXPECT_TRUE(CheckDhchapSecret("DHHC-1:00:ab,c:"));  // option injection
  EXPECT_TRUE(CheckDhchapSecret("DHHC-1:00:ab c:"));
}

TEST(NvmeNamesTest, InterfaceName) {
  EXPECT_FALSE(CheckInterfaceName("enp0s8"));
  EXPECT_FALSE(CheckInterfaceName("eth0.100"));
  EXPECT_TRUE(CheckInterfaceName("a-name-of-16-bts"));
  EXPECT_TRUE(CheckInterfaceName("eth/0"));
  EXPECT_TRUE(CheckInterfaceName(".."));
  EXPECT_TRUE(CheckInterfaceName("eth0,x"));
  EXPECT_TRUE(CheckInterfaceName(""));
}

TEST(NvmeNamesTest, Hostname) {
  EXPECT_FALSE(CheckHostname("localhost"));
  EXPECT_FALSE(CheckHostname("san-1.example.com."));
  EXPECT_TRUE(CheckHostname("-bad.example.com"));
  EXPECT_TRUE(CheckHostname("a..b"));
  EXPECT_TRUE(CheckHostname("a b"));
  EXPECT_TRUE(CheckHostname(std::string(64, 'a')));
  EXPECT_TRUE(CheckHostname("host,traddr=1"));
}

TEST(NvmeNamesTest, FcAddress) {
  EXPECT_FALSE(CheckFcAddress("nn-0x204600a098cbcac6:pn-0x204700a098cbcac6"));
  EXPECT_FALSE(CheckFcAddress("NN-0x204600A098CBCAC6:PN-0x204700A098CBCAC6"));
  EXPECT_TRUE(CheckFcAddress("nn-0x204600a098cbcac6"));
  EXPECT_TRUE(CheckFcAddress("nn-0x204600a098cbcacz:pn-0x204700a098cbcac6"));
  EXPECT_TRUE(CheckFcAddress("192.168.1.1"));
}

TEST(NvmeNamesTest, Port) {
  EXPECT_FALSE(CheckPort("8009"));
  EXPECT_FALSE(CheckPort("1"));
  EXPECT_FALSE(CheckPort("65535"));
  EXPECT_TRUE(CheckPort("0"));
  EXPECT_TRUE(CheckPort("65536"));
  EXPECT_TRUE(CheckPort("-1"));
  EXPECT_TRUE(CheckPort("+80"));
  EXPECT_TRUE(CheckPort("80a"));
  // The kernel reads trsvcid with base 0: "04420" would be port 2320.
  EXPECT_TRUE(CheckPort("04420"));
  EXPECT_TRUE(CheckPort("00"));
  EXPECT_TRUE(CheckPort("0x1144"));
  EXPECT_TRUE(CheckPort(""));
}

// The kernel parses trsvcid in base 0 (kstrtou16): "04420" is port 2320, "08009" an error.
// Found by tests/fuzz (dlp_entry, controller_entry).
TEST(NvmeNamesTest, PortRefusesLeadingZerosAndBlanks) {
  EXPECT_TRUE(CheckPort("04420"));
  EXPECT_TRUE(CheckPort("08009"));
  EXPECT_TRUE(CheckPort("000000000000000004420"));
  EXPECT_TRUE(CheckPort("00"));
  EXPECT_TRUE(CheckPort("4420 "));
  EXPECT_TRUE(CheckPort("4420\n"));
  EXPECT_FALSE(CheckPort("10"));
  EXPECT_FALSE(CheckPort("4420"));
}

}  // namespace
}  // namespace stas
