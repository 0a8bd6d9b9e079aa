// SPDX-License-Identifier: Apache-2.0
// Volumes through StacService on the simulated kernel: what the manager connects, finds,
// keeps and disconnects.
#include "stac/volumes/volume_manager.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <functional>
#include <optional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/config/ini_file.h"
#include "common/kernel/sysfs_namespaces.h"
#include "common/loop/blocking_runner.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/file_helpers.h"
#include "common/testing/held_runner.h"
#include "common/testing/simulated_kernel.h"
#include "stac/fake_stafd.h"
#include "stac/stac_service.h"
#include "stac/volumes/volume_state.h"

namespace stas::stac {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const char* kUuid1 = "11111111-0000-4000-8000-000000000001";
const char* kUuid2 = "22222222-0000-4000-8000-000000000002";
const char* kUuid3 = "33333333-0000-4000-8000-000000000003";

class VolumeManagerTest : public ::testing::Test {
 protected:
  VolumeManagerTest() {
    testing::SimPort port;
    port.traddr = "192.0.2.20";
    port.trsvcid = "4420";
    port.subsystems = {"nqn.io:1", "nqn.io:2", "nqn.io:3"};
    kernel_.AddPort(port);
    // nqn.io:1 has two namespaces; each subsystem's namespaces have their own UUIDs.
    kernel_.SetNamespaces("nqn.io:1", {{.nsid = 1, .uuid = kUuid1, .size_bytes = 1 << 20},
                                       {.nsid = 2, .uuid = kUuid3}});
    kernel_.SetNamespaces("nqn.io:2", {{.nsid = 1, .uuid = kUuid2}});
    host_.hostnqn = "nqn.host";
    host_.hostid = "11111111-2222-3333-4444-555555555555";
    stafd_.answer = std::vector<DcLogPage>{};
  }
  ~VolumeManagerTest() override { service_.reset(); }

  // The device nodes the kernel (devtmpfs) makes with each disk; `nodes` false: none.
  void Start(const std::string& conf = "", bool nodes = true) {
    for (int s = 0; nodes && s < 4; ++s) {
      for (int n = 1; n <= 5; ++n)
        testing::WriteFileText(
            tmp_.path() + "/dev/nvme" + std::to_string(s) + "n" + std::to_string(n), "");
    }
    LoadedConfig l = ParseServiceConfig(Daemon::kStacd, ParseIniText(conf, "stacd.conf"));
    service_ = std::make_unique<StacService>(
        StacDeps{.loop = loop_,
                 .runner = runner_,
                 .kernel = kernel_,
                 .events = kernel_,
                 .stafd = stafd_,
                 .host = host_,
                 .state_path = tmp_.path() + "/owned-controllers.json",
                 .volumes_path = tmp_.path() + "/volumes.json",
                 .persistent_volumes_path = tmp_.path() + "/persistent-volumes.json",
                 .on_volumes_changed =
                     [this](const VolumeView* v) {
                       if (v != nullptr)
                         signals_.push_back(v->id + " " + VolumeStateName(v->state));
                     },
                 .dev_dir = tmp_.path() + "/dev",
                 .native_multipath =
                     [] {
                       return std::optional<bool>(true);
                     }},
        l.config);
    service_->Start();
    loop_.AdvanceBy(seconds(2));
  }

  // Stops the service as SIGTERM does (connections kept, state files flushed) and drops it.
  void StopService() {
    bool stopped = false;
    service_->Stop([&stopped] { stopped = true; });
    loop_.AdvanceBy(seconds(1));
    ASSERT_TRUE(stopped);
    service_.reset();
  }

  static VolumeSpec Spec(const std::string& subsys, const std::string& uuid) {
    return VolumeSpec{.subsysnqn = subsys,
                      .ns = {.uuid = uuid},
                      .portals = {{.transport = "tcp", .traddr = "192.0.2.20", .trsvcid = "4420"}}};
  }
  static AttachOptions Options(milliseconds timeout = milliseconds(10000)) {
    AttachOptions o;
    o.timeout = timeout;
    return o;
  }

