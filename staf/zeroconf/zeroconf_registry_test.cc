// SPDX-License-Identifier: Apache-2.0
#include "staf/zeroconf/zeroconf_registry.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/defs.h"
#include "common/log.h"
#include "common/testing/fake_event_loop.h"
#include "staf/zeroconf/zeroconf_fakes.h"

namespace stas::staf {
namespace {

using std::chrono::seconds;

constexpr int kRegistryEth0 = 2;
constexpr int kEth1 = 3;

ServiceKey Key(const std::string& name, int iface = kRegistryEth0,
               const std::string& type = kNvmeDiscTcp, int protocol = kProtoInet) {
  return ServiceKey{iface, protocol, name, type, "local"};
}

ResolvedService Resolved(const ServiceKey& key, const std::string& address,
                         std::vector<std::string> txt, int port = 8009,
                         const std::string& ifname = "") {
  ResolvedService s;
  s.key = key;
  s.ifname = ifname.empty() ? (key.interface == kRegistryEth0 ? "eth0" : "eth1") : ifname;
  s.host = "dc.local";
  s.aprotocol = key.protocol;
  s.address = address;
  s.port = port;
  s.txt = std::move(txt);
  return s;
}

std::string Ifname(int iface) {
  return iface == kRegistryEth0 ? "eth0" : "eth1";
}

class ZeroconfRegistryTest : public ::testing::Test {
 protected:
  ZeroconfRegistryTest() : registry_(loop_, browser_, prober_, true, [this] { ++changes_; }) {
    registry_.Configure(true);
  }
  void TearDown() override { SetLogSinkForTesting(nullptr); }

  void CaptureLog() {
    SetLogSinkForTesting(
        [this](LogLevel level, const std::string& line) { lines_.emplace_back(level, line); });
  }
  bool Logged(LogLevel level, const std::string& part) const {
    for (const auto& [l, line] : lines_) {
      if (l == level && line.find(part) != std::string::npos)
        return true;
    }
    return false;
  }

  // ItemNew then Found.
  void Announce(const ServiceKey& key, const std::string& address, std::vector<std::string> txt,
                int port = 8009) {
    browser_.New(key, Ifname(key.interface));
    browser_.Resolve(Resolved(key, address, std::move(txt), port));
  }

  std::vector<std::string> CandidateAddrs() const {
    std::vector<std::string> out;
    for (const TidFields& f : registry_.Candidates()) {
      out.push_back(f.transport + ":" + f.traddr + ":" + f.trsvcid + ":" + f.host_iface);
    }
    return out;
  }

