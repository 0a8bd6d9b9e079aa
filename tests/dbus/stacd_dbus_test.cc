// SPDX-License-Identifier: Apache-2.0
// stacd's D-Bus API and stacctl (docs/compatibility.md, "D-Bus API", "Command-line tools"),
// tested the way users reach
// them, with stafd-sim and stacd-sim on one private bus: stacd learns the I/O controllers from
// stafd through the real get_all_log_pages call and log_pages_changed signal.
#include <nlohmann/json.hpp>
#include <set>
#include <signal.h>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/defs.h"
#include "common/testing/text_helpers.h"
#include "ctl/daemon_proxies.h"
#include "tests/dbus/dbus_fixture.h"
#include "tests/dbus/dbus_test_util.h"

namespace stas::testing {
namespace {

using ctl::StacProxy;
using std::chrono::milliseconds;
using ::testing::ElementsAreArray;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kStacIface = "org.nvmexpress.stac";
constexpr const char* kStacDebugIface = "org.nvmexpress.stac.debug";
constexpr const char* kSubsys1 = "nqn.2014-08.io.example:subsys1";
constexpr const char* kSubsys2 = "nqn.2014-08.io.example:subsys2";
constexpr const char* kSubsys3 = "nqn.2014-08.io.example:subsys3";
constexpr milliseconds kConnectTimeout{15000};

// The subsystem NQNs of a simulated kernel's device list (SimKernelDevices), one per
// controller.
std::multiset<std::string> KernelSubsystems(const nlohmann::json& devices) {
  std::multiset<std::string> out;
  for (const nlohmann::json& d : devices.is_array() ? devices : nlohmann::json::array())
    out.insert(d.at("subsysnqn").get<std::string>());
  return out;
}

// The device entry of `subsysnqn`'s controller in a device list; null if there is none.
nlohmann::json KernelDeviceOf(const nlohmann::json& devices, const std::string& subsysnqn) {
  for (const nlohmann::json& d : devices.is_array() ? devices : nlohmann::json::array()) {
    if (d.at("subsysnqn") == subsysnqn)
      return d;
  }
  return nullptr;
}

std::string StacObj() {
  return std::string(kStacdBusName) + " " + kStacdObjectPath;
}

// The DC at kDcTraddr serves a log page naming the `subsystems` (nqn, traddr, trsvcid), and
// each of those is reachable on its port.
std::string Scenario(const std::vector<std::vector<std::string>>& subsystems) {
  json log = json::array();
  json ports = json::array();
  ports.push_back({{"traddr", kDcTraddr}, {"trsvcid", "8009"}, {"log", json::array()}});
  for (const auto& s : subsystems) {
    ports[0]["log"].push_back({{"subnqn", s[0]}, {"traddr", s[1]}, {"trsvcid", s[2]}});
    ports.push_back({{"traddr", s[1]}, {"trsvcid", s[2]}, {"subsystems", json::array({s[0]})}});
  }
  return json({{"ports", ports}}).dump();
}

const std::vector<std::vector<std::string>>& TwoSubsystems() {
  static const std::vector<std::vector<std::string>> s = {{kSubsys1, "192.0.2.20", "4420"},
                                                          {kSubsys2, "192.0.2.21", "4421"}};
  return s;
}

// stafd-sim as in StafdDbusTest, plus stacd-sim on the same bus and scenario (each has its own
// simulated kernel: stafd's holds the DC connection, stacd's the I/O connections).
class StacdDbusTest : public StafdDbusTest {
 protected:
  StacdDbusTest() { scenario_json_ = Scenario(TwoSubsystems()); }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StafdDbusTest::SetUp());
    WriteFile(StacdConfPath(), stacd_conf_);
    stac_ = std::make_unique<StacProxy>(connection());
    stacd_.Start(STACD_SIM_BIN, StacdConfPath(), dir() + "/stacd.log",
                 SimEnvironment(StacdRuntime()));
    ASSERT_TRUE(WaitUntil([this] { return stacd_.Exited() || ConnectedCount() == expected_iocs_; },
                          kConnectTimeout))
        << "stacd-sim did not connect " << expected_iocs_ << " I/O controllers within 15 s";
    ASSERT_GT(stacd_.pid(), 0) << "stacd-sim exited during start-up";
  }

