// SPDX-License-Identifier: Apache-2.0
#include "common/daemon/reply_size.h"

#include <sdbus-c++/sdbus-c++.h>

#include "common/log.h"

namespace stas {
namespace {

// A string in a D-Bus body: up to 3 bytes of padding to its 4-byte alignment, the uint32
// length, the bytes and the NUL.
std::size_t StringSize(std::size_t n) {
  return 3 + 4 + n + 1;
}

// An array: padding and its uint32 length, then padding to the 8-byte alignment of its
// dict entries (the worst case is counted for each).
constexpr std::size_t kArrayOverhead = 3 + 4 + 7;
constexpr std::size_t kDictEntryAlignment = 7;

template <class Dict>
std::size_t DictSize(const Dict& dict) {
  std::size_t n = kArrayOverhead;
  for (const auto& [key, value] : dict)
    n += kDictEntryAlignment + StringSize(key.size()) + StringSize(value.size());
  return n;
}

template <class List>
std::size_t ListSize(const List& list) {
  std::size_t n = kReplyHeaderAllowance + kArrayOverhead;
  for (const auto& dict : list)
    n += DictSize(dict);
  return n;
}

}  // namespace

std::size_t StringReplySize(std::size_t text_size) {
  return kReplyHeaderAllowance + StringSize(text_size);
}

std::size_t DictListReplySize(const std::vector<std::map<std::string, std::string>>& list) {
  return ListSize(list);
}

std::size_t DictListReplySize(
    const std::vector<std::vector<std::pair<std::string, std::string>>>& list) {
  return ListSize(list);
}

std::string ReplyTooLargeName(const std::string& error_prefix) {
  return error_prefix + ".Error.ReplyTooLarge";
}

void CheckReplySize(const std::string& error_prefix, const char* method, std::size_t size,
                    std::size_t max_size, const char* instead) {
  if (size <= max_size)
    return;
  std::string message = std::string("The reply to ") + method + " would be " +
                        std::to_string(size) + " bytes, more than the " + std::to_string(max_size) +
                        " bytes D-Bus replies may have ([Limits] max-dbus-reply-size); " + instead;
  // A warning the first time only: a client that retries would otherwise fill the journal.
  static bool warned = false;  // loop thread only
  if (!warned) {
    LOG_WARNING("%s (said once; later refusals at debug level)", message.c_str());
    warned = true;
  } else {
    LOG_DEBUG("%s", message.c_str());
  }
  throw sdbus::Error(ReplyTooLargeName(error_prefix), message);
}

}  // namespace stas
