// SPDX-License-Identifier: Apache-2.0
#include "stac/stac_service.h"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/defs.h"
#include "common/log.h"
#include "common/loop/blocking_runner.h"
#include "common/testing/detailed_list.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/file_helpers.h"
#include "common/testing/glib_loop_fixture.h"
#include "common/testing/simulated_kernel.h"
#include "common/testing/text_helpers.h"
#include "stac/fake_stafd.h"

namespace stas::stac {
namespace {

using testing::CountOf;
using testing::ListDetailed;
using testing::SimEntry;
using testing::SimPort;
using testing::ValueOf;

class StacServiceTest : public ::testing::Test {
 protected:
  StacServiceTest() {
    host_.hostnqn = "nqn.host";
    host_.hostid = "11111111-2222-3333-4444-555555555555";
    SimPort port;
    port.traddr = "192.0.2.20";
    port.trsvcid = "4420";
    port.subsystems = {"nqn.io:1", "nqn.io:2", "nqn.io:3"};
    kernel_.AddPort(port);
    state_ = dir_ + "/owned-controllers.json";
  }
  ~StacServiceTest() override { service_.reset(); }

  void Start(const std::string& conf) {
    LoadedConfig l = ParseServiceConfig(Daemon::kStacd, ParseIniText(conf, "stacd.conf"));
    StacDeps deps{.loop = loop_,
                  .runner = runner_,
                  .kernel = kernel_,
                  .events = kernel_,
                  .stafd = stafd_,
                  .host = host_,
                  .state_path = state_,
                  .shared_files = files_};
    service_ = std::make_unique<StacService>(std::move(deps), l.config);
    service_->Start();
    Settle();
  }
  void Settle() { loop_.AdvanceBy(std::chrono::seconds(2)); }
  void ReconcileAfterSignal() {
    stafd_.Emit(DlpSource::Event::kChanged);
    Settle();
  }
  std::vector<std::string> Subsystems() {
    std::vector<std::string> out;
    for (const Ioc* ioc : service_->iocs())
      out.push_back(ioc->tid().subsysnqn());
    return out;
  }

  FakeEventLoop loop_;
  InlineRunner runner_{loop_};
  testing::SimulatedKernel kernel_{loop_};
  FakeStafd stafd_;
  HostInfo host_;
  testing::ScopedTempDir tmp_{"stac-service-test"};
  std::string dir_ = tmp_.path();
  std::string state_;
  SharedHostFiles files_{};  // no registry unless a test sets one
  std::unique_ptr<StacService> service_;
};

TEST_F(StacServiceTest, ConnectsConfiguredControllers) {
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.20;trsvcid=4420;nqn=nqn.io:1\n");
  EXPECT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:1"});
  EXPECT_TRUE(service_->iocs()[0]->connected());
  EXPECT_FALSE(kernel_.connect_requests()[0].discovery);
}

TEST_F(StacServiceTest, ConnectsTheIoEntriesStafdServes) {
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420"),
                SimEntry("nqn.io:2", "192.0.2.20", "4420"),
                SimEntry(kWellKnownDiscoveryNqn, "192.0.2.40", "8009", /*referral*/ 1)});
  Start("");
  EXPECT_EQ(Subsystems(), (std::vector<std::string>{"nqn.io:1", "nqn.io:2"}));
  EXPECT_EQ(service_->iocs()[0]->tid().host_nqn(), "nqn.host");
  EXPECT_EQ(kernel_.device_count(), 2u);
}

// #13, finding 3: one DC's page cannot make stacd connect everything it lists.
TEST_F(StacServiceTest, MaxIocsPerDcBoundsTheConnectsOfOnePage) {
  std::string warnings;
  SetLogSinkForTesting([&warnings](LogLevel l, const std::string& s) {
    if (l >= LogLevel::kWarning)
      warnings += s + "\n";
  });
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420"),
                SimEntry("nqn.io:2", "192.0.2.20", "4420"),
                SimEntry("nqn.io:3", "192.0.2.20", "4420")});
  Start("[Limits]\nmax-iocs-per-dc=2\n");
  ReconcileAfterSignal();
  ReconcileAfterSignal();
  SetLogSinkForTesting(nullptr);
  EXPECT_EQ(Subsystems(), (std::vector<std::string>{"nqn.io:1", "nqn.io:2"}));
  // Warned once although every pass sees the same page.
  EXPECT_EQ(CountOf(warnings, "[Limits] max-iocs-per-dc=2 reached"), 1u) << warnings;
  nlohmann::ordered_json limits = service_->LimitsInfo();
  EXPECT_EQ(limits["max-iocs-per-dc"]["value"], 2);
  EXPECT_EQ(limits["max-iocs-per-dc"]["dropped"], 1);
  EXPECT_EQ(limits["max-iocs-per-dc"]["hit-by"][0], "(tcp, 192.0.2.10, 8009, nqn.dc)");
}

