// SPDX-License-Identifier: Apache-2.0
// stacctl and stafctl as a user runs them (docs/compatibility.md, "Command-line tools"): the
// command line with no
// daemon, and stacctl against a fake stacd on a private dbus-daemon (no root needed). Also
// `stasadm gen-dhchap-key` against what nvme-cli prints, and the command line of `stasadm
// tls-key-*` without a .nvme keyring (the rest of stasadm is in stasadm_cli_test.cc).
#include <array>
#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <signal.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include "build_config.h"
#include "common/defs.h"
#include "common/dhchap_key.h"
#include "common/str_util.h"
#include "common/testing/file_helpers.h"
#include "common/tls_psk.h"
#include "dbus/stac_adaptor.h"
#include "tests/cli/run_program.h"

extern char** environ;  // NOLINT: POSIX

namespace stas {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProgramOutput;
using testing::RunProgram;
using testing::ShellQuote;
using ::testing::StartsWith;

using Dict = std::map<std::string, std::string>;

constexpr const char* kNoBus = "unix:path=/nonexistent/bus";
constexpr const char* kHostNqn = "nqn.2014-08.org.nvmexpress:uuid:host";

// Runs `bin args` with the system bus at `bus_address`.
ProgramOutput RunOnBus(const std::string& bus_address, const std::string& bin,
                       const std::string& args) {
  return RunProgram("env DBUS_SYSTEM_BUS_ADDRESS=" + ShellQuote(bus_address) + " " + bin + " " +
                    args);
}

std::string DaemonError(const std::string& daemon) {
  return "Unable to communicate with " + daemon + " over D-Bus. Is " + daemon + " running?\n";
}

TEST(CtlCliTest, VersionPrintsNvmeStasVersion) {
  for (const char* bin : {STACCTL_BIN, STAFCTL_BIN}) {
    for (const char* args : {"--version", "-v", "-v ls", "ls --version"}) {
      ProgramOutput r = RunProgram(std::string(bin) + " " + args);
      EXPECT_EQ(r.exit_code, 0) << bin << " " << args;
      EXPECT_EQ(r.out, std::string("nvme-stas ") + kVersion + "\n") << bin << " " << args;
      EXPECT_EQ(r.err, "") << bin << " " << args;
    }
  }
}

TEST(CtlCliTest, NoSubcommandPrintsUsageAndExitsOne) {
  for (const char* args : {"", "--json"}) {
    ProgramOutput r = RunProgram(std::string(STACCTL_BIN) + " " + args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_THAT(r.out, StartsWith("STorage Appliance Connector (STAC)\nUsage: stacctl "));
    for (const char* line :
         {"tron", "troff", "status", "ls", "--json", "--version",
          "Show runtime status information about stacd", "List I/O controllers"}) {
      EXPECT_THAT(r.out, HasSubstr(line)) << args;
    }
    EXPECT_THAT(r.out, Not(HasSubstr("dlp")));  // stafctl only
    EXPECT_EQ(r.err, "") << args;
  }
  ProgramOutput staf = RunProgram(STAFCTL_BIN);
  EXPECT_EQ(staf.exit_code, 1);
  EXPECT_THAT(staf.out, StartsWith("STorage Appliance Finder (STAF)\nUsage: stafctl "));
  EXPECT_THAT(staf.out, HasSubstr("adlp"));
}

TEST(CtlCliTest, HelpIsTheUsageAndExitsZero) {
  ProgramOutput usage = RunProgram(STACCTL_BIN);
  ProgramOutput help = RunProgram(std::string(STACCTL_BIN) + " --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.out, usage.out);
  ProgramOutput ls = RunProgram(std::string(STACCTL_BIN) + " ls --help");
  EXPECT_EQ(ls.exit_code, 0);
  EXPECT_THAT(ls.out, HasSubstr("-d,--detailed"));
}

TEST(CtlCliTest, NoBusIsTheNvmeStasError) {
  for (const char* args : {"ls", "ls -d", "--json ls", "status", "tron", "troff"}) {
    ProgramOutput r = RunOnBus(kNoBus, STACCTL_BIN, args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_EQ(r.err, DaemonError("stacd")) << args;
    EXPECT_EQ(r.out, "") << args;
  }
  for (const char* args : {"ls", "status", "tron", "adlp", "dlp -a 192.0.2.10 -s 8009 -q nqn.x"}) {
    ProgramOutput r = RunOnBus(kNoBus, STAFCTL_BIN, args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_EQ(r.err, DaemonError("stafd")) << args;
    EXPECT_EQ(r.out, "") << args;
  }
}

TEST(CtlCliTest, UsageErrorsExitTwo) {
  for (const char* args :
       {"--nosuch", "nosuch", "ls -x", "ls extra", "tron extra", "dlp", "adlp", "ls status"}) {
    ProgramOutput r = RunOnBus(kNoBus, STACCTL_BIN, args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_THAT(r.err, Not(HasSubstr("D-Bus"))) << args;
    EXPECT_NE(r.err, "") << args;
  }
  ProgramOutput r = RunOnBus(kNoBus, STAFCTL_BIN, "--nosuch");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--nosuch"));
}

// stacd's D-Bus object with canned answers; records what it is asked. Its handlers run on the
// connection's event-loop thread, the test reads the records on its own.
class FakeStacd final : public sdbus::AdaptorInterfaces<org::nvmexpress::stac_adaptor,
                                                        org::nvmexpress::stac::debug_adaptor> {
 public:
  explicit FakeStacd(sdbus::IConnection& conn) : AdaptorInterfaces(conn, kStacdObjectPath) {
    registerAdaptor();
  }
  ~FakeStacd() { unregisterAdaptor(); }
  FakeStacd(const FakeStacd&) = delete;
  FakeStacd& operator=(const FakeStacd&) = delete;
  FakeStacd(FakeStacd&&) = delete;
  FakeStacd& operator=(FakeStacd&&) = delete;

  // The first controller, the only one controller_info knows.
  static Dict Ioc1() {
    return {{"device", "nvme1"},
            {"host-iface", "eth0"},
            {"host-nqn", kHostNqn},
            {"host-traddr", ""},
            {"subsysnqn", "nqn.2014-08.io.example:sub1"},
            {"traddr", "192.0.2.20"},
            {"transport", "tcp"},
            {"trsvcid", "4420"}};
  }
  static Dict Ioc2() {
    return {{"device", "nvme?"},
            {"host-iface", ""},
            {"host-nqn", kHostNqn},
            {"host-traddr", ""},
            {"subsysnqn", "nqn.2014-08.io.example:sub2"},
            {"traddr", "192.0.2.21"},
            {"transport", "rdma"},
            {"trsvcid", "4420"}};
  }

  void set_process_info(std::string json) {
    std::lock_guard<std::mutex> lock(mutex_);
    process_info_ = std::move(json);
  }
  std::vector<bool> detailed_calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return detailed_calls_;
  }
  std::vector<std::vector<std::string>> controller_info_calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return controller_info_calls_;
  }
  bool tron_flag() {
    std::lock_guard<std::mutex> lock(mutex_);
    return tron_;
  }

 private:
  std::string process_info() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return process_info_;
  }
  std::string controller_info(const std::string& transport, const std::string& traddr,
                              const std::string& trsvcid, const std::string& subsysnqn,
                              const std::string& host_traddr, const std::string& host_iface,
                              const std::string& host_nqn) override {
    std::lock_guard<std::mutex> lock(mutex_);
    controller_info_calls_.push_back(
        {transport, traddr, trsvcid, subsysnqn, host_traddr, host_iface, host_nqn});
    Dict ioc1 = Ioc1();
    if (transport == ioc1["transport"] && traddr == ioc1["traddr"] && trsvcid == ioc1["trsvcid"] &&
        subsysnqn == ioc1["subsysnqn"] && host_traddr == ioc1["host-traddr"] &&
        host_iface == ioc1["host-iface"] && host_nqn == ioc1["host-nqn"]) {
      // "device" exists in the list_controllers dict, the other two are new.
      return R"({"device": "nvme9", "connect attempts": "0", "retry connect timer": "60.0s [off]"})";
    }
    return "{}";
  }
  bool tron() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return tron_;
  }
  void tron(const bool& value) override {
    std::lock_guard<std::mutex> lock(mutex_);
    tron_ = value;
  }
  std::string log_level() override { return tron() ? "DEBUG" : "INFO"; }
  // Asynchronous in the XML (stacd reads kernel states on a worker); answered at once here.
  void list_controllers(sdbus::Result<std::vector<Dict>>&& result, bool detailed) override {
    std::lock_guard<std::mutex> lock(mutex_);
    detailed_calls_.push_back(detailed);
    std::vector<Dict> list = {Ioc1(), Ioc2()};
    if (detailed) {
      list[0]["connected"] = "True";
      list[1]["connected"] = "False";
    }
    result.returnResults(list);
  }

  std::mutex mutex_;
  std::string process_info_ =
      R"({"tron": false, "log-level": "INFO", "hostnqn": null, "config soak timer": "1.5s [off]"})";
  bool tron_ = false;
  std::vector<bool> detailed_calls_;
  std::vector<std::vector<std::string>> controller_info_calls_;
};

// A private dbus-daemon with FakeStacd on it under stacd's name.
class StacctlFakeStacdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (RunProgram("command -v dbus-daemon").exit_code != 0)
      GTEST_SKIP() << "dbus-daemon is not installed";
    ASSERT_NO_FATAL_FAILURE(StartBus());
    conn_ = sdbus::createSessionBusConnectionWithAddress(bus_address_);
    conn_->requestName(kStacdBusName);
    stacd_ = std::make_unique<FakeStacd>(*conn_);
    conn_->enterEventLoopAsync();
  }

