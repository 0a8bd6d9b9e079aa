// SPDX-License-Identifier: Apache-2.0
#include "common/loop/glib_event_loop.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>

#include <glib-unix.h>
#include <glib.h>

namespace stas {

namespace {

// GLib calls back into C++ from C frames: nothing may propagate out of a callback. An
// exception from a callback is a bug; it is logged and the loop carries on.
template <class F>
void RunGuarded(const char* what, F&& fn) noexcept {
  try {
    fn();
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "stas: uncaught exception in %s callback: %s\n", what, e.what());
  } catch (...) {
    (void)std::fprintf(stderr, "stas: uncaught exception in %s callback\n", what);
  }
}

}  // namespace

// What each timer, fd watch or signal source carries as its callback data. GLib owns it
// (freed by Destroy once the source is destroyed and no dispatch is running), so a callback
// may remove its own source while it runs.
struct GlibEventLoop::Closure {
  GlibEventLoop* loop;
  std::uint64_t id;
  bool one_shot;
  std::function<void()> fn;

  static void Destroy(gpointer data) { delete static_cast<Closure*>(data); }

  static gboolean OnSource(gpointer data) noexcept {
    auto* self = static_cast<Closure*>(data);
    // A one-shot timer is forgotten before its callback runs: CancelTimer() on its own id, or
    // from the callback, is then a no-op.
    if (self->one_shot)
      self->loop->Remove(self->id);
    RunGuarded(self->one_shot ? "timer" : "signal", [self] {
      if (self->fn)
        self->fn();
    });
    return self->one_shot ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
  }

  static gboolean OnFd(gint /*fd*/, GIOCondition /*condition*/, gpointer data) noexcept {
    auto* self = static_cast<Closure*>(data);
    RunGuarded("fd watch", [self] {
      if (self->fn)
        self->fn();
    });
    return G_SOURCE_CONTINUE;
  }

  static gboolean OnPosted(gpointer data) noexcept {
    static_cast<GlibEventLoop*>(data)->RunPosted();
    return G_SOURCE_REMOVE;
  }
};

GlibEventLoop::GlibEventLoop(GMainContext* context)
    : context_(g_main_context_ref(context != nullptr ? context : g_main_context_default())) {}

GlibEventLoop::~GlibEventLoop() {
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    if (post_source_ != nullptr)
      g_source_destroy(post_source_);
    post_source_ = nullptr;
    posted_.clear();
  }
  auto sources = std::move(sources_);
  for (auto& [id, source] : sources) {
    g_source_destroy(source);
    g_source_unref(source);
  }
  g_main_context_unref(context_);
}

void GlibEventLoop::Post(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(post_mu_);
  posted_.push_back(std::move(fn));
  if (post_source_ != nullptr)
    return;  // a drain is already scheduled
  // An idle source attached with g_source_attach() always runs later on the thread that
  // iterates the context; g_main_context_invoke() would run fn inline when the caller can
  // acquire the context. Default priority, so that results are not starved by busy sources.
  post_source_ = g_idle_source_new();
  g_source_set_priority(post_source_, G_PRIORITY_DEFAULT);
  g_source_set_callback(post_source_, Closure::OnPosted, this, nullptr);
  g_source_attach(post_source_, context_);
  g_source_unref(post_source_);  // the context holds it until it is dispatched or destroyed
}

void GlibEventLoop::RunPosted() {
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    batch.swap(posted_);
    post_source_ = nullptr;  // work posted from now on schedules a new drain
  }
  // Work posted by this batch runs in a later iteration, after other ready sources.
  for (auto& fn : batch) {
    RunGuarded("posted", [&fn] {
      if (fn)
        fn();
    });
  }
}

GSource* NewTimeoutSource(std::chrono::milliseconds delay) {
  auto ms = delay.count() > 0 ? delay.count() : 0;
  if (ms <= G_MAXUINT)
    return g_timeout_source_new(static_cast<guint>(ms));
  // zeroconf-connections-persistence may be years: a capped guint of milliseconds would fire
  // after 49.7 days instead.
  auto secs = std::min<long long>(ms / 1000, G_MAXUINT);
  return g_timeout_source_new_seconds(static_cast<guint>(secs));
}

EventLoop::TimerId GlibEventLoop::AddTimer(std::chrono::milliseconds delay,
                                           std::function<void()> fn) {
  return Attach(NewTimeoutSource(delay), std::move(fn), true);
}

void GlibEventLoop::CancelTimer(TimerId id) {
  Remove(id);
}

EventLoop::Clock::time_point GlibEventLoop::Now() const {
  return Clock::now();
}

void GlibEventLoop::Run() {
  // exchange() consumes a Quit() made before Run() or during the last iteration.
  while (!quit_.exchange(false))
    g_main_context_iteration(context_, TRUE);
}

void GlibEventLoop::Quit() {
  quit_ = true;
  g_main_context_wakeup(context_);
}

Result<GlibEventLoop::SignalId> GlibEventLoop::AddUnixSignal(int signum, std::function<void()> fn) {
  // g_unix_signal_source_new() only accepts these, with a g_critical otherwise.
  switch (signum) {
    case SIGHUP:
    case SIGINT:
    case SIGTERM:
    case SIGUSR1:
    case SIGUSR2:
    case SIGWINCH:
      break;
    default:
      return Fail(EINVAL, "signal " + std::to_string(signum) + " cannot be watched by GLib");
  }
  return Attach(g_unix_signal_source_new(signum), std::move(fn), false);
}

void GlibEventLoop::RemoveUnixSignal(SignalId id) {
  Remove(id);
}

GlibEventLoop::FdWatchId GlibEventLoop::AddFdWatch(int fd, std::function<void()> fn) {
  GSource* source = g_unix_fd_source_new(fd, G_IO_IN);  // HUP and ERR are always reported
  std::uint64_t id = next_id_++;
  g_source_set_callback(source, G_SOURCE_FUNC(Closure::OnFd),
                        new Closure{this, id, false, std::move(fn)}, Closure::Destroy);
  g_source_attach(source, context_);
  sources_.emplace(id, source);  // keeps the creation reference
  return id;
}

void GlibEventLoop::RemoveFdWatch(FdWatchId id) {
  Remove(id);
}

std::uint64_t GlibEventLoop::Attach(GSource* source, std::function<void()> fn, bool one_shot) {
  std::uint64_t id = next_id_++;
  g_source_set_callback(source, Closure::OnSource, new Closure{this, id, one_shot, std::move(fn)},
                        Closure::Destroy);
  g_source_attach(source, context_);
  sources_.emplace(id, source);  // keeps the creation reference
  return id;
}

void GlibEventLoop::Remove(std::uint64_t id) {
  auto it = sources_.find(id);
  if (it == sources_.end())
    return;
  GSource* source = it->second;
  sources_.erase(it);
  // Safe while the source is being dispatched: GLib keeps it, and its Closure, alive until
  // the dispatch returns.
  g_source_destroy(source);
  g_source_unref(source);
}

}  // namespace stas
