// SPDX-License-Identifier: Apache-2.0
#include "common/controller/connect_or_adopt.h"

#include <string>

#include <gtest/gtest.h>

#include "common/defs.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/file_helpers.h"
#include "common/testing/simulated_kernel.h"

namespace stas {
namespace {

constexpr const char* kAdoptHostNqn =
    "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-5555";

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
                         .host_nqn = kAdoptHostNqn},
                        TidDefaults{false, kAdoptHostNqn});
    req.discovery = Discovery();
    return req;
  }

  std::string AddExisting(const std::string& state) {
    KernelDevice d;
    d.transport = "tcp";
    d.traddr = "192.0.2.10";
    d.trsvcid = Discovery() ? "8009" : "4420";
    d.subsysnqn = Subsystem();
    d.hostnqn = kAdoptHostNqn;
    d.cntrltype = Discovery() ? "discovery" : "io";
    d.state = state;
    std::string name = kernel_.AddExistingDevice(d);
    index_.Invalidate();  // as the service does when it starts a pass
    return name;
  }

  FakeEventLoop loop_;
  testing::SimulatedKernel kernel_{loop_};
  KernelIndex index_{kernel_};
};

TEST_P(ConnectOrAdoptTest, ControllersTheKernelIsDeletingAreNotAdopted) {
  for (const char* state : {"deleting", "deleting (no IO)", "dead"}) {
    std::string existing = AddExisting(state);
    ConnectOutcome o = ConnectOrAdopt(kernel_, index_, Request(), {});
    ASSERT_TRUE(o.device) << state;
    EXPECT_FALSE(o.adopted) << state;
    EXPECT_NE(*o.device, existing) << state;
    EXPECT_EQ(kernel_.GetDeviceState(*o.device), "live");
    kernel_.RemoveDevice(*o.device);
    kernel_.RemoveDevice(existing);
  }
  EXPECT_EQ(kernel_.connect_calls(), 3);
}

// The host's exclusion list is read at each connect: an entry stops the next connect (of a DC
// or an I/O controller alike) without the kernel being asked; a removed entry, or a file that
// cannot be read, stops nothing; an existing controller is still adopted.
TEST_P(ConnectOrAdoptTest, TheHostsExclusionListIsReadAtEachConnect) {
  testing::ScopedTempDir etc{"exclusions"};
  const std::string dir = etc.path();
  const std::string file = dir + "/exclusions.conf";
  testing::WriteFileText(file,
                         "[exclusions]\nexclusion = traddr=192.0.2.10;nqn=" + Subsystem() + "\n");
  ConnectOutcome o = ConnectOrAdopt(kernel_, index_, Request(), {}, true, {.exclusions_dir = dir});
  ASSERT_FALSE(o.device);
  EXPECT_EQ(o.device.error().code, EACCES);
  EXPECT_NE(o.device.error().message.find(file + ":2"), std::string::npos)
      << o.device.error().message;
  EXPECT_EQ(kernel_.connect_calls(), 0);

  const std::string name = AddExisting("live");
  o = ConnectOrAdopt(kernel_, index_, Request(), {}, true, {.exclusions_dir = dir});
  ASSERT_TRUE(o.device) << o.device.error().message;
  EXPECT_TRUE(o.adopted);
  EXPECT_EQ(*o.device, name);

  ASSERT_TRUE(kernel_.Disconnect(name));
  index_.Invalidate();
  testing::WriteFileText(file, "[exclusions]\nexclusion = traddr=192.0.2.11\n");
  o = ConnectOrAdopt(kernel_, index_, Request(), {}, true, {.exclusions_dir = dir});
  ASSERT_TRUE(o.device) << o.device.error().message;
  EXPECT_FALSE(o.adopted);
  EXPECT_EQ(kernel_.connect_calls(), 1);
}

// The ownership registry: a new connection is recorded as ours (replacing what an older
// controller of the same name left), one adopted from nobody is claimed, one adopted from
// another owner stays that owner's.
TEST_P(ConnectOrAdoptTest, ConnectsAreRecordedAndAdoptionsClaimedInTheRegistry) {
  testing::ScopedTempDir run{"registry"};
  const SharedHostFiles files{.registry = OwnershipRegistry(run.path() + "/registry")};
  testing::WriteFileText(run.path() + "/registry/nvme0/owner", "discoverd\n");  // stale
  ConnectOutcome o = ConnectOrAdopt(kernel_, index_, Request(), {}, false, files);
  ASSERT_TRUE(o.device) << o.device.error().message;
  ASSERT_EQ(*o.device, "nvme0");
  EXPECT_EQ(o.owner, "stas");
  EXPECT_EQ(files.registry.OwnerOf("nvme0"), "stas");
  EXPECT_EQ(testing::ReadFileText(run.path() + "/registry/nvme0/seqnum"),
            std::to_string(kernel_.UeventSeqnum()) + "\n");

  ASSERT_TRUE(kernel_.Disconnect("nvme0"));
  files.registry.Release("nvme0", kOwnerStas, files.registry.Stamp("nvme0"));
  const std::string unowned = AddExisting("live");
  o = ConnectOrAdopt(kernel_, index_, Request(), {}, true, files);
  ASSERT_TRUE(o.adopted);
  EXPECT_EQ(o.owner, "stas");
  EXPECT_EQ(files.registry.OwnerOf(unowned), "stas");

  ASSERT_TRUE(kernel_.Disconnect(unowned));
  const std::string boot = AddExisting("live");
  testing::WriteFileText(run.path() + "/registry/" + boot + "/owner", "nbft\n");
  o = ConnectOrAdopt(kernel_, index_, Request(), {}, true, files);
  ASSERT_TRUE(o.adopted);
  EXPECT_EQ(*o.device, boot);
  EXPECT_EQ(o.owner, "nbft");
  EXPECT_EQ(files.registry.OwnerOf(boot), "nbft");
}