  void TearDown() override {
    if (stacd_.pid() > 0)
      (void)stacd_.Stop();
    if (HasFailure()) {
      std::cerr << "---- stacd-sim output (" << stacd_.log_path() << ") ----\n"
                << stacd_.LogText() << "---- end of stacd-sim output ----\n";
    }
    stac_.reset();
    StafdDbusTest::TearDown();
  }

  std::string StacdConfPath() const { return dir() + "/stacd.conf"; }
  std::string StacdRuntime() const { return dir() + "/run-stacd"; }
  StacProxy& stac() { return *stac_; }

  // I/O controllers stacd lists with a kernel device; 0 when stacd is not on the bus.
  size_t ConnectedCount() {
    try {
      size_t n = 0;
      for (const auto& c : stac_->list_controllers(false))
        n += c.at("device") != "nvme?";
      return n;
    } catch (const sdbus::Error&) {
      return 0;
    }
  }
  std::set<std::string> ListedSubsystems() {
    std::set<std::string> out;
    for (const auto& c : stac_->list_controllers(false))
      out.insert(c.at("subsysnqn"));
    return out;
  }
  std::vector<std::string> IocId(const std::string& subsysnqn) {
    for (const auto& c : stac_->list_controllers(false)) {
      if (c.at("subsysnqn") != subsysnqn)
        continue;
      return IdArgs(c);
    }
    ADD_FAILURE() << "stacd lists no " << subsysnqn;
    return std::vector<std::string>(7);
  }
  // The controllers in stacd's simulated kernel (not what stacd says about them).
  nlohmann::json KernelIocs() const { return SimKernelDevices(StacdRuntime()); }
  // Until stacd's kernel holds exactly one controller of each of `subsysnqns`; false after
  // kConnectTimeout.
  bool WaitForKernelIocs(const std::multiset<std::string>& subsysnqns) const {
    return WaitUntil([&] { return KernelSubsystems(KernelIocs()) == subsysnqns; }, kConnectTimeout);
  }
  // stacctl's `text` with the device names and serials of subsys1's and subsys2's controllers
  // (taken from stacd's kernel) renamed to the goldens' nvme0/sim1 and nvme1/sim2: the
  // simulated kernel numbers them in the order the connects finish, which varies.
  std::string WithGoldenDevices(const std::string& text) const {
    nlohmann::json devices = KernelIocs();
    std::map<std::string, std::string> renames;
    const std::vector<std::vector<std::string>> golden = {{kSubsys1, "nvme0", "sim1"},
                                                          {kSubsys2, "nvme1", "sim2"}};
    for (const std::vector<std::string>& g : golden) {
      nlohmann::json d = KernelDeviceOf(devices, g[0]);
      if (d.is_null()) {
        ADD_FAILURE() << g[0] << " has no controller in stacd's kernel: " << devices.dump();
        continue;
      }
      renames["'" + d["name"].get<std::string>() + "'"] = "'" + g[1] + "'";
      renames["'" + d["serial"].get<std::string>() + "'"] = "'" + g[2] + "'";
    }
    return ReplaceSameLength(text, renames);
  }
  ProgramOutput Stacctl(const std::string& args) const {
    return RunOnBus(std::string(STACCTL_BIN) + " " + args);
  }
  ProgramOutput StacGdbus(const std::string& method, const std::string& args) const {
    return GdbusCall(method, args, kStacdBusName, kStacdObjectPath);
  }
  // Rewrites the scenario and makes both daemons re-read it; stacd's kernel first, so that
  // the new subsystems are connectable before stafd announces them.
  void ChangeScenario(const std::vector<std::vector<std::string>>& subsystems) {
    WriteFile(ScenarioPath(), Scenario(subsystems));
    stacd_.Signal(SIGUSR1);
    Signal(SIGUSR1);
  }

