// SPDX-License-Identifier: Apache-2.0
#include "common/str_util.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace stas {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void AppendEscaped(std::string* out, unsigned char u) {
  char buf[8];
  (void)std::snprintf(buf, sizeof(buf), "\\x%02x", u);  // 4 characters: always fits
  *out += buf;
}

}  // namespace

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back()))
    s.remove_suffix(1);
  return s;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::vector<std::string> SplitTrimmed(std::string_view s, char sep) {
  std::vector<std::string> out = Split(s, sep);
  for (std::string& field : out)
    field = std::string(Trim(field));
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool IsPrintableAscii(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e)
      return false;
  }
  return true;
}

bool ParseInt(std::string_view s, long long* out) {
  s = Trim(s);
  if (s.empty())
    return false;
  std::string text(s);
  size_t i = (text[0] == '+' || text[0] == '-') ? 1 : 0;
  if (i == text.size())
    return false;
  for (size_t j = i; j < text.size(); ++j) {
    if (!std::isdigit(static_cast<unsigned char>(text[j])))
      return false;
  }
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE || end != text.c_str() + text.size())
    return false;
  *out = v;
  return true;
}

std::string HexDigits(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (uint8_t u : bytes) {
    out += kDigits[u >> 4];
    out += kDigits[u & 0x0f];
  }
  return out;
}

std::string UuidText(std::span<const uint8_t, 16> bytes) {
  const std::string h = HexDigits(bytes);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

bool ParseSystemdBool(std::string_view s, bool* out) {
  std::string v = ToLower(Trim(s));
  for (const char* yes : {"1", "yes", "y", "true", "t", "on"}) {
    if (v == yes) {
      *out = true;
      return true;
    }
  }
  for (const char* no : {"0", "no", "n", "false", "f", "off"}) {
    if (v == no) {
      *out = false;
      return true;
    }
  }
  return false;
}

bool ParseBool(std::string_view s, bool* out) {
  std::string v = ToLower(Trim(s));
  if (v == "true") {
    *out = true;
    return true;
  }
  if (v == "false") {
    *out = false;
    return true;
  }
  return false;
}

std::string Printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u <= 0x7e) {
      out += c;
    } else {
      AppendEscaped(&out, u);
    }
  }
  return out;
}

// The length of the UTF-8 sequence at s[i], or 0 when it is malformed (overlong forms,
// surrogates and code points above U+10FFFF included).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) {
    return static_cast<unsigned char>(s[k]);
  };
  unsigned char c = byte(i);
  size_t len = 0;
  unsigned char min_second = 0x80;
  unsigned char max_second = 0xbf;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0)
      min_second = 0xa0;  // overlong
    if (c == 0xed)
      max_second = 0x9f;  // UTF-16 surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0)
      min_second = 0x90;  // overlong
    if (c == 0xf4)
      max_second = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size())
    return 0;
  if (byte(i + 1) < min_second || byte(i + 1) > max_second)
    return 0;
  for (size_t k = i + 2; k < i + len; ++k) {
    if (byte(k) < 0x80 || byte(k) > 0xbf)
      return 0;
  }
  return len;
}

bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t len = Utf8SequenceLength(s, i);
    if (len == 0)
      return false;
    i += len;
  }
  return true;
}

std::string LogSafe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto u = static_cast<unsigned char>(s[i]);
    size_t len = Utf8SequenceLength(s, i);
    bool c1 = len == 2 && u == 0xc2 && static_cast<unsigned char>(s[i + 1]) <= 0x9f;
    if (len == 0 || (len == 1 && (u < 0x20 || u == 0x7f))) {
      AppendEscaped(&out, u);
      ++i;
    } else if (c1) {
      AppendEscaped(&out, u);
      AppendEscaped(&out, static_cast<unsigned char>(s[i + 1]));
      i += 2;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace stas