// #13, finding 3: an entry listed by a TCP DC cannot make the host open an RDMA connection.
TEST_F(StacServiceTest, EntriesOfAnotherTransportThanTheDcsAreNotConnected) {
  RawLogEntry rdma = SimEntry("nqn.io:2", "192.0.2.20", "4420");
  rdma.trtype = 1;  // rdma
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420"), rdma});
  Start("");
  EXPECT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:1"});
  EXPECT_EQ(service_->LimitsInfo()["cross-transport-entries"]["dropped"], 1);
  service_.reset();

  Start("[Limits]\ncross-transport-entries=follow\n");
  EXPECT_EQ(Subsystems(), (std::vector<std::string>{"nqn.io:1", "nqn.io:2"}));
  EXPECT_EQ(service_->LimitsInfo()["cross-transport-entries"]["value"], "follow");
}

TEST_F(StacServiceTest, NeverDisconnectsWhenStafdDoesNotAnswer) {
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("");
  ASSERT_EQ(kernel_.device_count(), 1u);
  stafd_.answer = std::nullopt;  // stafd gone, slow or erroring
  stafd_.Emit(DlpSource::Event::kVanished);
  ReconcileAfterSignal();
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  EXPECT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:1"});
  // Only an answer without the entry, from a stafd that is back and has read its DCs,
  // removes it.
  stafd_.Serve({});
  stafd_.Emit(DlpSource::Event::kAppeared);
  ReconcileAfterSignal();
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  EXPECT_TRUE(Subsystems().empty());
}

TEST_F(StacServiceTest, StafdAbsentAtStartKeepsReadoptedControllers) {
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("");
  bool stopped = false;
  service_->Stop([&] { stopped = true; });
  loop_.RunUntilIdle();
  ASSERT_TRUE(stopped);
  service_.reset();
  stafd_.answer = std::nullopt;
  Start("");
  EXPECT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:1"});
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
}

TEST_F(StacServiceTest, DisconnectScopePolicies) {
  struct Case {
    std::string conf;
    int disconnects;
  };
  for (const Case& c : std::vector<Case>{
           {"", 1},
           {"[I/O controller connection management]\ndisconnect-scope=no-disconnect\n", 0},
           {"[I/O controller connection management]\n"
            "disconnect-scope=all-connections-matching-disconnect-trtypes\ndisconnect-trtypes="
            "rdma\n",
            0},
           {"[I/O controller connection management]\n"
            "disconnect-scope=all-connections-matching-disconnect-trtypes\ndisconnect-trtypes="
            "tcp\n",
            1}}) {
    int before = kernel_.disconnect_calls();
    stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
    Start(c.conf);
    ASSERT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:1"}) << c.conf;
    stafd_.Serve({});
    ReconcileAfterSignal();
    EXPECT_TRUE(Subsystems().empty()) << c.conf;
    EXPECT_EQ(kernel_.disconnect_calls() - before, c.disconnects) << c.conf;
    service_.reset();
    // Clean slate for the next case.
    for (const KernelDevice& d : kernel_.ListDevices())
      kernel_.RemoveDevice(d.name);
    loop_.RunUntilIdle();
    unlink(state_.c_str());
  }
}

TEST_F(StacServiceTest, NccLimitsConnectAttemptsUntilCleared) {
  kernel_.FailNext("connect", 10, ECONNREFUSED);
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420", 2, /*eflags NCC*/ 4)});
  Start("[I/O controller connection management]\nconnect-attempts-on-ncc=2\n");
  loop_.AdvanceBy(std::chrono::seconds(3));  // second attempt
  loop_.AdvanceBy(std::chrono::minutes(5));  // and no more
  EXPECT_EQ(kernel_.connect_calls(), 2);
  EXPECT_TRUE(service_->iocs()[0]->ncc());
  // The DC clears NCC: connect at once.
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420", 2, 0)});
  ReconcileAfterSignal();
  EXPECT_EQ(kernel_.connect_calls(), 3);
}