  std::string stacd_conf_;
  size_t expected_iocs_ = 2;
  SimDaemon stacd_;

 private:
  std::unique_ptr<StacProxy> stac_;
};

TEST_F(StacdDbusTest, IntrospectionListsExactlyTheApi) {
  ProgramOutput r = Busctl("introspect " + StacObj());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto api = Introspection(r.out);
  EXPECT_TRUE(api.count("org.freedesktop.DBus.Properties"));
  const auto& stac = api[kStacIface];
  ASSERT_EQ(stac.size(), 1u) << r.out;  // no signals, no log-page methods
  EXPECT_THAT(stac.at("list_controllers"),
              ElementsAreArray({".list_controllers", "method", "b", "aa{ss}", "-"}));
  const auto& debug = api[kStacDebugIface];
  ASSERT_EQ(debug.size(), 4u) << r.out;
  EXPECT_THAT(debug.at("controller_info"),
              ElementsAreArray({".controller_info", "method", "sssssss", "s", "-"}));
  EXPECT_THAT(debug.at("process_info"),
              ElementsAreArray({".process_info", "method", "-", "s", "-"}));
  ASSERT_GE(debug.at("tron").size(), 5u);
  EXPECT_THAT(debug.at("tron"), ::testing::Contains("writable"));
  EXPECT_EQ(debug.at("log_level")[2], "s");
}

TEST_F(StacdDbusTest, IoControllersComeFromStafdsLogPages) {
  auto list = stac().list_controllers(false);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(ListedSubsystems(), (std::set<std::string>{kSubsys1, kSubsys2}));
  for (const auto& c : list) {
    EXPECT_EQ(c.at("transport"), "tcp");
    EXPECT_EQ(c.at("host-nqn"), kTestHostNqn);  // the DC's host NQN
    EXPECT_THAT(c.at("device"), ::testing::StartsWith("nvme"));
    EXPECT_NE(c.at("device"), "nvme?");
  }
  json by_busctl = BusctlData(
      Busctl("--json=short call " + StacObj() + " " + kStacIface + " list_controllers b false"));
  json by_gdbus = GdbusData(StacGdbus("org.nvmexpress.stac.list_controllers", "false"));
  ASSERT_FALSE(by_busctl.is_null());
  EXPECT_EQ(Unordered(by_busctl[0]), Unordered(by_gdbus[0]));
  EXPECT_EQ(Unordered(by_gdbus[0]), Unordered(DictListToJson(list)));
}

TEST_F(StacdDbusTest, DetailedListHasTheLogEntryAndConnectionState) {
  for (const auto& c : stac().list_controllers(true)) {
    EXPECT_EQ(c.at("connected"), "True");
    EXPECT_EQ(c.at("cntrltype"), "io");
    EXPECT_EQ(c.at("hostid"), kTestHostId);
    EXPECT_EQ(c.at("dlpe.eflags.ncc"), "False");
    EXPECT_THAT(c.at("dlpe"), HasSubstr("'subnqn': '" + c.at("subsysnqn") + "'"));
    EXPECT_EQ(c.at("connect attempts"), "0");  // reset once connected
    EXPECT_TRUE(c.count("retry connect timer"));
  }
}

