// SPDX-License-Identifier: Apache-2.0
#include "common/nvme_names.h"

#include <algorithm>
#include <cctype>

#include "common/defs.h"
#include "common/ip_address.h"
#include "common/str_util.h"

namespace stas {
namespace {

bool IsHex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}
bool IsDigit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}
bool IsAlnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

bool AllHex(std::string_view s) {
  for (char c : s) {
    if (!IsHex(c))
      return false;
  }
  return !s.empty();
}

}  // namespace

std::optional<std::string> CheckSafeToken(std::string_view s) {
  if (s.empty())
    return "empty value";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      return "contains a control character";
    if (u > 0x7f)
      return "contains a non-ASCII byte";
    if (c == ' ')
      return "contains a blank";
    if (c == ',')
      return "contains ',' (it would inject an option into the connect string)";
  }
  return std::nullopt;
}

std::optional<std::string> CheckNqn(std::string_view s, bool require_nqn_prefix) {
  if (auto why = CheckSafeToken(s))
    return why;
  if (s.size() > kMaxNqnLength) {
    return "is " + std::to_string(s.size()) + " bytes long; an NQN has at most " +
           std::to_string(kMaxNqnLength);
  }
  if (require_nqn_prefix && !StartsWith(s, "nqn."))
    return "does not start with \"nqn.\"";
  return std::nullopt;
}

std::optional<std::string> CheckUuid(std::string_view s) {
  static constexpr size_t kGroups[] = {8, 4, 4, 4, 12};
  size_t pos = 0;
  for (size_t i = 0; i < 5; ++i) {
    if (i > 0) {
      if (pos >= s.size() || s[pos] != '-')
        return "is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)";
      ++pos;
    }
    if (!AllHex(s.substr(pos, kGroups[i])) || s.substr(pos, kGroups[i]).size() != kGroups[i]) {
      return "is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)";
    }
    pos += kGroups[i];
  }
  if (pos != s.size())
    return "is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)";
  return std::nullopt;
}

std::optional<std::string> CheckDhchapSecret(std::string_view s) {
  static const std::string kForm = "is not a DH-HMAC-CHAP secret (DHHC-1:NN:<base64>:)";
  if (!StartsWith(s, "DHHC-1:") || s.size() < 12 || s.back() != ':')
    return kForm;
  std::string_view hash = s.substr(7, 2);
  if (!AllHex(hash) || s[9] != ':')
    return kForm;
  std::string_view b64 = s.substr(10, s.size() - 11);
  if (b64.empty())
    return kForm;
  for (char c : b64) {
    if (!IsAlnum(c) && c != '+' && c != '/' && c != '=')
      return kForm;
  }
  return std::nullopt;
}

std::optional<std::string> CheckInterfaceName(std::string_view s) {
  if (auto why = CheckSafeToken(s))
    return why;
  if (s.size() > 15)
    return "is longer than 15 bytes (IFNAMSIZ)";
  if (s == "." || s == "..")
    return "is not an interface name";
  for (char c : s) {
    if (c == '/' || c == ':' || c == '=')
      return "is not an interface name";
  }
  return std::nullopt;
}

std::optional<std::string> CheckKeyringName(std::string_view s) {
  if (auto why = CheckSafeToken(s))
    return why;
  if (s.size() > 255)
    return "is longer than 255 bytes";
  return std::nullopt;
}

std::optional<std::string> CheckHostname(std::string_view s) {
  if (s.empty())
    return "empty value";
  if (s.size() > 253)
    return "is longer than 253 bytes";
  if (s.back() == '.')
    s.remove_suffix(1);  // a fully qualified name may end with '.'
  for (const std::string& label : Split(s, '.')) {
    if (label.empty() || label.size() > 63)
      return "is not a valid host name";
    if (label.front() == '-' || label.back() == '-')
      return "is not a valid host name";
    for (char c : label) {
      if (!IsAlnum(c) && c != '-' && c != '_')
        return "is not a valid host name or IP address";
    }
  }
  return std::nullopt;
}

std::optional<std::string> CheckFcAddress(std::string_view s) {
  static const std::string kForm = "is not a Fibre Channel address (nn-0x<16 hex>:pn-0x<16 hex>)";
  if (s.size() != 43)
    return kForm;
  std::string lower = ToLower(s);
  if (!StartsWith(lower, "nn-0x") || lower.substr(21, 6) != ":pn-0x")
    return kForm;
  if (!AllHex(std::string_view(lower).substr(5, 16)) || !AllHex(std::string_view(lower).substr(27)))
    return kForm;
  return std::nullopt;
}

std::optional<std::string> CheckPort(std::string_view s) {
  // Plain decimal only, without a leading zero: the kernel reads trsvcid with
  // kstrtou16(port, 0, ...) (inet_pton_with_scope()), base 0, so "04420" would be octal 2320 and
  // the Tid would name a port the connection does not use. No blanks around it either.
  long long v = 0;
  if (s.empty() || s.size() > 5 || s.front() == '0' || !std::all_of(s.begin(), s.end(), IsDigit) ||
      !ParseInt(s, &v) || v < 1 || v > 65535) {
    return "is not a port number (1..65535, decimal, no leading zero)";
  }
  return std::nullopt;
}

std::optional<std::string> CheckTransportAddress(std::string_view transport, std::string* value) {
  if (transport == "fc")
    return CheckFcAddress(*value);
  if (value->size() > 2 && value->front() == '[' && value->back() == ']') {
    std::string inner = value->substr(1, value->size() - 2);
    if (!IpAddress::Parse(inner))
      return "is not an IPv6 address";
    *value = inner;
  }
  if (auto why = CheckSafeToken(*value))
    return why;
  if (IpAddress::Parse(*value))
    return std::nullopt;
  return CheckHostname(*value);
}

bool IsControllerName(const std::string& name) {
  if (!StartsWith(name, "nvme") || name.size() == 4 || name.size() > 14)
    return false;
  return std::all_of(name.begin() + 4, name.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

}  // namespace stas