  void TearDown() override {
    if (conn_)
      conn_->leaveEventLoop();
    stacd_.reset();
    conn_.reset();
    if (bus_pid_ > 0) {
      kill(bus_pid_, SIGTERM);
      int status = 0;
      waitpid(bus_pid_, &status, 0);
    }
  }

  // dbus-daemon stays our child (--nofork), so TearDown can reap it; it prints its address on
  // the pipe once it listens.
  void StartBus() {
    std::array<int, 2> fds{};
    ASSERT_EQ(pipe(fds.data()), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    std::array<char*, 5> argv = {const_cast<char*>("dbus-daemon"), const_cast<char*>("--session"),
                                 const_cast<char*>("--nofork"),
                                 const_cast<char*>("--print-address=1"), nullptr};
    int rc = posix_spawnp(&bus_pid_, "dbus-daemon", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
      bus_pid_ = -1;
      close(fds[0]);
      FAIL() << "posix_spawnp(dbus-daemon): " << rc;
    }
    char c = 0;
    while (read(fds[0], &c, 1) == 1 && c != '\n')
      bus_address_ += c;
    close(fds[0]);
    ASSERT_FALSE(bus_address_.empty()) << "dbus-daemon printed no address";
  }

  ProgramOutput Stacctl(const std::string& args) const {
    return RunOnBus(bus_address_, STACCTL_BIN, args);
  }

  std::string bus_address_;
  pid_t bus_pid_ = -1;
  std::unique_ptr<sdbus::IConnection> conn_;
  std::unique_ptr<FakeStacd> stacd_;
};

TEST_F(StacctlFakeStacdTest, StatusUpdatesEachControllerWithItsControllerInfo) {
  ProgramOutput j = Stacctl("--json status");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(j.err, "");
  // Python's dict.update(): "device" keeps its place with the new value, new keys go last,
  // "controllers" goes after process_info's keys.
  EXPECT_EQ(j.out, R"({
  "tron": false,
  "log-level": "INFO",
  "hostnqn": null,
  "config soak timer": "1.5s [off]",
  "controllers": [
    {
      "connected": "True",
      "device": "nvme9",
      "host-iface": "eth0",
      "host-nqn": "nqn.2014-08.org.nvmexpress:uuid:host",
      "host-traddr": "",
      "subsysnqn": "nqn.2014-08.io.example:sub1",
      "traddr": "192.0.2.20",
      "transport": "tcp",
      "trsvcid": "4420",
      "connect attempts": "0",
      "retry connect timer": "60.0s [off]"
    },
    {
      "connected": "False",
      "device": "nvme?",
      "host-iface": "",
      "host-nqn": "nqn.2014-08.org.nvmexpress:uuid:host",
      "host-traddr": "",
      "subsysnqn": "nqn.2014-08.io.example:sub2",
      "traddr": "192.0.2.21",
      "transport": "rdma",
      "trsvcid": "4420"
    }
  ]
}
)");
  EXPECT_THAT(stacd_->detailed_calls(), ElementsAre(true));
  EXPECT_THAT(stacd_->controller_info_calls(),
              ElementsAre(ElementsAre("tcp", "192.0.2.20", "4420", "nqn.2014-08.io.example:sub1",
                                      "", "eth0", kHostNqn),
                          ElementsAre("rdma", "192.0.2.21", "4420", "nqn.2014-08.io.example:sub2",
                                      "", "", kHostNqn)));

