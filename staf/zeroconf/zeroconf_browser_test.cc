// SPDX-License-Identifier: Apache-2.0
// AvahiBrowser against a private dbus-daemon that this test starts and stops (never the
// machine's system bus, no avahi-daemon, no root): the browser must report avahi-daemon's
// absence, the bus's absence, and recover when the bus comes back, without crashing.
#include "staf/zeroconf/zeroconf_browser.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <optional>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

#include "common/testing/fake_event_loop.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): for posix_spawnp

namespace stas::staf {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kAvahiClientFailure = 100;  // AVAHI_CLIENT_FAILURE

// A dbus-daemon on a unix socket at a fixed path for this process: libdbus reads
// DBUS_SYSTEM_BUS_ADDRESS once per process and caches it, so every test (and every restart
// of the daemon) uses the same address.
class PrivateBus {
 public:
  PrivateBus() : dir_("/tmp/stas-zeroconf-test-" + std::to_string(getpid())) {
    (void)mkdir(dir_.c_str(), 0700);
  }
  ~PrivateBus() {
    Stop();
    (void)std::remove(config_path().c_str());
    (void)rmdir(dir_.c_str());
  }
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;
  PrivateBus(PrivateBus&&) = delete;
  PrivateBus& operator=(PrivateBus&&) = delete;

  std::string address() const { return "unix:path=" + socket_path(); }

  // Starts the daemon and waits (at most 10 s) until it accepts connections.
  bool Start() {
    std::ofstream(config_path()) << "<busconfig>\n"
                                    "  <type>session</type>\n"
                                    "  <listen>unix:path="
                                 << socket_path()
                                 << "</listen>\n"
                                    "  <auth>EXTERNAL</auth>\n"
                                    "  <policy context=\"default\">\n"
                                    "    <allow user=\"*\"/>\n"
                                    "    <allow own=\"*\"/>\n"
                                    "    <allow send_destination=\"*\"/>\n"
                                    "    <allow receive_sender=\"*\"/>\n"
                                    "  </policy>\n"
                                    "</busconfig>\n";
    const std::string config_arg = "--config-file=" + config_path();
    std::vector<char*> argv = {
        const_cast<char*>("dbus-daemon"),     const_cast<char*>(config_arg.c_str()),
        const_cast<char*>("--nofork"),        const_cast<char*>("--nopidfile"),
        const_cast<char*>("--print-address"), nullptr};
    // The daemon prints its address once it accepts connections: wait for that line, not for
    // the socket file (it exists between bind() and listen(), when connect() is refused).
    int out[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) != 0)
      return false;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, "dbus-daemon", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (rc != 0) {
      close(out[0]);
      return false;
    }
    pid_ = pid;
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{out[0], POLLIN, 0};
      if (poll(&pfd, 1, 100) <= 0)
        continue;
      char buf[256];
      const ssize_t n = read(out[0], buf, sizeof(buf));
      if (n <= 0)
        break;  // the daemon exited
      line.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    return line.find('\n') != std::string::npos;
  }

  void Stop() {
    if (pid_ > 0) {
      (void)kill(pid_, SIGTERM);
      int status = 0;
      (void)waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    (void)std::remove(socket_path().c_str());
  }

  static bool Available() {
    const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): test set-up
    std::string dirs = path ? path : "/usr/bin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos)
        end = dirs.size();
      std::string candidate = dirs.substr(start, end - start) + "/dbus-daemon";
      if (access(candidate.c_str(), X_OK) == 0)
        return true;
      start = end + 1;
    }
    return false;
  }

 private:
  std::string socket_path() const { return dir_ + "/system_bus_socket"; }
  std::string config_path() const { return dir_ + "/bus.conf"; }

  std::string dir_;
  pid_t pid_ = -1;
};

class Recorder final : public ServiceBrowserObserver {
 public:
  bool OnServiceNew(const ServiceKey&, const std::string&, unsigned) override {
    ++events;
    return true;
  }
  void OnServiceResolved(const ResolvedService&) override { ++events; }
  void OnServiceRemoved(const ServiceKey&) override { ++events; }
  void OnBrowserState(BrowserState s, const std::string&) override { states.push_back(s); }

  std::vector<BrowserState> states;
  int events = 0;
};

class ZeroconfAvahiBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PrivateBus::Available())
      GTEST_SKIP() << "dbus-daemon is not installed";
    // NOLINTNEXTLINE(concurrency-mt-unsafe): test set-up, no other thread reads it
    const char* old = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
    if (old != nullptr)
      old_address_ = old;
    // Never the machine's system bus. NOLINTNEXTLINE(concurrency-mt-unsafe): test set-up
    (void)setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_.address().c_str(), 1);
  }

  void TearDown() override {
    browser_.reset();
    bus_.Stop();
    // NOLINTBEGIN(concurrency-mt-unsafe): test tear-down
    if (old_address_) {
      (void)setenv("DBUS_SYSTEM_BUS_ADDRESS", old_address_->c_str(), 1);
    } else {
      (void)unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
    }
    // NOLINTEND(concurrency-mt-unsafe)
  }

  AvahiBrowser& MakeBrowser() {
    browser_ = std::make_unique<AvahiBrowser>(loop_, context_.get());
    browser_->SetObserver(&recorder_);
    return *browser_;
  }

  // Iterates the GLib context (D-Bus traffic) and the fake loop (deferred work) until `done`
  // or 10 s; false on timeout.
  bool Pump(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      while (g_main_context_iteration(context_.get(), FALSE)) {
      }
      loop_.RunUntilIdle();
      if (!done())
        std::this_thread::sleep_for(milliseconds(5));
    }
    return true;
  }

  std::unique_ptr<GMainContext, decltype(&g_main_context_unref)> context_{g_main_context_new(),
                                                                          &g_main_context_unref};
  FakeEventLoop loop_;  // the kick timer and deferred work; Avahi's own I/O is on context_
  PrivateBus bus_;
  Recorder recorder_;
  std::unique_ptr<AvahiBrowser> browser_;
  std::optional<std::string> old_address_;
};