TEST_F(StacdDbusTest, ControllerInfoAndBadArguments) {
  std::vector<std::string> id = IocId(kSubsys1);
  json info = json::parse(stac().controller_info(id[0], id[1], id[2], id[3], id[4], id[5], id[6]));
  EXPECT_EQ(info["subsysnqn"], kSubsys1);
  EXPECT_TRUE(info.contains("connect attempts"));
  json by_gdbus = GdbusData(StacGdbus("org.nvmexpress.stac.debug.controller_info", Args7(id)));
  EXPECT_EQ(json::parse(by_gdbus[0].get<std::string>()), info);

  std::vector<std::string> unknown = id;
  unknown[3] = "nqn.2014-08.io.example:nobody";
  EXPECT_EQ(stac().controller_info(unknown[0], unknown[1], unknown[2], unknown[3], unknown[4],
                                   unknown[5], unknown[6]),
            "{}");

  // An unknown transport names nothing (as in nvme-stas); text that is not text is refused.
  std::vector<std::string> other = id;
  other[0] = "carrier-pigeon";
  EXPECT_EQ(
      stac().controller_info(other[0], other[1], other[2], other[3], other[4], other[5], other[6]),
      "{}");
  std::vector<std::string> bad = id;
  bad[1] = "192.0.2.20\x7f";
  ProgramOutput r =
      Busctl("call " + StacObj() + " " + kStacDebugIface + " controller_info " + BusctlArgs7(bad));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("traddr"));
  try {
    (void)stac().controller_info(bad[0], bad[1], bad[2], bad[3], bad[4], bad[5], bad[6]);
    ADD_FAILURE() << "a control character was accepted";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.nvmexpress.stac.Error.InvalidArgs");
  }
  // The bad calls did not kill stacd: the process started in SetUp still owns the name and
  // still answers.
  EXPECT_EQ(NameOwnerPid(kStacdBusName), stacd_.pid());
  EXPECT_EQ(ConnectedCount(), 2u);
}

TEST_F(StacdDbusTest, ProcessInfoAndOwnedControllersFile) {
  json info = json::parse(stac().process_info());
  EXPECT_EQ(Keys(info), (std::vector<std::string>{
                            "tron", "log-level", "hostnqn", "hostid", "hostkey", "symname",
                            "last known config file", "config soak timer", "kernel support.TP8013",
                            "kernel support.host_iface", "kernel support.DH-HMAC-CHAP",
                            "kernel support.TLS", "kernel support.options", "limits"}));
  EXPECT_EQ(info["hostnqn"], kTestHostNqn);
  EXPECT_EQ(info["last known config file"], StacdRuntime() + "/owned-controllers.json");
  EXPECT_THAT(info["config soak timer"].get<std::string>(), HasSubstr("s ["));
  // The controllers stacd created are remembered for a warm restart.
  json state = json::parse(ReadFileText(StacdRuntime() + "/owned-controllers.json"));
  ASSERT_EQ(state["controllers"].size(), 2u) << state.dump();
  EXPECT_THAT(state.dump(), HasSubstr(kSubsys1));
  EXPECT_THAT(state.dump(), HasSubstr(kSubsys2));
}

TEST_F(StacdDbusTest, StacctlLsAndStatusPrintWhatTheApiSays) {
  ASSERT_TRUE(WaitForKernelIocs({kSubsys1, kSubsys2})) << KernelIocs().dump();
  ProgramOutput ls = Stacctl("ls");
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(WithGoldenDevices(ls.out), Golden("stacctl-ls.txt"));
  json list = DictListToJson(stac().list_controllers(false));
  ProgramOutput ls_json = Stacctl("--json ls");
  ASSERT_EQ(ls_json.exit_code, 0) << ls_json.err;
  EXPECT_EQ(Unordered(json::parse(ls_json.out)), Unordered(list));
  ProgramOutput detailed = Stacctl("ls -d");
  ASSERT_EQ(detailed.exit_code, 0) << detailed.err;
  EXPECT_THAT(detailed.out, HasSubstr("'dlpe.eflags.ncc': 'False'"));

  ProgramOutput status_json = Stacctl("--json status");
  ASSERT_EQ(status_json.exit_code, 0) << status_json.err;
  json status = json::parse(status_json.out);
  EXPECT_EQ(Keys(status).back(), "controllers");
  ASSERT_EQ(status["controllers"].size(), 2u);
  for (const json& c : status["controllers"]) {
    EXPECT_FALSE(c.contains("log_pages"));  // stafctl only
    EXPECT_EQ(c["connected"], "True");
    EXPECT_TRUE(c.contains("connect attempts"));
  }
  ProgramOutput pretty = Stacctl("status");
  ASSERT_EQ(pretty.exit_code, 0) << pretty.err;
  EXPECT_EQ(WithoutLimits(WithGoldenDevices(WithGoldenTempDir(pretty.out, dir()))),
            Golden("stacctl-status.txt"));
}

