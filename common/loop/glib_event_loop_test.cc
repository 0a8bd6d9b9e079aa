// SPDX-License-Identifier: Apache-2.0
#include "common/loop/glib_event_loop.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>
#include <unistd.h>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

#include "common/testing/glib_loop_fixture.h"

namespace stas {
namespace {

using std::chrono::milliseconds;

// Each test has its own context, so that nothing leaks into GLib's default one.
class GlibEventLoopTest : public GlibLoopTest {};

TEST_F(GlibEventLoopTest, PostRunsLaterInOrderOnTheLoopThread) {
  std::vector<int> order;
  loop_.Post([&] {
    order.push_back(1);
    loop_.Post([&] {
      order.push_back(3);
      loop_.Quit();
    });
  });
  loop_.Post([&] { order.push_back(2); });
  EXPECT_TRUE(order.empty());  // not inline, even though nobody iterates the context yet
  ASSERT_TRUE(RunFor(milliseconds(5000)));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST_F(GlibEventLoopTest, PostIsThreadSafe) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::vector<int>> seen(kThreads);
  std::atomic<int> done{0};
  const auto loop_thread = std::this_thread::get_id();
  bool all_on_loop_thread = true;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        loop_.Post([&, t, i] {
          all_on_loop_thread = all_on_loop_thread && std::this_thread::get_id() == loop_thread;
          seen[t].push_back(i);
          if (++done == kThreads * kPerThread)
            loop_.Quit();
        });
      }
    });
  }
  bool finished = RunFor(milliseconds(10000));
  for (auto& th : threads)
    th.join();
  ASSERT_TRUE(finished);
  EXPECT_TRUE(all_on_loop_thread);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i)
      EXPECT_EQ(seen[t][i], i);  // FIFO per thread
  }
}

TEST_F(GlibEventLoopTest, TimersFireInOrderAndCanBeCancelled) {
  std::vector<int> fired;
  const auto start = loop_.Now();
  loop_.AddTimer(milliseconds(60), [&] {
    fired.push_back(3);
    loop_.Quit();
  });
  loop_.AddTimer(milliseconds(10), [&] { fired.push_back(1); });
  auto cancelled = loop_.AddTimer(milliseconds(20), [&] { fired.push_back(99); });
  auto self_cancel = loop_.AddTimer(milliseconds(30), [&] { fired.push_back(2); });
  loop_.CancelTimer(cancelled);
  loop_.CancelTimer(cancelled);  // twice: no-op
  loop_.CancelTimer(987654);     // unknown: no-op
  ASSERT_TRUE(RunFor(milliseconds(5000)));
  loop_.CancelTimer(self_cancel);  // expired: no-op
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
  EXPECT_GE(loop_.Now() - start, milliseconds(60));
}

TEST(GlibTimeoutSourceTest, LongDelaysExpireWhenAskedNotAfter49Days) {
  // zeroconf-connections-persistence may be 100 years; a guint of milliseconds ends at 49.7 days.
  auto expires_in_days = [](std::chrono::milliseconds delay) {
    GSource* source = NewTimeoutSource(delay);
    double days = static_cast<double>(g_source_get_ready_time(source) - g_get_monotonic_time()) /
                  (86400.0 * G_USEC_PER_SEC);
    g_source_unref(source);
    return days;
  };
  using Days = std::chrono::duration<long long, std::ratio<86400>>;
  EXPECT_NEAR(expires_in_days(Days(3)), 3.0, 0.001);
  EXPECT_NEAR(expires_in_days(Days(60)), 60.0, 0.001);
  EXPECT_NEAR(expires_in_days(Days(100 * 365)), 36500.0, 0.001);
  EXPECT_NEAR(expires_in_days(milliseconds(-5)), 0.0, 0.001);
}

TEST_F(GlibEventLoopTest, TimerCallbackMayCancelItselfAndAddTimers) {
  int n = 0;
  EventLoop::TimerId id = EventLoop::kNoTimer;
  id = loop_.AddTimer(milliseconds(0), [&] {
    loop_.CancelTimer(id);  // its own, already expired id
    ++n;
    loop_.AddTimer(milliseconds(1), [&] {
      ++n;
      loop_.Quit();
    });
  });
  ASSERT_TRUE(RunFor(milliseconds(5000)));
  EXPECT_EQ(n, 2);
}

