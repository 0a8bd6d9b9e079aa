// SPDX-License-Identifier: Apache-2.0
#include "common/firmware/nbft_connections.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "common/testing/fake_event_loop.h"
#include "common/testing/file_helpers.h"
#include "common/testing/simulated_kernel.h"

namespace stas {
namespace {

constexpr char kBootHost[] = "nqn.2014-08.org.example:boot-host";
constexpr char kBootSub[] = "nqn.2014-08.org.example:root-disk";

NbftFile BootTable() {
  NbftFile f;
  f.path = "/sys/firmware/acpi/tables/NBFT";
  f.table.host = NbftHost{};
  f.table.host->nqn = kBootHost;
  NbftHfi hfi;
  hfi.index = 1;
  hfi.transport = "tcp";
  hfi.mac = "52:54:00:12:34:56";
  f.table.hfis.push_back(hfi);
  NbftSubsystem s;
  s.index = 1;
  s.transport = "tcp";
  s.traddr = "192.0.2.10";
  s.trsvcid = "4420";
  s.subsys_nqn = kBootSub;
  s.hfi_indexes = {1};
  f.table.subsystems.push_back(s);
  NbftDiscovery d;
  d.index = 1;
  d.hfi_index = 1;
  d.uri = "nvme+tcp://192.0.2.10:8009/";
  d.traddr = "192.0.2.10";
  d.trsvcid = "8009";
  f.table.discovery.push_back(d);
  return f;
}

using stas::testing::ExistingIoDevice;

// The boot identity counts: the same subsystem and address under the host's usual NQN is not the
// firmware's connection. IPv4-mapped addresses are the IPv4 ones.
TEST(NbftConnectionsTest, MatchesTransportAddressPortSubsystemAndBootHost) {
  const NbftFile t = BootTable();
  EXPECT_TRUE(IsNbftConnection(ExistingIoDevice(kBootSub, "192.0.2.10", "4420", kBootHost), t));
  EXPECT_TRUE(
      IsNbftConnection(ExistingIoDevice(kBootSub, "::ffff:192.0.2.10", "4420", kBootHost), t));
  EXPECT_FALSE(
      IsNbftConnection(ExistingIoDevice(kBootSub, "192.0.2.10", "4420", "nqn.other-host"), t));
  EXPECT_FALSE(IsNbftConnection(ExistingIoDevice(kBootSub, "192.0.2.11", "4420", kBootHost), t));
  EXPECT_FALSE(IsNbftConnection(ExistingIoDevice(kBootSub, "192.0.2.10", "4421", kBootHost), t));
  EXPECT_FALSE(IsNbftConnection(ExistingIoDevice("nqn.x:y", "192.0.2.10", "4420", kBootHost), t));
}

// Unowned boot connections become nbft's; an entry of another owner stays; other controllers
// are not touched.
TEST(NbftConnectionsTest, ClaimsUnownedBootConnectionsOnly) {
  stas::testing::ScopedTempDir tmp("nbft-claim");
  OwnershipRegistry registry(tmp.path() + "/registry");
  FakeEventLoop loop;
  stas::testing::SimulatedKernel kernel(loop);
  const std::string boot =
      kernel.AddExistingDevice(ExistingIoDevice(kBootSub, "192.0.2.10", "4420", kBootHost));
  KernelDevice dc = ExistingIoDevice(kWellKnownDiscoveryNqn, "192.0.2.10", "8009", kBootHost);
  dc.cntrltype = "discovery";
  const std::string boot_dc = kernel.AddExistingDevice(dc);
  const std::string other =
      kernel.AddExistingDevice(ExistingIoDevice("nqn.x:y", "192.0.2.20", "4420", kBootHost));
  const std::string taken =
      kernel.AddExistingDevice(ExistingIoDevice(kBootSub, "192.0.2.10", "4420", kBootHost));
  ASSERT_TRUE(registry.Record(taken, "discoverd", 1));

  std::vector<std::string> lines = ClaimNbftConnections(kernel, registry, {BootTable()});
  EXPECT_EQ(registry.OwnerOf(boot), kOwnerNbft);
  EXPECT_EQ(registry.OwnerOf(boot_dc), kOwnerNbft);
  EXPECT_EQ(registry.OwnerOf(other), "");
  EXPECT_EQ(registry.OwnerOf(taken), "discoverd");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(
      lines[0].find("is a boot connection of /sys/firmware/acpi/tables/NBFT; its owner: nbft"),
      std::string::npos)
      << lines[0];
  EXPECT_TRUE(ClaimNbftConnections(kernel, registry, {}).empty());
}

TEST(NbftConnectionsTest, DiscoveryRecordsBecomeDcEntriesWithTheBootIdentity) {
  std::vector<ControllerEntry> e =
      NbftDiscoveryEntries({BootTable()}, [](const std::string& mac, uint16_t vlan) {
        return mac == "52:54:00:12:34:56" && vlan == 0 ? "eth7" : "";
      });
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].transport, "tcp");
  EXPECT_EQ(e[0].traddr, "192.0.2.10");
  EXPECT_EQ(e[0].trsvcid, "8009");
  EXPECT_EQ(e[0].subsysnqn, kWellKnownDiscoveryNqn);
  EXPECT_EQ(e[0].host_iface, "eth7");
  EXPECT_EQ(e[0].host_nqn, kBootHost);
}