  // What Python's pprint.pformat(info, width=120) prints for the same data.
  ProgramOutput p = Stacctl("status");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(p.out, R"({'config soak timer': '1.5s [off]',
 'controllers': [{'connect attempts': '0',
                  'connected': 'True',
                  'device': 'nvme9',
                  'host-iface': 'eth0',
                  'host-nqn': 'nqn.2014-08.org.nvmexpress:uuid:host',
                  'host-traddr': '',
                  'retry connect timer': '60.0s [off]',
                  'subsysnqn': 'nqn.2014-08.io.example:sub1',
                  'traddr': '192.0.2.20',
                  'transport': 'tcp',
                  'trsvcid': '4420'},
                 {'connected': 'False',
                  'device': 'nvme?',
                  'host-iface': '',
                  'host-nqn': 'nqn.2014-08.org.nvmexpress:uuid:host',
                  'host-traddr': '',
                  'subsysnqn': 'nqn.2014-08.io.example:sub2',
                  'traddr': '192.0.2.21',
                  'transport': 'rdma',
                  'trsvcid': '4420'}],
 'hostnqn': None,
 'log-level': 'INFO',
 'tron': False}
)");
  EXPECT_THAT(p.out, Not(HasSubstr("log_pages")));  // stafctl only
}

TEST_F(StacctlFakeStacdTest, LsPassesDetailed) {
  ProgramOutput r = Stacctl("ls");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"([{'device': 'nvme1',
  'host-iface': 'eth0',
  'host-nqn': 'nqn.2014-08.org.nvmexpress:uuid:host',
  'host-traddr': '',
  'subsysnqn': 'nqn.2014-08.io.example:sub1',
  'traddr': '192.0.2.20',
  'transport': 'tcp',
  'trsvcid': '4420'},
 {'device': 'nvme?',
  'host-iface': '',
  'host-nqn': 'nqn.2014-08.org.nvmexpress:uuid:host',
  'host-traddr': '',
  'subsysnqn': 'nqn.2014-08.io.example:sub2',
  'traddr': '192.0.2.21',
  'transport': 'rdma',
  'trsvcid': '4420'}]
)");
  ProgramOutput d = Stacctl("ls -d --json");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_THAT(d.out, HasSubstr("\"connected\": \"True\""));
  EXPECT_EQ(Stacctl("--json ls --detailed").out, d.out);
  EXPECT_THAT(stacd_->detailed_calls(), ElementsAre(false, true, true));
}