  // Attaches and runs the loop for `wait`; the answer, if there was one.
  std::optional<Result<VolumeView>> Attach(const std::string& id, const VolumeSpec& spec,
                                           AttachOptions options = Options(),
                                           milliseconds wait = milliseconds(100)) {
    std::optional<Result<VolumeView>> got;
    service_->volumes().Attach(id, spec, options, [&got](Result<VolumeView> r) { got = r; });
    loop_.AdvanceBy(wait);
    return got;
  }
  bool Detach(const std::string& id) {
    bool done = false;
    service_->volumes().Detach(id, [&done](const Status& s) { done = static_cast<bool>(s); });
    loop_.AdvanceBy(milliseconds(100));
    return done;
  }
  // A volume reached through the DC at 192.0.2.20:8009 (which stafd serves as `page`).
  static VolumeSpec ViaDc(const std::string& subsys, const std::string& uuid) {
    return VolumeSpec{
        .subsysnqn = subsys,
        .ns = {.uuid = uuid},
        .discovery = {{.transport = "tcp", .traddr = "192.0.2.20", .trsvcid = "8009"}}};
  }
  // What stafd serves for a connect=volumes DC listing nqn.io:1, :2 and :3 at `traddr`.
  static DcLogPage VolumesDcPage(const std::string& traddr = "192.0.2.20") {
    std::vector<RawLogEntry> raw;
    for (const char* nqn : {"nqn.io:1", "nqn.io:2", "nqn.io:3"}) {
      raw.push_back(RawLogEntry{.trtype = 3,
                                .adrfam = 1,
                                .subtype = 2,
                                .trsvcid = "4420",
                                .subnqn = nqn,
                                .traddr = traddr});
    }
    return DcLogPage{.dc = "(tcp, 192.0.2.20, 8009, nqn.dc)",
                     .transport = "tcp",
                     .host_nqn = "nqn.host",
                     .volumes_only = true,
                     .entries = ValidateLogEntries(raw).entries};
  }
  // Attaches vol-a by its UUID alone through a connect=volumes DC listing nqn.io:1, :2 and :3,
  // with nqn.io:3's connect held in the kernel until the volume has been found in nqn.io:1
  // and nqn.io:2 released; `before_it_ends` runs, then that connect ends.
  void FindWithTheThirdConnectInFlight(const std::function<void()>& before_it_ends) {
    stafd_.answer = std::vector<DcLogPage>{VolumesDcPage()};
    Start();
    runner_.hold = true;
    std::optional<Result<VolumeView>> got;
    service_->volumes().Attach("vol-a", ViaDc("", kUuid3), Options(),
                               [&got](Result<VolumeView> r) { got = r; });
    loop_.AdvanceBy(milliseconds(100));
    // The work held runs one job at a time, each result handled before the next job, until
    // the first two of the three connects (in the order of the page) have been made: nqn.io:1,
    // which has the namespace, and nqn.io:2.
    const int connects = kernel_.connect_calls();
    for (int jobs = 0; kernel_.connect_calls() < connects + 2; ++jobs) {
      ASSERT_LT(jobs, 50) << "the connects never came";
      ASSERT_TRUE(runner_.RunNext()) << "nothing held";
      loop_.AdvanceBy(milliseconds(1));
    }
    ASSERT_EQ(kernel_.connect_requests().back().tid.subsysnqn(), "nqn.io:2");
    // Submitted with the other two, nqn.io:3's connect is the oldest job held; what came after
    // it (the namespaces of nqn.io:1 and :2) runs now.
    std::function<void()> third_connect = runner_.TakeNext();
    ASSERT_TRUE(third_connect) << "nqn.io:3's connect was not held";
    runner_.hold = false;
    runner_.RunHeld();
    loop_.AdvanceBy(seconds(5));
    ASSERT_TRUE(got.has_value()) << "no answer";
    ASSERT_TRUE(*got) << got->error().message;
    ASSERT_EQ(kernel_.disconnect_calls(), 1) << "nqn.io:2 was not released";
    before_it_ends();
    third_connect();
    loop_.AdvanceBy(seconds(5));
  }
  std::vector<std::string> Connected() {
    std::vector<std::string> out;
    for (const Ioc* ioc : service_->iocs())
      out.push_back(ioc->tid().subsysnqn() + (ioc->connected() ? "" : " (not connected)"));
    return out;
  }