TEST_F(StacServiceTest, WithoutNccConnectsAreRetriedForever) {
  kernel_.FailNext("connect", 5, ECONNREFUSED);
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("[I/O controller connection management]\nconnect-attempts-on-ncc=2\n");
  loop_.AdvanceBy(std::chrono::minutes(5));
  EXPECT_EQ(kernel_.connect_calls(), 6);
  EXPECT_TRUE(service_->iocs()[0]->connected());
}

TEST_F(StacServiceTest, AdoptsAnExistingConnectionInsteadOfDuplicating) {
  std::string name = kernel_.AddExistingDevice(
      testing::ExistingIoDevice("nqn.io:1", "192.0.2.20", "4420", "nqn.host"));
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("");
  EXPECT_EQ(kernel_.connect_calls(), 0);
  EXPECT_EQ(service_->iocs()[0]->device(), name);
}

KernelDevice ExistingIoController(const std::string& state) {
  KernelDevice d = testing::ExistingIoDevice("nqn.io:1", "192.0.2.20", "4420", "nqn.host");
  d.state = state;
  return d;
}

TEST_F(StacServiceTest, AdoptsAConnectingControllerAndShowsItNotLive) {
  std::string name = kernel_.AddExistingDevice(ExistingIoController("connecting"));
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("");
  EXPECT_EQ(kernel_.connect_calls(), 0);  // a new connect would be refused (EALREADY)
  ASSERT_EQ(service_->iocs().size(), 1u);
  EXPECT_EQ(service_->iocs()[0]->device(), name);
  std::vector<Dict> detailed = ListDetailed(*service_, loop_);
  ASSERT_EQ(detailed.size(), 1u);
  EXPECT_EQ(ValueOf(detailed[0], "connected"), "True");  // nvme-stas 2.x: a device is recorded
  EXPECT_EQ(ValueOf(detailed[0], "state"), "connecting");
  kernel_.SetDeviceState(name, "live");
  EXPECT_EQ(ValueOf(ListDetailed(*service_, loop_).at(0), "state"), "live");
}

TEST_F(StacServiceTest, NeverAdoptsAControllerTheKernelIsDeleting) {
  for (const char* state : {"deleting", "deleting (no IO)", "dead"})
    kernel_.AddExistingDevice(ExistingIoController(state));
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("");
  EXPECT_EQ(kernel_.connect_calls(), 1);
  ASSERT_EQ(service_->iocs().size(), 1u);
  EXPECT_EQ(service_->iocs()[0]->device(), "nvme3");
  EXPECT_EQ(ValueOf(ListDetailed(*service_, loop_).at(0), "state"), "live");
}

TEST_F(StacServiceTest, DetailedListShowsConnectingDuringAnOutageAndLiveAfter) {
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("");
  ASSERT_EQ(ValueOf(ListDetailed(*service_, loop_).at(0), "state"), "live");
  kernel_.SetPortUp("192.0.2.20", "4420", false);
  loop_.AdvanceBy(std::chrono::seconds(30));  // well within the kernel's 600 s
  Dict during = ListDetailed(*service_, loop_).at(0);
  EXPECT_EQ(ValueOf(during, "state"), "connecting");
  EXPECT_EQ(ValueOf(during, "connected"), "True");
  EXPECT_EQ(ValueOf(during, "device"), "nvme0");
  kernel_.SetPortUp("192.0.2.20", "4420", true);
  loop_.AdvanceBy(std::chrono::seconds(10));  // the kernel's next retry
  EXPECT_EQ(ValueOf(ListDetailed(*service_, loop_).at(0), "state"), "live");
  EXPECT_EQ(kernel_.connect_calls(), 1);  // the kernel restored it: no new connect
}

TEST_F(StacServiceTest, OutageLongerThanCtrlLossTmoRecreatesTheController) {
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("[Global]\nctrl-loss-tmo=30\n");
  ASSERT_EQ(service_->iocs().size(), 1u);
  const Ioc* ioc = service_->iocs()[0];
  ASSERT_EQ(ioc->device(), "nvme0");
  kernel_.SetPortUp("192.0.2.20", "4420", false);
  loop_.AdvanceBy(std::chrono::seconds(30));  // the kernel gives up and deletes it
  EXPECT_EQ(kernel_.device_count(), 0u);
  EXPECT_FALSE(ioc->connected());
  EXPECT_EQ(ValueOf(ListDetailed(*service_, loop_).at(0), "state"), "");
  loop_.AdvanceBy(std::chrono::minutes(5));  // stacd keeps trying while the port is down
  EXPECT_FALSE(ioc->connected());
  kernel_.SetPortUp("192.0.2.20", "4420", true);
  loop_.AdvanceBy(Controller::kConnectRetry);
  EXPECT_TRUE(ioc->connected());
  EXPECT_NE(ioc->device(), "nvme0");
  EXPECT_EQ(kernel_.device_count(), 1u);
  EXPECT_EQ(ValueOf(ListDetailed(*service_, loop_).at(0), "state"), "live");
}

