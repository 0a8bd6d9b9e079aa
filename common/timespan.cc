// SPDX-License-Identifier: Apache-2.0
#include "common/timespan.h"

#include <array>
#include <charconv>
#include <cmath>
#include <regex>
#include <string>

#include "common/str_util.h"

namespace stas {
namespace {

// Multipliers, indexed like Format::groups.
constexpr std::array<double, 4> kMultipliers = {24 * 60 * 60, 60 * 60, 60, 1};
constexpr size_t kSecs = 3;

// One accepted layout. groups[i] is the regex group that holds the number of days, hours,
// minutes or seconds (i = 0..3), or 0 when the layout has no such field.
struct Format {
  std::regex re;
  std::array<int, 4> groups;
};

// The patterns are pytimeparse's TIMEFORMATS, with numbered instead of named groups.
// Numbers in the unit form are [0-9.]+ there too, so "1.2.3 s" matches and is rejected later.
const std::array<Format, 5>& Formats() {
  static const std::string kDaysRe = R"(([0-9.]+)\s*(?:d|dys?|days?))";
  static const std::string kHoursRe = R"(([0-9.]+)\s*(?:h|hrs?|hours?))";
  static const std::string kMinsRe = R"(([0-9.]+)\s*(?:m|mins?|minutes?))";
  static const std::string kSecsRe = R"(([0-9.]+)\s*(?:s|secs?|seconds?))";
  static const std::string kClockSecsRe = R"(([0-9]{2}(?:\.[0-9]+)?))";
  auto opt_sep = [](const std::string& part) {
    return "(?:" + part + R"(\s*(?:[,/]\s*)?)?)";
  };
  auto full = [](const std::string& body) {
    return std::regex(R"(\s*)" + body + R"(\s*)",
                      std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
  };
  static const std::array<Format, 5> kFormats = {
      Format{full(opt_sep(kDaysRe) + R"(\s*)" + opt_sep(kHoursRe) + R"(\s*)" + opt_sep(kMinsRe) +
                  R"(\s*(?:)" + kSecsRe + ")?"),
             {1, 2, 3, 4}},
      Format{full("([0-9]{1,2}):" + kClockSecsRe), {0, 0, 1, 2}},
      Format{full(opt_sep(kDaysRe) + R"(\s*([0-9]+):([0-9]{2}):)" + kClockSecsRe), {1, 2, 3, 4}},
      Format{full("([0-9]+):([0-9]{2}):([0-9]{2}):" + kClockSecsRe), {1, 2, 3, 4}},
      Format{full(":" + kClockSecsRe), {0, 0, 0, 1}},
  };
  return kFormats;
}

bool AllDigits(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
  }
  return true;
}

// Parses unsigned decimal text ("12", "1.5", ".5", "1e3") that must be consumed whole.
std::optional<double> ParseUnsigned(std::string_view s) {
  // from_chars also takes "inf" and "nan"; a time span must start like a number.
  if (s.empty() || !(s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
    return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size())
    return std::nullopt;
  return v;
}

// Python's float(): surrounding blanks and one sign allowed.
std::optional<double> ParsePlainNumber(std::string_view s) {
  s = Trim(s);
  double sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  std::optional<double> v = ParseUnsigned(s);
  if (!v)
    return std::nullopt;
  return sign * *v;
}

// Adds up the fields of a match. pytimeparse returns an int unless the seconds have a fraction,
// truncating the other fields' sum ("1.01 minutes" -> 60); we keep that. It also applies the
// sign to that sum only, so "-1.5 min 10 s" gave -80; we apply it to the whole (-100).
std::optional<double> Sum(const std::smatch& m, const Format& format) {
  double others = 0;
  double secs = 0;
  bool secs_integral = true;
  for (size_t i = 0; i < format.groups.size(); ++i) {
    int g = format.groups[i];
    if (g == 0 || !m[g].matched)
      continue;
    std::string text = m[g].str();
    std::optional<double> v = ParseUnsigned(text);
    if (!v)
      return std::nullopt;  // "1.2.3" or "." (pytimeparse raised ValueError)
    if (i == kSecs) {
      secs = *v;
      secs_integral = AllDigits(text);
    } else {
      others += kMultipliers[i] * *v;
    }
  }
  if (secs_integral)
    return std::trunc(others) + secs;
  return others + secs;
}

struct SystemdUnit {
  std::string_view name;
  double seconds;
};

// A unit matches only as a whole word (SystemdUnitAt), so the order does not matter.
constexpr std::array<SystemdUnit, 29> kSystemdUnits = {{
    {"usec", 1e-6},      {"us", 1e-6},       {"\xc2\xb5s", 1e-6},  // "µs" in UTF-8
    {"msec", 1e-3},      {"ms", 1e-3},       {"seconds", 1},      {"second", 1},
    {"sec", 1},          {"s", 1},           {"minutes", 60},     {"minute", 60},
    {"min", 60},         {"m", 60},          {"hours", 3600},     {"hour", 3600},
    {"hr", 3600},        {"h", 3600},        {"days", 86400},     {"day", 86400},
    {"d", 86400},        {"weeks", 604800},  {"week", 604800},    {"w", 604800},
    {"months", 2629800}, {"month", 2629800}, {"M", 2629800},      {"years", 31557600},
    {"year", 31557600},  {"y", 31557600},
}};

bool IsBlank(char c) {
  return c == ' ' || c == '\t';
}

bool IsDigitOrDot(char c) {
  return (c >= '0' && c <= '9') || c == '.';
}

// The unit at the start of `s` (nullopt: none), its length in `len`.
std::optional<double> SystemdUnitAt(std::string_view s, size_t* len) {
  for (const SystemdUnit& u : kSystemdUnits) {
    // A whole word: "mx" is not minutes followed by junk.
    if (s.substr(0, u.name.size()) == u.name &&
        (s.size() == u.name.size() || IsBlank(s[u.name.size()]) ||
         IsDigitOrDot(s[u.name.size()]))) {
      *len = u.name.size();
      return u.seconds;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> ParseSystemdTimeSpan(std::string_view text) {
  if (text.size() > kMaxTimeSpanLength)
    return std::nullopt;
  std::string_view s = Trim(text);
  if (s == "infinity")
    return HUGE_VAL;
  if (s.empty())
    return std::nullopt;
  double total = 0;
  while (!s.empty()) {
    size_t n = 0;
    while (n < s.size() && IsDigitOrDot(s[n]))
      ++n;
    std::optional<double> v = ParseUnsigned(s.substr(0, n));
    if (!v)
      return std::nullopt;
    s.remove_prefix(n);
    while (!s.empty() && IsBlank(s.front()))
      s.remove_prefix(1);
    double unit = 1;
    if (!s.empty() && !IsDigitOrDot(s.front())) {
      size_t len = 0;
      std::optional<double> u = SystemdUnitAt(s, &len);
      if (!u)
        return std::nullopt;
      unit = *u;
      s.remove_prefix(len);
      while (!s.empty() && IsBlank(s.front()))
        s.remove_prefix(1);
    }
    total += *v * unit;
  }
  return total;
}

std::optional<double> ParseTimeSpan(std::string_view text) {
  if (text.size() > kMaxTimeSpanLength)
    return std::nullopt;
  if (std::optional<double> v = ParsePlainNumber(text))
    return v;

  std::string_view rest = Trim(text);
  double sign = 1;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    sign = rest[0] == '-' ? -1 : 1;
    rest.remove_prefix(1);
  }
  // Every part of the unit form is optional, so it matches blank text: that is not a span.
  if (Trim(rest).empty())
    return std::nullopt;

  std::string unsigned_text(rest);
  for (const Format& format : Formats()) {
    std::smatch m;
    if (!std::regex_match(unsigned_text, m, format.re))
      continue;
    std::optional<double> v = Sum(m, format);
    if (!v)
      return std::nullopt;
    return sign * *v;
  }
  return std::nullopt;
}

}  // namespace stas
