// SPDX-License-Identifier: Apache-2.0
#include "common/controller/candidates.h"

#include <gtest/gtest.h>

namespace stas {
namespace {

// A request made with another host identity than the daemon's presents that identity's host
// ID (nvme-stas 3.x's [Host] sections, the NBFT's boot host): never the daemon's host ID
// under another host NQN.
TEST(RequestFactoryTest, AnotherHostNqnTakesItsOwnHostId) {
  ServiceConfig config = ServiceConfig::Defaults(Daemon::kStacd);
  config.host_ids["nqn.2014-08.org.example:boot-host"] = "5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  config.host_ids["nqn.2014-08.org.example:daemon"] = "00000000-0000-0000-0000-00000000000a";
  HostInfo host;
  host.hostnqn = "nqn.2014-08.org.example:daemon";
  host.hostid = "11111111-2222-3333-4444-555555555555";
  TidDefaults defaults{false, host.hostnqn};
  RequestFactory factory{config, defaults, host, false};
  TidFields f{.transport = "tcp", .traddr = "192.0.2.1", .subsysnqn = "nqn.io:1"};

  EXPECT_EQ(factory.Make(f, nullptr).host.hostid, host.hostid);  // the daemon's identity
  f.host_nqn = "nqn.2014-08.org.example:boot-host";
  ConnectRequest boot = factory.Make(f, nullptr);
  EXPECT_EQ(boot.host.hostid, "5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  EXPECT_EQ(boot.host.hostnqn, host.hostnqn);  // the Tid carries the host NQN
  f.host_nqn = "nqn.2014-08.org.example:unknown";
  EXPECT_EQ(factory.Make(f, nullptr).host.hostid, host.hostid);
}

}  // namespace
}  // namespace stas
