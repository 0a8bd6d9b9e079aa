// SPDX-License-Identifier: Apache-2.0
#include "common/loop/sdbus_glib.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include "common/loop/glib_event_loop.h"
#include "common/testing/glib_loop_fixture.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for posix_spawnp

namespace stas {
namespace {

using std::chrono::milliseconds;

constexpr const char* kInterface = "org.nvmexpress.stas.Test";
constexpr const char* kObjectPath = "/org/nvmexpress/stas/test";

// Starts `dbus-daemon --session --fork` and reads its address and PID (two lines on stdout).
// Returns the posix_spawnp error (ENOENT: not installed), or 0.
int StartBusDaemon(std::string* address, pid_t* daemon_pid, std::string* error) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    return errno;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  const char* argv[] = {"dbus-daemon",   "--session",   "--fork", "--print-address=1",
                        "--print-pid=1", "--nopidfile", nullptr};
  pid_t child = -1;
  int rc = posix_spawnp(&child, "dbus-daemon", &actions, nullptr,
                        const_cast<char* const*>(argv),  // NOLINT: POSIX signature
                        environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    return rc;
  }
  // Two lines, within 10 s; the forked daemon may keep the pipe open, so no wait for EOF.
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(10000);
  while (std::count(text.begin(), text.end(), '\n') < 2 &&
         std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{out[0], POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0)
      continue;
    char buf[256];
    ssize_t n = read(out[0], buf, sizeof(buf));
    if (n <= 0)
      break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  // The spawned process exits as soon as the daemon has forked; reap it (bounded).
  for (int i = 0; i < 1000 && waitpid(child, nullptr, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  auto nl = text.find('\n');
  if (nl == std::string::npos || text.find('\n', nl + 1) == std::string::npos) {
    *error = "dbus-daemon printed: " + text;
    return EIO;
  }
  *address = text.substr(0, nl);
  *daemon_pid = static_cast<pid_t>(std::stol(text.substr(nl + 1)));
  return 0;
}

class SdbusGlibTest : public GlibLoopTest {
 protected:
  void SetUp() override {
    std::string error;
    int rc = StartBusDaemon(&address_, &daemon_pid_, &error);
    if (rc == ENOENT)
      GTEST_SKIP() << "dbus-daemon is not installed";
    ASSERT_EQ(rc, 0) << std::strerror(rc) << " " << error;  // NOLINT(concurrency-mt-unsafe)
    ASSERT_GT(daemon_pid_, 0);
  }

  void TearDown() override { KillBus(); }

  void KillBus() {
    if (daemon_pid_ > 0)
      kill(daemon_pid_, SIGTERM);
    daemon_pid_ = -1;
  }

  std::string address_;
  pid_t daemon_pid_ = -1;
};

TEST_F(SdbusGlibTest, AsyncCallBetweenTwoConnectionsOnOneContext) {
  auto server = sdbus::createSessionBusConnectionWithAddress(address_);
  auto client = sdbus::createSessionBusConnectionWithAddress(address_);
  int lost = 0;
  SdbusGlibSource server_source(*server, context_.get(), [&] { ++lost; });
  SdbusGlibSource client_source(*client, context_.get(), [&] { ++lost; });

  const auto loop_thread = std::this_thread::get_id();
  bool handler_on_loop_thread = false;
  auto object = sdbus::createObject(*server, kObjectPath);
  object->registerSignal("Added").onInterface(kInterface).withParameters<int32_t>("sum");
  object->registerMethod("Add")
      .onInterface(kInterface)
      .withInputParamNames("a", "b")
      .withOutputParamNames("sum")
      .implementedAs([&](int32_t a, int32_t b) {
        handler_on_loop_thread = std::this_thread::get_id() == loop_thread;
        object->emitSignal("Added").onInterface(kInterface).withArguments(a + b);
        return a + b;
      });
  object->finishRegistration();

  auto proxy = sdbus::createProxy(*client, server->getUniqueName(), kObjectPath);
  // The reply and the signal may be dispatched in either order; quit once both are in.
  int32_t signalled = 0;
  int32_t reply = 0;
  bool got_error = false;
  auto quit_when_both = [&] {
    if (signalled != 0 && reply != 0)
      loop_.Quit();
  };
  proxy->uponSignal("Added").onInterface(kInterface).call([&](int32_t sum) {
    signalled = sum;
    quit_when_both();
  });
  proxy->finishRegistration();

  auto call = proxy->callMethodAsync("Add")
                  .onInterface(kInterface)
                  .withArguments(int32_t{2}, int32_t{3})
                  .uponReplyInvoke([&](const sdbus::Error* error, int32_t sum) {
                    got_error = error != nullptr;
                    reply = sum;
                    quit_when_both();
                  });
  bool quit = RunFor(milliseconds(10000));
  EXPECT_TRUE(quit);
  EXPECT_FALSE(got_error);
  EXPECT_EQ(reply, 5);
  EXPECT_EQ(signalled, 5);
  EXPECT_TRUE(handler_on_loop_thread);
  EXPECT_EQ(lost, 0);
  EXPECT_FALSE(server_source.lost());
}

TEST_F(SdbusGlibTest, IdleConnectionDoesNotSpinTheLoop) {
  auto conn = sdbus::createSessionBusConnectionWithAddress(address_);
  SdbusGlibSource source(*conn, context_.get(), [] {});
  RunFor(milliseconds(100));  // lets the Hello reply and the name signals through

  bool stop = false;
  loop_.AddTimer(milliseconds(300), [&] { stop = true; });
  int iterations = 0;
  while (!stop && iterations < 1000000) {
    g_main_context_iteration(context_.get(), TRUE);
    ++iterations;
  }
  std::printf("[ sdbus    ] idle: %d loop iterations in 300 ms\n", iterations);
  EXPECT_TRUE(stop);
  EXPECT_LT(iterations, 100);  // a busy loop does hundreds of thousands
}

gboolean RecordHandled(gpointer data) {
  auto* probe = static_cast<std::pair<const int*, std::vector<int>>*>(data);
  probe->second.push_back(*probe->first);
  return G_SOURCE_CONTINUE;
}

TEST_F(SdbusGlibTest, ManyQueuedCallsLetOtherSourcesRunBetweenBatches) {
  // A caller queues many calls at once (a local user flooding stafd): the loop must not handle
  // them all in one dispatch while timers and worker results wait.
  constexpr int kCalls = 200;
  auto server = sdbus::createSessionBusConnectionWithAddress(address_);
  auto client = sdbus::createSessionBusConnectionWithAddress(address_);
  int handled = 0;
  auto object = sdbus::createObject(*server, kObjectPath);
  object->registerMethod("Work").onInterface(kInterface).implementedAs([&] { ++handled; });
  object->finishRegistration();

  auto proxy = sdbus::createProxy(*client, server->getUniqueName(), kObjectPath);
  for (int i = 0; i < kCalls; ++i) {
    proxy->callMethodAsync("Work").onInterface(kInterface).uponReplyInvoke([](const sdbus::Error*) {
    });
  }
  // The bus daemon relays a connection's messages in order: once it has answered this, all
  // the calls wait in the server's socket, before the server's source is attached.
  (void)client->getUniqueName();
  auto bus = sdbus::createProxy(*client, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  std::string id;
  bus->callMethod("GetId").onInterface("org.freedesktop.DBus").storeResultsTo(id);

  SdbusGlibSource server_source(*server, context_.get(), [] {});
  // A source of the same priority that is always ready: it records how many calls were
  // handled each time it runs.
  std::pair<const int*, std::vector<int>> probe{&handled, {}};
  GSource* timer = g_timeout_source_new(0);
  g_source_set_callback(timer, RecordHandled, &probe, nullptr);
  g_source_attach(timer, context_.get());
  for (int i = 0; i < 10000 && handled < kCalls; ++i)
    g_main_context_iteration(context_.get(), FALSE);
  g_source_destroy(timer);
  g_source_unref(timer);

  EXPECT_EQ(handled, kCalls);
  int between = 0;
  for (int n : probe.second)
    between += n > 0 && n < kCalls;
  std::printf("[ sdbus    ] %d calls: the other source ran %d times while calls were pending\n",
              kCalls, between);
  EXPECT_GE(between, kCalls / SdbusGlibSource::kMaxMessagesPerDispatch - 1);
}

TEST_F(SdbusGlibTest, KillingTheBusReportsLossOnce) {
  auto kept = sdbus::createSessionBusConnectionWithAddress(address_);
  auto dropped = sdbus::createSessionBusConnectionWithAddress(address_);
  int kept_lost = 0;
  int dropped_lost = 0;
  SdbusGlibSource kept_source(*kept, context_.get(), [&] {
    ++kept_lost;
    if (dropped_lost > 0)
      loop_.Quit();
  });
  std::unique_ptr<SdbusGlibSource> dropped_source;
  dropped_source = std::make_unique<SdbusGlibSource>(*dropped, context_.get(), [&] {
    ++dropped_lost;
    dropped_source.reset();  // on_lost may destroy its own handle...
    dropped.reset();         // ...and the connection
    if (kept_lost > 0)
      loop_.Quit();
  });
  RunFor(milliseconds(100));
  EXPECT_FALSE(kept_source.lost());

  KillBus();
  EXPECT_TRUE(RunFor(milliseconds(10000)));
  EXPECT_EQ(kept_lost, 1);
  EXPECT_EQ(dropped_lost, 1);
  EXPECT_TRUE(kept_source.lost());
  EXPECT_EQ(dropped_source, nullptr);
  EXPECT_EQ(dropped, nullptr);
  RunFor(milliseconds(100));  // no second report
  EXPECT_EQ(kept_lost, 1);
}

}  // namespace
}  // namespace stas
