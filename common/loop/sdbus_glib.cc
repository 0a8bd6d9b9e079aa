// SPDX-License-Identifier: Apache-2.0
#include "common/loop/sdbus_glib.h"

#include <climits>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <utility>

#include <glib.h>
#include <sdbus-c++/sdbus-c++.h>

namespace stas {

namespace {

struct SourceState {
  sdbus::IConnection* conn;
  std::function<void()> on_lost;
  gpointer fd_tag = nullptr;  // from g_source_add_unix_fd(), null until the first prepare()
  int fd = -1;
  GIOCondition events = static_cast<GIOCondition>(0);
  std::uint64_t deadline_usec = UINT64_MAX;  // absolute CLOCK_MONOTONIC, UINT64_MAX = none
  bool lost = false;
  // The last dispatch stopped at kMaxMessagesPerDispatch: more may sit in sd-bus's queue.
  bool backlog = false;
};

// GLib allocates this (g_source_new with our size); `state` is ours, freed in Finalize.
struct BusSource {
  GSource base;
  SourceState* state;
};

SourceState* StateOf(GSource* source) {
  return reinterpret_cast<BusSource*>(source)->state;
}

GIOCondition ToCondition(short poll_events) {
  // G_IO_IN/OUT/PRI/ERR/HUP have the values of POLLIN/OUT/PRI/ERR/HUP on Linux (gpoll.h).
  return static_cast<GIOCondition>(static_cast<unsigned short>(poll_events));
}

// Re-reads what sd-bus waits for and updates the fd's event mask, only if it changed.
// Throws sdbus::Error once the bus is gone.
void Refresh(GSource* source, SourceState* st) {
  sdbus::IConnection::PollData pd = st->conn->getEventLoopPollData();
  GIOCondition events = ToCondition(pd.events);
  if (st->fd_tag == nullptr || pd.fd != st->fd) {
    if (st->fd_tag != nullptr)
      g_source_remove_unix_fd(source, st->fd_tag);
    st->fd_tag = g_source_add_unix_fd(source, pd.fd, events);
    st->fd = pd.fd;
  } else if (events != st->events) {
    // g_source_modify_unix_fd() wakes the context up: calling it on every prepare() turns
    // the loop into a 100 % CPU busy loop (docs/compatibility.md,
    // "sdbus-c++ 1.2: no external event loop", trap 2).
    g_source_modify_unix_fd(source, st->fd_tag, events);
  }
  st->events = events;
  st->deadline_usec = pd.timeout_usec;
}

// True if the bus is still usable: an sdbus::Error from a handler is not a lost bus.
bool StillConnected(SourceState* st) {
  try {
    (void)st->conn->getEventLoopPollData();
    return true;
  } catch (const sdbus::Error&) {
    return false;
  }
}

gboolean Prepare(GSource* source, gint* timeout_ms) noexcept {
  SourceState* st = StateOf(source);
  *timeout_ms = -1;
  if (st->lost)
    return TRUE;  // dispatch reports it
  try {
    // Every time: sd-bus drops POLLIN and asks for timeout 0 while messages already sit in
    // its read queue (e.g. a signal read during a synchronous call) (docs/compatibility.md,
    // "sdbus-c++ 1.2: no external event loop", trap 1).
    Refresh(source, st);
  } catch (const sdbus::Error& e) {
    (void)std::fprintf(stderr, "stas: D-Bus connection lost: %s\n", e.what());
    st->lost = true;
    return TRUE;
  }
  if (st->backlog) {
    *timeout_ms = 0;
    return TRUE;
  }
  if (st->deadline_usec == UINT64_MAX)
    return FALSE;
  // timeout_usec is absolute CLOCK_MONOTONIC, the clock of g_get_monotonic_time(); 0 = now.
  gint64 now = g_get_monotonic_time();
  if (st->deadline_usec <= static_cast<std::uint64_t>(now)) {
    *timeout_ms = 0;
    return TRUE;
  }
  std::uint64_t wait_ms = (st->deadline_usec - static_cast<std::uint64_t>(now) + 999) / 1000;
  *timeout_ms = wait_ms > INT_MAX ? INT_MAX : static_cast<gint>(wait_ms);
  return FALSE;
}

gboolean Check(GSource* source) noexcept {
  SourceState* st = StateOf(source);
  if (st->lost || st->backlog)
    return TRUE;
  // GLib itself reports the source ready when the fd has events; only the timeout is ours.
  if (st->deadline_usec == UINT64_MAX)
    return FALSE;
  return st->deadline_usec <= static_cast<std::uint64_t>(g_get_monotonic_time()) ? TRUE : FALSE;
}

gboolean Dispatch(GSource* source, GSourceFunc /*callback*/, gpointer /*user_data*/) noexcept {
  SourceState* st = StateOf(source);
  if (!st->lost) {
    try {
      st->backlog = false;
      for (int n = 0; n < SdbusGlibSource::kMaxMessagesPerDispatch; ++n) {
        if (!st->conn->processPendingRequest())
          break;
        st->backlog = n + 1 == SdbusGlibSource::kMaxMessagesPerDispatch;
      }
    } catch (const sdbus::Error& e) {
      // Disconnected, or a handler that let an sdbus::Error escape: ask the connection.
      if (StillConnected(st)) {
        (void)std::fprintf(stderr, "stas: D-Bus dispatch error: %s\n", e.what());
      } else {
        (void)std::fprintf(stderr, "stas: D-Bus connection lost: %s\n", e.what());
        st->lost = true;
      }
    } catch (const std::exception& e) {
      (void)std::fprintf(stderr, "stas: uncaught exception in D-Bus dispatch: %s\n", e.what());
    } catch (...) {
      (void)std::fprintf(stderr, "stas: uncaught exception in D-Bus dispatch\n");
    }
    if (!st->lost)
      return G_SOURCE_CONTINUE;
  }
  // Lost: detach first, then tell the owner, who may destroy the handle and the connection.
  // GLib keeps the source, and so `st`, alive until this dispatch returns.
  std::function<void()> on_lost = std::move(st->on_lost);
  st->on_lost = nullptr;
  if (on_lost) {
    try {
      on_lost();
    } catch (const std::exception& e) {
      (void)std::fprintf(stderr, "stas: uncaught exception in D-Bus on_lost callback: %s\n",
                         e.what());
    } catch (...) {
      (void)std::fprintf(stderr, "stas: uncaught exception in D-Bus on_lost callback\n");
    }
  }
  return G_SOURCE_REMOVE;
}

void Finalize(GSource* source) noexcept {
  delete StateOf(source);
  reinterpret_cast<BusSource*>(source)->state = nullptr;
}

// GLib keeps a pointer to this table for as long as a source uses it.
GSourceFuncs bus_source_funcs = {Prepare, Check, Dispatch, Finalize, nullptr, nullptr};

}  // namespace

SdbusGlibSource::SdbusGlibSource(sdbus::IConnection& conn, GMainContext* context,
                                 std::function<void()> on_lost)
    : source_(g_source_new(&bus_source_funcs, sizeof(BusSource))) {
  reinterpret_cast<BusSource*>(source_)->state = new SourceState{&conn, std::move(on_lost)};
  g_source_set_name(source_, "sdbus-c++");
  g_source_set_priority(source_, G_PRIORITY_DEFAULT);
  g_source_attach(source_, context);
}

SdbusGlibSource::~SdbusGlibSource() {
  g_source_destroy(source_);
  g_source_unref(source_);
}

bool SdbusGlibSource::lost() const {
  const SourceState* st = StateOf(source_);
  return st == nullptr || st->lost;
}

}  // namespace stas