TEST_F(StacServiceTest, KernelRemovalReconnectsOnlyWhileWanted) {
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("[I/O controller connection management]\ndisconnect-scope=no-disconnect\n");
  kernel_.RemoveDevice("nvme0");  // `nvme disconnect`, or ctrl-loss-tmo
  loop_.AdvanceBy(Controller::kFastConnectRetry);
  ASSERT_EQ(service_->iocs().size(), 1u);
  EXPECT_EQ(service_->iocs()[0]->device(), "nvme1");
  EXPECT_EQ(kernel_.connect_calls(), 2);
  // No longer wanted: the controller is let go (its connection kept, by disconnect-scope)...
  stafd_.Serve({});
  ReconcileAfterSignal();
  EXPECT_TRUE(service_->iocs().empty());
  // ...so its removal by the kernel is nobody's business.
  kernel_.RemoveDevice("nvme1");
  loop_.AdvanceBy(std::chrono::minutes(5));
  EXPECT_EQ(kernel_.connect_calls(), 2);
  EXPECT_EQ(kernel_.device_count(), 0u);
}

TEST_F(StacServiceTest, WarmRestartReadoptsAndKeepsTheRightToDisconnect) {
  stafd_.Serve(
      {SimEntry("nqn.io:1", "192.0.2.20", "4420"), SimEntry("nqn.io:2", "192.0.2.20", "4420")});
  Start("");
  bool stopped = false;
  service_->Stop([&] { stopped = true; });
  loop_.RunUntilIdle();
  ASSERT_TRUE(stopped);
  EXPECT_EQ(kernel_.device_count(), 2u);  // I/O connections survive a stop
  service_.reset();
  kernel_.RemoveDevice("nvme1");  // gone while stacd was down: not re-adopted
  loop_.RunUntilIdle();
  stafd_.answer = std::nullopt;
  Start("");
  EXPECT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:1"});
  EXPECT_EQ(kernel_.connect_calls(), 2);  // re-adopted, not reconnected
  stafd_.Serve({});
  ReconcileAfterSignal();
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  EXPECT_EQ(kernel_.device_count(), 0u);
}

// A controller someone else owns in the ownership registry (here the firmware's boot
// connection) is used but never disconnected: not when its entry leaves the log page under any
// disconnect-scope, not by the audit, not by a restart. stacd's own connections are recorded.
TEST_F(StacServiceTest, AControllerSomeoneElseOwnsIsNeverDisconnected) {
  files_.registry = OwnershipRegistry(dir_ + "/registry");
  auto existing = [this](const std::string& subsysnqn) {
    return kernel_.AddExistingDevice(
        testing::ExistingIoDevice(subsysnqn, "192.0.2.20", "4420", "nqn.host"));
  };
  const std::string boot1 = existing("nqn.io:1");
  const std::string boot3 = existing("nqn.io:3");
  ASSERT_TRUE(files_.registry.Record(boot1, kOwnerNbft, 1));
  ASSERT_TRUE(files_.registry.Record(boot3, kOwnerNbft, 1));
  for (const char* conf : {"",
                           "[I/O controller connection management]\n"
                           "disconnect-scope=all-connections-matching-disconnect-trtypes\n"}) {
    stafd_.Serve(
        {SimEntry("nqn.io:1", "192.0.2.20", "4420"), SimEntry("nqn.io:2", "192.0.2.20", "4420")});
    Start(conf);
    Settle();
    ASSERT_EQ(Subsystems(), (std::vector<std::string>{"nqn.io:1", "nqn.io:2"})) << conf;
    const Ioc* ioc1 = service_->Find(service_->iocs()[0]->tid());
    EXPECT_EQ(ioc1->device(), boot1);
    EXPECT_EQ(ioc1->owner(), "nbft");
    const std::string ours = service_->iocs()[1]->device();
    EXPECT_EQ(files_.registry.OwnerOf(ours), "stas");
    EXPECT_EQ(ValueOf(service_->iocs()[0]->Details(), "owner"), "nbft");

    stafd_.Serve({});
    ReconcileAfterSignal();
    EXPECT_TRUE(Subsystems().empty()) << conf;
    EXPECT_TRUE(kernel_.GetDevice(boot1)) << conf;  // left connected
    EXPECT_TRUE(kernel_.GetDevice(boot3)) << conf;  // the audit left it too
    EXPECT_FALSE(kernel_.GetDevice(ours)) << conf;  // ours went
    EXPECT_EQ(files_.registry.OwnerOf(ours), "") << conf;
    EXPECT_EQ(files_.registry.OwnerOf(boot1), "nbft") << conf;
    bool stopped = false;
    service_->Stop([&] { stopped = true; });
    loop_.RunUntilIdle();
    ASSERT_TRUE(stopped);
    service_.reset();
  }
  EXPECT_EQ(kernel_.disconnect_calls(), 2);  // nqn.io:2, once per case
}