TEST_P(ConnectOrAdoptTest, ConnectingAndResettingControllersAreAdoptedInTheirState) {
  for (const char* state : {"connecting", "resetting", "live"}) {
    std::string existing = AddExisting(state);
    ConnectOutcome o = ConnectOrAdopt(kernel_, index_, Request(), {});
    ASSERT_TRUE(o.device) << state;
    EXPECT_TRUE(o.adopted) << state;
    EXPECT_EQ(*o.device, existing);
    ASSERT_TRUE(o.info);
    EXPECT_EQ(o.info->state, state);
    kernel_.RemoveDevice(existing);
  }
  EXPECT_EQ(kernel_.connect_calls(), 0);
}

// I/O connects to the subsystems nqn.io:0..N-1 of one simulated port, through one KernelIndex.
class ConnectOrAdoptIndexTest : public ::testing::Test {
 protected:
  void AddPort(int subsystems) {
    testing::SimPort port;
    port.traddr = "192.0.2.10";
    port.trsvcid = "4420";
    for (int i = 0; i < subsystems; ++i)
      port.subsystems.push_back(Nqn(i));
    kernel_.AddPort(port);
  }
  static std::string Nqn(int i) { return "nqn.io:" + std::to_string(i); }
  static ConnectRequest Request(int i) {
    ConnectRequest req;
    req.tid = Tid::Make({.transport = "tcp",
                         .traddr = "192.0.2.10",
                         .trsvcid = "4420",
                         .subsysnqn = Nqn(i),
                         .host_nqn = kAdoptHostNqn},
                        TidDefaults{false, kAdoptHostNqn});
    return req;
  }

  FakeEventLoop loop_;
  testing::SimulatedKernel kernel_{loop_};
  KernelIndex index_{kernel_};
};

// The index read before someone else connected the same controller: the kernel refuses the
// duplicate, and the controller it has is adopted.
TEST_F(ConnectOrAdoptIndexTest, AControllerMadeSinceTheIndexWasReadIsAdoptedOnEalready) {
  AddPort(1);
  EXPECT_TRUE(index_.ControllersOf(Nqn(0)).empty());
  KernelDevice d;
  d.transport = "tcp";
  d.traddr = "192.0.2.10";
  d.trsvcid = "4420";
  d.subsysnqn = Nqn(0);
  d.hostnqn = kAdoptHostNqn;
  d.cntrltype = "io";
  d.state = "live";
  std::string existing = kernel_.AddExistingDevice(d);

  ConnectOutcome o = ConnectOrAdopt(kernel_, index_, Request(0), {});
  ASSERT_TRUE(o.device) << o.device.error().message;
  EXPECT_TRUE(o.adopted);
  EXPECT_EQ(*o.device, existing);
  EXPECT_EQ(kernel_.connect_calls(), 1);  // refused with EALREADY
  EXPECT_EQ(kernel_.device_count(), 1U);
  EXPECT_EQ(index_.reads(), 2U);
}

// A burst of connects (one pass) reads the kernel's controllers once, however many it makes.
TEST_F(ConnectOrAdoptIndexTest, ABurstOfConnectsListsTheKernelsControllersOnce) {
  constexpr int kConnects = 200;
  AddPort(kConnects);
  for (int i = 0; i < kConnects; ++i) {
    ConnectOutcome o = ConnectOrAdopt(kernel_, index_, Request(i), {});
    ASSERT_TRUE(o.device) << o.device.error().message;
    EXPECT_FALSE(o.adopted);
  }
  EXPECT_EQ(kernel_.device_count(), static_cast<size_t>(kConnects));
  EXPECT_EQ(index_.reads(), 1U);
}

INSTANTIATE_TEST_SUITE_P(DiscoveryAndIo, ConnectOrAdoptTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Discovery" : "Io";
                         });

}  // namespace
}  // namespace stas
