// SPDX-License-Identifier: Apache-2.0
// The size a D-Bus reply will have on the wire, and the refusal of one that would be too large.
//
// dbus-daemon disconnects a peer that sends a message above its max_message_size (32 MiB on
// Debian's system bus): a reply whose size depends on what the fabric sent (every DC's log
// page in one get_all_log_pages) would take the daemon off the bus, and, since it restarts with
// the same saved log pages, keep it off. So every such reply is measured first, and one above
// the configured bound ([Limits] max-dbus-reply-size) is answered with the error
// <prefix>.Error.ReplyTooLarge instead, which names the size, the bound and what to call
// instead. The sizes are upper bounds of the D-Bus marshalling (padding included), plus room
// for the message header.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace stas {

// Room for a reply's header (serial, destination, sender, signature) and the body's padding.
inline constexpr std::size_t kReplyHeaderAllowance = 1024;

// The body of a reply that is one string ("s"), header included.
std::size_t StringReplySize(std::size_t text_size);
// The body of a reply that is one aa{ss}, header included.
std::size_t DictListReplySize(const std::vector<std::map<std::string, std::string>>& list);
std::size_t DictListReplySize(
    const std::vector<std::vector<std::pair<std::string, std::string>>>& list);

// The error name a too large reply is answered with: "<error_prefix>.Error.ReplyTooLarge".
std::string ReplyTooLargeName(const std::string& error_prefix);
// Throws sdbus::Error(ReplyTooLargeName(error_prefix), ...) when `size` > `max_size`; the
// message says which method, both sizes and `instead` (what the caller may use instead).
void CheckReplySize(const std::string& error_prefix, const char* method, std::size_t size,
                    std::size_t max_size, const char* instead);

}  // namespace stas
