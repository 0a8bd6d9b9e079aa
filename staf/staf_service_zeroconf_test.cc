// SPDX-License-Identifier: Apache-2.0
// StafService with mDNS-discovered DCs (docs/compatibility.md, "mDNS discovery"): origin
// priority, the deletion rule,
// aging with zeroconf-connections-persistence, exclusion, SIGHUP and process_info. The browser
// and the TCP prober are fakes; the kernel is simulated.
#include <chrono>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/defs.h"
#include "common/log.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/simulated_kernel.h"
#include "staf/staf_service.h"
#include "staf/zeroconf/zeroconf_fakes.h"

namespace stas::staf {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using testing::SimEntry;
using testing::SimPort;

constexpr int kEth0 = 2;
const char kConnMgmt[] = "[Discovery controller connection management]\n";

ServiceKey Key(const std::string& name) {
  return ServiceKey{kEth0, kProtoInet, name, kNvmeDiscTcp, "local"};
}

class StafServiceZeroconfTest : public ::testing::Test {
 protected:
  StafServiceZeroconfTest() {
    host_.hostnqn = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";
    SetLogSinkForTesting([this](LogLevel l, const std::string& s) {
      if (l >= LogLevel::kInfo)
        log_ += s + "\n";
    });
  }
  ~StafServiceZeroconfTest() override {
    service_.reset();
    SetLogSinkForTesting(nullptr);
  }

  // A DC the simulated kernel can connect to.
  void AddPort(const std::string& traddr) {
    SimPort p;
    p.traddr = traddr;
    p.trsvcid = "8009";
    p.log = {SimEntry("nqn.io:1", "192.0.2.99", "4420")};
    kernel_.AddPort(std::move(p));
  }

  ServiceConfig Config(const std::string& text) {
    return ParseServiceConfig(Daemon::kStafd, ParseIniText(text, "stafd.conf")).config;
  }

  void Start(const std::string& conf_text) {
    StafDeps deps{.loop = loop_,
                  .runner = runner_,
                  .kernel = kernel_,
                  .events = kernel_,
                  .host = host_,
                  .browser = &browser_,
                  .prober = &prober_};
    service_ = std::make_unique<StafService>(std::move(deps), Config(conf_text));
    service_->Start();
    Settle();
  }

  // Avahi reports a reachable `_nvme-disc._tcp` instance on eth0.
  void Announce(const std::string& name, const std::string& address,
                std::vector<std::string> txt = {"p=tcp"}) {
    browser_.New(Key(name), "eth0");
    ResolvedService s;
    s.key = Key(name);
    s.ifname = "eth0";
    s.host = "dc.local";
    s.aprotocol = kProtoInet;
    s.address = address;
    s.port = 8009;
    s.txt = std::move(txt);
    browser_.Resolve(s);
    while (prober_.Succeed()) {
    }
  }

  void Settle() { loop_.AdvanceBy(seconds(2)); }

  const Dc* Only() {
    auto dcs = service_->dcs();
    return dcs.size() == 1 ? dcs[0] : nullptr;
  }

