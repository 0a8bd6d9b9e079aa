// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/net_if.h"

#include <gtest/gtest.h>

namespace stas {
namespace {

// Smoke test against the real host: every machine that runs the tests has loopback.
TEST(NetIfTest, FindsLoopbackAddress) {
  InterfaceAddresses ifaddrs = ReadInterfaceAddresses();
  ASSERT_TRUE(ifaddrs.count("lo")) << "no 'lo' interface reported";
  EXPECT_EQ(PrimaryAddress(ifaddrs, "lo", 4), IpAddress::Parse("127.0.0.1"));
  EXPECT_EQ(InterfaceOwning(ifaddrs, *IpAddress::Parse("127.0.0.1")), "lo");
}

}  // namespace
}  // namespace stas
