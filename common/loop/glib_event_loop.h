// SPDX-License-Identifier: Apache-2.0
// GlibEventLoop: the production EventLoop, on a GLib GMainContext.
//
// One per daemon, created in main() and run on the main thread; every other GLib-based source
// (sdbus-c++ through sdbus_glib.h, Avahi through avahi-glib, udev through AddFdWatch) is
// attached to the same context, so that the whole daemon is single-threaded apart from the
// BlockingRunner workers. Loop thread only, except Post() and Quit(), which are thread-safe.
// Sources added through this class are removed when it is destroyed; posted work that has not
// run by then is dropped. REQUIRES: no other thread calls Post() during or after destruction.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "common/loop/event_loop.h"
#include "common/result.h"

// Forward declarations, so that users of the loop need not include <glib.h>.
// NOLINTNEXTLINE(bugprone-reserved-identifier,modernize-use-using): GLib's own declaration
typedef struct _GMainContext GMainContext;
// NOLINTNEXTLINE(bugprone-reserved-identifier,modernize-use-using): GLib's own declaration
typedef struct _GSource GSource;

namespace stas {

class GlibEventLoop : public EventLoop {
 public:
  using FdWatchId = std::uint64_t;
  using SignalId = std::uint64_t;

  // Uses `context`, or GLib's default context when it is null. Takes a reference on it.
  explicit GlibEventLoop(GMainContext* context = nullptr);
  ~GlibEventLoop() override;
  GlibEventLoop(const GlibEventLoop&) = delete;
  GlibEventLoop& operator=(const GlibEventLoop&) = delete;
  GlibEventLoop(GlibEventLoop&&) = delete;
  GlibEventLoop& operator=(GlibEventLoop&&) = delete;

  // Posted work runs at G_PRIORITY_DEFAULT, in FIFO order. Thread-safe.
  void Post(std::function<void()> fn) override;
  TimerId AddTimer(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void CancelTimer(TimerId id) override;
  Clock::time_point Now() const override;

  // Iterates the context until Quit(). Returns at once if Quit() was called since the last
  // Run() returned.
  void Run();
  // Makes Run() return after the current iteration. Thread-safe.
  void Quit();

  // Calls `fn` on the loop thread each time `signum` is delivered (g_unix_signal_add).
  // GLib supports SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2 and SIGWINCH; others are EINVAL.
  Result<SignalId> AddUnixSignal(int signum, std::function<void()> fn);
  void RemoveUnixSignal(SignalId id);

  // Calls `fn` each time `fd` is readable (or hung up, or in error) until RemoveFdWatch().
  // `fn` must consume the event, or it is called again at once. The fd is not closed here.
  FdWatchId AddFdWatch(int fd, std::function<void()> fn);
  // Unknown or removed ids are a no-op; `fn` may remove its own watch.
  void RemoveFdWatch(FdWatchId id);

  GMainContext* context() const { return context_; }

 private:
  struct Closure;  // the C trampolines and what they carry, in the .cc

  std::uint64_t Attach(GSource* source, std::function<void()> fn, bool one_shot);
  void Remove(std::uint64_t id);
  void RunPosted();

  GMainContext* context_;
  std::atomic<bool> quit_{false};

  std::mutex post_mu_;
  std::deque<std::function<void()>> posted_;  // guarded by post_mu_
  GSource* post_source_ = nullptr;            // guarded by post_mu_; pending drain of posted_

  std::uint64_t next_id_ = 1;
  // Timers, fd watches and signal sources by id; each entry holds a reference on its source.
  std::unordered_map<std::uint64_t, GSource*> sources_;
};

// A new, unattached GLib timeout source that expires `delay` from now. Delays beyond a guint of
// milliseconds (~49.7 days) count in seconds rather than expiring early.
GSource* NewTimeoutSource(std::chrono::milliseconds delay);

}  // namespace stas
