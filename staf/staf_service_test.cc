// SPDX-License-Identifier: Apache-2.0
#include "staf/staf_service.h"

#include <cerrno>
#include <fstream>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/atomic_file.h"
#include "common/defs.h"
#include "common/log.h"
#include "common/testing/detailed_list.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/file_helpers.h"
#include "common/testing/simulated_kernel.h"
#include "common/testing/text_helpers.h"

namespace stas::staf {
namespace {

using testing::CountOf;
using ::testing::HasSubstr;
using testing::ListDetailed;
using testing::SimEntry;
using testing::SimPort;
using testing::ValueOf;

// What the service told its owner: the traddr of each DC whose log page was fetched, and how
// many passes removed DCs (the signals stafd emits).
struct Signals {
  std::vector<std::string> changed;
  int removed = 0;
};

class StafServiceTest : public ::testing::Test {
 protected:
  StafServiceTest() {
    host_.hostnqn = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";
    host_.hostid = "11111111-2222-3333-4444-555555555555";
    AddPort("192.0.2.10", {SimEntry("nqn.io:1", "192.0.2.20", "4420")});
    lkc_ = dir_ + "/last-known-config.json";
    SetLogSinkForTesting([this](LogLevel l, const std::string& s) {
      if (l >= LogLevel::kWarning)
        warnings_ += s + "\n";
    });
  }
  ~StafServiceTest() override {
    SetLogSinkForTesting(nullptr);
    service_.reset();
  }

  void AddPort(const std::string& traddr, std::vector<RawLogEntry> log) {
    SimPort p;
    p.traddr = traddr;
    p.trsvcid = "8009";
    p.log = std::move(log);
    kernel_.AddPort(std::move(p));
  }

  ServiceConfig Config(const std::string& text) {
    LoadedConfig l = ParseServiceConfig(Daemon::kStafd, ParseIniText(text, "stafd.conf"));
    return l.config;
  }

  StafService& Start(const std::string& conf_text) {
    service_ = std::make_unique<StafService>(Deps(), Config(conf_text));
    service_->Start();
    Settle();
    return *service_;
  }

  // The service's dependencies, recording its signals in signals_.
  StafDeps Deps(std::function<void(const KernelEvent&, const KernelDevice&)> on_unmanaged = {}) {
    return StafDeps{.loop = loop_,
                    .runner = runner_,
                    .kernel = kernel_,
                    .events = kernel_,
                    .host = host_,
                    .lkc_path = lkc_,
                    .resolve = resolve_,
                    .on_log_pages_changed =
                        [this](const Dc& dc) { signals_.changed.push_back(dc.tid().traddr()); },
                    .on_dc_removed = [this] { ++signals_.removed; },
                    .on_unmanaged_dc_event = std::move(on_unmanaged)};
  }

