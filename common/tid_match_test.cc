// SPDX-License-Identifier: Apache-2.0
#include "common/tid_match.h"

#include <gtest/gtest.h>

#include "common/defs.h"

namespace stas {
namespace {

constexpr const char* kMatchHostNqn = "nqn.2014-08.org.nvmexpress:uuid:host-a";
constexpr const char* kUniqueDcNqn = "nqn.1988-11.com.example:dc:unique-1";

IpAddress Ip(std::string_view text) {
  return IpAddress::Parse(text).value();
}

// The candidate starts as a tcp DC at 192.168.1.10 with no host_traddr/host_iface, and the
// kernel controller as the same connection made on a kernel without src_addr. Each test
// changes what its rule is about.
class TidMatchTest : public ::testing::Test {
 protected:
  MatchResult Check() const { return MatchExistingCtrl(Tid::Make(cand_, {}), dev_, ifaddrs_); }

  void UseTransport(const char* transport, const char* trsvcid) {
    cand_.transport = dev_.transport = transport;
    cand_.trsvcid = dev_.trsvcid = trsvcid;
  }

  // eth0: two IPv4 then two IPv6 addresses; eth1: one IPv4 only.
  InterfaceAddresses ifaddrs_ = {
      {"eth0", {Ip("192.168.1.5"), Ip("192.168.1.6"), Ip("fe80::5"), Ip("2001:db8::5")}},
      {"eth1", {Ip("10.0.0.5")}},
  };
  TidFields cand_{.transport = "tcp",
                  .traddr = "192.168.1.10",
                  .trsvcid = "8009",
                  .subsysnqn = kWellKnownDiscoveryNqn,
                  .host_nqn = kMatchHostNqn};
  KernelCtrl dev_{.transport = "tcp",
                  .traddr = "192.168.1.10",
                  .trsvcid = "8009",
                  .subsysnqn = kWellKnownDiscoveryNqn,
                  .host_nqn = kMatchHostNqn};
};

::testing::AssertionResult Matches(const MatchResult& r) {
  if (r.matches)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "rejected: " << r.note;
}

// A rejection must say why, for the caller's log line.
::testing::AssertionResult Rejects(const MatchResult& r) {
  if (!r.matches && !r.note.empty())
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << (r.matches ? "matched" : "rejected without a note") << ", note: " << r.note;
}

// Rule 1: transport, trsvcid, host_nqn.

TEST_F(TidMatchTest, IdenticalBasicsMatchWithoutNote) {
  MatchResult r = Check();
  EXPECT_TRUE(r.matches);
  EXPECT_EQ(r.note, "");
}

TEST_F(TidMatchTest, RejectsOtherTransport) {
  dev_.transport = "rdma";
  MatchResult r = Check();
  EXPECT_FALSE(r.matches);
  EXPECT_EQ(r.note, "transport tcp != rdma");
}

TEST_F(TidMatchTest, RejectsOtherTrsvcid) {
  dev_.trsvcid = "8010";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, RejectsOtherHostNqn) {
  dev_.host_nqn = "nqn.2014-08.org.nvmexpress:uuid:host-b";
  EXPECT_TRUE(Rejects(Check()));
  cand_.host_nqn = "";  // an explicit empty host NQN is compared as is
  dev_.host_nqn = kMatchHostNqn;
  EXPECT_TRUE(Rejects(Check()));
}

// Rule 2: subsysnqn, relaxed for the well-known discovery NQN (TP8013).

TEST_F(TidMatchTest, WellKnownCandidateAdoptsDcWithUniqueNqn) {
  dev_.subsysnqn = kUniqueDcNqn;
  EXPECT_TRUE(Matches(Check()));
}

TEST_F(TidMatchTest, UniqueCandidateNqnMustBeEqual) {
  cand_.subsysnqn = kUniqueDcNqn;
  dev_.subsysnqn = kUniqueDcNqn;
  EXPECT_TRUE(Matches(Check()));
  dev_.subsysnqn = "nqn.1988-11.com.example:dc:unique-2";
  EXPECT_TRUE(Rejects(Check()));
  dev_.subsysnqn = kWellKnownDiscoveryNqn;
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, IoControllerSubsysnqnMustBeEqual) {
  UseTransport("tcp", "4420");
  cand_.subsysnqn = "nqn.2014-08.org.example:io-1";
  dev_.subsysnqn = "nqn.2014-08.org.example:io-2";
  EXPECT_TRUE(Rejects(Check()));
}

// Rule 3: traddr.

TEST_F(TidMatchTest, TcpTraddrIpv4MustBeEqual) {
  dev_.traddr = "192.168.1.11";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, TcpTraddrIpv6ComparedAsAddresses) {
  cand_.traddr = "FE80::aaaa:BBBB:cccc:dddd";
  dev_.traddr = "fe80:0::aaaa:bbbb:cccc:dddd";
  EXPECT_TRUE(Matches(Check()));
  dev_.traddr = "fe80::dddd:cccc:bbbb:aaaa";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, TcpTraddrIpv4MappedEqualsIpv4) {
  cand_.traddr = "::ffff:192.168.1.10";
  EXPECT_TRUE(Matches(Check()));
  cand_.traddr = "192.168.1.10";
  dev_.traddr = "::ffff:192.168.1.10";
  EXPECT_TRUE(Matches(Check()));
  dev_.traddr = "::ffff:192.168.1.11";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, TcpTraddrThatIsNotAnIpComparedAsTextIgnoringCase) {
  cand_.traddr = "Target.Example.com";
  dev_.traddr = "target.example.COM";
  EXPECT_TRUE(Matches(Check()));
  dev_.traddr = "192.168.1.10";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, RdmaTraddrComparedAsAddresses) {
  UseTransport("rdma", "4420");
  cand_.traddr = "2001:DB8::10";
  dev_.traddr = "2001:db8:0:0::10";
  EXPECT_TRUE(Matches(Check()));
  dev_.traddr = "2001:db8::11";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, FcTraddrComparedIgnoringCase) {
  UseTransport("fc", "");
  cand_.traddr = "nn-0x20000090FA942779:pn-0x10000090FA942779";
  dev_.traddr = "nn-0x20000090fa942779:pn-0x10000090fa942779";
  EXPECT_TRUE(Matches(Check()));
  dev_.traddr = "nn-0x20000090fa942780:pn-0x10000090fa942780";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, LoopTraddrComparedIgnoringCase) {
  UseTransport("loop", "");
  cand_.traddr = "Loop-1";
  dev_.traddr = "loop-1";
  EXPECT_TRUE(Matches(Check()));
  dev_.traddr = "loop-2";
  EXPECT_TRUE(Rejects(Check()));
}

// Rule 4, tcp: host_traddr / host_iface.

TEST_F(TidMatchTest, TcpWithoutHostParamsIgnoresDevHostParams) {
  dev_.host_traddr = "10.0.0.5";
  dev_.host_iface = "eth1";
  dev_.src_addr = "10.0.0.5";
  MatchResult r = Check();
  EXPECT_TRUE(r.matches);
  EXPECT_EQ(r.note, "");
}

// Rule 4 with src_addr (kernel >= 6.1).

TEST_F(TidMatchTest, SrcAddrMustEqualCandidateHostTraddr) {
  dev_.src_addr = "192.168.1.5";
  cand_.host_traddr = "192.168.1.5";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_traddr = "::ffff:192.168.1.5";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_traddr = "192.168.1.6";
  EXPECT_TRUE(Rejects(Check()));
  cand_.host_traddr = "host.example.com";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, SrcAddrIpv6ComparedAsAddresses) {
  cand_.traddr = dev_.traddr = "2001:db8::10";
  dev_.src_addr = "2001:db8:0::5";
  cand_.host_traddr = "2001:DB8::5";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_traddr = "fe80::5";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, SrcAddrWinsOverDevHostTraddr) {
  // Connected asking for .5 but the kernel reports .6 as the real source.
  dev_.host_traddr = "192.168.1.5";
  dev_.src_addr = "192.168.1.6";
  cand_.host_traddr = "192.168.1.5";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, SrcAddrInterfaceMustBeCandidateHostIface) {
  dev_.src_addr = "192.168.1.6";
  cand_.host_iface = "eth0";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_iface = "eth1";
  MatchResult r = Check();
  EXPECT_FALSE(r.matches);
  EXPECT_NE(r.note.find("eth0 does"), std::string::npos) << r.note;
}

TEST_F(TidMatchTest, SrcAddrInterfaceFoundForIpv6) {
  cand_.traddr = dev_.traddr = "fe80::10";
  dev_.src_addr = "fe80::5";
  cand_.host_iface = "eth0";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_iface = "eth1";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, SrcAddrOwnedByNoInterfaceRejectsHostIface) {
  dev_.src_addr = "172.16.0.1";
  cand_.host_iface = "eth0";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, SrcAddrIgnoresDevHostIface) {
  dev_.host_iface = "eth1";
  dev_.src_addr = "192.168.1.5";
  cand_.host_iface = "eth0";
  EXPECT_TRUE(Matches(Check()));
}

TEST_F(TidMatchTest, SrcAddrChecksHostTraddrAndHostIface) {
  dev_.src_addr = "192.168.1.5";
  cand_.host_traddr = "192.168.1.5";
  cand_.host_iface = "eth0";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_iface = "eth1";
  EXPECT_TRUE(Rejects(Check()));
  cand_.host_iface = "eth0";
  cand_.host_traddr = "10.0.0.5";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, UnparsableSrcAddrFallsBackToLegacyRules) {
  dev_.src_addr = "garbage";
  cand_.host_traddr = "192.168.1.5";
  MatchResult r = Check();
  EXPECT_TRUE(r.matches);
  EXPECT_NE(r.note.find("legacy kernel"), std::string::npos) << r.note;
}

// Rule 4, legacy kernels (no src_addr): candidate host_traddr.

TEST_F(TidMatchTest, LegacyHostTraddrComparedWithDevHostTraddr) {
  dev_.host_traddr = "192.168.1.5";
  cand_.host_traddr = "192.168.1.5";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_traddr = "::ffff:192.168.1.5";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_traddr = "1.1.1.1";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, LegacyHostTraddrComparedWithPrimaryAddressOfDevIface) {
  dev_.host_iface = "eth0";
  cand_.host_traddr = "192.168.1.5";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_traddr = "192.168.1.6";  // on eth0, but not its primary IPv4 address
  EXPECT_TRUE(Rejects(Check()));
  cand_.host_traddr = "10.0.0.5";  // another interface's address
  EXPECT_TRUE(Rejects(Check()));
  cand_.host_traddr = "1.1.1.1";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, LegacyHostTraddrPrimaryAddressIsPerFamily) {
  cand_.traddr = dev_.traddr = "fe80::10";
  dev_.host_iface = "eth0";
  cand_.host_traddr = "fe80::5";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_traddr = "2001:db8::5";
  EXPECT_TRUE(Rejects(Check()));
  dev_.host_iface = "eth1";  // has no IPv6 address at all
  cand_.host_traddr = "fe80::5";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, LegacyHostTraddrNotAnIpCannotBeTheIfacePrimary) {
  dev_.host_iface = "eth0";
  cand_.host_traddr = "host.example.com";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, LegacyHostTraddrAssumedWhenDevHasNoHostParams) {
  cand_.host_traddr = "1.1.1.1";
  MatchResult r = Check();
  EXPECT_TRUE(r.matches);
  EXPECT_EQ(r.note, "legacy kernel: no src_addr, host_traddr not comparable, assuming a match");
}

// Rule 4, legacy kernels: candidate host_iface.

TEST_F(TidMatchTest, LegacyHostIfaceComparedWithDevHostIface) {
  dev_.host_iface = "eth0";
  cand_.host_iface = "eth0";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_iface = "eth1";
  EXPECT_TRUE(Rejects(Check()));
  cand_.host_iface = "ETH0";  // interface names are case-sensitive
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, LegacyHostIfaceComparedWithInterfaceOwningDevHostTraddr) {
  dev_.host_traddr = "10.0.0.5";
  cand_.host_iface = "eth1";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_iface = "blah";
  EXPECT_TRUE(Rejects(Check()));
  dev_.host_traddr = "172.16.0.1";  // owned by no interface
  cand_.host_iface = "eth1";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, LegacyHostIfaceAssumedWhenDevHasNoHostParams) {
  cand_.host_iface = "eth0";
  MatchResult r = Check();
  EXPECT_TRUE(r.matches);
  EXPECT_EQ(r.note, "legacy kernel: no src_addr, host_iface not comparable, assuming a match");
}

TEST_F(TidMatchTest, LegacyBothAssumptionsAreNoted) {
  cand_.host_traddr = "192.168.1.5";
  cand_.host_iface = "eth0";
  MatchResult r = Check();
  EXPECT_TRUE(r.matches);
  EXPECT_NE(r.note.find("host_traddr not comparable"), std::string::npos) << r.note;
  EXPECT_NE(r.note.find("host_iface not comparable"), std::string::npos) << r.note;
}

TEST_F(TidMatchTest, LegacyDevWithBothHostParamsChecksBoth) {
  dev_.host_traddr = "192.168.1.5";
  dev_.host_iface = "eth0";
  cand_.host_traddr = "192.168.1.5";
  cand_.host_iface = "eth0";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_iface = "eth1";
  EXPECT_TRUE(Rejects(Check()));
  cand_.host_iface = "eth0";
  cand_.host_traddr = "192.168.1.6";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, LegacyDevIfaceRejectsWrongIfaceEvenIfTraddrFits) {
  dev_.host_iface = "eth0";
  cand_.host_traddr = "192.168.1.5";
  cand_.host_iface = "eth1";
  EXPECT_TRUE(Rejects(Check()));
}

// Rule 5: fc host_traddr is mandatory and compared ignoring case.

TEST_F(TidMatchTest, FcHostTraddrComparedIgnoringCase) {
  UseTransport("fc", "");
  cand_.traddr = dev_.traddr = "nn-0x2000:pn-0x1000";
  cand_.host_traddr = "nn-0x20000090FA:pn-0x10000090FA";
  dev_.host_traddr = "NN-0x20000090fa:PN-0x10000090fa";
  EXPECT_TRUE(Matches(Check()));
  dev_.host_traddr = "nn-0x20000090fb:pn-0x10000090fb";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, FcHostTraddrMustBeSetOnBothOrNeither) {
  UseTransport("fc", "");
  dev_.host_traddr = "nn-0x1:pn-0x2";
  EXPECT_TRUE(Rejects(Check()));
  dev_.host_traddr = "";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_traddr = "nn-0x1:pn-0x2";
  EXPECT_TRUE(Rejects(Check()));
}

// Rule 6: rdma host_traddr is optional and compared as an address.

TEST_F(TidMatchTest, RdmaWithoutHostTraddrIgnoresDevHostTraddr) {
  UseTransport("rdma", "4420");
  dev_.host_traddr = "10.0.0.5";
  EXPECT_TRUE(Matches(Check()));
}

TEST_F(TidMatchTest, RdmaHostTraddrComparedAsAddresses) {
  UseTransport("rdma", "4420");
  dev_.host_traddr = "10.0.0.5";
  cand_.host_traddr = "::ffff:10.0.0.5";
  EXPECT_TRUE(Matches(Check()));
  cand_.host_traddr = "10.0.0.6";
  EXPECT_TRUE(Rejects(Check()));
  cand_.host_traddr = "10.0.0.5";
  dev_.host_traddr = "";
  EXPECT_TRUE(Rejects(Check()));
}

TEST_F(TidMatchTest, RdmaDoesNotCompareHostIfaceOrSrcAddr) {
  UseTransport("rdma", "4420");
  cand_.host_iface = "eth9";
  dev_.src_addr = "172.16.0.1";
  EXPECT_TRUE(Matches(Check()));
}

}  // namespace
}  // namespace stas

