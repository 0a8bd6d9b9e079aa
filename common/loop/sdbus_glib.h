// SPDX-License-Identifier: Apache-2.0
// SdbusGlibSource: drives an sdbus-c++ 1.2 connection from a GLib main context.
//
// sdbus-c++ 1.2 cannot attach to an external event loop (attachSdEventLoop() came in 2.0) and
// enterEventLoopAsync() starts a thread of its own. This custom GSource polls the connection's
// fd with the events and timeout that getEventLoopPollData() asks for, re-queried before every
// poll, and dispatches with processPendingRequest(), so that all D-Bus work (method handlers,
// signals, async replies) runs on the loop thread. When the bus goes away (dbus-daemon died,
// connection closed), `on_lost` runs once on the loop thread and the source detaches itself;
// the connection is then unusable and must be recreated, with its objects and proxies.
//
// One dispatch processes at most kMaxMessagesPerDispatch messages and then yields: the source
// stays ready, so the rest comes in the next iteration, after the other ready sources (timers,
// uevents, worker results) had their turn. Without the bound, a local user who queues calls
// faster than they are answered would keep the loop in one dispatch.
//
// RAII: destroying the handle detaches the source. Loop thread only (the thread iterating the
// context). REQUIRES: the connection outlives the handle and nothing else runs its event loop.
#pragma once

#include <functional>

// Forward declarations, so that users need not include <glib.h> or sdbus-c++.
// NOLINTNEXTLINE(bugprone-reserved-identifier,modernize-use-using): GLib's own declaration
typedef struct _GMainContext GMainContext;
// NOLINTNEXTLINE(bugprone-reserved-identifier,modernize-use-using): GLib's own declaration
typedef struct _GSource GSource;
namespace sdbus {
class IConnection;
}

namespace stas {

class SdbusGlibSource {
 public:
  static constexpr int kMaxMessagesPerDispatch = 32;

  // Attaches `conn` to `context` (GLib's default context when null) at G_PRIORITY_DEFAULT.
  // `on_lost` may destroy this handle and the connection.
  SdbusGlibSource(sdbus::IConnection& conn, GMainContext* context, std::function<void()> on_lost);
  ~SdbusGlibSource();
  SdbusGlibSource(const SdbusGlibSource&) = delete;
  SdbusGlibSource& operator=(const SdbusGlibSource&) = delete;
  SdbusGlibSource(SdbusGlibSource&&) = delete;
  SdbusGlibSource& operator=(SdbusGlibSource&&) = delete;

  // True once the loss of the bus has been detected (and on_lost called).
  bool lost() const;

 private:
  GSource* source_;
};

}  // namespace stas