  FakeEventLoop loop_;
  testing::HeldRunner runner_{loop_};  // runs jobs at once unless a test holds them
  testing::SimulatedKernel kernel_{loop_};
  FakeStafd stafd_;  // serves nothing unless a test says: only volumes connect
  HostInfo host_;
  testing::ScopedTempDir tmp_{"volume-manager-test"};
  std::vector<std::string> signals_;
  std::unique_ptr<StacService> service_;
};

// Test 1 of #15: one volume by UUID connects its subsystem only and returns its device.
TEST_F(VolumeManagerTest, AttachConnectsOnlyWhatTheVolumeNeedsAndReturnsItsDevice) {
  Start();
  auto r = Attach("vol-a", Spec("nqn.io:2", kUuid2));
  ASSERT_TRUE(r.has_value()) << "no answer";
  ASSERT_TRUE(*r) << r->error().message;
  EXPECT_EQ((*r)->device, tmp_.path() + "/dev/nvme0n1");
  EXPECT_EQ((*r)->state, VolumeState::kAttached);
  EXPECT_TRUE((*r)->exists);
  EXPECT_EQ((*r)->ns.nsid, 1U);
  ASSERT_EQ((*r)->paths.size(), 1U);
  EXPECT_EQ((*r)->paths[0].state, "live");
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:2"});
  EXPECT_EQ(kernel_.connect_calls(), 1);
  // Attaching (and its paths changing while it is), then attached once.
  ASSERT_GE(signals_.size(), 2U);
  EXPECT_EQ(signals_.back(), "vol-a attached");
  for (std::size_t i = 0; i + 1 < signals_.size(); ++i)
    EXPECT_EQ(signals_[i], "vol-a attaching");
  EXPECT_GT(service_->generation(), 0U);
}

// Test 2: two volumes on one subsystem share its controller; the last detach disconnects it.
TEST_F(VolumeManagerTest, TheLastVolumeOfAControllerDisconnectsIt) {
  Start();
  ASSERT_TRUE(*Attach("vol-1", Spec("nqn.io:1", kUuid1)));
  ASSERT_TRUE(*Attach("vol-3", Spec("nqn.io:1", kUuid3)));
  EXPECT_EQ(kernel_.connect_calls(), 1);  // one controller for both
  EXPECT_TRUE(Detach("vol-1"));
  EXPECT_EQ(kernel_.device_count(), 1U);
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  EXPECT_EQ(service_->volumes().List({}).size(), 1U);
  EXPECT_TRUE(Detach("vol-3"));
  EXPECT_EQ(kernel_.device_count(), 0U);
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  EXPECT_TRUE(Connected().empty());
  EXPECT_TRUE(Detach("never-attached"));  // as vdsm: success
  EXPECT_EQ(signals_.back(), "vol-3 detached");
}

// Test 3: the same attach twice gives the same device and no new connection; another spec
// under the same id is a mismatch.
TEST_F(VolumeManagerTest, AttachIsIdempotentAndRefusesAnotherSpecForTheSameId) {
  Start();
  auto first = Attach("vol-a", Spec("nqn.io:2", kUuid2));
  auto again = Attach("vol-a", Spec("nqn.io:2", kUuid2));
  ASSERT_TRUE(*first);
  ASSERT_TRUE(*again);
  EXPECT_EQ((*first)->device, (*again)->device);
  EXPECT_EQ(kernel_.connect_calls(), 1);
  auto other = Attach("vol-a", Spec("nqn.io:1", kUuid1));
  ASSERT_FALSE(*other);
  EXPECT_EQ(other->error().code, EEXIST);
  EXPECT_EQ(kernel_.connect_calls(), 1);
}

// A connection that exists already (made by `nvme connect`) is used, not duplicated.
TEST_F(VolumeManagerTest, AnExistingConnectionIsAdopted) {
  std::string dev = kernel_.AddExistingDevice(
      testing::ExistingIoDevice("nqn.io:2", "192.0.2.20", "4420", "nqn.host"));
  Start();
  auto r = Attach("vol-a", Spec("nqn.io:2", kUuid2));
  ASSERT_TRUE(*r) << r->error().message;
  EXPECT_EQ((*r)->paths[0].controller, dev);
  EXPECT_EQ(kernel_.connect_calls(), 0);
}

// No namespace with that UUID: a timeout error within the attach's timeout, after one rescan
// half-way; the volume is not kept and its controller goes.
TEST_F(VolumeManagerTest, ANamespaceThatNeverAppearsTimesOutAfterOneRescan) {
  Start();
  auto r = Attach("vol-x", Spec("nqn.io:2", "44444444-0000-4000-8000-000000000004"),
                  Options(milliseconds(4000)), milliseconds(1000));
  EXPECT_FALSE(r.has_value());
  loop_.AdvanceBy(milliseconds(1500));
  EXPECT_EQ(kernel_.rescan_calls(), 1);
  loop_.AdvanceBy(milliseconds(1600));
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code, ETIMEDOUT);
  EXPECT_NE(r->error().message.find("within 4000 ms"), std::string::npos) << r->error().message;
  EXPECT_TRUE(service_->volumes().List({}).empty());
  EXPECT_EQ(kernel_.device_count(), 0U);
}

// A namespace the kernel did not scan (a lost scan) is found by the rescan half-way.
TEST_F(VolumeManagerTest, TheRescanFindsANamespaceALostScanHid) {
  Start();
  kernel_.SetScanHeld(true);
  auto r = Attach("vol-a", Spec("nqn.io:2", kUuid2), Options(milliseconds(6000)), seconds(2));
  EXPECT_FALSE(r.has_value());
  loop_.AdvanceBy(seconds(2));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(*r) << r->error().message;
  EXPECT_EQ(kernel_.rescan_calls(), 1);
}

TEST_F(VolumeManagerTest, ExcludedPortalsAndUnsupportedMultipathAreRefusedWithoutConnecting) {
  Start("[Controllers]\nexclude=traddr=192.0.2.20\n");
  auto r = Attach("vol-a", Spec("nqn.io:2", kUuid2));
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code, EACCES);
  AttachOptions no_mp = Options();
  no_mp.multipath = false;  // the host has it on
  r = Attach("vol-c", Spec("nqn.io:2", kUuid2), no_mp);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code, ENOTSUP);
  EXPECT_EQ(kernel_.connect_calls(), 0);
  EXPECT_TRUE(service_->volumes().List({}).empty());
}