  // The DC at 192.0.2.10 (nqn.io:1) refers to the DC at 192.0.2.40 (nqn.io:ref).
  void ReferToADc() {
    AddPort("192.0.2.40", {SimEntry("nqn.io:ref", "192.0.2.41", "4420")});
    kernel_.SetLog("192.0.2.10", "8009",
                   {SimEntry(kWellKnownDiscoveryNqn, "192.0.2.40", "8009", 1),
                    SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  }

  // Past the 1.5 s soak, with every resulting operation done.
  void Settle() { loop_.AdvanceBy(std::chrono::seconds(2)); }

  std::vector<std::string> Traddrs() {
    std::vector<std::string> out;
    for (const Dc* dc : service_->dcs())
      out.push_back(dc->tid().traddr());
    return out;
  }

  FakeEventLoop loop_;
  InlineRunner runner_{loop_};
  testing::SimulatedKernel kernel_{loop_};
  HostInfo host_;
  Signals signals_;
  std::function<std::vector<std::string>(const std::string&)> resolve_ =
      [](const std::string& name) -> std::vector<std::string> {
    if (name == "dc.example")
      return {"2001:db8::10", "192.0.2.10"};
    return {};
  };
  testing::ScopedTempDir tmp_{"staf-service-test"};
  std::string dir_ = tmp_.path();
  std::string lkc_;
  std::string warnings_;
  std::unique_ptr<StafService> service_;
};

TEST_F(StafServiceTest, ConnectsConfiguredDcsAfterTheSoak) {
  service_ = std::make_unique<StafService>(
      Deps(), Config("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n"));
  service_->Start();
  loop_.AdvanceBy(std::chrono::milliseconds(1499));
  EXPECT_TRUE(service_->dcs().empty());
  loop_.AdvanceBy(std::chrono::milliseconds(1));
  loop_.RunUntilIdle();
  ASSERT_EQ(service_->dcs().size(), 1u);
  EXPECT_TRUE(service_->dcs()[0]->connected());
  EXPECT_EQ(signals_.changed, std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(service_->dcs()[0]->origin(), Origin::kConfigured);
}

// #14: stafd says when it has read what it knows of the fabric: every DC, referred ones
// included, read once or given up (here: one DC refused at connect, one whose read fails).
TEST_F(StafServiceTest, InitialDiscoveryIsDoneWhenEveryDcIsReadOrGivenUp) {
  int done_signals = 0;
  StafDeps deps = Deps();
  deps.on_initial_discovery_done = [&] {
    ++done_signals;
  };
  AddPort("192.0.2.40", {SimEntry("nqn.io:ref", "192.0.2.41", "4420")});
  AddPort("192.0.2.50", {SimEntry("nqn.io:5", "192.0.2.51", "4420")});
  kernel_.SetLog("192.0.2.10", "8009",
                 {SimEntry(kWellKnownDiscoveryNqn, "192.0.2.40", "8009", 1),
                  SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  kernel_.FailNext("log", 1, EIO);  // the first read (192.0.2.50's: configured first) fails
  service_ = std::make_unique<StafService>(
      std::move(deps), Config("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.50\n"
                              "controller=transport=tcp;traddr=192.0.2.10\n"
                              "controller=transport=tcp;traddr=192.0.2.99\n"));  // no one there
  service_->Start();
  loop_.RunUntilIdle();
  EXPECT_FALSE(service_->initial_discovery_done());  // no pass yet
  loop_.AdvanceBy(std::chrono::milliseconds(1500));
  loop_.RunUntilIdle();
  // The three are read or given up, but 192.0.2.10 refers to 192.0.2.40, not read yet.
  ASSERT_EQ(Traddrs(), (std::vector<std::string>{"192.0.2.50", "192.0.2.10", "192.0.2.99"}));
  EXPECT_FALSE(service_->dcs()[2]->connected());
  EXPECT_TRUE(service_->dcs()[0]->log_pages().empty());
  EXPECT_FALSE(service_->initial_discovery_done());
  EXPECT_EQ(done_signals, 0);
  loop_.AdvanceBy(std::chrono::milliseconds(1500));
  loop_.RunUntilIdle();
  ASSERT_EQ(Traddrs().size(), 4u);
  EXPECT_EQ(service_->dcs()[3]->log_pages().size(), 1u);
  EXPECT_TRUE(service_->initial_discovery_done());
  EXPECT_EQ(done_signals, 1);
  // Once done, done: a new DC (a reload adding one) does not make it false again.
  service_->Reload(
      Config("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n"
             "controller=transport=tcp;traddr=192.0.2.98\n"));
  EXPECT_TRUE(service_->initial_discovery_done());
  Settle();
  EXPECT_EQ(done_signals, 1);
}

// DCs restored from the last-known configuration have a page already: what stacd acted on
// before the restart. A stafd restarted with its state is done as soon as its pass is.
TEST_F(StafServiceTest, RestoredDcsCountAsRead) {
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n");
  ASSERT_TRUE(service_->initial_discovery_done());
  bool stopped = false;
  service_->Stop([&] { stopped = true; });
  loop_.RunUntilIdle();
  ASSERT_TRUE(stopped);
  service_.reset();
  kernel_.SetPortUp("192.0.2.10", "8009", false);  // the restarted stafd cannot reach it
  service_ = std::make_unique<StafService>(
      Deps(), Config("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n"));
  service_->Start();
  ASSERT_EQ(service_->dcs().size(), 1u);
  EXPECT_TRUE(service_->dcs()[0]->first_read_done());
  EXPECT_FALSE(service_->initial_discovery_done());  // the pass is still to come
  Settle();
  EXPECT_TRUE(service_->initial_discovery_done());
}

TEST_F(StafServiceTest, HostNamesAreResolvedWithTheFirstIpv4First) {
  Start("[Controllers]\ncontroller=transport=tcp;traddr=dc.example\n");
  EXPECT_EQ(Traddrs(), std::vector<std::string>{"192.0.2.10"});
}

TEST_F(StafServiceTest, UnresolvableHostNamesAreLoggedAndSkipped) {
  Start(
      "[Controllers]\ncontroller=transport=tcp;traddr=nowhere.example\n"
      "controller=transport=tcp;traddr=192.0.2.10\n");
  EXPECT_EQ(Traddrs(), std::vector<std::string>{"192.0.2.10"});
  EXPECT_THAT(warnings_, HasSubstr("Cannot resolve host name \"nowhere.example\""));
}

TEST_F(StafServiceTest, IpFamilyFiltersAddresses) {
  AddPort("2001:db8::10", {});
  Start(
      "[Global]\nip-family=ipv6\n[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n"
      "controller=transport=tcp;traddr=2001:db8::10\ncontroller=transport=tcp;traddr=dc.example\n");
  EXPECT_EQ(Traddrs(), std::vector<std::string>{"2001:db8::10"});
}

TEST_F(StafServiceTest, ExcludedControllersAreNotConnected) {
  Start(
      "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n"
      "controller=transport=tcp;traddr=192.0.2.11\nexclude=traddr=192.0.2.11\n");
  EXPECT_EQ(Traddrs(), std::vector<std::string>{"192.0.2.10"});
}

TEST_F(StafServiceTest, ReferralsBecomeDcsWithTheParentsHostSide) {
  ReferToADc();
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10;host-iface=lo\n");
  Settle();  // the referral is seen after the first log page, then soaked
  ASSERT_EQ(Traddrs(), (std::vector<std::string>{"192.0.2.10", "192.0.2.40"}));
  const Dc* ref = service_->dcs()[1];
  EXPECT_EQ(ref->origin(), Origin::kReferral);
  EXPECT_EQ(ref->tid().host_iface(), "lo");
  EXPECT_TRUE(ref->connected());
  EXPECT_EQ(ref->log_pages().size(), 1u);

  // The referral disappears from the parent's log page: the referred DC goes, dc_removed fires.
  kernel_.SetLog("192.0.2.10", "8009", {SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  loop_.RunUntilIdle();
  Settle();
  EXPECT_EQ(Traddrs(), std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(signals_.removed, 1);
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
}

// A referral to an address already wanted is the same DC, whatever NQN or address form names
// it: a DC that lists itself (under its unique NQN, or at its IPv4-mapped address) and a loop of
// referrals back to it are never a second connection to it.
TEST_F(StafServiceTest, ADcThatListsItselfOrIsReferredBackToIsConnectedOnce) {
  AddPort("192.0.2.40", {SimEntry("nqn.dc:unique-10", "192.0.2.10", "8009", 1)});
  kernel_.SetLog("192.0.2.10", "8009",
                 {SimEntry("nqn.dc:unique-10", "192.0.2.10", "8009", 1),
                  SimEntry(kWellKnownDiscoveryNqn, "::ffff:192.0.2.10", "8009", 1),
                  SimEntry(kWellKnownDiscoveryNqn, "192.0.2.40", "8009", 1),
                  SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n");
  Settle();
  loop_.RunUntilIdle();
  Settle();
  EXPECT_EQ(Traddrs(), (std::vector<std::string>{"192.0.2.10", "192.0.2.40"}));
  EXPECT_EQ(kernel_.connect_calls(), 2);
  EXPECT_EQ(service_->dcs()[1]->origin(), Origin::kReferral);
}

// TP8014: a DC configured persistent=auto whose page lacks its own EPCSD entry is parked; the
// DC it refers to inherits the choice (and is parked too); both keep their pages, and a
// parked DC is not taken for a lost one.
TEST_F(StafServiceTest, PersistentIsInheritedByReferralsAndParkedDcsKeepTheirPages) {
  ReferToADc();
  Start(
      "[Discovery controller connection management]\nepcsd-poll-interval-minutes=20\n"
      "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10;persistent=auto\n");
  Settle();
  ASSERT_EQ(Traddrs(), (std::vector<std::string>{"192.0.2.10", "192.0.2.40"}));
  for (const Dc* dc : service_->dcs()) {
    EXPECT_TRUE(dc->parked()) << dc->tid().ToString();
    EXPECT_FALSE(dc->connected());
    EXPECT_FALSE(dc->log_pages().empty());
    EXPECT_EQ(dc->own_persistence(), DcPersistence::kAuto);
  }
  EXPECT_EQ(kernel_.device_count(), 0u);
  const int connects = kernel_.connect_calls();
  loop_.AdvanceBy(std::chrono::minutes(19));
  EXPECT_EQ(kernel_.connect_calls(), connects);
  EXPECT_EQ(Traddrs().size(), 2u);  // nothing removed meanwhile
  loop_.AdvanceBy(std::chrono::minutes(1));
  EXPECT_EQ(kernel_.connect_calls(), connects + 2);  // both polled
}

// A DC's identity dict as stafctl ls shows it has "connect": "volumes" (nullopt: no such key).
std::optional<std::string> ConnectOf(const Dc& dc) {
  for (const auto& [key, value] : dc.IdDict()) {
    if (key == "connect")
      return value;
  }
  return std::nullopt;
}

ControllerEntry VolumeDc(const std::string& traddr) {
  ControllerEntry e;
  e.transport = "tcp";
  e.traddr = traddr;
  e.trsvcid = "8009";
  e.subsysnqn = kWellKnownDiscoveryNqn;
  return e;
}

// #15: the DCs stacd's volumes need are held, connect=volumes, and so are the DCs they refer
// to; a set without them removes them; one configured too stays as configured.
TEST_F(StafServiceTest, DcsHeldForVolumesAreConnectVolumesAndSoAreTheirReferrals) {
  AddPort("192.0.2.40", {SimEntry("nqn.io:ref", "192.0.2.41", "4420")});
  AddPort("192.0.2.60", {SimEntry("nqn.io:6", "192.0.2.61", "4420")});
  kernel_.SetLog("192.0.2.10", "8009",
                 {SimEntry(kWellKnownDiscoveryNqn, "192.0.2.40", "8009", 1),
                  SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.60\n");
  ASSERT_TRUE(service_->SetVolumeDcs({VolumeDc("192.0.2.10"), VolumeDc("192.0.2.60")}));
  loop_.RunUntilIdle();
  Settle();  // the referral, soaked
  ASSERT_EQ(Traddrs(), (std::vector<std::string>{"192.0.2.60", "192.0.2.10", "192.0.2.40"}));
  EXPECT_EQ(ConnectOf(*service_->dcs()[0]), std::nullopt) << "the configured entry wins";
  EXPECT_EQ(service_->dcs()[0]->origin(), Origin::kConfigured);
  EXPECT_EQ(ConnectOf(*service_->dcs()[1]), "volumes");
  EXPECT_EQ(service_->dcs()[1]->origin(), Origin::kVolumes);
  EXPECT_EQ(ConnectOf(*service_->dcs()[2]), "volumes") << "a referral inherits the choice";
  EXPECT_EQ(service_->dcs()[2]->origin(), Origin::kReferral);
  EXPECT_TRUE(service_->dcs()[1]->connected());

  ASSERT_TRUE(service_->SetVolumeDcs({}));
  loop_.RunUntilIdle();
  Settle();
  EXPECT_EQ(Traddrs(), std::vector<std::string>{"192.0.2.60"});
  EXPECT_GE(signals_.removed, 1);
}

// A DC stacd already connects everything of (here a referral of a connect=all DC) stays so
// when a volume asks for it too.
TEST_F(StafServiceTest, HoldingADcThatIsWantedOtherwiseKeepsItsWholePage) {
  ReferToADc();
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n");
  Settle();
  ASSERT_EQ(Traddrs(), (std::vector<std::string>{"192.0.2.10", "192.0.2.40"}));
  ASSERT_TRUE(service_->SetVolumeDcs({VolumeDc("192.0.2.40")}));
  loop_.RunUntilIdle();
  Settle();
  ASSERT_EQ(Traddrs(), (std::vector<std::string>{"192.0.2.10", "192.0.2.40"}));
  EXPECT_EQ(ConnectOf(*service_->dcs()[1]), std::nullopt);
}

// A held DC is in the last-known configuration: a restarted stafd holds it still.
TEST_F(StafServiceTest, DcsHeldForVolumesSurviveARestartOfStafd) {
  Start("");
  ASSERT_TRUE(service_->SetVolumeDcs({VolumeDc("192.0.2.10")}));
  loop_.RunUntilIdle();
  Settle();
  ASSERT_EQ(Traddrs(), std::vector<std::string>{"192.0.2.10"});
  bool stopped = false;
  service_->Stop([&stopped] { stopped = true; });
  loop_.RunUntilIdle();
  ASSERT_TRUE(stopped);
  service_.reset();

  Start("");
  Settle();
  ASSERT_EQ(Traddrs(), std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(service_->dcs()[0]->origin(), Origin::kVolumes);
  EXPECT_EQ(ConnectOf(*service_->dcs()[0]), "volumes");
  EXPECT_EQ(service_->volume_dcs(), 1U);
}

// connect=volumes in stafd.conf: shown, and given to the DCs it refers to.
TEST_F(StafServiceTest, AConfiguredConnectVolumesDcShowsIt) {
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10;connect=volumes\n");
  ASSERT_EQ(service_->dcs().size(), 1U);
  EXPECT_EQ(ConnectOf(*service_->dcs()[0]), "volumes");
  EXPECT_TRUE(service_->dcs()[0]->volumes_only());
}

TEST_F(StafServiceTest, MoreDcsForVolumesThanStafdHoldsAreRefused) {
  Start("");
  std::vector<ControllerEntry> many;
  for (std::size_t i = 0; i <= StafService::kMaxVolumeDcs; ++i)
    many.push_back(VolumeDc("192.0.3." + std::to_string(i % 250) + ""));
  Status s = service_->SetVolumeDcs(many);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, EINVAL);
  EXPECT_EQ(service_->volume_dcs(), 0U);
}

// #13, finding 6: the DCs' reads go through one lane of [Limits] discovery-read-workers; the
// others wait their turn and are all served in the end. process_info shows the lane.
TEST_F(StafServiceTest, DcReadsWaitForTheirBudgetOfWorkers) {
  AddPort("192.0.2.11", {SimEntry("nqn.io:2", "192.0.2.20", "4420")});
  AddPort("192.0.2.12", {SimEntry("nqn.io:3", "192.0.2.20", "4420")});
  Start(
      "[Limits]\ndiscovery-read-workers=1\n"
      "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n"
      "controller=transport=tcp;traddr=192.0.2.11\ncontroller=transport=tcp;traddr=192.0.2.12\n");
  ASSERT_EQ(service_->dcs().size(), 3u);
  for (const Dc* dc : service_->dcs())
    EXPECT_EQ(dc->log_pages().size(), 1u) << dc->tid().traddr();
  EXPECT_GE(service_->reads().peak_queued(), 2u);  // the three connected at once
  nlohmann::ordered_json info = service_->ReadBudgetInfo();
  EXPECT_EQ(info["limit"], 1);
  EXPECT_EQ(info["in flight"], 0);
  EXPECT_EQ(info["queued"], 0);
  EXPECT_EQ(info["peak queued"], service_->reads().peak_queued());

  service_->Reload(Config("[Limits]\ndiscovery-read-workers=5\n"));
  EXPECT_EQ(service_->reads().limit(), 5u);
}

TEST_F(StafServiceTest, ReloadRemovesAndAddsDcs) {
  AddPort("192.0.2.11", {});
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n");
  service_->Reload(Config("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.11\n"));
  Settle();
  EXPECT_EQ(Traddrs(), std::vector<std::string>{"192.0.2.11"});
  EXPECT_EQ(signals_.removed, 1);
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
}

TEST_F(StafServiceTest, StopKeepsPersistentConnections) {
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n");
  bool stopped = false;
  service_->Stop([&] { stopped = true; });
  loop_.RunUntilIdle();
  EXPECT_TRUE(stopped);
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  EXPECT_EQ(kernel_.device_count(), 1u);
}

TEST_F(StafServiceTest, StopDisconnectsWhenNotPersistent) {
  Start(
      "[Discovery controller connection management]\npersistent-connections=false\n"
      "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n");
  bool stopped = false;
  service_->Stop([&] { stopped = true; });
  loop_.RunUntilIdle();
  EXPECT_TRUE(stopped);
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
}

TEST_F(StafServiceTest, RestartRestoresTheCacheAndAdoptsTheConnection) {
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n");
  bool stopped = false;
  service_->Stop([&] { stopped = true; });
  loop_.RunUntilIdle();
  ASSERT_TRUE(stopped);
  service_.reset();

  kernel_.SetPortUp("192.0.2.10", "8009", false);  // the DC is unreachable after the restart
  service_ = std::make_unique<StafService>(
      Deps(), Config("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n"));
  service_->Start();
  // Before any reconciliation, the restored DC already serves its cached log page.
  ASSERT_EQ(service_->dcs().size(), 1u);
  EXPECT_EQ(service_->dcs()[0]->log_pages().size(), 1u);
  Settle();
  ASSERT_EQ(service_->dcs().size(), 1u);
  EXPECT_EQ(service_->dcs()[0]->device(), "nvme0");  // adopted, not reconnected
  EXPECT_EQ(kernel_.connect_calls(), 1);
  EXPECT_EQ(service_->dcs()[0]->log_pages().size(), 1u);  // fetch fails: the cache stays
}

KernelDevice ExistingDc(const std::string& hostnqn, const std::string& state) {
  KernelDevice d;
  d.transport = "tcp";
  d.traddr = "192.0.2.10";
  d.trsvcid = "8009";
  d.subsysnqn = kWellKnownDiscoveryNqn;
  d.hostnqn = hostnqn;
  d.cntrltype = "discovery";
  d.dctype = "ddc";
  d.state = state;
  return d;
}

constexpr const char* kOneDc = "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n";

TEST_F(StafServiceTest, AdoptsAConnectingDcAndShowsItNotLive) {
  std::string name = kernel_.AddExistingDevice(ExistingDc(host_.hostnqn, "resetting"));
  Start(kOneDc);
  EXPECT_EQ(kernel_.connect_calls(), 0);
  ASSERT_EQ(service_->dcs().size(), 1u);
  EXPECT_EQ(service_->dcs()[0]->device(), name);
  std::vector<Dict> detailed = ListDetailed(*service_, loop_);
  ASSERT_EQ(detailed.size(), 1u);
  EXPECT_EQ(ValueOf(detailed[0], "connected"), "True");  // nvme-stas 2.x: a device is recorded
  EXPECT_EQ(ValueOf(detailed[0], "state"), "resetting");
  EXPECT_TRUE(signals_.changed.empty());  // no log page from a controller that is not live
  // The kernel restores it and says so: stafd registers and fetches the log page.
  kernel_.SetDeviceState(name, "live");
  kernel_.SendEvent(name, "connected");
  loop_.RunUntilIdle();
  EXPECT_EQ(signals_.changed, std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(ValueOf(ListDetailed(*service_, loop_).at(0), "state"), "live");
}

TEST_F(StafServiceTest, NeverAdoptsADcTheKernelIsDeleting) {
  for (const char* state : {"deleting", "deleting (no IO)", "dead"})
    kernel_.AddExistingDevice(ExistingDc(host_.hostnqn, state));
  Start(kOneDc);
  EXPECT_EQ(kernel_.connect_calls(), 1);
  ASSERT_EQ(service_->dcs().size(), 1u);
  EXPECT_EQ(service_->dcs()[0]->device(), "nvme3");
  EXPECT_EQ(ValueOf(ListDetailed(*service_, loop_).at(0), "state"), "live");
}

TEST_F(StafServiceTest, DetailedListShowsConnectingDuringAnOutageAndLiveAfter) {
  Start(kOneDc);
  ASSERT_EQ(ValueOf(ListDetailed(*service_, loop_).at(0), "state"), "live");
  size_t fetches = signals_.changed.size();
  kernel_.SetPortUp("192.0.2.10", "8009", false);
  loop_.AdvanceBy(std::chrono::seconds(30));  // well within the kernel's 600 s
  Dict during = ListDetailed(*service_, loop_).at(0);
  EXPECT_EQ(ValueOf(during, "state"), "connecting");
  EXPECT_EQ(ValueOf(during, "connected"), "True");
  kernel_.SetPortUp("192.0.2.10", "8009", true);
  loop_.AdvanceBy(std::chrono::seconds(10));  // the kernel's next retry: NVME_EVENT=connected
  EXPECT_EQ(ValueOf(ListDetailed(*service_, loop_).at(0), "state"), "live");
  EXPECT_EQ(kernel_.connect_calls(), 1);            // restored by the kernel, not by us
  EXPECT_EQ(signals_.changed.size(), fetches + 1);  // and the log page fetched again
}

TEST_F(StafServiceTest, OutageLongerThanCtrlLossTmoRecreatesTheDc) {
  Start(std::string("[Global]\nctrl-loss-tmo=30\n") + kOneDc);
  ASSERT_EQ(service_->dcs().size(), 1u);
  const Dc* dc = service_->dcs()[0];
  ASSERT_EQ(dc->device(), "nvme0");
  kernel_.SetPortUp("192.0.2.10", "8009", false);
  loop_.AdvanceBy(std::chrono::seconds(30));  // the kernel gives up and deletes it
  EXPECT_EQ(kernel_.device_count(), 0u);
  EXPECT_FALSE(dc->connected());
  EXPECT_EQ(dc->log_pages().size(), 1u);  // the cache stays: stacd keeps its connections
  loop_.AdvanceBy(std::chrono::minutes(5));
  EXPECT_FALSE(dc->connected());
  kernel_.SetPortUp("192.0.2.10", "8009", true);
  loop_.AdvanceBy(Controller::kConnectRetry);
  EXPECT_TRUE(dc->connected());
  EXPECT_NE(dc->device(), "nvme0");
  EXPECT_EQ(ValueOf(ListDetailed(*service_, loop_).at(0), "state"), "live");
}

TEST_F(StafServiceTest, KernelRemovalReconnectsOnlyWhileWanted) {
  Start(kOneDc);
  kernel_.RemoveDevice("nvme0");  // `nvme disconnect`, or ctrl-loss-tmo
  loop_.AdvanceBy(Controller::kFastConnectRetry);
  ASSERT_EQ(service_->dcs().size(), 1u);
  EXPECT_EQ(service_->dcs()[0]->device(), "nvme1");
  EXPECT_EQ(kernel_.connect_calls(), 2);
  // No longer configured: the DC is disposed of (and disconnected), and its device's removal
  // brings nothing back.
  service_->Reload(Config(""));
  Settle();
  EXPECT_TRUE(service_->dcs().empty());
  loop_.AdvanceBy(std::chrono::minutes(5));
  EXPECT_EQ(kernel_.connect_calls(), 2);
  EXPECT_EQ(kernel_.device_count(), 0u);
}

TEST_F(StafServiceTest, CorruptLastKnownConfigIsLoggedAndIgnored) {
  ASSERT_TRUE(WriteFileAtomic(lkc_, "{ this is not json", 0600));
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n");
  EXPECT_THAT(warnings_, HasSubstr("Ignoring the last known config"));
  EXPECT_EQ(Traddrs(), std::vector<std::string>{"192.0.2.10"});
}

TEST_F(StafServiceTest, LastKnownConfigIsWrittenAfterEachPass) {
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n");
  loop_.AdvanceBy(StafService::kLkcSaveDelay);  // log page saves are coalesced
  Result<std::string> text = ReadWholeFile(lkc_);
  ASSERT_TRUE(text);
  EXPECT_THAT(*text, HasSubstr("\"nqn.io:1\""));
  EXPECT_THAT(*text, HasSubstr("\"origin\":\"configured\""));
}

TEST_F(StafServiceTest, OnlyChangedLogPagesAreSavedAndBurstsOnce) {
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n");
  loop_.AdvanceBy(StafService::kLkcSaveDelay);
  ASSERT_EQ(unlink(lkc_.c_str()), 0);
  // An AEN with the same log page: nothing to save.
  kernel_.SetLog("192.0.2.10", "8009", {SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  loop_.AdvanceBy(StafService::kLkcSaveDelay * 2);
  EXPECT_FALSE(ReadWholeFile(lkc_));
  // A changed page is saved, once, after the delay.
  kernel_.SetLog("192.0.2.10", "8009", {SimEntry("nqn.io:2", "192.0.2.21", "4420")});
  loop_.RunUntilIdle();
  EXPECT_FALSE(ReadWholeFile(lkc_));
  loop_.AdvanceBy(StafService::kLkcSaveDelay);
  Result<std::string> text = ReadWholeFile(lkc_);
  ASSERT_TRUE(text);
  EXPECT_THAT(*text, HasSubstr("\"nqn.io:2\""));
}

TEST_F(StafServiceTest, UnmanagedDcEventsAreHandedToNvmeCli) {
  std::vector<std::string> handed;
  service_ = std::make_unique<StafService>(
      Deps([&](const KernelEvent& ev, const KernelDevice&) { handed.push_back(ev.device); }),
      Config(""));
  service_->Start();
  KernelDevice foreign;
  foreign.transport = "tcp";
  foreign.traddr = "192.0.2.99";
  foreign.trsvcid = "8009";
  foreign.subsysnqn = kWellKnownDiscoveryNqn;
  foreign.cntrltype = "discovery";
  std::string name = kernel_.AddExistingDevice(foreign);
  kernel_.SendEvent(name, "rediscover");
  kernel_.SendEvent(name, "connected");  // not a reason for nvme-cli to rediscover
  loop_.RunUntilIdle();
  EXPECT_EQ(handed, std::vector<std::string>{name});
}

// --- [Limits] (#13, finding 3) ---

// `count` referrals to DCs that do not exist (10.0.x.y): each becomes a Dc that keeps trying.
std::vector<RawLogEntry> Referrals(int count) {
  std::vector<RawLogEntry> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(SimEntry(kWellKnownDiscoveryNqn,
                           "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1),
                           "8009", /*referral*/ 1));
  }
  return out;
}

TEST_F(StafServiceTest, OneDcCannotReferToThousands) {
  kernel_.SetLog("192.0.2.10", "8009", Referrals(1000));
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n");
  Settle();
  // The first 64 referrals are followed (max-referrals-per-dc), beside the configured DC.
  ASSERT_EQ(service_->dcs().size(), 65u);
  EXPECT_EQ(service_->dcs()[64]->tid().traddr(), "10.0.0.64");
  // The same page again after AENs: no new warning.
  kernel_.SetLog("192.0.2.10", "8009", Referrals(1000));
  loop_.RunUntilIdle();
  kernel_.SetLog("192.0.2.10", "8009", Referrals(1000));
  loop_.RunUntilIdle();
  Settle();
  EXPECT_EQ(CountOf(warnings_, "[Limits] max-referrals-per-dc=64 reached"), 1u);
  nlohmann::ordered_json limits = service_->LimitsInfo();
  EXPECT_EQ(limits["max-referrals-per-dc"]["value"], 64);
  EXPECT_EQ(limits["max-referrals-per-dc"]["dropped"], 936);
  ASSERT_EQ(limits["max-referrals-per-dc"]["hit-by"].size(), 1u);
  EXPECT_THAT(limits["max-referrals-per-dc"]["hit-by"][0].get<std::string>(),
              HasSubstr("192.0.2.10"));
  EXPECT_EQ(limits["max-discovery-controllers"]["dropped"], 0);
}

TEST_F(StafServiceTest, MaxDiscoveryControllersBoundsReferredDcsNotConfiguredOnes) {
  kernel_.SetLog("192.0.2.10", "8009", Referrals(1000));
  Start(
      "[Limits]\nmax-discovery-controllers=2\nmax-referrals-per-dc=1000\n"
      "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n"
      "controller=transport=tcp;traddr=192.0.2.11\ncontroller=transport=tcp;traddr=192.0.2.12\n");
  Settle();
  // Three configured DCs are all kept although the limit is 2; no referral gets in.
  EXPECT_EQ(Traddrs(), (std::vector<std::string>{"192.0.2.10", "192.0.2.11", "192.0.2.12"}));
  EXPECT_EQ(service_->LimitsInfo()["max-discovery-controllers"]["dropped"], 1000);

  service_->Reload(
      Config("[Limits]\nmax-discovery-controllers=5\nmax-referrals-per-dc=1000\n"
             "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n"));
  Settle();
  ASSERT_EQ(service_->dcs().size(), 5u);
  EXPECT_EQ(service_->dcs()[4]->tid().traddr(), "10.0.0.4");
  EXPECT_EQ(service_->LimitsInfo()["max-discovery-controllers"]["dropped"], 996);
  EXPECT_EQ(CountOf(warnings_, "[Limits] max-discovery-controllers=2 reached"), 1u);
}

TEST_F(StafServiceTest, ALongPageIsCutToMaxLogPageEntriesAndWarnedOnce) {
  std::vector<RawLogEntry> page;
  for (int i = 0; i < 5000; ++i)
    page.push_back(SimEntry("nqn.io:" + std::to_string(i), "192.0.2.20", "4420"));
  kernel_.SetLog("192.0.2.10", "8009", page);
  Start(
      "[Limits]\nmax-log-page-entries=100\n[Controllers]\ncontroller=transport=tcp;traddr=192.0.2."
      "10\n");
  ASSERT_EQ(service_->dcs().size(), 1u);
  EXPECT_EQ(service_->dcs()[0]->log_pages().size(), 100u);
  EXPECT_EQ(service_->dcs()[0]->log_pages()[99].subnqn, "nqn.io:99");
  for (int aen = 0; aen < 3; ++aen) {
    kernel_.SetLog("192.0.2.10", "8009", page);
    loop_.RunUntilIdle();
  }
  EXPECT_EQ(signals_.changed.size(), 4u);  // every fetch served the DC
  EXPECT_EQ(CountOf(warnings_, "[Limits] max-log-page-entries=100 reached"), 1u) << warnings_;
  EXPECT_THAT(warnings_, HasSubstr("lists 5000 entries, the first 100 are used"));
  EXPECT_EQ(service_->LimitsInfo()["max-log-page-entries"]["dropped"], 4900);

  // Back under the limit: no longer shown as hit; hit again later: warned again.
  kernel_.SetLog("192.0.2.10", "8009", {SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  loop_.RunUntilIdle();
  EXPECT_EQ(service_->LimitsInfo()["max-log-page-entries"]["dropped"], 0);
  EXPECT_TRUE(service_->LimitsInfo()["max-log-page-entries"]["hit-by"].empty());
  kernel_.SetLog("192.0.2.10", "8009", page);
  loop_.RunUntilIdle();
  EXPECT_EQ(CountOf(warnings_, "[Limits] max-log-page-entries=100 reached"), 2u);
}

TEST_F(StafServiceTest, ReferralsOfAnotherTransportAreNotFollowed) {
  AddPort("192.0.2.40", {});
  RawLogEntry rdma = SimEntry(kWellKnownDiscoveryNqn, "192.0.2.40", "8009", 1);
  rdma.trtype = 1;  // rdma, listed by a TCP DC
  kernel_.SetLog("192.0.2.10", "8009",
                 {rdma, SimEntry(kWellKnownDiscoveryNqn, "192.0.2.40", "8009", 1)});
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n");
  Settle();
  EXPECT_EQ(Traddrs(), (std::vector<std::string>{"192.0.2.10", "192.0.2.40"}));
  EXPECT_EQ(service_->dcs()[1]->tid().transport(), "tcp");
  EXPECT_THAT(warnings_,
              HasSubstr("another transport than the DC's not followed (rdma 192.0.2.40"));
  EXPECT_EQ(service_->LimitsInfo()["cross-transport-entries"]["dropped"], 1);

  service_->Reload(
      Config("[Limits]\ncross-transport-entries=follow\n"
             "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10\n"));
  Settle();
  Settle();
  ASSERT_EQ(service_->dcs().size(), 3u);
  EXPECT_EQ(service_->dcs()[2]->tid().transport(), "rdma");  // added last
}

TEST_F(StafServiceTest, ASlowReadEndsAtTheDeadlineIsRetriedAndWarnedOnce) {
  SimPort slow;
  slow.traddr = "192.0.2.50";
  slow.trsvcid = "8009";
  slow.log = {SimEntry("nqn.io:1", "192.0.2.20", "4420")};
  slow.log_read_time = std::chrono::seconds(90);
  kernel_.AddPort(slow);
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.50\n");
  ASSERT_EQ(service_->dcs().size(), 1u);
  EXPECT_TRUE(service_->dcs()[0]->log_pages().empty());
  loop_.AdvanceBy(std::chrono::seconds(65));  // three more tries, 20 s apart
  EXPECT_EQ(CountOf(warnings_, "[Limits] log-page-read-timeout=60s reached"), 1u) << warnings_;
  EXPECT_THAT(service_->dcs()[0]->Info(),
              ::testing::Contains(::testing::Pair("get log page operation", HasSubstr("fail"))));
  EXPECT_EQ(service_->LimitsInfo()["log-page-read-timeout"]["hit-by"].size(), 1u);

  service_->Reload(
      Config("[Limits]\nlog-page-read-timeout=120\n"
             "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.50\n"));
  Settle();
  EXPECT_EQ(service_->dcs()[0]->log_pages().size(), 1u);
  EXPECT_TRUE(service_->LimitsInfo()["log-page-read-timeout"]["hit-by"].empty());
}

}  // namespace
}  // namespace stas::staf