// After a restart, stacd does not take back a controller the registry says is someone else's
// now; one without an entry (made before there was a registry) is taken back and claimed.
TEST_F(StacServiceTest, AWarmRestartTakesBackOnlyWhatTheRegistrySaysIsOurs) {
  files_.registry = OwnershipRegistry(dir_ + "/registry");
  stafd_.Serve(
      {SimEntry("nqn.io:1", "192.0.2.20", "4420"), SimEntry("nqn.io:2", "192.0.2.20", "4420")});
  Start("");
  ASSERT_EQ(Subsystems(), (std::vector<std::string>{"nqn.io:1", "nqn.io:2"}));
  const std::string second = service_->iocs()[1]->device();
  bool stopped = false;
  service_->Stop([&] { stopped = true; });
  loop_.RunUntilIdle();
  ASSERT_TRUE(stopped);
  service_.reset();
  ASSERT_TRUE(files_.registry.Record(second, "discoverd", 99));
  const std::string first = kernel_.FindDevice("nqn.io:1", "192.0.2.20")->name;
  std::filesystem::remove_all(dir_ + "/registry/" + first);
  stafd_.answer = std::nullopt;
  Start("");
  EXPECT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:1"});
  EXPECT_EQ(kernel_.connect_calls(), 2);  // re-adopted, not reconnected
  EXPECT_EQ(files_.registry.OwnerOf(first), "stas");
  EXPECT_EQ(files_.registry.OwnerOf(second), "discoverd");
}

TEST_F(StacServiceTest, AuditAdoptsForeignConnectionsAndDisconnectsUnwantedOnes) {
  KernelDevice foreign;
  foreign.transport = "tcp";
  foreign.traddr = "192.0.2.20";
  foreign.trsvcid = "4420";
  foreign.subsysnqn = "nqn.io:3";
  foreign.hostnqn = "nqn.host";
  foreign.cntrltype = "io";
  foreign.has_namespaces = true;
  kernel_.AddExistingDevice(foreign);
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start(
      "[I/O controller connection management]\n"
      "disconnect-scope=all-connections-matching-disconnect-trtypes\n");
  Settle();
  EXPECT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:1"});
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  EXPECT_FALSE(kernel_.FindDevice("nqn.io:3", "192.0.2.20"));
}

// #13, finding 9a: a connection made without an interface (nvme connect without --host-iface)
// is adopted by the audit with the interface that owns its source address, as nvme-stas does;
// otherwise it does not match the candidate that names that interface, which connects a
// duplicate while the adopted one, unwanted under its own identity, is disconnected. The
// interface is loopback: every machine that runs the tests has it (net_if_test.cc).
TEST_F(StacServiceTest, AuditGivesAnAdoptedConnectionTheInterfaceOfItsSourceAddress) {
  KernelDevice made_by_hand;
  made_by_hand.transport = "tcp";
  made_by_hand.traddr = "192.0.2.20";
  made_by_hand.trsvcid = "4420";
  made_by_hand.subsysnqn = "nqn.io:1";
  made_by_hand.hostnqn = "nqn.host";
  made_by_hand.src_addr = "127.0.0.1";  // no host_iface
  made_by_hand.cntrltype = "io";
  made_by_hand.has_namespaces = true;
  const std::string dev = kernel_.AddExistingDevice(made_by_hand);
  stafd_.Serve({});
  Start(
      "[I/O controller connection management]\n"
      "disconnect-scope=all-connections-matching-disconnect-trtypes\n"
      "[Controllers]\n"
      "controller=transport=tcp;traddr=192.0.2.20;trsvcid=4420;nqn=nqn.io:1;host-iface=lo\n");
  ReconcileAfterSignal();
  EXPECT_EQ(kernel_.connect_calls(), 0);
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  EXPECT_EQ(kernel_.device_count(), 1u);
  ASSERT_EQ(service_->iocs().size(), 1u);
  EXPECT_EQ(service_->iocs()[0]->tid().host_iface(), "lo");
  EXPECT_EQ(service_->iocs()[0]->device(), dev);
}