namespace stas {
namespace {

// #13, finding 9a: the interface an adopted connection is known by (nvme-stas's
// udev._get_host_iface()).
TEST_F(TidMatchTest, HostIfaceInUseIsTheOneGivenOrTheOwnerOfTheSourceAddress) {
  EXPECT_EQ(HostIfaceInUse(dev_, ifaddrs_), "");  // no src_addr: a kernel older than 6.1
  dev_.src_addr = "192.168.1.6";
  EXPECT_EQ(HostIfaceInUse(dev_, ifaddrs_), "eth0");
  dev_.src_addr = "::ffff:10.0.0.5";  // IPv4-mapped IPv6 is the IPv4 address
  EXPECT_EQ(HostIfaceInUse(dev_, ifaddrs_), "eth1");
  dev_.src_addr = "192.0.2.99";  // no interface has it (any more)
  EXPECT_EQ(HostIfaceInUse(dev_, ifaddrs_), "");
  dev_.host_iface = "eth1";  // made with an interface: that one, whatever the source
  dev_.src_addr = "192.168.1.5";
  EXPECT_EQ(HostIfaceInUse(dev_, ifaddrs_), "eth1");
  dev_.host_iface = "";
  dev_.transport = "rdma";  // only tcp binds to an interface
  EXPECT_EQ(HostIfaceInUse(dev_, ifaddrs_), "");
}

}  // namespace
}  // namespace stas