TEST_F(StacctlFakeStacdTest, TronAndTroffSetTheFlagAndPrintItBack) {
  ProgramOutput on = Stacctl("tron");
  ASSERT_EQ(on.exit_code, 0) << on.err;
  EXPECT_EQ(on.out, "tron = True\n");
  EXPECT_TRUE(stacd_->tron_flag());
  ProgramOutput off = Stacctl("troff");
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(off.out, "tron = False\n");
  EXPECT_FALSE(stacd_->tron_flag());
  EXPECT_EQ(Stacctl("--json tron").out, "{\n  \"tron\": true\n}\n");
}

TEST_F(StacctlFakeStacdTest, InvalidJsonFromStacdIsReported) {
  stacd_->set_process_info("{not json");
  ProgramOutput r = Stacctl("status");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("stacctl: invalid JSON from stacd: "));
}

TEST_F(StacctlFakeStacdTest, StacdNotOnTheBusIsTheNvmeStasError) {
  conn_->releaseName(kStacdBusName);
  ProgramOutput r = Stacctl("ls");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, DaemonError("stacd"));
}

// --- stasadm gen-dhchap-key -----------------------------------------------------------------

// The secrets 00 01 02 ... of 32, 48 and 64 bytes, and ff f8 f1 ... (down by 7) of 32.
const std::string kCounting32 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kCounting48 = kCounting32 + "202122232425262728292a2b2c2d2e2f";
const std::string kCounting64 = kCounting48 + "303132333435363738393a3b3c3d3e3f";
const std::string kDown32 = "fff8f1eae3dcd5cec7c0b9b2aba49d968f88817a736c655e575049423b342d26";
constexpr const char* kZeroNqn =
    "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000000";
constexpr const char* kHost7 = "nqn.2014-08.com.example:host-7";

class StasadmGenDhchapKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteFileText(conf_, std::string("[Host]\nnqn = ") + kHost7 +
                                      "\nid = 3f2504e0-4f89-41d3-9a0c-0305e82c3301\n");
  }
  // `stasadm -c <conf_> gen-dhchap-key args`: the host NQN is kHost7 unless args say otherwise.
  ProgramOutput GenKey(const std::string& args) const {
    return RunProgram(std::string(STASADM_BIN) + " -c " + ShellQuote(conf_) + " gen-dhchap-key " +
                      args);
  }

  testing::ScopedTempDir tmp_{"stasadm-dhchap-test"};
  std::string conf_ = tmp_.path() + "/sys.conf";
};

TEST_F(StasadmGenDhchapKeyTest, RandomKeyIsOneLineInTheDhhc1Form) {
  struct Case {
    const char* args;
    int hmac;
    size_t length;
  };
  for (const Case& c : {Case{"", 0, 32}, Case{"-l 48", 0, 48}, Case{"--key-length 64", 0, 64},
                        Case{"-m 1", 1, 32}, Case{"--hmac 2", 2, 48}, Case{"-m 3 -l 64", 3, 64}}) {
    ProgramOutput r = GenKey(c.args);
    ASSERT_EQ(r.exit_code, 0) << c.args << ": " << r.err;
    EXPECT_EQ(r.err, "") << c.args;
    ASSERT_THAT(r.out, StartsWith("DHHC-1:0" + std::to_string(c.hmac) + ":")) << c.args;
    ASSERT_EQ(r.out.back(), '\n');
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << c.args;
    Result<DhchapSecret> key = DecodeDhchapSecret(r.out.substr(0, r.out.size() - 1));
    ASSERT_TRUE(key) << c.args << ": " << key.error().message;
    EXPECT_EQ(key->hmac, c.hmac) << c.args;
    EXPECT_EQ(key->key.size(), c.length) << c.args;
  }
  EXPECT_NE(GenKey("").out, GenKey("").out);
}

// What nvme-cli 2.3 (libnvme 1.3, Debian 12) printed for
// `nvme gen-dhchap-key -s SECRET -m HMAC -l LENGTH -n NQN`.
struct NvmeCliVector {
  std::string secret;
  int hmac;
  const char* nqn;
  const char* text;
};
const std::vector<NvmeCliVector>& NvmeCliVectors() {
  static const std::vector<NvmeCliVector> kVectors = {
      {kCounting32, 0, kZeroNqn, "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"},
      {kDown32, 0, kZeroNqn, "DHHC-1:00://jx6uPc1c7HwLmyq6Sdlo+IgXpzbGVeV1BJQjs0LSaZwyUO:"},
      {kCounting48, 0, kZeroNqn,
       "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:"},
      {kCounting64, 0, kZeroNqn,
       "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OT"
       "o7PD0+P4zODhA=:"},
      {kCounting32, 1, kZeroNqn, "DHHC-1:01:+lWD8koznOvfLcZ/A0iOsDX3MFZiRRuKShRpHreiaBchnvNE:"},
      {kCounting32, 1, kHost7, "DHHC-1:01:9CdU3sABX4QY7MxhimLznhtuvLcGGesUqPxqwCCl1OfpArqm:"},
      {kDown32, 1, kHost7, "DHHC-1:01:8eacJnvM8Rz9tvCX3EpjX20fQMdSFxdi6EyJvjWaVlToFXjq:"},
      {kCounting48, 2, kZeroNqn,
       "DHHC-1:02:pilBvcUxfNyuFwDnSBs/dFine03lCXlQm0u0rM4H6SZEBhdKySHnxogY2stNq1sU1nAnSg==:"},
      {kCounting48, 2, kHost7,
       "DHHC-1:02:QrmIQb89X+3Lfa6Cw4qjHzGIXGbcKTn6xsB4Am4msa0AKCo6+yVyPqlYZ7DzkZOYJGVGgA==:"},
      {kCounting64, 3, kZeroNqn,
       "DHHC-1:03:MhWS5rN6n/7ZlsuU/xgJTyYp80gEwJCmAOMDQRNMuoJAix9uwsQbOyJU7rhXZXDd39psrIw4BzjyIt"
       "uUk6JhSqI0Yn0=:"},
      {kCounting64, 3, kHost7,
       "DHHC-1:03:lcKWjsaPZRw6zoT8sM+3opbdvbVY7lEBlsR5aArqVzTlU38SYu8cIMBCuoJwRE82JRpPV8BAisEALd"
       "N18mclI4rYxPg=:"},
  };
  return kVectors;
}