// #14: a returning stafd is not given a fixed 10 s. What it serves is connected at once (after
// the 1.5 s soak), and nothing is disconnected until it says it has read every DC.
TEST_F(StacServiceTest, ARestartedStafdIsActedOnAsSoonAsItHasReadItsDcs) {
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("");
  ASSERT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:1"});
  // stafd restarts; its first DC read gives nqn.io:2, the DC listing nqn.io:1 is not read yet.
  stafd_.Emit(DlpSource::Event::kVanished);
  stafd_.initial_discovery_done = false;
  stafd_.Serve({SimEntry("nqn.io:2", "192.0.2.20", "4420")});
  stafd_.Emit(DlpSource::Event::kAppeared);
  EXPECT_EQ(stafd_.done_queries, 2);  // at start, and now
  loop_.AdvanceBy(std::chrono::milliseconds(1500));
  EXPECT_EQ(Subsystems(), (std::vector<std::string>{"nqn.io:1", "nqn.io:2"}));
  // Long past the 10 s nvme-stas gives a returning stafd: still nothing disconnected.
  loop_.AdvanceBy(std::chrono::seconds(30));
  ReconcileAfterSignal();
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  EXPECT_EQ(Subsystems(), (std::vector<std::string>{"nqn.io:1", "nqn.io:2"}));
  // stafd has read its DCs: acted on at once, without a soak.
  int calls = stafd_.calls;
  stafd_.initial_discovery_done = true;
  stafd_.Emit(DlpSource::Event::kInitialDiscoveryDone);
  loop_.RunUntilIdle();
  EXPECT_EQ(stafd_.calls, calls + 1);
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  EXPECT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:2"});
}

// A stafd that has already read its DCs when it is found (it says so when asked) is acted on
// at once, not 10 s later.
TEST_F(StacServiceTest, AStafdThatHasReadItsDcsIsActedOnAtOnce) {
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("");
  stafd_.Serve({SimEntry("nqn.io:2", "192.0.2.20", "4420")});
  stafd_.Emit(DlpSource::Event::kAppeared);
  loop_.RunUntilIdle();
  EXPECT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:2"});
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
}

// nvme-stas's stafd has no InitialDiscoveryDone: it is given 10 s, as nvme-stas's stacd gives
// it, before anything it does not list is disconnected.
TEST_F(StacServiceTest, AStafdThatCannotSayIsGivenTenSeconds) {
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("");
  stafd_.Emit(DlpSource::Event::kVanished);
  stafd_.initial_discovery_done = std::nullopt;
  stafd_.Serve({SimEntry("nqn.io:2", "192.0.2.20", "4420")});
  stafd_.Emit(DlpSource::Event::kAppeared);
  loop_.AdvanceBy(std::chrono::milliseconds(9999));
  EXPECT_EQ(Subsystems(), (std::vector<std::string>{"nqn.io:1", "nqn.io:2"}));
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  loop_.AdvanceBy(std::chrono::milliseconds(1));
  loop_.RunUntilIdle();
  EXPECT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:2"});
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
}

// At a cold start, stacd asks stafd before anything else; while stafd has not read every DC,
// stacd connects what it serves and what stacd.conf lists, and disconnects nothing.
TEST_F(StacServiceTest, NothingIsDisconnectedWhileStafdHasNotReadItsDcs) {
  stafd_.initial_discovery_done = false;
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420")});
  Start("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.20;trsvcid=4420;nqn=nqn.io:3\n");
  EXPECT_EQ(stafd_.done_queries, 1);
  EXPECT_EQ(Subsystems(), (std::vector<std::string>{"nqn.io:3", "nqn.io:1"}));
  stafd_.Serve({});
  ReconcileAfterSignal();
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  stafd_.Emit(DlpSource::Event::kInitialDiscoveryDone);
  loop_.RunUntilIdle();
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  EXPECT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:3"});
}