TEST_F(GlibEventLoopTest, QuitBeforeRunReturnsAtOnce) {
  loop_.Quit();
  loop_.Run();  // must not block
  SUCCEED();
}

TEST_F(GlibEventLoopTest, QuitFromAnotherThreadWakesTheLoop) {
  // The other thread quits once a posted callback has run, so inside Run(): a Quit() before
  // Run() returns at once (QuitBeforeRunReturnsAtOnce) and would prove nothing here.
  std::promise<void> running;
  std::future<void> is_running = running.get_future();
  loop_.Post([&] { running.set_value(); });
  std::thread t([&] {
    if (is_running.wait_for(milliseconds(5000)) == std::future_status::ready)
      loop_.Quit();
  });
  bool quit = RunFor(milliseconds(5000));
  t.join();
  EXPECT_TRUE(quit);
}

TEST_F(GlibEventLoopTest, ExceptionsFromCallbacksDoNotEscapeIntoGlib) {
  loop_.Post([] { throw std::runtime_error("posted boom"); });
  loop_.AddTimer(milliseconds(0), [] { throw std::runtime_error("timer boom"); });
  loop_.AddTimer(milliseconds(5), [this] { loop_.Quit(); });
  EXPECT_TRUE(RunFor(milliseconds(5000)));
}

TEST_F(GlibEventLoopTest, FdWatchFiresWhenReadableUntilRemoved) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  int calls = 0;
  GlibEventLoop::FdWatchId id = 0;
  id = loop_.AddFdWatch(fds[0], [&] {
    char buf[16];
    ASSERT_GT(read(fds[0], buf, sizeof(buf)), 0);
    if (++calls == 2) {
      loop_.RemoveFdWatch(id);  // from its own callback
      loop_.Quit();
    }
  });
  ASSERT_EQ(write(fds[1], "a", 1), 1);
  loop_.AddTimer(milliseconds(20), [&] { ASSERT_EQ(write(fds[1], "b", 1), 1); });
  ASSERT_TRUE(RunFor(milliseconds(5000)));
  EXPECT_EQ(calls, 2);
  // Removed: more data does not call it again.
  ASSERT_EQ(write(fds[1], "c", 1), 1);
  EXPECT_FALSE(RunFor(milliseconds(50)));
  EXPECT_EQ(calls, 2);
  loop_.RemoveFdWatch(id);  // twice: no-op
  close(fds[0]);
  close(fds[1]);
}

TEST_F(GlibEventLoopTest, UnixSignalRunsOnTheLoop) {
  int calls = 0;
  auto id = loop_.AddUnixSignal(SIGUSR1, [&] {
    ++calls;
    loop_.Quit();
  });
  ASSERT_TRUE(id.has_value());
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_TRUE(RunFor(milliseconds(5000)));
  EXPECT_EQ(calls, 1);
  loop_.RemoveUnixSignal(*id);
}

TEST_F(GlibEventLoopTest, UnsupportedSignalIsAnError) {
  auto id = loop_.AddUnixSignal(SIGKILL, [] {});
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().code, EINVAL);
}

TEST(GlibEventLoopLifetimeTest, DestroyingTheLoopDropsPendingWork) {
  GMainContext* context = g_main_context_new();
  bool ran = false;
  {
    GlibEventLoop loop(context);
    loop.Post([&] { ran = true; });
    loop.AddTimer(milliseconds(0), [&] { ran = true; });
    loop.AddFdWatch(0, [&] { ran = true; });
  }
  // Nothing of the dead loop is left on the context.
  for (int i = 0; i < 10; ++i)
    g_main_context_iteration(context, FALSE);
  EXPECT_FALSE(ran);
  g_main_context_unref(context);
}

TEST(GlibEventLoopLifetimeTest, DefaultContextWorks) {
  GlibEventLoop loop;
  EXPECT_EQ(loop.context(), g_main_context_default());
  int n = 0;
  loop.Post([&] {
    ++n;
    loop.Quit();
  });
  auto guard = loop.AddTimer(milliseconds(5000), [&] { loop.Quit(); });
  loop.Run();
  loop.CancelTimer(guard);
  EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace stas