std::string VectorArgs(const NvmeCliVector& v) {
  return "-s " + v.secret + " -m " + std::to_string(v.hmac) + " -l " +
         std::to_string(v.secret.size() / 2) + " -n " + ShellQuote(v.nqn);
}

TEST_F(StasadmGenDhchapKeyTest, FixedSecretsGiveNvmeClisKeys) {
  for (const NvmeCliVector& v : NvmeCliVectors()) {
    ProgramOutput r = GenKey(VectorArgs(v));
    EXPECT_EQ(r.exit_code, 0) << VectorArgs(v) << ": " << r.err;
    EXPECT_EQ(r.out, std::string(v.text) + "\n") << VectorArgs(v);
    EXPECT_EQ(r.err, "");
  }
  // The long spellings, an upper-case secret, and the length that --hmac implies.
  ProgramOutput r = GenKey("--secret " + kCounting48 + " --hmac 2 --nqn " + kHost7);
  EXPECT_EQ(r.out, std::string(NvmeCliVectors()[8].text) + "\n") << r.err;
  std::string upper = kDown32;
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(GenKey("-s " + upper).out, std::string(NvmeCliVectors()[1].text) + "\n");
}

TEST_F(StasadmGenDhchapKeyTest, DefaultNqnIsTheConfiguredHostNqn) {
  ProgramOutput r = GenKey("-s " + kCounting32 + " -m 1");  // sys.conf says kHost7
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(NvmeCliVectors()[5].text) + "\n");

  // No NQN is needed without a transformation; with one, a missing NQN is an error.
  testing::WriteFileText(conf_, "[Host]\nnqn = file://" + tmp_.path() + "/no-hostnqn\n");
  r = GenKey("-s " + kCounting32);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(NvmeCliVectors()[0].text) + "\n");
  r = GenKey("-s " + kCounting32 + " -m 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("stasadm: --hmac needs the host NQN (give it with --nqn): Error "
                                "reading mandatory Host NQN"));
  EXPECT_THAT(r.err, Not(HasSubstr(kCounting32)));
}