  FakeEventLoop loop_;
  FakeServiceBrowser browser_;
  FakeTcpProber prober_;
  int changes_ = 0;
  std::vector<std::pair<LogLevel, std::string>> lines_;
  ZeroconfRegistry registry_;
};

TEST_F(ZeroconfRegistryTest, ObservesTheBrowserAndBrowsesBothTypesWhenEnabled) {
  EXPECT_EQ(browser_.observer(), &registry_);
  EXPECT_EQ(browser_.service_types(), (std::vector<std::string>{kNvmeDiscTcp, kNvmeDiscUdp}));
  registry_.Configure(false);
  EXPECT_TRUE(browser_.service_types().empty());
}

TEST_F(ZeroconfRegistryTest, DetachesFromTheBrowserWhenDestroyed) {
  FakeServiceBrowser browser;
  {
    ZeroconfRegistry r(loop_, browser, prober_, true, [] {});
    EXPECT_EQ(browser.observer(), &r);
  }
  EXPECT_EQ(browser.observer(), nullptr);
}

TEST_F(ZeroconfRegistryTest, TcpServiceIsACandidateOnlyOnceReachable) {
  Announce(Key("DC A"), "192.168.1.20", {"p=tcp"});
  EXPECT_TRUE(registry_.Candidates().empty());
  EXPECT_EQ(changes_, 0);
  ASSERT_EQ(prober_.attempts().size(), 1u);
  EXPECT_EQ(prober_.attempts()[0]->host_iface, "eth0");
  ASSERT_TRUE(prober_.Succeed());
  EXPECT_EQ(changes_, 1);
  ASSERT_EQ(registry_.Candidates().size(), 1u);
  const TidFields f = registry_.Candidates()[0];
  EXPECT_EQ(f.transport, "tcp");
  EXPECT_EQ(f.traddr, "192.168.1.20");
  EXPECT_EQ(f.trsvcid, "8009");
  EXPECT_EQ(f.host_iface, "eth0");
  EXPECT_EQ(f.subsysnqn, kWellKnownDiscoveryNqn);
  EXPECT_EQ(f.host_traddr, "");
  EXPECT_FALSE(f.host_nqn.has_value());
}

TEST_F(ZeroconfRegistryTest, UnreachableTcpServiceIsRetriedWithBackoff) {
  Announce(Key("DC A"), "192.168.1.20", {"p=tcp"});
  ASSERT_TRUE(prober_.Refuse());
  EXPECT_EQ(loop_.next_timer_delay(), seconds(2));
  loop_.AdvanceBy(seconds(2));
  ASSERT_TRUE(prober_.Refuse());
  EXPECT_EQ(loop_.next_timer_delay(), seconds(5));
  loop_.AdvanceBy(seconds(5));
  EXPECT_TRUE(registry_.Candidates().empty());
  ASSERT_TRUE(prober_.Succeed());
  EXPECT_EQ(CandidateAddrs(), std::vector<std::string>{"tcp:192.168.1.20:8009:eth0"});
  EXPECT_EQ(changes_, 1);
}

TEST_F(ZeroconfRegistryTest, RdmaServiceIsReachableAtOnceWithoutHostIface) {
  Announce(Key("DC R", kRegistryEth0, kNvmeDiscUdp), "192.168.1.21", {"p=roce"}, 4420);
  EXPECT_TRUE(prober_.attempts().empty());
  EXPECT_EQ(changes_, 1);
  EXPECT_EQ(CandidateAddrs(), std::vector<std::string>{"rdma:192.168.1.21:4420:"});
}

TEST_F(ZeroconfRegistryTest, UniqueDiscoveryNqnIsHonouredOnlyWithKernelSupport) {
  Announce(Key("DC R", kRegistryEth0, kNvmeDiscUdp), "192.168.1.21",
           {"p=rdma", "nqn=nqn.1988-11.com.example:unique-dc"}, 4420);
  ASSERT_EQ(registry_.Candidates().size(), 1u);
  EXPECT_EQ(registry_.Candidates()[0].subsysnqn, "nqn.1988-11.com.example:unique-dc");

  FakeServiceBrowser browser;
  ZeroconfRegistry old_kernel(loop_, browser, prober_, false, [] {});
  old_kernel.Configure(true);
  browser.New(Key("DC R", kRegistryEth0, kNvmeDiscUdp), "eth0");
  browser.Resolve(Resolved(Key("DC R", kRegistryEth0, kNvmeDiscUdp), "192.168.1.21",
                           {"p=rdma", "nqn=nqn.1988-11.com.example:unique-dc"}, 4420));
  ASSERT_EQ(old_kernel.Candidates().size(), 1u);
  EXPECT_EQ(old_kernel.Candidates()[0].subsysnqn, kWellKnownDiscoveryNqn);
}

TEST_F(ZeroconfRegistryTest, InvalidProtocolIsLoggedAndNotUsed) {
  CaptureLog();
  Announce(Key("DC X"), "192.168.1.22", {"p=fc"});
  EXPECT_TRUE(registry_.Candidates().empty());
  EXPECT_TRUE(prober_.attempts().empty());
  EXPECT_TRUE(Logged(LogLevel::kError,
                     "Received invalid/undefined protocol in mDNS TXT field: "
                     "address=192.168.1.22, iface=eth0, TXT={p=fc}"));
  ASSERT_EQ(registry_.services().size(), 1u);  // still tracked, as stas does
  EXPECT_FALSE(registry_.services()[0].identity.has_value());
}

TEST_F(ZeroconfRegistryTest, HostileTxtIsLoggedAndNeverReachesACandidate) {
  CaptureLog();
  Announce(Key("DC H"), "192.168.1.23", {"p=tcp", "nqn=nqn.x:y,rdma"});
  EXPECT_TRUE(registry_.Candidates().empty());
  EXPECT_TRUE(prober_.attempts().empty());
  EXPECT_TRUE(Logged(LogLevel::kError, "Invalid nqn in mDNS TXT field"));

  Announce(Key("DC I"), "192.168.1.24", {"p=tcp", "nqn=nqn.x\x01y"});
  EXPECT_TRUE(Logged(LogLevel::kWarning, "control character"));  // a dropped nqn= matters
  ASSERT_TRUE(prober_.Succeed());
  ASSERT_EQ(registry_.Candidates().size(), 1u);
  EXPECT_EQ(registry_.Candidates()[0].subsysnqn, kWellKnownDiscoveryNqn);
}

TEST_F(ZeroconfRegistryTest, TxtProblemsAreBoundedAndNotRepeatedOnEachResolution) {
  CaptureLog();
  std::vector<std::string> txt = {"p=tcp", "nqn=nqn.x\x01y"};
  for (int i = 0; i < 50; ++i)
    txt.push_back("junk" + std::to_string(i));  // not key=value: a problem each
  auto at_least_warning = [this] {
    size_t n = 0;
    for (const auto& [level, line] : lines_)
      n += level >= LogLevel::kWarning;
    return n;
  };
  Announce(Key("DC F"), "192.168.1.25", txt);
  const size_t first = at_least_warning();
  EXPECT_GE(first, 1u);
  EXPECT_LE(first, ZeroconfRegistry::kMaxTxtProblemsLogged + 1);
  EXPECT_TRUE(Logged(LogLevel::kWarning, "more problems"));
  for (int i = 0; i < 20; ++i)  // re-announced, unchanged
    browser_.Resolve(Resolved(Key("DC F"), "192.168.1.25", txt, 8009));
  EXPECT_EQ(at_least_warning(), first);
  // An identity error is reported once too.
  Announce(Key("DC G"), "192.168.1.26", {"p=fc"});
  const size_t with_error = at_least_warning();
  EXPECT_EQ(with_error, first + 1);
  browser_.Resolve(Resolved(Key("DC G"), "192.168.1.26", {"p=fc"}, 8009));
  EXPECT_EQ(at_least_warning(), with_error);
}

TEST_F(ZeroconfRegistryTest, ResolutionOfAnUnknownServiceIsIgnored) {
  browser_.Resolve(Resolved(Key("never announced"), "192.168.1.20", {"p=tcp"}));
  EXPECT_TRUE(registry_.services().empty());
  EXPECT_TRUE(prober_.attempts().empty());
}

TEST_F(ZeroconfRegistryTest, ServiceOnAnInterfaceWithoutAValidNameIsIgnored) {
  CaptureLog();
  EXPECT_FALSE(browser_.New(Key("DC A", 99), ""));
  EXPECT_FALSE(browser_.New(Key("DC B", 98), "bad,name"));
  EXPECT_TRUE(registry_.services().empty());
  EXPECT_TRUE(Logged(LogLevel::kWarning, "mDNS service DC A on interface 99 ignored"));
}

TEST_F(ZeroconfRegistryTest, RemovalDropsTheCandidateAndNotifies) {
  Announce(Key("DC A"), "192.168.1.20", {"p=tcp"});
  ASSERT_TRUE(prober_.Succeed());
  ASSERT_EQ(changes_, 1);
  browser_.Remove(Key("DC A"));  // goodbye packet or TTL expiry
  EXPECT_TRUE(registry_.Candidates().empty());
  EXPECT_TRUE(registry_.services().empty());
  EXPECT_EQ(changes_, 2);
  browser_.Remove(Key("DC A"));  // unknown now: nothing to say
  EXPECT_EQ(changes_, 2);
}

TEST_F(ZeroconfRegistryTest, RemovalWhileProbingCancelsTheProbe) {
  Announce(Key("DC A"), "192.168.1.20", {"p=tcp"});
  browser_.Remove(Key("DC A"));
  EXPECT_TRUE(prober_.attempts()[0]->cancelled);
  EXPECT_EQ(changes_, 1);  // stas notifies every removal of a known service
  EXPECT_EQ(loop_.pending_timers(), 0u);
}

TEST_F(ZeroconfRegistryTest, RemovalWhileWaitingForARetryStopsRetrying) {
  Announce(Key("DC A"), "192.168.1.20", {"p=tcp"});
  ASSERT_TRUE(prober_.Refuse());
  browser_.Remove(Key("DC A"));
  EXPECT_EQ(loop_.pending_timers(), 0u);
  loop_.AdvanceBy(seconds(3600));
  EXPECT_EQ(prober_.attempts().size(), 1u);
}

TEST_F(ZeroconfRegistryTest, DaemonLossForgetsEverything) {
  Announce(Key("DC A"), "192.168.1.20", {"p=tcp"});
  ASSERT_TRUE(prober_.Succeed());
  Announce(Key("DC B"), "192.168.1.21", {"p=tcp"});  // still probing
  ASSERT_EQ(changes_, 1);
  browser_.SetState(BrowserState::kDisconnected, "avahi-daemon is not on the system bus");
  EXPECT_TRUE(registry_.services().empty());
  EXPECT_TRUE(registry_.Candidates().empty());
  EXPECT_EQ(changes_, 2);
  EXPECT_TRUE(prober_.attempts()[1]->cancelled);
  browser_.SetState(BrowserState::kRunning);
  EXPECT_EQ(changes_, 2);
}

TEST_F(ZeroconfRegistryTest, DisablingZeroconfDropsServicesAndNotifies) {
  Announce(Key("DC R", kRegistryEth0, kNvmeDiscUdp), "192.168.1.21", {"p=roce"}, 4420);
  ASSERT_EQ(changes_, 1);
  registry_.Configure(false);
  EXPECT_TRUE(registry_.services().empty());
  EXPECT_EQ(changes_, 2);
  registry_.Configure(true);  // nothing to drop: no notification
  EXPECT_EQ(changes_, 2);
  EXPECT_EQ(browser_.service_types().size(), 2u);
}

TEST_F(ZeroconfRegistryTest, KickStartIsForwarded) {
  registry_.KickStart();
  EXPECT_EQ(browser_.kicks(), 1);
}

TEST_F(ZeroconfRegistryTest, SameIpOnTwoInterfacesIsReportedAsAnError) {
  CaptureLog();
  Announce(Key("DC A", kRegistryEth0), "192.168.1.20", {"p=tcp"});
  EXPECT_TRUE(registry_.DuplicateIps().empty());
  Announce(Key("DC A", kEth1), "192.168.1.20", {"p=tcp"});
  using Dups = std::vector<std::pair<std::string, std::vector<std::string>>>;
  EXPECT_EQ(registry_.DuplicateIps(),
            (Dups{{"192.168.1.20", std::vector<std::string>{"eth0", "eth1"}}}));
  EXPECT_TRUE(Logged(LogLevel::kError,
                     "IP address 192.168.1.20 was found on multiple interfaces: eth0,eth1"));
  // Both stay candidates once reachable: stas only reports the misconfiguration.
  ASSERT_TRUE(prober_.Succeed());
  ASSERT_TRUE(prober_.Succeed());
  EXPECT_EQ(CandidateAddrs(),
            (std::vector<std::string>{"tcp:192.168.1.20:8009:eth0", "tcp:192.168.1.20:8009:eth1"}));
}

TEST_F(ZeroconfRegistryTest, SameIpOnOneInterfaceIsNotADuplicate) {
  CaptureLog();
  Announce(Key("DC A", kRegistryEth0, kNvmeDiscTcp), "192.168.1.20", {"p=tcp"});
  Announce(Key("DC A", kRegistryEth0, kNvmeDiscUdp), "192.168.1.20", {"p=roce"}, 4420);
  EXPECT_TRUE(registry_.DuplicateIps().empty());
  EXPECT_FALSE(Logged(LogLevel::kError, "multiple interfaces"));
}

TEST_F(ZeroconfRegistryTest, MappedAndPlainIpv4AreTheSameIp) {
  Announce(Key("DC A", kRegistryEth0), "192.168.1.20", {"p=tcp"});
  Announce(Key("DC A", kEth1, kNvmeDiscTcp, kProtoInet6), "::ffff:192.168.1.20", {"p=tcp"});
  ASSERT_EQ(registry_.DuplicateIps().size(), 1u);
  EXPECT_EQ(registry_.DuplicateIps()[0].first, "192.168.1.20");
}

TEST_F(ZeroconfRegistryTest, OneDcAnnouncedTwiceIsOneCandidate) {
  Announce(Key("DC A", kRegistryEth0, kNvmeDiscTcp, kProtoInet), "192.168.1.20", {"p=tcp"});
  Announce(Key("DC A", kRegistryEth0, kNvmeDiscUdp, kProtoInet), "192.168.1.20", {"p=tcp"});
  ASSERT_TRUE(prober_.Succeed());
  ASSERT_TRUE(prober_.Succeed());
  EXPECT_EQ(registry_.services().size(), 2u);
  EXPECT_EQ(CandidateAddrs(), std::vector<std::string>{"tcp:192.168.1.20:8009:eth0"});
}

TEST_F(ZeroconfRegistryTest, ReResolvedWithNewAddressIsCheckedAgain) {
  Announce(Key("DC A"), "192.168.1.20", {"p=tcp"});
  ASSERT_TRUE(prober_.Succeed());
  ASSERT_EQ(changes_, 1);
  browser_.Resolve(Resolved(Key("DC A"), "192.168.1.30", {"p=tcp"}));
  EXPECT_TRUE(registry_.Candidates().empty());  // the old identity is gone, the new unverified
  EXPECT_EQ(changes_, 2);
  ASSERT_EQ(prober_.attempts().size(), 2u);
  EXPECT_EQ(prober_.attempts()[1]->ip.ToString(), "192.168.1.30");
  ASSERT_TRUE(prober_.Succeed());
  EXPECT_EQ(CandidateAddrs(), std::vector<std::string>{"tcp:192.168.1.30:8009:eth0"});
  EXPECT_EQ(changes_, 3);
}

TEST_F(ZeroconfRegistryTest, ReResolvedUnchangedAndReachableIsLeftAlone) {
  Announce(Key("DC A"), "192.168.1.20", {"p=tcp"});
  ASSERT_TRUE(prober_.Succeed());
  browser_.Resolve(Resolved(Key("DC A"), "192.168.1.20", {"p=tcp"}));
  EXPECT_EQ(prober_.attempts().size(), 1u);
  EXPECT_EQ(registry_.Candidates().size(), 1u);
  EXPECT_EQ(changes_, 1);
}

TEST_F(ZeroconfRegistryTest, ReResolvedWithInvalidTxtStopsBeingACandidate) {
  Announce(Key("DC A"), "192.168.1.20", {"p=tcp"});
  ASSERT_TRUE(prober_.Succeed());
  browser_.Resolve(Resolved(Key("DC A"), "192.168.1.20", {"p=nope"}));
  EXPECT_TRUE(registry_.Candidates().empty());
  EXPECT_EQ(changes_, 2);
}

TEST_F(ZeroconfRegistryTest, ReResolvedWhileWaitingForARetryProbesNow) {
  Announce(Key("DC A"), "192.168.1.20", {"p=tcp"});
  ASSERT_TRUE(prober_.Refuse());
  ASSERT_EQ(prober_.pending(), 0u);  // the retry waits 2 s
  browser_.Resolve(Resolved(Key("DC A"), "192.168.1.20", {"p=tcp"}));
  EXPECT_EQ(prober_.attempts().size(), 2u);
  EXPECT_EQ(prober_.pending(), 1u);
}

TEST_F(ZeroconfRegistryTest, AvahiInfoJsonMatchesStas) {
  Announce(Key("NVMe DC A"), "192.168.1.20", {"p=tcp"});
  ASSERT_TRUE(prober_.Succeed());
  Announce(Key("NVMe DC A RDMA", kEth1, kNvmeDiscUdp), "192.168.1.21",
           {"p=roce", "nqn=nqn.1988-11.com.example:unique-dc"}, 4420);
  browser_.New(Key("NVMe DC B", kRegistryEth0, kNvmeDiscTcp, kProtoInet6),
               "eth0");  // not resolved yet
  EXPECT_EQ(registry_.AvahiInfo().dump(),
            R"js({"avahi wake up timer":"60.0s [off]",)js"
            R"js("service types":["_nvme-disc._tcp","_nvme-disc._udp"],)js"
            R"js("services":{)js"
            R"js("(eth0, IPv4, NVMe DC A.local, _nvme-disc._tcp)":{"transport":"tcp",)js"
            R"js("traddr":"192.168.1.20","trsvcid":"8009","host-iface":"eth0",)js"
            R"js("subsysnqn":"nqn.2014-08.org.nvmexpress.discovery","reachable":"True"},)js"
            R"js("(eth1, IPv4, NVMe DC A RDMA.local, _nvme-disc._udp)":{"transport":"rdma",)js"
            R"js("traddr":"192.168.1.21","trsvcid":"4420","host-iface":"",)js"
            R"js("subsysnqn":"nqn.1988-11.com.example:unique-dc","reachable":"True"},)js"
            R"js("(eth0, IPv6, NVMe DC B.local, _nvme-disc._tcp)":{"reachable":"False"}}})js");
}

TEST_F(ZeroconfRegistryTest, AvahiInfoWhenDisabledOrAbsent) {
  registry_.Configure(false);
  browser_.set_wake_up_timer("60.0s [59.99s]");
  EXPECT_EQ(registry_.AvahiInfo().dump(),
            R"js({"avahi wake up timer":"60.0s [59.99s]","service types":[],"services":{}})js");
}

TEST_F(ZeroconfRegistryTest, AvahiInfoOfAnUnreachableTcpService) {
  Announce(Key("DC A"), "192.168.1.20", {"p=tcp"});
  ASSERT_TRUE(prober_.Refuse());
  const nlohmann::ordered_json info = registry_.AvahiInfo();
  const auto& svc = info["services"]["(eth0, IPv4, DC A.local, _nvme-disc._tcp)"];
  EXPECT_EQ(svc["reachable"], "False");
  EXPECT_EQ(svc["traddr"], "192.168.1.20");
}

TEST_F(ZeroconfRegistryTest, AvahiInfoAlwaysSerialisesHostileNames) {
  browser_.New(Key(std::string("bad\xff\xfe name\x01")), "eth0");
  browser_.New(Key("caf\xc3\xa9 \xe2\x82\xac"), "eth0");  // valid UTF-8 is kept
  std::string dumped;
  EXPECT_NO_THROW(dumped = registry_.AvahiInfo().dump());
  EXPECT_NE(dumped.find("(eth0, IPv4, bad\\\\xff\\\\xfe name\\\\x01.local, _nvme-disc._tcp)"),
            std::string::npos)
      << dumped;
  EXPECT_NE(dumped.find("caf\xc3\xa9 \xe2\x82\xac.local"), std::string::npos) << dumped;
}

TEST_F(ZeroconfRegistryTest, TooManyServicesAreRefused) {
  CaptureLog();
  for (std::size_t i = 0; i < ZeroconfRegistry::kMaxServices; ++i) {
    EXPECT_TRUE(browser_.New(Key("DC " + std::to_string(i)), "eth0"));
  }
  for (std::size_t i = 0; i < 5; ++i) {  // refused: the browser does not resolve them
    EXPECT_FALSE(browser_.New(Key("DC extra " + std::to_string(i)), "eth0"));
  }
  EXPECT_TRUE(browser_.New(Key("DC 0"), "eth0"));  // already tracked
  EXPECT_EQ(registry_.services().size(), ZeroconfRegistry::kMaxServices);
  int warnings = 0;
  for (const auto& [level, line] : lines_) {
    warnings += (level == LogLevel::kWarning && line.find("mDNS services") != std::string::npos);
  }
  EXPECT_EQ(warnings, 1);
}

TEST_F(ZeroconfRegistryTest, ServicesAreListedInDiscoveryOrder) {
  browser_.New(Key("zeta"), "eth0");
  browser_.New(Key("alpha"), "eth0");
  browser_.New(Key("mid", kEth1), "eth1");
  std::vector<std::string> names;
  for (const auto& s : registry_.services())
    names.push_back(s.key.name);
  EXPECT_EQ(names, (std::vector<std::string>{"zeta", "alpha", "mid"}));
}

}  // namespace
}  // namespace stas::staf