// A pass over stafd's (empty) pages does not take a volume's controller away.
TEST_F(VolumeManagerTest, APassOverTheLogPagesKeepsVolumeControllers) {
  Start();
  ASSERT_TRUE(*Attach("vol-a", Spec("nqn.io:2", kUuid2)));
  stafd_.Emit(DlpSource::Event::kChanged);
  loop_.AdvanceBy(seconds(3));
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:2"});
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
}

// Test 4: stacd stops and starts again with a volume attached: nothing is disconnected, the
// volume is listed again with the same controller.
TEST_F(VolumeManagerTest, AVolumeSurvivesARestartOfStacd) {
  Start();
  auto r = Attach("vol-a", Spec("nqn.io:2", kUuid2));
  ASSERT_TRUE(*r);
  std::string ctrl = (*r)->paths[0].controller;
  ASSERT_NO_FATAL_FAILURE(StopService());
  Start();
  loop_.AdvanceBy(seconds(12));  // past every soak and wait for stafd
  std::vector<VolumeView> list = service_->volumes().List({"vol-a"});
  ASSERT_EQ(list.size(), 1U);
  EXPECT_EQ(list[0].state, VolumeState::kAttached);
  EXPECT_EQ(list[0].paths[0].controller, ctrl);
  EXPECT_EQ(kernel_.connect_calls(), 1);
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  // stacd made that connection before the restart: the detach still disconnects it.
  EXPECT_TRUE(Detach("vol-a"));
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
}

// A reboot: the runtime file is gone and so are the connections. Only the volume attached with
// "persistent" is attached again.
TEST_F(VolumeManagerTest, PersistentVolumesAreAttachedAgainAfterAReboot) {
  Start();
  AttachOptions keep = Options();
  keep.persistent = true;
  ASSERT_TRUE(*Attach("vol-kept", Spec("nqn.io:2", kUuid2), keep));
  ASSERT_TRUE(*Attach("vol-gone", Spec("nqn.io:1", kUuid1)));
  ASSERT_NO_FATAL_FAILURE(StopService());
  std::filesystem::remove(tmp_.path() + "/volumes.json");
  std::filesystem::remove(tmp_.path() + "/owned-controllers.json");
  for (const char* sub : {"nqn.io:1", "nqn.io:2"}) {
    if (auto d = kernel_.FindDevice(sub, "192.0.2.20"))
      kernel_.RemoveDevice(d->name);
  }
  Start();
  loop_.AdvanceBy(seconds(2));
  std::vector<VolumeView> list = service_->volumes().List({});
  ASSERT_EQ(list.size(), 1U);
  EXPECT_EQ(list[0].id, "vol-kept");
  EXPECT_EQ(list[0].state, VolumeState::kAttached);
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:2"});
}

// Port down: the path is not live, the volume is missing, although the kernel says nothing
// (the health look finds it); back: attached again.
TEST_F(VolumeManagerTest, APortOutageMakesTheVolumeMissingUntilItIsBack) {
  Start();
  ASSERT_TRUE(*Attach("vol-a", Spec("nqn.io:2", kUuid2)));
  kernel_.SetPortUp("192.0.2.20", "4420", false);
  loop_.AdvanceBy(VolumeManager::kHealthInterval + milliseconds(100));
  std::vector<VolumeView> list = service_->volumes().List({});
  ASSERT_EQ(list.size(), 1U);
  EXPECT_EQ(list[0].state, VolumeState::kMissing);
  EXPECT_FALSE(list[0].exists);
  kernel_.SetPortUp("192.0.2.20", "4420", true);
  loop_.AdvanceBy(seconds(11));  // the kernel's reconnect delay
  list = service_->volumes().List({});
  EXPECT_EQ(list[0].state, VolumeState::kAttached);
}

// Found in sysfs is not enough: the caller gets a device whose node is there.
TEST_F(VolumeManagerTest, TheAnswerWaitsForTheDeviceNode) {
  Start("", /*nodes=*/false);
  auto r = Attach("vol-a", Spec("nqn.io:2", kUuid2), Options(), seconds(1));
  EXPECT_FALSE(r.has_value());
  testing::WriteFileText(tmp_.path() + "/dev/nvme0n1", "");
  loop_.AdvanceBy(VolumeManager::kHealthInterval);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(*r);
  EXPECT_TRUE((*r)->exists);
}

// Someone else's connection (`nvme connect`), used by a volume, stays when it is detached.
TEST_F(VolumeManagerTest, ADetachLeavesSomeoneElsesConnection) {
  kernel_.AddExistingDevice(
      testing::ExistingIoDevice("nqn.io:2", "192.0.2.20", "4420", "nqn.host"));
  Start();
  ASSERT_TRUE(*Attach("vol-a", Spec("nqn.io:2", kUuid2)));
  EXPECT_TRUE(Detach("vol-a"));
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  EXPECT_EQ(kernel_.device_count(), 1U);
  EXPECT_TRUE(Connected().empty());  // and no longer stacd's
}