TEST_F(StasadmGenDhchapKeyTest, BadValuesAreOneLineErrorsThatNeverShowTheSecret) {
  struct Case {
    std::string args;
    std::string err;
  };
  const std::string secret = kCounting32;
  const Case cases[] = {
      {"-s zz" + secret.substr(2), "--secret: character 1 is not a hex digit"},
      {"-s " + secret + "0", "--secret has an odd number of hex digits"},
      {"-s " + secret.substr(0, 62), "--secret is 31 bytes; the key length is 32"},
      {"-s " + secret + " -l 48", "--secret is 32 bytes; the key length is 48"},
      {"-s " + secret + " -m 2", "--secret is 32 bytes; the key length is 48"},
      {"-s ''", "--secret is empty"},
      {"-m 4", "--hmac 4: must be 0 (none), 1 (SHA-256), 2 (SHA-384) or 3 (SHA-512)"},
      {"-l 33", "--key-length 33: must be 32, 48 or 64 (bytes)"},
      {"-l 0", "--key-length 0: must be 32, 48 or 64 (bytes)"},
      {"-m 1 -l 48", "--key-length 48 does not match --hmac 1: SHA-256 makes 32-byte keys"},
      {"-n 'nqn.x y'", "--nqn \"nqn.x y\": contains a blank"},
      {"-n hello", "--nqn \"hello\": does not start with \"nqn.\""},
      {"-n ''", "--nqn \"\": empty value"},
      {"-n 'nqn.a,b'",
       "--nqn \"nqn.a,b\": contains ',' (it would inject an option into the connect string)"},
  };
  for (const Case& c : cases) {
    ProgramOutput r = GenKey(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_EQ(r.out, "") << c.args;
    EXPECT_EQ(r.err, "stasadm: " + c.err + "\n") << c.args;
    EXPECT_THAT(r.err, Not(HasSubstr(secret.substr(2, 30)))) << c.args;
  }
  // What CLI11 cannot parse is a usage error.
  for (const char* args : {"-m x", "-l", "--nosuch", "extra"}) {
    ProgramOutput r = GenKey(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(r.out, "") << args;
  }
}

TEST_F(StasadmGenDhchapKeyTest, SameKeysAsTheInstalledNvmeCli) {
  if (RunProgram("command -v nvme").exit_code != 0)
    GTEST_SKIP() << "nvme-cli is not installed";
  std::vector<NvmeCliVector> cases = NvmeCliVectors();
  cases.push_back({kDown32, 1, "nqn.2014-08.org.nvmexpress:uuid:38ac913c-017b-49e1-b90f", ""});
  cases.push_back({kCounting48, 0, kHost7, ""});
  for (const NvmeCliVector& v : cases) {
    ProgramOutput nvme = RunProgram("nvme gen-dhchap-key " + VectorArgs(v));
    ASSERT_EQ(nvme.exit_code, 0) << VectorArgs(v) << ": " << nvme.err;
    ASSERT_THAT(nvme.out, StartsWith("DHHC-1:")) << VectorArgs(v);
    ProgramOutput ours = GenKey(VectorArgs(v));
    EXPECT_EQ(ours.out, nvme.out) << VectorArgs(v);
  }
  // The key length that --hmac implies when -l is not given.
  for (const std::string& args :
       {"-s " + kCounting48 + " -m 2 -n " + kHost7, "-s " + kCounting64 + " -m 3 -n " + kHost7}) {
    EXPECT_EQ(GenKey(args).out, RunProgram("nvme gen-dhchap-key " + args).out) << args;
  }
}

// --- stasadm tls-key-* ----------------------------------------------------------------------
// Only what needs no keyring: these tests never add a key to a keyring of the machine. A valid
// key is only ever sent to the keyring kNoKeyring, which cannot exist (names starting with '.'
// are the kernel's), or to .nvme when the kernel has none.

// libnvme's test key (common/tls_psk_test.cc).
constexpr const char* kTlsKey = "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:";
constexpr const char* kTlsKeyBase64 = "VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ";
constexpr const char* kNoKeyring = ".stas-test-no-such-keyring";
constexpr const char* kSubsys3 = "nqn.2014-08.org.example:subsys-3";

// True when /proc/keys shows a keyring named .nvme (as it does to root on a kernel with
// nvme_tcp and TLS).
bool KernelHasNvmeKeyring() {
  std::ifstream keys("/proc/keys");
  std::string line;
  while (std::getline(keys, line)) {
    if (line.find(" keyring ") != std::string::npos && line.find(" .nvme:") != std::string::npos)
      return true;
  }
  return false;
}

// What stasadm says when the kernel has no .nvme keyring (or this user cannot see it).
std::string NoNvmeKeyring() {
  if (::geteuid() == 0)
    return "stasadm: the kernel has no .nvme keyring: load nvme_tcp (kernel 6.7 or later with "
           "NVMe/TCP TLS)\n";
  return "stasadm: the kernel has no .nvme keyring that this user can see: run as root, and load "
         "nvme_tcp (kernel 6.7 or later with NVMe/TCP TLS)\n";
}

class StasadmTlsKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteFileText(conf_, std::string("[Host]\nnqn = ") + kHost7 + "\n");
  }
  // `stasadm -c <conf_> args`.
  ProgramOutput Stasadm(const std::string& args) const {
    return RunProgram(std::string(STASADM_BIN) + " -c " + ShellQuote(conf_) + " " + args);
  }
  // tls-key-insert of `key` for kSubsys3 into kNoKeyring, with `more` arguments.
  ProgramOutput Insert(const std::string& key, const std::string& more = "") const {
    return Stasadm("tls-key-insert --key " + ShellQuote(key) + " --subsysnqn " + kSubsys3 +
                   " --keyring " + kNoKeyring + " " + more);
  }
  static std::string NoKeyring() {
    return std::string("stasadm: the kernel has no keyring \"") + kNoKeyring + "\"" +
           (::geteuid() == 0 ? "" : " that this user can see (run as root?)") + "\n";
  }

  testing::ScopedTempDir tmp_{"stasadm-tls-test"};
  std::string conf_ = tmp_.path() + "/sys.conf";
};

