// SPDX-License-Identifier: Apache-2.0
#include "common/testing/simulated_kernel.h"

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/testing/fake_event_loop.h"

namespace stas::testing {
namespace {

using std::chrono::seconds;

// The kernel's controller states on a port that goes down and comes back; events as the
// daemons receive them.
class SimulatedKernelTest : public ::testing::Test {
 protected:
  SimulatedKernelTest() {
    SimPort port;
    port.traddr = "192.0.2.20";
    port.trsvcid = "4420";
    port.subsystems = {"nqn.io:1", "nqn.io:2"};
    kernel_.AddPort(port);
    EXPECT_TRUE(kernel_.Start([this](const KernelEvent& ev) { events_.push_back(ev); }));
  }

  std::string Connect(std::optional<int> ctrl_loss_tmo, std::optional<int> reconnect_delay,
                      const std::string& subsysnqn = "nqn.io:1") {
    ConnectRequest req;
    req.tid = Tid::Make({.transport = "tcp",
                         .traddr = "192.0.2.20",
                         .trsvcid = "4420",
                         .subsysnqn = subsysnqn,
                         .host_nqn = "nqn.host"},
                        TidDefaults{false, "nqn.host"});
    req.options.ctrl_loss_tmo = ctrl_loss_tmo;
    req.options.reconnect_delay = reconnect_delay;
    Result<std::string> dev = kernel_.Connect(req);
    EXPECT_TRUE(dev);
    loop_.RunUntilIdle();
    events_.clear();
    return dev ? *dev : "";
  }

  // "remove", "change:connected"... for the events since the last call.
  std::vector<std::string> TakeEvents() {
    std::vector<std::string> out;
    for (const KernelEvent& ev : events_) {
      if (ev.action == KernelEvent::Action::kRemove)
        out.push_back("remove");
      else if (ev.action == KernelEvent::Action::kAdd)
        out.push_back("add");
      else
        out.push_back("change:" + ev.event);
    }
    events_.clear();
    return out;
  }

  void PortUp(bool up) { kernel_.SetPortUp("192.0.2.20", "4420", up); }