// stacd restarted during an outage, the orchestrator retries its attach and times out: the
// volume had a device, so it is missing, not forgotten, and nothing is disconnected.
TEST_F(VolumeManagerTest, ARestoredVolumeIsNeverForgottenForWantOfADevice) {
  Start();
  ASSERT_TRUE(*Attach("vol-a", Spec("nqn.io:2", kUuid2)));
  ASSERT_NO_FATAL_FAILURE(StopService());
  kernel_.SetPortUp("192.0.2.20", "4420", false);
  loop_.AdvanceBy(seconds(1));
  Start();
  auto r = Attach("vol-a", Spec("nqn.io:2", kUuid2), Options(milliseconds(3000)), seconds(4));
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code, ETIMEDOUT);
  std::vector<VolumeView> list = service_->volumes().List({});
  ASSERT_EQ(list.size(), 1U);
  EXPECT_EQ(list[0].state, VolumeState::kMissing);
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
}

// A volume taken back at start must not replace the list of the controllers stacd owned: the
// configured controller dropped from stacd.conf meanwhile is still stacd's to disconnect.
TEST_F(VolumeManagerTest, RestoringVolumesKeepsTheOwnedControllersList) {
  Start("[Controllers]\ncontroller = transport=tcp;traddr=192.0.2.20;trsvcid=4420;nqn=nqn.io:1\n");
  ASSERT_TRUE(*Attach("vol-a", Spec("nqn.io:2", kUuid2)));
  ASSERT_EQ(Connected().size(), 2U);
  ASSERT_NO_FATAL_FAILURE(StopService());
  Start();
  loop_.AdvanceBy(seconds(12));
  EXPECT_EQ(kernel_.disconnect_calls(), 1);  // nqn.io:1, no longer configured
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:2"});
}

// A controller stafd's page lists stays when a volume that shared it goes while stafd has not
// answered since stacd restarted.
TEST_F(VolumeManagerTest, ADetachKeepsWhatStafdOrTheScopeMayStillWant) {
  LogEntry e;
  e.subtype = kSubtypeNvme;
  e.transport = "tcp";
  e.traddr = "192.0.2.20";
  e.trsvcid = "4420";
  e.subnqn = "nqn.io:2";
  stafd_.answer = std::vector<DcLogPage>{
      {.dc = "dc", .transport = "tcp", .host_nqn = "nqn.host", .entries = {e}}};
  Start();
  loop_.AdvanceBy(seconds(3));
  ASSERT_TRUE(*Attach("vol-a", Spec("nqn.io:2", kUuid2)));
  ASSERT_NO_FATAL_FAILURE(StopService());
  stafd_.answer = std::nullopt;  // stafd does not answer
  Start();
  loop_.AdvanceBy(seconds(3));
  EXPECT_TRUE(Detach("vol-a"));
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
}

TEST_F(VolumeManagerTest, NoDisconnectScopeKeepsAVolumesControllerAtItsDetach) {
  Start("[I/O controller connection management]\ndisconnect-scope=no-disconnect\n");
  ASSERT_TRUE(*Attach("vol-b", Spec("nqn.io:1", kUuid1)));
  EXPECT_TRUE(Detach("vol-b"));
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  EXPECT_EQ(kernel_.device_count(), 1U);
}

// A caller joining an attach is not timed out before its own timeout.
TEST_F(VolumeManagerTest, AJoiningCallerKeepsItsOwnTimeout) {
  Start();
  std::optional<Result<VolumeView>> a, b;
  VolumeSpec s = Spec("nqn.io:2", "44444444-0000-4000-8000-000000000004");
  service_->volumes().Attach("v", s, Options(milliseconds(1000)),
                             [&a](Result<VolumeView> r) { a = r; });
  loop_.AdvanceBy(milliseconds(900));
  service_->volumes().Attach("v", s, Options(milliseconds(60000)),
                             [&b](Result<VolumeView> r) { b = r; });
  loop_.AdvanceBy(milliseconds(1000));
  EXPECT_FALSE(b.has_value());
  loop_.AdvanceBy(seconds(60));
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->error().code, ETIMEDOUT);
}