TEST_F(StasadmTlsKeyTest, UsageErrorsExitTwo) {
  for (const char* args :
       {"tls-key-insert", "tls-key-insert --subsysnqn nqn.a", "tls-key-insert --key x",
        "tls-key-insert --key x --subsysnqn nqn.a y", "tls-key-list extra", "tls-key-list --bogus",
        "tls-key-remove", "tls-key-remove --keyring .nvme",
        "tls-key-remove --serial 1 --identity x"}) {
    ProgramOutput r = Stasadm(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_NE(r.err, "") << args;
  }
}

TEST_F(StasadmTlsKeyTest, BadValuesAreOneLineErrorsThatNeverShowTheKey) {
  const std::string key = kTlsKey;
  const std::string b64 = kTlsKeyBase64;
  struct Case {
    std::string args;
    std::string err;
  };
  const std::string tail = std::string(" --subsysnqn ") + kSubsys3;
  const Case cases[] = {
      {"tls-key-insert --key " + ShellQuote("DHHC-1:01:" + b64 + ":") + tail,
       "--key is not a TLS PSK in the interchange format NVMeTLSkey-1:hh:<base64>:"},
      {"tls-key-insert --key " + ShellQuote("NVMeTLSkey-1:03:" + b64 + ":") + tail,
       "--key names hash 03, not 00 (none), 01 (SHA-256) or 02 (SHA-384)"},
      {"tls-key-insert --key " + ShellQuote("NVMeTLSkey-1:01:" + b64.substr(0, 47) + "A:") + tail,
       "--key has a CRC-32 that does not match its key (a mistyped key?)"},
      {"tls-key-insert --key " + ShellQuote("NVMeTLSkey-1:01:" + b64.substr(1) + ":") + tail,
       "--key is not valid base64 between \"NVMeTLSkey-1:01:\" and the final ':'"},
      {"tls-key-insert --key " + ShellQuote(key) + " --subsysnqn subsys-3",
       "--subsysnqn \"subsys-3\": does not start with \"nqn.\""},
      {"tls-key-insert --key " + ShellQuote(key) + tail + " --hostnqn 'nqn.x y'",
       "--hostnqn \"nqn.x y\": contains a blank"},
      {"tls-key-remove --serial 12x",
       "--serial \"12x\" is not a key serial (decimal, or hex "
       "after 0x)"},
      {"tls-key-remove --serial 0", "--serial \"0\" is not a key serial (1 to 2147483647)"},
  };
  for (const Case& c : cases) {
    ProgramOutput r = Stasadm(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_EQ(r.out, "") << c.args;
    EXPECT_THAT(r.err, StartsWith("stasadm: " + c.err)) << c.args;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << c.args << ": " << r.err;
    EXPECT_THAT(r.err, Not(HasSubstr(b64.substr(4, 20)))) << c.args;
  }

  // Without --hostnqn, the configuration's host NQN; none is an error.
  testing::WriteFileText(conf_, "[Host]\nnqn = file://" + tmp_.path() + "/no-hostnqn\n");
  ProgramOutput r = Stasadm("tls-key-insert --key " + ShellQuote(key) + tail);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("stasadm: the key is derived for a host NQN (give it with "
                                "--hostnqn): Error reading mandatory Host NQN"));
  EXPECT_THAT(r.err, Not(HasSubstr(b64.substr(4, 20))));
}

TEST_F(StasadmTlsKeyTest, KeyFromStandardInput) {
  // The key is read and checked (the subsystem NQN is not), and never echoed.
  ProgramOutput r =
      RunProgram("printf '%s\\n' " + ShellQuote(kTlsKey) + " | " + STASADM_BIN + " -c " +
                 ShellQuote(conf_) + " tls-key-insert --key - --subsysnqn bad");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "stasadm: --subsysnqn \"bad\": does not start with \"nqn.\"\n");
  r = RunProgram(std::string(STASADM_BIN) + " -c " + ShellQuote(conf_) +
                 " tls-key-insert --key - --subsysnqn nqn.a </dev/null");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "stasadm: --key -: standard input is empty\n");
  r = RunProgram("printf 'NVMeTLSkey-1:01:abc:\\n' | " + std::string(STASADM_BIN) + " -c " +
                 ShellQuote(conf_) + " tls-key-insert --key - --subsysnqn nqn.a");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("stasadm: --key is not valid base64"));
  r = RunProgram("printf '%s\\n' " + ShellQuote(kTlsKey) + " | " + STASADM_BIN + " -c " +
                 ShellQuote(conf_) + " tls-key-insert --key - --subsysnqn " + kSubsys3 +
                 " --keyring " + kNoKeyring);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, NoKeyring());
}

