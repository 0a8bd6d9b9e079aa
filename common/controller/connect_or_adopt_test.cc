// SPDX-License-Identifier: Apache-2.0
#include "common/controller/connect_or_adopt.h"

#include <string>

#include <gtest/gtest.h>

#include "common/defs.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/simulated_kernel.h"

namespace stas {
namespace {

constexpr const char* kHostNqn = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-5555";

// An existing kernel controller in each of the kernel's states, and whether a candidate for
// the same controller adopts it or connects a new one.
class ConnectOrAdoptTest : public ::testing::TestWithParam<bool> {
 protected:
  ConnectOrAdoptTest() {
    testing::SimPort port;
    port.traddr = "192.0.2.10";
    port.trsvcid = Discovery() ? "8009" : "4420";
    port.subsystems = {"nqn.io:1"};
    kernel_.AddPort(port);
  }

  bool Discovery() const { return GetParam(); }
  std::string Subsystem() const { return Discovery() ? kWellKnownDiscoveryNqn : "nqn.io:1"; }

  ConnectRequest Request() const {
    ConnectRequest req;
    req.tid = Tid::Make({.transport = "tcp",
                         .traddr = "192.0.2.10",
                         .trsvcid = Discovery() ? "8009" : "4420",
                         .subsysnqn = Subsystem(),
                         .host_nqn = kHostNqn},
                        TidDefaults{false, kHostNqn});
    req.discovery = Discovery();
    return req;
  }

  std::string AddExisting(const std::string& state) {
    KernelDevice d;
    d.transport = "tcp";
    d.traddr = "192.0.2.10";
    d.trsvcid = Discovery() ? "8009" : "4420";
    d.subsysnqn = Subsystem();
    d.hostnqn = kHostNqn;
    d.cntrltype = Discovery() ? "discovery" : "io";
    d.state = state;
    return kernel_.AddExistingDevice(d);
  }

  FakeEventLoop loop_;
  testing::SimulatedKernel kernel_{loop_};
};

TEST_P(ConnectOrAdoptTest, ControllersTheKernelIsDeletingAreNotAdopted) {
  for (const char* state : {"deleting", "deleting (no IO)", "dead"}) {
    std::string existing = AddExisting(state);
    ConnectOutcome o = ConnectOrAdopt(kernel_, Request(), {});
    ASSERT_TRUE(o.device) << state;
    EXPECT_FALSE(o.adopted) << state;
    EXPECT_NE(*o.device, existing) << state;
    EXPECT_EQ(kernel_.GetDeviceState(*o.device), "live");
    kernel_.RemoveDevice(*o.device);
    kernel_.RemoveDevice(existing);
  }
  EXPECT_EQ(kernel_.connect_calls(), 3);
}

TEST_P(ConnectOrAdoptTest, ConnectingAndResettingControllersAreAdoptedInTheirState) {
  for (const char* state : {"connecting", "resetting", "live"}) {
    std::string existing = AddExisting(state);
    ConnectOutcome o = ConnectOrAdopt(kernel_, Request(), {});
    ASSERT_TRUE(o.device) << state;
    EXPECT_TRUE(o.adopted) << state;
    EXPECT_EQ(*o.device, existing);
    ASSERT_TRUE(o.info);
    EXPECT_EQ(o.info->state, state);
    kernel_.RemoveDevice(existing);
  }
  EXPECT_EQ(kernel_.connect_calls(), 0);
}

INSTANTIATE_TEST_SUITE_P(DiscoveryAndIo, ConnectOrAdoptTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Discovery" : "Io";
                         });

}  // namespace
}  // namespace stas