TEST(VolumeState, SerializedAndParsedBackThroughTheSameChecks) {
  AttachOptions o;
  o.connect.nr_io_queues = 1;
  VolumeSpec spec{.subsysnqn = "nqn.io:2",
                  .ns = {.uuid = kUuid2, .nsid = 1},
                  .portals = {{.transport = "tcp", .traddr = "192.0.2.20", .trsvcid = "4420"}}};
  std::string text = SerializeVolumes({{"vol-a", spec, o}});
  std::vector<std::string> skipped;
  auto back = ParseVolumes(text, &skipped);
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->size(), 1U);
  EXPECT_EQ((*back)[0].spec, spec);
  EXPECT_EQ((*back)[0].options.connect.nr_io_queues, 1);
  EXPECT_TRUE(skipped.empty());
  // An entry edited into something AttachVolume would refuse is left out, not trusted.
  std::string bad = text;
  bad.replace(bad.find("192.0.2.20"), 10, "1.2.3.4,hostnqn=x");
  back = ParseVolumes(bad, &skipped);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->empty());
  ASSERT_EQ(skipped.size(), 1U);
  EXPECT_FALSE(ParseVolumes("{}", &skipped));
  EXPECT_FALSE(ParseVolumes("not json", &skipped));
}

// Test 1 of #15, through discovery: a connect=volumes DC lists three subsystems; the volume's
// is the only one connected; stafd is told which DC to hold, and told again at the detach.
TEST_F(VolumeManagerTest, AttachThroughDiscoveryConnectsOnlyTheVolumesSubsystem) {
  stafd_.answer = std::vector<DcLogPage>{VolumesDcPage()};
  Start();
  EXPECT_TRUE(Connected().empty()) << "a connect=volumes DC alone connects nothing";
  AttachOptions options = Options();
  options.connect.nr_io_queues = 2;
  VolumeSpec spec = ViaDc("nqn.io:2", kUuid2);
  spec.hostid = "99999999-2222-3333-4444-555555555555";
  auto r = Attach("vol-a", spec, options, milliseconds(500));
  ASSERT_TRUE(r.has_value()) << "no answer";
  ASSERT_TRUE(*r) << r->error().message;
  EXPECT_EQ((*r)->device, tmp_.path() + "/dev/nvme0n1");
  ASSERT_EQ((*r)->paths.size(), 1U);
  EXPECT_EQ((*r)->paths[0].tid.traddr(), "192.0.2.20");
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:2"});
  ASSERT_FALSE(stafd_.volume_dcs.empty());
  const std::vector<std::map<std::string, std::string>> held = {
      {{"transport", "tcp"}, {"traddr", "192.0.2.20"}, {"trsvcid", "8009"}}};
  EXPECT_EQ(stafd_.volume_dcs.back(), held);
  // Connected as the volume asked.
  EXPECT_EQ(service_->iocs()[0]->request().options.nr_io_queues, 2);
  EXPECT_EQ(service_->iocs()[0]->request().host.hostid, spec.hostid);
  // stacctl ls says why it is there.
  const Dict id = service_->iocs()[0]->IdDict();
  EXPECT_NE(
      std::find(id.begin(), id.end(), std::pair<std::string, std::string>{"connect", "volumes"}),
      id.end());
  // Later passes keep it, and connect nothing else.
  stafd_.Emit(DlpSource::Event::kChanged);
  loop_.AdvanceBy(seconds(3));
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:2"});

  ASSERT_TRUE(Detach("vol-a"));
  loop_.AdvanceBy(seconds(3));
  EXPECT_TRUE(Connected().empty());
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  EXPECT_TRUE(stafd_.volume_dcs.back().empty()) << "stafd still told to hold the DC";
}

// Two volumes of one subsystem through discovery: the first detach keeps the controller.
TEST_F(VolumeManagerTest, TheLastDiscoveryVolumeOfASubsystemDisconnectsIt) {
  stafd_.answer = std::vector<DcLogPage>{VolumesDcPage()};
  Start();
  ASSERT_TRUE(*Attach("vol-a", ViaDc("nqn.io:1", kUuid1), Options(), milliseconds(500)));
  ASSERT_TRUE(*Attach("vol-b", ViaDc("nqn.io:1", kUuid3), Options(), milliseconds(500)));
  ASSERT_TRUE(Detach("vol-a"));
  loop_.AdvanceBy(seconds(3));
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:1"});
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  ASSERT_TRUE(Detach("vol-b"));
  loop_.AdvanceBy(seconds(3));
  EXPECT_TRUE(Connected().empty());
}

