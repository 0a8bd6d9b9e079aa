// SPDX-License-Identifier: Apache-2.0
// The answers to list_controllers, which stafd and stacd send when they are ready rather than
// from the method handler (the XML marks the method org.freedesktop.DBus.Method.Async="server"
// for sdbus-c++-xml2cpp): the detailed list waits for the kernel's controller states, read on
// a worker (common/controller/detailed_listing.h).
//
// ControllerListReplies, owned by the daemon's D-Bus object, holds the calls not answered yet;
// a ControllerListReply is a copyable handle on one of them, for std::function callbacks
// (sdbus::Result is move-only). An sdbus-c++ message must not outlive its bus connection, and
// a handle may: it sits in a posted closure until the loop is destroyed, after the connection.
// So the calls themselves die with the D-Bus object, before the connection, and a handle whose
// call is gone does nothing. Each call is answered at most once. Nothing here throws: a reply
// that cannot be built is answered with <error_prefix>.Error.Failed, one that cannot be sent
// (the caller left) is logged. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

namespace stas {

using ControllerList = std::vector<std::map<std::string, std::string>>;
// Controller::IdDict() / Details() as the daemons build them (keys in their order).
using ControllerDicts = std::vector<std::vector<std::pair<std::string, std::string>>>;

class ControllerListReply;

class ControllerListReplies {
 public:
  // `error_prefix`: the daemon's bus name, for the error names.
  explicit ControllerListReplies(std::string error_prefix);

  // Keeps the call until the handle answers it (or this object is destroyed).
  ControllerListReply Take(sdbus::Result<ControllerList>&& result);
  size_t pending() const { return pending_->calls.size(); }

 private:
  friend class ControllerListReply;
  struct Pending {
    std::string error_prefix;
    std::map<std::uint64_t, sdbus::Result<ControllerList>> calls;
    std::uint64_t next_id = 0;
  };
  std::shared_ptr<Pending> pending_;
};

class ControllerListReply {
 public:
  // Sends `dicts`, or <error_prefix>.Error.ReplyTooLarge when the reply would be larger than
  // `max_size` bytes (common/daemon/reply_size.h).
  void Send(const ControllerDicts& dicts,
            std::size_t max_size = std::numeric_limits<std::size_t>::max()) const noexcept;
  void SendError(const std::string& message) const noexcept;

 private:
  friend class ControllerListReplies;
  ControllerListReply(std::weak_ptr<ControllerListReplies::Pending> pending, std::uint64_t id)
      : pending_(std::move(pending)), id_(id) {}
  // The call, taken out of the pending ones; nullopt once answered or when its owner is gone.
  std::optional<sdbus::Result<ControllerList>> TakeCall() const;
  std::string ErrorPrefix() const;

  std::weak_ptr<ControllerListReplies::Pending> pending_;
  std::uint64_t id_;
};

}  // namespace stas
