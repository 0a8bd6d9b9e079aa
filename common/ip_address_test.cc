// SPDX-License-Identifier: Apache-2.0
#include "common/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

namespace stas {
namespace {

IpAddress Ip(std::string_view text) {
  std::optional<IpAddress> ip = IpAddress::Parse(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip.value_or(*IpAddress::Parse("0.0.0.0"));
}

TEST(IpAddressTest, ParsesIpv4) {
  std::optional<IpAddress> ip = IpAddress::Parse("192.168.1.5");
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->family(), 4);
  EXPECT_EQ(ip->ToString(), "192.168.1.5");
}

TEST(IpAddressTest, ParsesIpv6AndCanonicalises) {
  std::optional<IpAddress> ip = IpAddress::Parse("FE80:0000::AAAA:bbbb:0:1");
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->family(), 6);
  EXPECT_EQ(ip->ToString(), "fe80::aaaa:bbbb:0:1");
}

TEST(IpAddressTest, DropsIpv6Zone) {
  std::optional<IpAddress> ip = IpAddress::Parse("fe80::1%eth0");
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->ToString(), "fe80::1");
  EXPECT_EQ(*ip, Ip("fe80::1"));
}

TEST(IpAddressTest, RejectsNonLiterals) {
  for (std::string_view bad :
       {"", "host.example.com", "[fe80::1]", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4%eth0",
        "fe80::1%", "1.2.3.4:4420", " 1.2.3.4", "::g"}) {
    EXPECT_FALSE(IpAddress::Parse(bad)) << bad;
  }
}

TEST(IpAddressTest, UnmapsIpv4MappedIpv6) {
  IpAddress mapped = Ip("::ffff:10.0.0.1");
  EXPECT_EQ(mapped.family(), 6);
  EXPECT_TRUE(mapped.IsV4Mapped());
  EXPECT_EQ(mapped.ToString(), "::ffff:10.0.0.1");
  IpAddress v4 = mapped.Unmapped();
  EXPECT_EQ(v4.family(), 4);
  EXPECT_EQ(v4.ToString(), "10.0.0.1");
}

TEST(IpAddressTest, UnmappedLeavesOtherAddressesAlone) {
  EXPECT_FALSE(Ip("::1").IsV4Mapped());
  EXPECT_EQ(Ip("::1").Unmapped().ToString(), "::1");
  EXPECT_EQ(Ip("::1").Unmapped().family(), 6);
  // IPv4-compatible (deprecated ::a.b.c.d) is not IPv4-mapped.
  EXPECT_FALSE(Ip("::10.0.0.1").IsV4Mapped());
  EXPECT_FALSE(Ip("10.0.0.1").IsV4Mapped());
}

TEST(IpAddressTest, EqualityComparesUnmappedForms) {
  EXPECT_EQ(Ip("::ffff:10.0.0.1"), Ip("10.0.0.1"));
  EXPECT_EQ(Ip("10.0.0.1"), Ip("::ffff:10.0.0.1"));
  EXPECT_EQ(Ip("2001:db8::1"), Ip("2001:DB8:0:0:0:0:0:1"));
  EXPECT_NE(Ip("10.0.0.1"), Ip("10.0.0.2"));
  EXPECT_NE(Ip("::10.0.0.1"), Ip("10.0.0.1"));
  EXPECT_NE(Ip("::1"), Ip("0.0.0.1"));
}

TEST(IpAddressTest, ConvertsSockaddrs) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "10.1.2.3", &sin.sin_addr), 1);
  std::optional<IpAddress> v4 = IpAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&sin));
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->ToString(), "10.1.2.3");

  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  ASSERT_EQ(inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr), 1);
  std::optional<IpAddress> v6 = IpAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&sin6));
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->ToString(), "2001:db8::7");

  sockaddr other{};
  other.sa_family = AF_UNIX;
  EXPECT_FALSE(IpAddress::FromSockaddr(&other));
  EXPECT_FALSE(IpAddress::FromSockaddr(nullptr));
}

class InterfaceAddressesTest : public ::testing::Test {
 protected:
  InterfaceAddresses ifaddrs_ = {
      {"eth0", {Ip("fe80::5"), Ip("192.168.1.5"), Ip("192.168.1.6"), Ip("2001:db8::5")}},
      {"eth1", {Ip("10.0.0.5")}},
  };
};

TEST_F(InterfaceAddressesTest, FindsOwningInterface) {
  EXPECT_EQ(InterfaceOwning(ifaddrs_, Ip("192.168.1.6")), "eth0");
  EXPECT_EQ(InterfaceOwning(ifaddrs_, Ip("10.0.0.5")), "eth1");
  EXPECT_EQ(InterfaceOwning(ifaddrs_, Ip("2001:db8::5")), "eth0");
  EXPECT_EQ(InterfaceOwning(ifaddrs_, Ip("::ffff:10.0.0.5")), "eth1");
  EXPECT_EQ(InterfaceOwning(ifaddrs_, Ip("10.0.0.6")), std::nullopt);
}

TEST_F(InterfaceAddressesTest, PrimaryIsFirstOfTheFamily) {
  EXPECT_EQ(PrimaryAddress(ifaddrs_, "eth0", 4)->ToString(), "192.168.1.5");
  EXPECT_EQ(PrimaryAddress(ifaddrs_, "eth0", 6)->ToString(), "fe80::5");
  EXPECT_EQ(PrimaryAddress(ifaddrs_, "eth1", 4)->ToString(), "10.0.0.5");
  EXPECT_EQ(PrimaryAddress(ifaddrs_, "eth1", 6), std::nullopt);
  EXPECT_EQ(PrimaryAddress(ifaddrs_, "eth9", 4), std::nullopt);
}

}  // namespace
}  // namespace stas