TEST_F(StacdDbusTest, StacctlTronAndTroff) {
  ProgramOutput on = Stacctl("tron");
  ASSERT_EQ(on.exit_code, 0) << on.err;
  EXPECT_EQ(on.out, "tron = True\n");
  EXPECT_TRUE(stac().tron());
  EXPECT_EQ(stac().log_level(), "DEBUG");
  ProgramOutput off = Stacctl("troff");
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(off.out, "tron = False\n");
  EXPECT_EQ(stac().log_level(), "INFO");
}

TEST_F(StacdDbusTest, NewLogEntryBecomesAConnectionThroughTheSignals) {
  ChangeScenario({TwoSubsystems()[0], TwoSubsystems()[1], {kSubsys3, "192.0.2.22", "4422"}});
  ASSERT_TRUE(WaitUntil([this] { return ConnectedCount() == 3; }, kConnectTimeout))
      << "subsys3 was not connected within 15 s";
  EXPECT_EQ(ListedSubsystems(), (std::set<std::string>{kSubsys1, kSubsys2, kSubsys3}));
}

TEST_F(StacdDbusTest, EntryGoneFromTheLogDisconnects) {
  ASSERT_TRUE(WaitForKernelIocs({kSubsys1, kSubsys2})) << KernelIocs().dump();
  nlohmann::json kept = KernelDeviceOf(KernelIocs(), kSubsys1);
  ChangeScenario({TwoSubsystems()[0]});
  // The controller is gone from the kernel, not only from stacd's list.
  ASSERT_TRUE(WaitForKernelIocs({kSubsys1}))
      << "subsys2's controller was still in stacd's kernel after 15 s: " << KernelIocs().dump();
  EXPECT_EQ(KernelDeviceOf(KernelIocs(), kSubsys1), kept);  // the other one untouched
  EXPECT_EQ(ListedSubsystems(), (std::set<std::string>{kSubsys1}));
  EXPECT_THAT(stacd_.LogText(), HasSubstr("no longer wanted; disconnecting"));
}

TEST_F(StacdDbusTest, StafdGoneKeepsEveryConnection) {
  ASSERT_TRUE(WaitForKernelIocs({kSubsys1, kSubsys2})) << KernelIocs().dump();
  nlohmann::json before = KernelIocs();
  ASSERT_EQ(StopStafd(), 0);
  // A reload makes stacd reconcile at once; stafd cannot answer.
  stacd_.Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [this] {
        return stacd_.LogText().find("stafd did not answer; keeping") != std::string::npos;
      },
      kConnectTimeout))
      << "stacd did not reconcile after SIGHUP";
  EXPECT_EQ(ConnectedCount(), 2u);
  EXPECT_EQ(ListedSubsystems(), (std::set<std::string>{kSubsys1, kSubsys2}));
  EXPECT_THAT(stacd_.LogText(), Not(HasSubstr("disconnecting")));
  // Whatever that pass started on a worker has finished once stacd has exited, and SIGTERM
  // keeps the connections (SigtermKeepsConnectionsAndExitsZero): the kernel shows what the
  // pass did.
  ASSERT_EQ(stacd_.Stop(), 0);
  EXPECT_EQ(KernelIocs(), before);
}

// #14: a restarted stafd is followed as soon as it says it has read its DCs, not after a fixed
// 10 s; nothing is disconnected meanwhile.
TEST_F(StacdDbusTest, StafdRestartIsFollowedWhenItHasReadItsDcs) {
  ASSERT_TRUE(WaitForKernelIocs({kSubsys1, kSubsys2})) << KernelIocs().dump();
  nlohmann::json before = KernelIocs();
  const std::string said = "stafd has read its discovery controllers";
  auto times_said = [&] {
    return CountOf(stacd_.LogText(), said);
  };
  // Once at stacd's start (stafd was there, done reading).
  ASSERT_TRUE(WaitUntil([&] { return times_said() == 1; }, kConnectTimeout)) << stacd_.LogText();
  ASSERT_EQ(StopStafd(), 0);
  ASSERT_TRUE(RestartStafd()) << LogText();
  ASSERT_TRUE(WaitUntil([&] { return times_said() == 2; }, kConnectTimeout)) << stacd_.LogText();
  EXPECT_THAT(stacd_.LogText(), Not(HasSubstr("was given 10s")));
  EXPECT_THAT(stacd_.LogText(), Not(HasSubstr("disconnecting")));
  EXPECT_EQ(KernelIocs(), before);
}