const std::vector<std::string> both_types = {kNvmeDiscUdp, kNvmeDiscTcp};

TEST_F(ZeroconfAvahiBrowserTest, ReportsAvahiDaemonAbsentAndArmsTheKickTimer) {
  ASSERT_TRUE(bus_.Start());
  AvahiBrowser& b = MakeBrowser();
  EXPECT_EQ(b.wake_up_timer(), "60.0s [off]");
  b.SetServiceTypes(both_types);
  // NO_FAIL: connected to the bus, waiting for org.freedesktop.Avahi to appear.
  EXPECT_EQ(recorder_.states, std::vector<BrowserState>{BrowserState::kDisconnected});
  EXPECT_EQ(b.state(), BrowserState::kDisconnected);
  EXPECT_EQ(b.clients_created_for_testing(), 1);
  EXPECT_EQ(b.wake_up_timer(), "60.0s [60.0s]");
  EXPECT_EQ(b.service_types(), (std::vector<std::string>{kNvmeDiscTcp, kNvmeDiscUdp}));
  EXPECT_EQ(recorder_.events, 0);

  b.SetServiceTypes({});  // zeroconf disabled: no client, no kick
  EXPECT_EQ(b.wake_up_timer(), "60.0s [off]");
  EXPECT_EQ(b.client_state_for_testing(), -1);
  EXPECT_TRUE(b.service_types().empty());
}

TEST_F(ZeroconfAvahiBrowserTest, ReportsFailureWithoutASystemBusAndKeepsTrying) {
  AvahiBrowser& b = MakeBrowser();  // no bus started
  b.SetServiceTypes(both_types);
  EXPECT_EQ(recorder_.states, std::vector<BrowserState>{BrowserState::kFailure});
  EXPECT_EQ(b.client_state_for_testing(), -1);
  EXPECT_EQ(b.wake_up_timer(), "60.0s [60.0s]");

  loop_.AdvanceBy(seconds(59));
  EXPECT_EQ(b.clients_created_for_testing(), 1);
  loop_.AdvanceBy(seconds(1));  // kick: a new client, which fails again
  EXPECT_EQ(b.clients_created_for_testing(), 2);
  EXPECT_EQ(recorder_.states, std::vector<BrowserState>{BrowserState::kFailure});  // no repeat
  EXPECT_EQ(b.wake_up_timer(), "60.0s [60.0s]");

  b.KickStart();  // SIGHUP: kick now
  loop_.RunUntilIdle();
  EXPECT_EQ(b.clients_created_for_testing(), 3);
}

TEST_F(ZeroconfAvahiBrowserTest, RecoversWhenTheBusComesBack) {
  AvahiBrowser& b = MakeBrowser();
  b.SetServiceTypes(both_types);
  ASSERT_EQ(recorder_.states, std::vector<BrowserState>{BrowserState::kFailure});
  ASSERT_TRUE(bus_.Start());
  loop_.AdvanceBy(AvahiBrowser::kKickInterval);
  EXPECT_EQ(b.clients_created_for_testing(), 2);
  EXPECT_EQ(recorder_.states,
            (std::vector<BrowserState>{BrowserState::kFailure, BrowserState::kDisconnected}));
  EXPECT_EQ(b.wake_up_timer(), "60.0s [60.0s]");  // still waiting for avahi-daemon
}

TEST_F(ZeroconfAvahiBrowserTest, NoticesTheBusGoingAway) {
  ASSERT_TRUE(bus_.Start());
  AvahiBrowser& b = MakeBrowser();
  b.SetServiceTypes(both_types);
  ASSERT_EQ(recorder_.states, std::vector<BrowserState>{BrowserState::kDisconnected});
  bus_.Stop();
  ASSERT_TRUE(Pump([&] { return b.client_state_for_testing() == kAvahiClientFailure; }));
  loop_.AdvanceBy(AvahiBrowser::kKickInterval);  // kick: the dead client is replaced
  EXPECT_EQ(b.clients_created_for_testing(), 2);
  EXPECT_EQ(recorder_.states,
            (std::vector<BrowserState>{BrowserState::kDisconnected, BrowserState::kFailure}));
}

TEST_F(ZeroconfAvahiBrowserTest, DestroyedWhileWaitingIsClean) {
  ASSERT_TRUE(bus_.Start());
  {
    AvahiBrowser b(loop_, context_.get());
    b.SetObserver(&recorder_);
    b.SetServiceTypes(both_types);
  }
  EXPECT_EQ(loop_.pending_timers(), 0u);
  EXPECT_TRUE(Pump([] { return true; }));
}

}  // namespace
}  // namespace stas::staf