// Given by its UUID alone: the subsystems the DC lists are connected until the namespace is
// found; then only its subsystem stays, and where it was found survives a restart.
TEST_F(VolumeManagerTest, AVolumeGivenByItsNamespaceAloneKeepsOnlyTheSubsystemItIsIn) {
  stafd_.answer = std::vector<DcLogPage>{VolumesDcPage()};
  Start();
  auto r = Attach("vol-a", ViaDc("", kUuid3), Options(), milliseconds(500));
  ASSERT_TRUE(r.has_value()) << "no answer";
  ASSERT_TRUE(*r) << r->error().message;
  EXPECT_EQ((*r)->ns.nsid, 2U);
  loop_.AdvanceBy(seconds(3));  // the pass after it was found
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:1"});
  std::vector<VolumeView> list = service_->volumes().List({"vol-a"});
  ASSERT_EQ(list.size(), 1U);
  EXPECT_EQ(list[0].state, VolumeState::kAttached);
  EXPECT_EQ(list[0].paths.size(), 1U);

  ASSERT_NO_FATAL_FAILURE(StopService());
  const int connects = kernel_.connect_calls();
  Start();
  loop_.AdvanceBy(seconds(12));
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:1"});
  EXPECT_EQ(kernel_.connect_calls(), connects) << "the restart looked for it again";
  list = service_->volumes().List({"vol-a"});
  ASSERT_EQ(list.size(), 1U);
  EXPECT_EQ(list[0].state, VolumeState::kAttached);
  ASSERT_FALSE(stafd_.volume_dcs.empty());
  EXPECT_EQ(stafd_.volume_dcs.back().size(), 1U) << "the restarted stacd did not tell stafd";
}

// Test 7 of #15: stafd is not there: the attach through discovery fails at its timeout
// saying why, and nothing connected is disconnected.
TEST_F(VolumeManagerTest, ADiscoveryAttachWithoutStafdTimesOutSayingWhy) {
  Start();
  ASSERT_TRUE(*Attach("vol-a", Spec("nqn.io:2", kUuid2)));
  stafd_.answer = std::nullopt;
  stafd_.initial_discovery_done = std::nullopt;
  stafd_.set_volume_dcs_result = Fail(EIO, "org.freedesktop.DBus.Error.ServiceUnknown");
  stafd_.Emit(DlpSource::Event::kVanished);
  auto r = Attach("vol-b", ViaDc("nqn.io:1", kUuid1), Options(milliseconds(4000)), seconds(5));
  ASSERT_TRUE(r.has_value()) << "no answer";
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code, ETIMEDOUT);
  EXPECT_THAT(r->error().message, ::testing::HasSubstr("stafd is not on the D-Bus system bus"));
  loop_.AdvanceBy(seconds(15));
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:2"});
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
  EXPECT_EQ(service_->volumes().List({}).size(), 1U);
}

// A DC that is away (or a stafd that lost its state) does not take a volume's last path; a
// page that lists another way to the subsystem replaces it.
TEST_F(VolumeManagerTest, ADiscoveryVolumesPathGoesOnlyWhenThePagesListAnother) {
  testing::SimPort other;
  other.traddr = "192.0.2.21";
  other.trsvcid = "4420";
  other.subsystems = {"nqn.io:1", "nqn.io:2", "nqn.io:3"};
  kernel_.AddPort(other);
  stafd_.answer = std::vector<DcLogPage>{VolumesDcPage()};
  Start();
  ASSERT_TRUE(*Attach("vol-a", ViaDc("nqn.io:2", kUuid2), Options(), milliseconds(500)));
  stafd_.answer = std::vector<DcLogPage>{};
  stafd_.Emit(DlpSource::Event::kChanged);
  loop_.AdvanceBy(seconds(3));
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:2"});
  EXPECT_EQ(kernel_.disconnect_calls(), 0);

  stafd_.answer = std::vector<DcLogPage>{VolumesDcPage("192.0.2.21")};
  stafd_.Emit(DlpSource::Event::kChanged);
  loop_.AdvanceBy(seconds(2));
  // The new way connects before the old one goes: the volume never loses its device.
  ASSERT_EQ(service_->iocs().size(), 2U);
  EXPECT_EQ(service_->volumes().List({"vol-a"})[0].state, VolumeState::kAttached);
  loop_.AdvanceBy(seconds(3));
  ASSERT_EQ(service_->iocs().size(), 1U);
  EXPECT_EQ(service_->iocs()[0]->tid().traddr(), "192.0.2.21");
  std::vector<VolumeView> list = service_->volumes().List({"vol-a"});
  ASSERT_EQ(list.size(), 1U);
  EXPECT_EQ(list[0].state, VolumeState::kAttached);
  ASSERT_EQ(list[0].paths.size(), 1U);
  EXPECT_EQ(list[0].paths[0].tid.traddr(), "192.0.2.21");
}

// A volume named by its UUID alone looks only where connect=volumes DCs lead: restarted while
// stafd is gone, stacd's timeout releases nothing of what it connected otherwise (nothing says
// those are unwanted).
TEST_F(VolumeManagerTest, AVolumeLookingForItsNamespaceReleasesNothingElseAtItsTimeout) {
  DcLogPage all = VolumesDcPage();
  all.volumes_only = false;
  stafd_.answer = std::vector<DcLogPage>{all};
  Start();
  loop_.AdvanceBy(seconds(3));
  ASSERT_EQ(Connected().size(), 3U);
  ASSERT_NO_FATAL_FAILURE(StopService());
  stafd_.answer = std::nullopt;
  stafd_.initial_discovery_done = std::nullopt;
  Start();
  ASSERT_EQ(Connected().size(), 3U);
  auto r = Attach("vol-x", ViaDc("", "44444444-0000-4000-8000-000000000004"),
                  Options(milliseconds(4000)), seconds(5));
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code, ETIMEDOUT);
  loop_.AdvanceBy(seconds(15));
  EXPECT_EQ(Connected().size(), 3U);
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
}

