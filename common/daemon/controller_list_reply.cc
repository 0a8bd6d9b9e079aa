// SPDX-License-Identifier: Apache-2.0
#include "common/daemon/controller_list_reply.h"

#include <exception>

#include "common/daemon/dbus_args.h"
#include "common/daemon/reply_size.h"
#include "common/log.h"

namespace stas {

ControllerListReplies::ControllerListReplies(std::string error_prefix)
    : pending_(std::make_shared<Pending>()) {
  pending_->error_prefix = std::move(error_prefix);
}

ControllerListReply ControllerListReplies::Take(sdbus::Result<ControllerList>&& result) {
  std::uint64_t id = pending_->next_id++;
  pending_->calls.emplace(id, std::move(result));
  return ControllerListReply(pending_, id);
}

std::optional<sdbus::Result<ControllerList>> ControllerListReply::TakeCall() const {
  std::shared_ptr<ControllerListReplies::Pending> pending = pending_.lock();
  if (!pending)
    return std::nullopt;
  auto it = pending->calls.find(id_);
  if (it == pending->calls.end())
    return std::nullopt;
  sdbus::Result<ControllerList> call = std::move(it->second);
  pending->calls.erase(it);
  return std::optional<sdbus::Result<ControllerList>>(std::move(call));
}

std::string ControllerListReply::ErrorPrefix() const {
  std::shared_ptr<ControllerListReplies::Pending> pending = pending_.lock();
  return pending ? pending->error_prefix : std::string("org.nvmexpress");
}

void ControllerListReply::Send(const ControllerDicts& dicts, std::size_t max_size) const noexcept {
  ControllerList list;
  try {
    CheckReplySize(ErrorPrefix(), "list_controllers", DictListReplySize(dicts), max_size,
                   "list the discovery controllers without details, or one by one with "
                   "controller_info");
    list.reserve(dicts.size());
    for (const auto& d : dicts)
      list.push_back(ToMap(d));
  } catch (const sdbus::Error& e) {
    try {
      if (std::optional<sdbus::Result<ControllerList>> call = TakeCall())
        call->returnError(e);
    } catch (const std::exception& e2) {
      LOG_WARNING("Cannot answer list_controllers: %s", e2.what());
    }
    return;
  } catch (const std::exception& e) {
    return SendError(e.what());
  }
  try {
    if (std::optional<sdbus::Result<ControllerList>> call = TakeCall())
      call->returnResults(list);
  } catch (const std::exception& e) {
    LOG_WARNING("Cannot answer list_controllers: %s", e.what());
  }
}

void ControllerListReply::SendError(const std::string& message) const noexcept {
  try {
    std::string name = ErrorPrefix() + ".Error.Failed";
    if (std::optional<sdbus::Result<ControllerList>> call = TakeCall())
      call->returnError(sdbus::Error(name, message));
  } catch (const std::exception& e) {
    LOG_WARNING("Cannot answer list_controllers: %s", e.what());
  }
}

}  // namespace stas