// A VLAN interface has its parent's MAC: the VLAN ID picks one; ports of a bond that share
// a MAC are ambiguous, so none is picked.
TEST(NbftConnectionsTest, InterfaceOfMacReadsSysClassNetAndTellsVlansApart) {
  stas::testing::ScopedTempDir tmp("nbft-net");
  const std::string net = tmp.path() + "/net";
  const std::string vlans = tmp.path() + "/vlan";
  auto iface = [&](const std::string& name, const std::string& mac, const std::string& devtype) {
    std::filesystem::create_directories(net + "/" + name);
    stas::testing::WriteFileText(net + "/" + name + "/address", mac + "\n");
    stas::testing::WriteFileText(
        net + "/" + name + "/uevent",
        "INTERFACE=" + name + "\n" + (devtype.empty() ? "" : "DEVTYPE=" + devtype + "\n"));
  };
  std::filesystem::create_directories(vlans);
  iface("eth0", "52:54:00:aa:bb:cc", "");
  iface("eth1", "52:54:00:12:34:56", "");
  iface("eth1.100", "52:54:00:12:34:56", "vlan");
  iface("eth1.200", "52:54:00:12:34:56", "vlan");
  stas::testing::WriteFileText(vlans + "/eth1.100", "eth1.100  VID: 100\t REORDER_HDR: 1\n");
  stas::testing::WriteFileText(vlans + "/eth1.200", "eth1.200  VID: 200\t REORDER_HDR: 1\n");
  iface("ens1", "52:54:00:00:00:01", "");
  iface("ens2", "52:54:00:00:00:01", "");
  EXPECT_EQ(InterfaceOfMac("52:54:00:12:34:56", 0, net, vlans), "eth1");
  EXPECT_EQ(InterfaceOfMac("52:54:00:12:34:56", 100, net, vlans), "eth1.100");
  EXPECT_EQ(InterfaceOfMac("52:54:00:12:34:56", 200, net, vlans), "eth1.200");
  EXPECT_EQ(InterfaceOfMac("52:54:00:12:34:56", 300, net, vlans), "");
  EXPECT_EQ(InterfaceOfMac("52:54:00:AA:BB:CC", 0, net, vlans), "eth0");
  EXPECT_EQ(InterfaceOfMac("52:54:00:00:00:01", 0, net, vlans), "");  // ambiguous
  EXPECT_EQ(InterfaceOfMac("52:54:00:12:34:57", 0, net, vlans), "");
  EXPECT_EQ(InterfaceOfMac("52:54:00:12:34:56", 0, net + "/none", vlans), "");
}

}  // namespace
}  // namespace stas