// Found in nqn.io:2 after looking in nqn.io:1 too, whose connection someone else made: that
// one is left connected (a release's rules), only stacd's own would go.
TEST_F(VolumeManagerTest, LookingForANamespaceNeverDisconnectsSomeoneElsesConnection) {
  std::string dev = kernel_.AddExistingDevice(
      testing::ExistingIoDevice("nqn.io:1", "192.0.2.20", "4420", "nqn.host"));
  stafd_.answer = std::vector<DcLogPage>{VolumesDcPage()};
  Start();
  auto r = Attach("vol-a", ViaDc("", kUuid2), Options(), milliseconds(500));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(*r) << r->error().message;
  loop_.AdvanceBy(seconds(5));
  // nqn.io:3, which stacd connected to look in it, goes; nqn.io:1 is left to its owner.
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:2"});
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  bool still_there = false;
  for (const KernelDevice& k : kernel_.ListDevices())
    still_there = still_there || k.name == dev;
  EXPECT_TRUE(still_there) << dev << " was disconnected";
}

// Looking for a namespace in every subsystem, one connect may still be in flight when another
// subsystem has answered and the pass releases the rest. The release used to see it
// unconnected, so "not made by stacd", and left whatever it made connected and no longer
// stacd's: now what it makes is disconnected once it ends, what it adopts is left to its maker.
TEST_F(VolumeManagerTest, AConnectStillInFlightAtTheReleaseIsUndoneOnceItEnds) {
  ASSERT_NO_FATAL_FAILURE(FindWithTheThirdConnectInFlight([] {}));
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:1"});
  EXPECT_FALSE(kernel_.FindDevice("nqn.io:3", "192.0.2.20").has_value())
      << "the controller stacd made was left connected";
  EXPECT_EQ(kernel_.disconnect_calls(), 2);  // nqn.io:2, then nqn.io:3
}

TEST_F(VolumeManagerTest, AConnectStillInFlightAtTheReleaseLeavesWhatItAdopts) {
  std::string dev;
  ASSERT_NO_FATAL_FAILURE(FindWithTheThirdConnectInFlight([this, &dev] {
    dev = kernel_.AddExistingDevice(
        testing::ExistingIoDevice("nqn.io:3", "192.0.2.20", "4420", "nqn.host"));
  }));
  EXPECT_EQ(Connected(), std::vector<std::string>{"nqn.io:1"});
  std::optional<KernelDevice> io3 = kernel_.FindDevice("nqn.io:3", "192.0.2.20");
  ASSERT_TRUE(io3.has_value()) << "someone else's controller was disconnected";
  EXPECT_EQ(io3->name, dev);
  EXPECT_EQ(kernel_.disconnect_calls(), 1);  // nqn.io:2 only
}

// A detach while stafd does not answer is not undone by the pass that replays its last answer.
TEST_F(VolumeManagerTest, ADetachWhileStafdIsSilentStaysDone) {
  stafd_.answer = std::vector<DcLogPage>{VolumesDcPage()};
  Start();
  ASSERT_TRUE(*Attach("vol-a", ViaDc("nqn.io:2", kUuid2), Options(), milliseconds(500)));
  const int connects = kernel_.connect_calls();
  stafd_.answer = std::nullopt;  // there, but not answering
  ASSERT_TRUE(Detach("vol-a"));
  stafd_.Emit(DlpSource::Event::kChanged);
  loop_.AdvanceBy(seconds(5));
  EXPECT_TRUE(Connected().empty());
  EXPECT_EQ(kernel_.connect_calls(), connects);
}

// stafd is there but refuses (or times out): stacd asks again, and the attach goes through.
TEST_F(VolumeManagerTest, AFailedHoldIsAskedAgainWhileStafdIsThere) {
  stafd_.answer = std::vector<DcLogPage>{VolumesDcPage()};
  stafd_.set_volume_dcs_result = Fail(EIO, "org.freedesktop.DBus.Error.NoReply");
  Start();
  std::optional<Result<VolumeView>> got;
  service_->volumes().Attach("vol-a", ViaDc("nqn.io:2", kUuid2), Options(seconds(30)),
                             [&got](Result<VolumeView> r) { got = r; });
  loop_.AdvanceBy(seconds(1));
  const std::size_t asked = stafd_.volume_dcs.size();
  stafd_.set_volume_dcs_result = {};
  loop_.AdvanceBy(seconds(11));
  EXPECT_GT(stafd_.volume_dcs.size(), asked) << "not asked again";
  EXPECT_EQ(stafd_.volume_dcs.back().size(), 1U);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(*got);
}

}  // namespace
}  // namespace stas::stac