TEST_F(StacServiceTest, ExcludedAndOtherFamilySubsystemsAreNotConnected) {
  stafd_.Serve({SimEntry("nqn.io:1", "192.0.2.20", "4420"),
                SimEntry("nqn.io:2", "192.0.2.20", "4420"),
                SimEntry("nqn.io:6", "2001:db8::20", "4420")});
  Start("[Global]\nip-family=ipv4\n[Controllers]\nexclude=subsysnqn=nqn.io:2\n");
  EXPECT_EQ(Subsystems(), std::vector<std::string>{"nqn.io:1"});
}

TEST_F(StacServiceTest, ConnectsWithEveryPerControllerOption) {
  host_.hostkey = "DHHC-1:00:c3lzLmNvbmYgaG9zdCBrZXkgZm9yIHRoZSB0ZXN0Lg==:";
  stafd_.Serve({SimEntry("nqn.io:2", "192.0.2.20", "4420")});
  Start(
      "[Global]\nnr-io-queues=4\nnr-write-queues=2\nnr-poll-queues=1\nqueue-size=64\n"
      "kato=15\nreconnect-delay=5\nctrl-loss-tmo=120\nhdr-digest=true\ndata-digest=true\n"
      "disable-sqflow=true\n"
      "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.20;trsvcid=4420;nqn=nqn.io:1;"
      "queue-size=128;kato=30;data-digest=false;dhchap-secret=DHHC-1:00:aG9zdA==:;"
      "dhchap-ctrl-secret=DHHC-1:00:Y3RybA==:\n");
  std::vector<ConnectRequest> reqs = kernel_.connect_requests();
  ASSERT_EQ(reqs.size(), 2u);
  std::map<std::string, ConnectRequest> by_nqn;
  for (const ConnectRequest& r : reqs)
    by_nqn.emplace(r.tid.subsysnqn(), r);

  const ConnectRequest& configured = by_nqn.at("nqn.io:1");
  ConnectOptions want;
  want.nr_io_queues = 4;
  want.nr_write_queues = 2;
  want.nr_poll_queues = 1;
  want.queue_size = 128;  // the controller's own value wins
  want.kato = 30;
  want.reconnect_delay = 5;
  want.ctrl_loss_tmo = 120;
  want.hdr_digest = true;
  want.data_digest = false;
  want.disable_sqflow = true;
  EXPECT_EQ(configured.options, want);
  EXPECT_EQ(configured.dhchap_secret, "DHHC-1:00:aG9zdA==:");
  EXPECT_EQ(configured.dhchap_ctrl_secret, "DHHC-1:00:Y3RybA==:");
  EXPECT_EQ(configured.host.hostkey, host_.hostkey);
  EXPECT_FALSE(configured.discovery);

  // A discovered subsystem gets the [Global] values and, with no secret of its own, the
  // sys.conf host key.
  const ConnectRequest& discovered = by_nqn.at("nqn.io:2");
  want.queue_size = 64;
  want.kato = 15;
  want.data_digest = true;
  EXPECT_EQ(discovered.options, want);
  EXPECT_FALSE(discovered.dhchap_secret);
  EXPECT_EQ(discovered.host.hostkey, host_.hostkey);
}

// A kernel whose Connect() holds every caller until `expected` connects are in the kernel at
// once, then lets them all through: only callers that really run in parallel get there, however
// slow the machine. A wait that times out opens the gate for everyone, so that a serial caller
// fails the test in kMaxWait instead of hanging it. Everything else goes straight to `kernel`.
class ConnectGateKernel : public NvmeKernel {
 public:
  static constexpr std::chrono::milliseconds kMaxWait{10000};

  ConnectGateKernel(NvmeKernel& kernel, int expected) : kernel_(kernel), expected_(expected) {}

  // The most Connect() calls that were waiting at the gate at the same time.
  int max_in_flight() const {
    std::lock_guard<std::mutex> lock(mu_);
    return max_in_flight_;
  }