  FakeEventLoop loop_;
  InlineRunner runner_{loop_};
  testing::SimulatedKernel kernel_{loop_};
  HostInfo host_;
  FakeServiceBrowser browser_;
  FakeTcpProber prober_;
  std::string log_;
  std::unique_ptr<StafService> service_;
};

TEST_F(StafServiceZeroconfTest, AnAnnouncedReachableDcIsConnectedThroughItsInterface) {
  AddPort("192.0.2.10");
  Start("");
  EXPECT_EQ(browser_.service_types(), (std::vector<std::string>{kNvmeDiscTcp, kNvmeDiscUdp}));
  Announce("DC A", "192.0.2.10");
  Settle();
  const Dc* dc = Only();
  ASSERT_NE(dc, nullptr);
  EXPECT_EQ(dc->origin(), Origin::kDiscovered);
  EXPECT_EQ(dc->tid().traddr(), "192.0.2.10");
  EXPECT_EQ(dc->tid().host_iface(), "eth0");
  EXPECT_EQ(dc->tid().host_nqn(), host_.hostnqn);
  EXPECT_TRUE(dc->connected());
  EXPECT_EQ(dc->log_pages().size(), 1u);
  nlohmann::ordered_json avahi = service_->AvahiInfo();
  EXPECT_EQ(avahi["services"]["(eth0, IPv4, DC A.local, _nvme-disc._tcp)"]["reachable"], "True");
}

TEST_F(StafServiceZeroconfTest, ConfiguredWinsOverDiscoveredForTheSameController) {
  AddPort("192.0.2.10");
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10;host-iface=eth0\n");
  Announce("DC A", "192.0.2.10");
  Settle();
  const Dc* dc = Only();
  ASSERT_NE(dc, nullptr);
  EXPECT_EQ(dc->origin(), Origin::kConfigured);
}

TEST_F(StafServiceZeroconfTest, AReferredDcThatIsAlsoAnnouncedIsAReferral) {
  // stas's priority is configured, referral, discovered: when the referral goes, so does the DC,
  // although Avahi still reports it (a discovered DC would be kept).
  AddPort("192.0.2.10");
  AddPort("192.0.2.40");
  kernel_.SetLog("192.0.2.10", "8009",
                 {SimEntry(kWellKnownDiscoveryNqn, "192.0.2.40", "8009", 1),
                  SimEntry("nqn.io:1", "192.0.2.99", "4420")});
  Start("");
  Announce("DC A", "192.0.2.10");
  Announce("DC B", "192.0.2.40");
  Settle();
  Settle();
  ASSERT_EQ(service_->dcs().size(), 2u);
  const Dc* b = service_->dcs()[1];
  EXPECT_EQ(b->tid().traddr(), "192.0.2.40");
  EXPECT_EQ(b->origin(), Origin::kReferral);
}

TEST_F(StafServiceZeroconfTest, ADiscoveredDcShowsItsAgingInItsInfo) {
  Start(std::string(kConnMgmt) + "zeroconf-connections-persistence=10\n");
  Announce("DC A", "192.0.2.10");
  Settle();
  Dict info = Only()->Info();
  auto value = [&info](const std::string& key) {
    for (const auto& [k, v] : info)
      if (k == key)
        return v;
    return std::string("<absent>");
  };
  EXPECT_EQ(value("unresponsive timer"), "10.0s [off]");
  EXPECT_EQ(value("unresponsive timeout"), "10 sec");
  EXPECT_EQ(value("unresponsive time"), "---");
  browser_.Remove(Key("DC A"));
  service_->Reload(Config(std::string(kConnMgmt) + "zeroconf-connections-persistence=10\n"));
  loop_.AdvanceBy(seconds(4));
  info = Only()->Info();
  EXPECT_EQ(value("unresponsive timer"), "10.0s [6.0s]");
  EXPECT_NE(value("unresponsive time"), "---");
  EXPECT_EQ(value("unresponsive time").size(), 24u);  // "Sat Nov 21 20:59:55 2026"
}

TEST_F(StafServiceZeroconfTest, UnreachableOrInvalidServicesAreNotControllers) {
  AddPort("192.0.2.10");
  Start("");
  browser_.New(Key("Down"), "eth0");
  ResolvedService s;
  s.key = Key("Down");
  s.ifname = "eth0";
  s.aprotocol = kProtoInet;
  s.address = "192.0.2.10";
  s.port = 8009;
  s.txt = {"p=tcp"};
  browser_.Resolve(s);
  ASSERT_TRUE(prober_.Refuse());
  Announce("Fibre Channel", "192.0.2.11", {"p=fc"});
  Announce("No protocol", "192.0.2.12", {"nqn=nqn.1988-11.com.example:dc"});
  Settle();
  EXPECT_TRUE(service_->dcs().empty());
  for (const auto& attempt : prober_.attempts())  // invalid ones are not even probed
    EXPECT_EQ(attempt->ip.ToString(), "192.0.2.10");
}

TEST_F(StafServiceZeroconfTest, AConnectedDcStaysWhenAvahiStopsReportingIt) {
  AddPort("192.0.2.10");
  Start(std::string(kConnMgmt) + "zeroconf-connections-persistence=10\n");
  Announce("DC A", "192.0.2.10");
  Settle();
  browser_.Remove(Key("DC A"));
  loop_.AdvanceBy(seconds(60));
  const Dc* dc = Only();
  ASSERT_NE(dc, nullptr);
  EXPECT_TRUE(dc->connected());
  EXPECT_FALSE(service_->aging().Remaining(dc->tid()));
}

TEST_F(StafServiceZeroconfTest, ALostUnconnectedDcIsRemovedAfterThePersistence) {
  // Avahi reports the DC, its TCP port answers, but the NVMe connection fails (say, the
  // target is still starting): the DC is kept and retried while it is announced.
  Start(std::string(kConnMgmt) + "zeroconf-connections-persistence=10\n");
  Announce("DC A", "192.0.2.10");  // t=2 s; added at 3.5 s, connect attempts at 3.5 and 6.5 s
  loop_.AdvanceBy(seconds(7));
  ASSERT_NE(Only(), nullptr);
  const Tid tid = Only()->tid();
  EXPECT_EQ(Only()->connect_attempts(), 2);
  EXPECT_FALSE(service_->aging().Remaining(tid));
  browser_.Remove(Key("DC A"));  // goodbye packet at t=9 s
  Settle();
  ASSERT_NE(Only(), nullptr);    // not at once: Avahi may merely be restarting
  loop_.AdvanceBy(seconds(55));  // t=66 s
  EXPECT_FALSE(service_->aging().Remaining(tid));
  // The next connect attempt, at 66.5 s, fails: the countdown starts.
  loop_.AdvanceBy(seconds(1));
  ASSERT_TRUE(service_->aging().Remaining(tid));
  EXPECT_THAT(log_, HasSubstr("not responding"));
  loop_.AdvanceBy(seconds(9));
  ASSERT_NE(Only(), nullptr);
  loop_.AdvanceBy(seconds(3));  // the 10 s countdown ends at 76.5 s, then the 1.5 s soak
  EXPECT_TRUE(service_->dcs().empty());
  EXPECT_THAT(log_, HasSubstr("no longer wanted (discovered); removing"));
}

TEST_F(StafServiceZeroconfTest, ADcReportedAgainStopsItsCountdown) {
  Start(std::string(kConnMgmt) + "zeroconf-connections-persistence=10\n");
  Announce("DC A", "192.0.2.10");
  Settle();
  const Tid tid = Only()->tid();
  browser_.Remove(Key("DC A"));
  service_->Reload(Config(std::string(kConnMgmt) + "zeroconf-connections-persistence=10\n"));
  ASSERT_TRUE(service_->aging().Remaining(tid));  // SIGHUP checks at once
  Announce("DC A", "192.0.2.10");
  Settle();
  EXPECT_FALSE(service_->aging().Remaining(tid));
  loop_.AdvanceBy(seconds(30));
  EXPECT_NE(Only(), nullptr);
}

TEST_F(StafServiceZeroconfTest, PersistenceMinusOneKeepsALostDcForever) {
  const std::string conf = std::string(kConnMgmt) + "zeroconf-connections-persistence=-1\n";
  Start(conf);
  Announce("DC A", "192.0.2.10");
  Settle();
  browser_.Remove(Key("DC A"));
  service_->Reload(Config(conf));
  loop_.AdvanceBy(seconds(3600));
  ASSERT_NE(Only(), nullptr);
  EXPECT_FALSE(service_->aging().Remaining(Only()->tid()));
}

TEST_F(StafServiceZeroconfTest, ExcludeRemovesAnMdnsDcAtOnce) {
  AddPort("192.0.2.10");
  Start("");
  Announce("DC A", "192.0.2.10");
  Settle();
  ASSERT_NE(Only(), nullptr);
  service_->Reload(Config("[Controllers]\nexclude=traddr=192.0.2.10\n"));
  Settle();
  EXPECT_TRUE(service_->dcs().empty());
  EXPECT_THAT(log_, HasSubstr("no longer wanted (discovered); removing"));
}

TEST_F(StafServiceZeroconfTest, SighupTogglesBrowsingAndKicksAvahi) {
  Start("[Service Discovery]\nzeroconf=disabled\n");
  EXPECT_TRUE(browser_.service_types().empty());
  EXPECT_EQ(service_->AvahiInfo()["service types"].size(), 0u);
  service_->Reload(Config("[Service Discovery]\nzeroconf=enabled\n"));
  EXPECT_EQ(browser_.service_types(), (std::vector<std::string>{kNvmeDiscTcp, kNvmeDiscUdp}));
  EXPECT_EQ(browser_.kicks(), 1);
  Announce("DC A", "192.0.2.10");
  Settle();
  ASSERT_NE(Only(), nullptr);
  service_->Reload(Config("[Service Discovery]\nzeroconf=disabled\n"));
  EXPECT_TRUE(browser_.service_types().empty());
  EXPECT_EQ(service_->AvahiInfo()["services"].size(), 0u);
}

TEST_F(StafServiceZeroconfTest, StopStopsBrowsing) {
  Start("");
  bool done = false;
  service_->Stop([&] { done = true; });
  loop_.RunUntilIdle();
  EXPECT_TRUE(done);
  EXPECT_TRUE(browser_.service_types().empty());
}

TEST(StafServiceWithoutZeroconf, ShowsAnIdleAvahiSection) {
  FakeEventLoop loop;
  InlineRunner runner{loop};
  testing::SimulatedKernel kernel{loop};
  StafService service(StafDeps{.loop = loop, .runner = runner, .kernel = kernel, .events = kernel},
                      ServiceConfig{});
  EXPECT_EQ(service.AvahiInfo().dump(),
            R"({"avahi wake up timer":"60.0s [off]","service types":[],"services":{}})");
}

}  // namespace
}  // namespace stas::staf