TEST_F(StacdDbusTest, SigtermKeepsConnectionsAndExitsZero) {
  ASSERT_TRUE(WaitForKernelIocs({kSubsys1, kSubsys2})) << KernelIocs().dump();
  nlohmann::json before = KernelIocs();
  EXPECT_EQ(stacd_.Stop(), 0);
  std::string log = stacd_.LogText();
  EXPECT_THAT(log, HasSubstr("Stopping"));
  EXPECT_THAT(log, Not(HasSubstr("disconnecting")));
  // Published once more after the daemon's loop and workers have finished: what it left.
  EXPECT_EQ(KernelIocs(), before);
  json state = json::parse(ReadFileText(StacdRuntime() + "/owned-controllers.json"));
  EXPECT_EQ(state["controllers"].size(), 2u);
}

// #13, finding 2: three DCs whose pages together are larger than the bus's message limit, but
// each of which fits. stafd must refuse get_all_log_pages with ReplyTooLarge rather than send a
// message the bus answers by disconnecting it, and stacd must read the pages DC by DC and
// connect the one real subsystem of each DC (the 900 others are excluded in stacd.conf).
class StacdDbusReplyLimitTest : public StacdDbusTest {
 protected:
  static constexpr int kDcs = 3;
  static constexpr int kBulk = 300;  // entries per DC that stacd must not connect
  static constexpr const char* kBulkTraddr = "192.0.2.99";

  StacdDbusReplyLimitTest() {
    json ports = json::array();
    stafd_conf_ = "[Limits]\nmax-dbus-reply-size=160000\n[Controllers]\n";
    for (int k = 1; k <= kDcs; ++k) {
      const std::string dc = "192.0.2.1" + std::to_string(k - 1);  // .10 is kDcTraddr
      const std::string io = "192.0.2.2" + std::to_string(k - 1);
      const std::string nqn = "nqn.2014-08.io.example:subsys" + std::to_string(k);
      json log = json::array({{{"subnqn", nqn}, {"traddr", io}, {"trsvcid", "4420"}}});
      for (int i = 0; i < kBulk; ++i) {
        log.push_back({{"subnqn", "nqn.2014-08.io.example:bulk-" + std::to_string(k) + "-" +
                                      std::to_string(i)},
                       {"traddr", kBulkTraddr},
                       {"trsvcid", "4420"}});
      }
      ports.push_back({{"traddr", dc}, {"trsvcid", "8009"}, {"log", log}});
      ports.push_back({{"traddr", io}, {"trsvcid", "4420"}, {"subsystems", json::array({nqn})}});
      stafd_conf_ += "controller=transport=tcp;traddr=" + dc + "\n";
    }
    scenario_json_ = json({{"ports", ports}}).dump();
    expected_log_entries_ = kBulk + 1;
    stacd_conf_ = std::string("[Controllers]\nexclude=traddr=") + kBulkTraddr + "\n";
    expected_iocs_ = kDcs;
    // Between one DC's page (about 100 KB as aa{ss}) and all three (about 230 KB of JSON).
    bus_max_message_size_ = 200000;
  }

  // get_all_log_pages(true) fails with ReplyTooLarge, and stafd (same PID) still owns its name.
  void ExpectRefusedAndStillOnTheBus(pid_t pid) {
    try {
      (void)staf().get_all_log_pages(true);
      ADD_FAILURE() << "get_all_log_pages answered";
    } catch (const sdbus::Error& e) {
      EXPECT_EQ(e.getName(), "org.nvmexpress.staf.Error.ReplyTooLarge") << e.what();
      EXPECT_THAT(e.getMessage(), HasSubstr("160000"));
      EXPECT_THAT(e.getMessage(), HasSubstr("get_log_pages"));
    }
    ProgramOutput r = GdbusCall("org.nvmexpress.staf.get_all_log_pages", "true");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.err, HasSubstr("org.nvmexpress.staf.Error.ReplyTooLarge"));
    EXPECT_EQ(NameOwnerPid(kStafdBusName), pid);
    EXPECT_EQ(stafd_pid(), pid) << "stafd exited:\n" << LogText();
  }
};