  Result<std::string> Connect(const ConnectRequest& req) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
      if (in_flight_ >= expected_)
        open_ = true;
      cv_.notify_all();
      if (!cv_.wait_for(lock, kMaxWait, [this] { return open_; })) {
        open_ = true;
        cv_.notify_all();
      }
      --in_flight_;
    }
    return kernel_.Connect(req);
  }
  bool FabricsAvailable() override { return kernel_.FabricsAvailable(); }
  std::vector<std::string> SupportedOptions() override { return kernel_.SupportedOptions(); }
  Status Disconnect(const std::string& device) override { return kernel_.Disconnect(device); }
  Status Reauthenticate(const std::string& device, const std::string& host_secret,
                        const std::string& ctrl_secret) override {
    return kernel_.Reauthenticate(device, host_secret, ctrl_secret);
  }
  Result<DiscoveryLogPage> GetDiscoveryLog(const std::string& device, uint8_t lsp,
                                           const DiscoveryLogLimits& limits) override {
    return kernel_.GetDiscoveryLog(device, lsp, limits);
  }
  Result<uint32_t> GetDiscoveryLogSupport(const std::string& device) override {
    return kernel_.GetDiscoveryLogSupport(device);
  }
  Result<RegistrationResult> RegisterHost(const std::string& device,
                                          const HostInfo& host) override {
    return kernel_.RegisterHost(device, host);
  }
  std::vector<KernelDevice> ListDevices() override { return kernel_.ListDevices(); }
  std::optional<KernelDevice> GetDevice(const std::string& device) override {
    return kernel_.GetDevice(device);
  }
  std::vector<NamespaceInfo> ListNamespaces(const std::string& device) override {
    return kernel_.ListNamespaces(device);
  }
  Status RescanNamespaces(const std::string& device) override {
    return kernel_.RescanNamespaces(device);
  }
  std::vector<std::pair<std::string, std::string>> ListSubsysNqns() override {
    return kernel_.ListSubsysNqns();
  }

 private:
  NvmeKernel& kernel_;
  const int expected_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
  bool open_ = false;
};

// The production pool and loop: N new subsystems are connected in parallel, not one after
// the other (each connect blocks a worker until all N are in the kernel).
class StacServiceParallelTest : public GlibLoopTest {
 protected:
  static constexpr int kSubsystems = 64;
};

TEST_F(StacServiceParallelTest, SixtyFourConnectsAreInFlightAtOnce) {
  testing::SimulatedKernel sim(loop_);
  ConnectGateKernel kernel(sim, kSubsystems);
  SimPort port;
  port.traddr = "192.0.2.20";
  port.trsvcid = "4420";
  std::vector<RawLogEntry> entries;
  for (int i = 0; i < kSubsystems; ++i) {
    port.subsystems.push_back("nqn.io:" + std::to_string(i));
    entries.push_back(SimEntry(port.subsystems.back(), "192.0.2.20", "4420"));
  }
  sim.AddPort(port);
  FakeStafd stafd;
  stafd.Serve(entries);
  HostInfo host;
  host.hostnqn = "nqn.host";
  ThreadPoolRunner runner(loop_);
  StacService service(StacDeps{.loop = loop_,
                               .runner = runner,
                               .kernel = kernel,
                               .events = sim,
                               .stafd = stafd,
                               .host = host},
                      ParseServiceConfig(Daemon::kStacd, ParseIniText("", "stacd.conf")).config);
  service.Start();
  auto all_connected = [&] {
    std::vector<const Ioc*> iocs = service.iocs();
    return iocs.size() == kSubsystems &&
           std::all_of(iocs.begin(), iocs.end(), [](const Ioc* i) { return i->connected(); });
  };
  EventLoop::TimerId poll_id = EventLoop::kNoTimer;
  std::function<void()> poll = [&] {
    if (all_connected())
      return loop_.Quit();
    poll_id = loop_.AddTimer(std::chrono::milliseconds(20), poll);
  };
  poll_id = loop_.AddTimer(std::chrono::milliseconds(20), poll);
  bool done = RunFor(std::chrono::seconds(30));
  loop_.CancelTimer(poll_id);
  EXPECT_TRUE(done) << "not all " << kSubsystems << " connected within 30 s";
  EXPECT_TRUE(all_connected());
  EXPECT_EQ(sim.connect_calls(), kSubsystems);
  // Every connect was in the kernel at the same time: the pool grew to one worker each.
  EXPECT_EQ(kernel.max_in_flight(), kSubsystems);
  bool stopped = false;
  service.Stop([&] { stopped = true; });
  runner.Shutdown();
  while (g_main_context_iteration(context_.get(), FALSE)) {
  }
  EXPECT_TRUE(stopped);
}

}  // namespace
}  // namespace stas::stac
