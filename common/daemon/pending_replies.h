// SPDX-License-Identifier: Apache-2.0
// Calls of a D-Bus method that a daemon answers later (org.freedesktop.DBus.Method.Async =
// "server"), held by the daemon's D-Bus object: a Handle is a copyable stand-in for one of
// them, for std::function callbacks (sdbus::Result is move-only). As with
// ControllerListReplies (controller_list_reply.h, which also measures its replies), the calls
// die with the object that holds them, before the bus connection, so that no message outlives
// its connection; a handle whose call is gone does nothing. Each call is answered at most once;
// a reply that cannot be sent (the caller left) is logged. Loop thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include <sdbus-c++/sdbus-c++.h>

#include "common/log.h"

namespace stas {

template <class... Results>
class PendingReplies {
  struct Calls {
    std::map<std::uint64_t, sdbus::Result<Results...>> calls;
    std::uint64_t next_id = 0;
  };

 public:
  class Handle {
   public:
    void Return(const Results&... results) const {
      Answer([&](sdbus::Result<Results...>& r) { r.returnResults(results...); });
    }
    void Error(const std::string& name, const std::string& message) const {
      Answer([&](sdbus::Result<Results...>& r) { r.returnError(sdbus::Error(name, message)); });
    }

   private:
    friend class PendingReplies;
    Handle(std::weak_ptr<Calls> calls, std::uint64_t id) : calls_(std::move(calls)), id_(id) {}
    template <class Fn>
    void Answer(Fn&& fn) const {
      std::shared_ptr<Calls> calls = calls_.lock();
      if (!calls)
        return;
      auto it = calls->calls.find(id_);
      if (it == calls->calls.end())
        return;
      sdbus::Result<Results...> r = std::move(it->second);
      calls->calls.erase(it);
      try {
        fn(r);
      } catch (const sdbus::Error& e) {
        LOG_WARNING("Cannot answer a D-Bus call: %s", e.getMessage().c_str());
      }
    }
    std::weak_ptr<Calls> calls_;
    std::uint64_t id_;
  };

  PendingReplies() : calls_(std::make_shared<Calls>()) {}
  Handle Take(sdbus::Result<Results...>&& result) {
    std::uint64_t id = calls_->next_id++;
    calls_->calls.emplace(id, std::move(result));
    return Handle(calls_, id);
  }
  std::size_t pending() const { return calls_->calls.size(); }

 private:
  std::shared_ptr<Calls> calls_;
};

}  // namespace stas