TEST_F(StacdDbusReplyLimitTest, StafdRefusesTheWholeAnswerAndStacdReadsDcByDc) {
  // SetUp saw stacd connect each DC's real subsystem: it read the pages DC by DC.
  EXPECT_TRUE(WaitForKernelIocs({kSubsys1, kSubsys2, kSubsys3}));
  EXPECT_EQ(ListedSubsystems(), std::set<std::string>({kSubsys1, kSubsys2, kSubsys3}));
  ExpectRefusedAndStillOnTheBus(stafd_pid());
  // Each DC alone fits.
  for (const auto& dc : staf().list_controllers(false)) {
    std::vector<std::string> id = IdArgs(dc);
    EXPECT_EQ(staf().get_log_pages(id[0], id[1], id[2], id[3], id[4], id[5], id[6]).size(),
              static_cast<size_t>(kBulk + 1));
  }
  std::string log = stacd_.LogText();
  size_t first = log.find("reading them discovery controller by discovery controller");
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("reading them discovery controller by discovery controller", first + 1),
            std::string::npos)
      << "said more than once";
}

TEST_F(StacdDbusReplyLimitTest, StafdRestartedWithTheLargeSavedStateStaysOnTheBus) {
  // What stafd saved is what it serves first after a restart: that must not be a reason to be
  // disconnected again (the restart loop of finding 2).
  ASSERT_EQ(StopStafd(), 0);
  ASSERT_TRUE(RestartStafd()) << LogText();
  ExpectRefusedAndStillOnTheBus(stafd_pid());
  EXPECT_TRUE(WaitForKernelIocs({kSubsys1, kSubsys2, kSubsys3}));
}

class StacdDbusSecretTest : public StacdDbusTest {
 protected:
  static constexpr const char* kHostSecret = "SG9zdEtleVNlY3JldFRleHQwMTIzNDU2Nzg5MDEyMzQ1Njc4OQ==";
  static constexpr const char* kCtrlSecret = "Q3RybFNlY3JldFRleHQwMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMg==";
  StacdDbusSecretTest() {
    hostkey_ = std::string("DHHC-1:00:") + kHostSecret + ":";
    // A configured controller with both secrets (also one of stafd's entries: one IOC).
    stacd_conf_ = std::string("[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.20;") +
                  "trsvcid=4420;nqn=" + kSubsys1 + ";dhchap-secret=DHHC-1:00:" + kHostSecret +
                  ":;dhchap-ctrl-secret=DHHC-1:00:" + kCtrlSecret + ":\n";
  }
};

TEST_F(StacdDbusSecretTest, SecretsNeverLeaveTheDaemon) {
  std::vector<std::string> id = IocId(kSubsys1);
  std::vector<std::string> texts = {
      stac().process_info(),
      DictListToJson(stac().list_controllers(true)).dump(),
      DictListToJson(stac().list_controllers(false)).dump(),
      stac().controller_info(id[0], id[1], id[2], id[3], id[4], id[5], id[6]),
      StacGdbus("org.nvmexpress.stac.list_controllers", "true").out,
      Stacctl("status").out,
      Stacctl("ls -d").out,
      stacd_.LogText(),
  };
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_THAT(texts[i], Not(HasSubstr("SG9zdEtleVNl"))) << i;
    EXPECT_THAT(texts[i], Not(HasSubstr("Q3RybFNlY3Jl"))) << i;
  }
  // The keys are there, their values are not.
  EXPECT_THAT(texts[1], HasSubstr("\"dhchap-ctrl-secret\":\"<redacted>\""));
}

}  // namespace
}  // namespace stas::testing