  FakeEventLoop loop_;
  SimulatedKernel kernel_{loop_};
  std::vector<KernelEvent> events_;
};

TEST_F(SimulatedKernelTest, PortDownMakesControllersConnectingAndBackUpLiveAtTheNextRetry) {
  std::string dev = Connect(std::nullopt, std::nullopt);
  EXPECT_EQ(kernel_.GetDeviceState(dev), "live");
  PortUp(false);
  loop_.RunUntilIdle();
  EXPECT_EQ(kernel_.GetDeviceState(dev), "connecting");  // not removed
  EXPECT_EQ(kernel_.device_count(), 1u);
  EXPECT_FALSE(kernel_.GetDiscoveryLog(dev, 0, {}));  // admin commands fail meanwhile
  loop_.AdvanceBy(seconds(25));                       // two failed retries (10 s, 20 s)
  PortUp(true);
  loop_.AdvanceBy(seconds(4));
  EXPECT_EQ(kernel_.GetDeviceState(dev), "connecting");  // until the next retry, at 30 s
  EXPECT_TRUE(TakeEvents().empty());
  loop_.AdvanceBy(seconds(1));
  EXPECT_EQ(kernel_.GetDeviceState(dev), "live");
  EXPECT_EQ(TakeEvents(), std::vector<std::string>{"change:connected"});
}

TEST_F(SimulatedKernelTest, CtrlLossTmoDeletesTheControllerWithARemoveEvent) {
  std::string dev = Connect(25, 10);  // the kernel gives up after ceil(25 / 10) = 3 retries
  PortUp(false);
  loop_.AdvanceBy(seconds(29));
  EXPECT_EQ(kernel_.GetDeviceState(dev), "connecting");
  EXPECT_TRUE(TakeEvents().empty());
  loop_.AdvanceBy(seconds(1));
  EXPECT_EQ(kernel_.GetDeviceState(dev), "");
  EXPECT_EQ(kernel_.device_count(), 0u);
  EXPECT_EQ(TakeEvents(), std::vector<std::string>{"remove"});
}

TEST_F(SimulatedKernelTest, DefaultCtrlLossTmoIs600sAndNegativeMeansForever) {
  std::string by_default = Connect(std::nullopt, std::nullopt);
  std::string forever = Connect(-1, 5, "nqn.io:2");
  PortUp(false);
  loop_.AdvanceBy(seconds(599));
  EXPECT_EQ(kernel_.device_count(), 2u);
  loop_.AdvanceBy(seconds(1));
  EXPECT_EQ(kernel_.GetDeviceState(by_default), "");
  loop_.AdvanceBy(std::chrono::hours(24));
  EXPECT_EQ(kernel_.GetDeviceState(forever), "connecting");
  PortUp(true);
  loop_.AdvanceBy(seconds(5));
  EXPECT_EQ(kernel_.GetDeviceState(forever), "live");
}

TEST_F(SimulatedKernelTest, CtrlLossTmoZeroDeletesAtOnce) {
  std::string dev = Connect(0, std::nullopt);
  PortUp(false);
  loop_.RunUntilIdle();
  EXPECT_EQ(kernel_.GetDeviceState(dev), "");
  EXPECT_EQ(TakeEvents(), std::vector<std::string>{"remove"});
}

TEST_F(SimulatedKernelTest, AConnectingIoControllerRefusesADuplicateAndADeletingOneDoesNot) {
  std::string dev = Connect(std::nullopt, std::nullopt);
  ConnectRequest req = kernel_.connect_requests().back();
  kernel_.SetDeviceState(dev, "connecting");
  Result<std::string> again = kernel_.Connect(req);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, EALREADY);
  kernel_.SetDeviceState(dev, "deleting");
  EXPECT_TRUE(kernel_.Connect(req));
}

TEST_F(SimulatedKernelTest, SetDeviceStateStopsTheReconnectLoop) {
  std::string dev = Connect(20, 10);
  PortUp(false);
  loop_.AdvanceBy(seconds(5));
  kernel_.SetDeviceState(dev, "resetting");
  loop_.AdvanceBy(seconds(600));
  EXPECT_EQ(kernel_.GetDeviceState(dev), "resetting");  // frozen: neither deleted nor live
  EXPECT_TRUE(TakeEvents().empty());
}

// Namespaces: named per controller as with native multipath, one "block" add event each when
// the controller has scanned them; a held scan shows nothing until a rescan.
TEST_F(SimulatedKernelTest, NamespacesAppearWithTheirScan) {
  kernel_.SetNamespaces("nqn.io:1", {{.nsid = 1, .uuid = "7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"},
                                     {.nsid = 2, .nguid = "00112233445566778899aabbccddeeff"}});
  std::string a = Connect(600, 10);
  std::vector<NamespaceInfo> ns = kernel_.ListNamespaces(a);
  ASSERT_EQ(ns.size(), 2U);
  EXPECT_EQ(ns[0].block, "nvme0n1");
  EXPECT_EQ(ns[0].path, "nvme0c" + a.substr(4) + "n1");
  EXPECT_EQ(ns[1].nguid, "00112233445566778899aabbccddeeff");

  kernel_.SetScanHeld(true);
  std::string b = Connect(600, 10, "nqn.io:2");
  kernel_.SetNamespaces("nqn.io:2", {{.nsid = 5}});
  loop_.RunUntilIdle();
  EXPECT_TRUE(kernel_.ListNamespaces(b).empty());
  EXPECT_TRUE(events_.empty());
  ASSERT_TRUE(kernel_.RescanNamespaces(b));
  loop_.RunUntilIdle();
  ASSERT_EQ(kernel_.ListNamespaces(b).size(), 1U);
  EXPECT_EQ(kernel_.ListNamespaces(b)[0].block, "nvme1n5");  // another subsystem, another head
  ASSERT_EQ(events_.size(), 1U);
  EXPECT_EQ(events_[0].subsystem, "block");
  EXPECT_EQ(events_[0].device, "nvme1c" + b.substr(4) + "n5");
  EXPECT_EQ(kernel_.RescanNamespaces("nvme99").error().code, ENODEV);
  EXPECT_EQ(kernel_.rescan_calls(), 2);
}

}  // namespace
}  // namespace stas::testing