TEST_F(StasadmTlsKeyTest, NoSuchKeyringIsOneLineError) {
  for (const std::string& args :
       {"tls-key-insert --key " + ShellQuote(kTlsKey) + " --subsysnqn " + kSubsys3 + " --keyring " +
            kNoKeyring,
        "tls-key-insert --key " + ShellQuote(kTlsKey) + " --subsysnqn " + kSubsys3 + " --hostnqn " +
            kZeroNqn + " --compat --keyring " + kNoKeyring,
        std::string("tls-key-list --keyring ") + kNoKeyring,
        std::string("tls-key-remove --serial 0x10 --keyring ") + kNoKeyring,
        std::string("tls-key-remove --keyring ") + kNoKeyring + " --identity " +
            ShellQuote(std::string("NVMe0R01 ") + kHost7 + " " + kSubsys3)}) {
    ProgramOutput r = Stasadm(args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_EQ(r.err, NoKeyring()) << args;
  }
}

TEST_F(StasadmTlsKeyTest, NoNvmeKeyringIsOneLineError) {
  if (KernelHasNvmeKeyring())
    GTEST_SKIP() << "this kernel has a .nvme keyring: nothing is inserted into it";
  for (const std::string& args :
       {std::string("tls-key-list"),
        "tls-key-insert --key " + ShellQuote(kTlsKey) + " --subsysnqn " + kSubsys3,
        std::string("tls-key-remove --identity 'NVMe0R01 nqn.h nqn.s'"),
        std::string("tls-key-remove --serial 649274894 --keyring .nvme")}) {
    ProgramOutput r = Stasadm(args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_EQ(r.err, NoNvmeKeyring()) << args;
  }
}

// The real keyring calls, on a keyring of a private session keyring (keyctl session), which
// disappears with the process: listing skips keys of other types, removing refuses them, and
// inserting works where the kernel has the psk key type (nvme_tcp loaded), and otherwise says so.
TEST_F(StasadmTlsKeyTest, OnAPrivateKeyring) {
  if (RunProgram("command -v keyctl").exit_code != 0)
    GTEST_SKIP() << "keyctl is not installed";
  const std::string identity = std::string("NVMe0R01 ") + kHost7 + " " + kSubsys3;
  const std::string script = tmp_.path() + "/keyring.sh";
  testing::WriteFileText(script, R"SH(set -u
sa() { "$STASADM" -c "$CONF" "$@" 2>&1; }
ring=$(keyctl newring stas-test @s) || exit 99
user=$(keyctl add user "NVMe0R01 nqn.a nqn.b" x "$ring") || exit 99
echo "user $user"
out=$(sa tls-key-list --keyring stas-test); echo "list $? [$out]"
out=$(sa tls-key-remove --serial "$user" --keyring stas-test); echo "remove-user $? [$out]"
out=$(sa tls-key-remove --identity "NVMe0R01 nqn.a nqn.b" --keyring stas-test)
echo "remove-identity $? [$out]"
key=$(sa tls-key-insert --key "$KEY" --subsysnqn "$SUBSYS" --keyring stas-test); rc=$?
echo "insert $rc [$key]"
if [ "$rc" -eq 0 ]; then
  echo "payload $(keyctl pipe "$key" | od -An -tx1 | tr -d ' \n')"
  out=$(sa tls-key-list --keyring stas-test); echo "list2 $? [$out]"
  out=$(sa tls-key-remove --serial "$key" --keyring stas-test); echo "remove $? [$out]"
  out=$(sa tls-key-list --keyring stas-test); echo "list3 $? [$out]"
fi
keyctl rdescribe "$user" >/dev/null && echo "user-kept"
)SH");
  ProgramOutput r =
      RunProgram("env STASADM=" + ShellQuote(STASADM_BIN) + " CONF=" + ShellQuote(conf_) +
                 " KEY=" + ShellQuote(kTlsKey) + " SUBSYS=" + kSubsys3 + " keyctl session - sh " +
                 ShellQuote(script));
  if (r.exit_code == 99)
    GTEST_SKIP() << "cannot make a keyring: " << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::map<std::string, std::string> lines;
  for (const std::string& line : Split(r.out, '\n')) {
    size_t space = line.find(' ');
    lines[line.substr(0, space)] = space == std::string::npos ? "" : line.substr(space + 1);
  }
  const std::string user = lines["user"];
  ASSERT_FALSE(user.empty()) << r.out;
  EXPECT_EQ(lines["list"], "0 []");
  EXPECT_EQ(lines["remove-user"],
            "1 [stasadm: the keyring \"stas-test\" has no psk key " + user + "]");
  EXPECT_EQ(lines["remove-identity"],
            "1 [stasadm: the keyring \"stas-test\" has no psk key with identity \"NVMe0R01 "
            "nqn.a nqn.b\"]");
  EXPECT_EQ(lines.count("user-kept"), 1u) << r.out;
  const std::string& insert = lines["insert"];
  if (insert.rfind("0 [", 0) != 0) {
    EXPECT_EQ(insert,
              "1 [stasadm: cannot add the key to the keyring \"stas-test\": the kernel has no key "
              "type \"psk\": load nvme_tcp (kernel 6.7 or later with NVMe/TCP TLS)]");
    return;
  }
  const std::string serial = insert.substr(3, insert.size() - 4);
  Result<ConfiguredPsk> psk = DecodeTlsPsk(kTlsKey);
  ASSERT_TRUE(psk);
  Result<TlsPsk> tls = DeriveTlsPsk(*psk, kHost7, kSubsys3);
  ASSERT_TRUE(tls);
  EXPECT_EQ(lines["payload"], HexDigits(tls->key));
  EXPECT_EQ(lines["list2"], "0 [" + serial + " " + identity + "]");
  EXPECT_EQ(lines["remove"], "0 []");
  EXPECT_EQ(lines["list3"], "0 []");
}

// nvme-cli 2.3 can only make and check interchange-format keys (derivation came later):
// a key it makes is one stasadm takes, one it refuses stasadm refuses too.
TEST_F(StasadmTlsKeyTest, TakesTheKeysOfTheInstalledNvmeCli) {
  if (RunProgram("command -v nvme").exit_code != 0)
    GTEST_SKIP() << "nvme-cli is not installed";
  for (int hmac : {1, 2}) {
    ProgramOutput nvme = RunProgram("nvme gen-tls-key --hmac=" + std::to_string(hmac));
    ASSERT_EQ(nvme.exit_code, 0) << nvme.err;
    ASSERT_THAT(nvme.out, StartsWith("NVMeTLSkey-1:0" + std::to_string(hmac) + ":"));
    std::string key = nvme.out.substr(0, nvme.out.find('\n'));
    ProgramOutput check = RunProgram("nvme check-tls-key --key=" + ShellQuote(key));
    EXPECT_THAT(check.out + check.err, HasSubstr("Key is valid")) << key;
    EXPECT_EQ(Insert(key).err, NoKeyring()) << "the key was not taken";

    // One base64 character changed: the CRC no longer matches, for both.
    std::string bad = key;
    size_t at = 20;  // in the key's first bytes
    bad[at] = bad[at] == 'A' ? 'B' : 'A';
    check = RunProgram("nvme check-tls-key --key=" + ShellQuote(bad));
    EXPECT_NE(check.exit_code, 0);
    ProgramOutput ours = Insert(bad);
    EXPECT_EQ(ours.exit_code, 1);
    EXPECT_THAT(ours.err, HasSubstr("--key ")) << bad;
  }
}

}  // namespace
}  // namespace stas
