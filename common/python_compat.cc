// SPDX-License-Identifier: Apache-2.0
#include "common/python_compat.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

// The pretty printer follows CPython 3.11 Lib/pprint.py (PrettyPrinter._format, _pprint_dict,
// _pprint_list, _pprint_str, _format_dict_items, _format_items) line by line, for indent=1 and
// compact=False. Names of locals mirror the Python ones so that the two can be compared side by
// side.

namespace stas {
namespace {

using Json = nlohmann::ordered_json;

// Code points that str.isprintable() rejects (Unicode 14, as in Python 3.11), apart from
// U+0000..U+007F, handled inline. Exact for assigned code points; unassigned ones (category Cn)
// are listed only for U+FFFE/U+FFFF and above U+2FA1E, which keeps the table at 27 entries.
constexpr std::pair<char32_t, char32_t> kNonPrintable[] = {
    {0x80, 0xa0},       {0xad, 0xad},       {0x600, 0x605},      {0x61c, 0x61c},
    {0x6dd, 0x6dd},     {0x70f, 0x70f},     {0x890, 0x891},      {0x8e2, 0x8e2},
    {0x1680, 0x1680},   {0x180e, 0x180e},   {0x2000, 0x200f},    {0x2028, 0x202f},
    {0x205f, 0x2064},   {0x2066, 0x206f},   {0x3000, 0x3000},    {0xd800, 0xf8ff},
    {0xfeff, 0xfeff},   {0xfff9, 0xfffb},   {0xfffe, 0xffff},    {0x110bd, 0x110bd},
    {0x110cd, 0x110cd}, {0x13430, 0x13438}, {0x1bca0, 0x1bca3},  {0x1d173, 0x1d17a},
    {0x2fa1e, 0x2ffff}, {0x3134b, 0xe00ff}, {0xe01f0, 0x10ffff},
};

bool IsPrintable(char32_t c) {
  if (c < 0x80)
    return c >= 0x20 && c != 0x7f;
  for (const auto& [lo, hi] : kNonPrintable) {
    if (c < lo)
      return true;
    if (c <= hi)
      return false;
  }
  return true;
}

// str.isspace(), which is also what `\s` matches in a str regex.
bool IsSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

// The line boundaries of str.splitlines().
bool IsLineBreak(char32_t c) {
  return c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e ||
         c == 0x85 || c == 0x2028 || c == 0x2029;
}

// Strict UTF-8 decoding. A byte that does not start a valid sequence becomes U+DC80..U+DCFF,
// as Python's surrogateescape error handler does.
std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
      len = 1;
      cp = b0;
    } else if ((b0 & 0xe0) == 0xc0) {
      len = 2;
      cp = b0 & 0x1f;
      min = 0x80;
    } else if ((b0 & 0xf0) == 0xe0) {
      len = 3;
      cp = b0 & 0x0f;
      min = 0x800;
    } else if ((b0 & 0xf8) == 0xf0) {
      len = 4;
      cp = b0 & 0x07;
      min = 0x10000;
    }
    bool ok = len != 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      ok = (b & 0xc0) == 0x80;
      cp = (cp << 6) | (b & 0x3f);
    }
    ok = ok && cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    if (ok) {
      out.push_back(cp);
      i += len;
    } else {
      out.push_back(0xdc00 + b0);
      ++i;
    }
  }
  return out;
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

// len() of a Python str whose UTF-8 encoding is `s` (our reprs are always valid UTF-8).
std::ptrdiff_t Len(std::string_view s) {
  return std::count_if(s.begin(), s.end(),
                       [](char ch) { return (static_cast<unsigned char>(ch) & 0xc0) != 0x80; });
}

void AppendHex(std::string& out, char prefix, unsigned value, int digits) {
  char buf[12];
  (void)std::snprintf(buf, sizeof(buf), "\\%c%0*x", prefix, digits, value);
  out += buf;
}

// unicode_repr() in Objects/unicodeobject.c.
std::string StrRepr(std::u32string_view s) {
  const bool has_single = s.find(U'\'') != std::u32string_view::npos;
  const bool has_double = s.find(U'"') != std::u32string_view::npos;
  const char32_t quote = has_single && !has_double ? U'"' : U'\'';
  std::string out(1, static_cast<char>(quote));
  for (char32_t c : s) {
    if (c == quote || c == U'\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == U'\t') {
      out += "\\t";
    } else if (c == U'\n') {
      out += "\\n";
    } else if (c == U'\r') {
      out += "\\r";
    } else if (IsPrintable(c)) {
      AppendUtf8(out, c);
    } else if (c < 0x100) {
      AppendHex(out, 'x', c, 2);
    } else if (c < 0x10000) {
      AppendHex(out, 'u', c, 4);
    } else {
      AppendHex(out, 'U', c, 8);
    }
  }
  out += static_cast<char>(quote);
  return out;
}

std::string BytesRepr(const std::vector<std::uint8_t>& bytes) {
  const bool has_single = std::find(bytes.begin(), bytes.end(), '\'') != bytes.end();
  const bool has_double = std::find(bytes.begin(), bytes.end(), '"') != bytes.end();
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out = "b";
  out += quote;
  for (std::uint8_t b : bytes) {
    if (b == quote || b == '\\') {
      out += '\\';
      out += static_cast<char>(b);
    } else if (b == '\t') {
      out += "\\t";
    } else if (b == '\n') {
      out += "\\n";
    } else if (b == '\r') {
      out += "\\r";
    } else if (b < 0x20 || b >= 0x7f) {
      AppendHex(out, 'x', b, 2);
    } else {
      out += static_cast<char>(b);
    }
  }
  out += quote;
  return out;
}

// Dict items in insertion order, or in sorted() order; keys are unique, so comparing keys is
// enough. Byte order of UTF-8 is code point order, which is how Python compares str.
std::vector<std::pair<std::string_view, const Json*>> DictItems(const Json& object, bool sorted) {
  std::vector<std::pair<std::string_view, const Json*>> items;
  items.reserve(object.size());
  for (const auto& item : object.items())
    items.emplace_back(item.key(), &item.value());
  if (sorted) {
    std::sort(items.begin(), items.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  return items;
}

std::vector<std::pair<std::string_view, const Json*>> SortedItems(const Json& object) {
  return DictItems(object, true);
}

// repr(); pprint's own one-line form when `sort_dicts`.
void AppendRepr(const Json& value, bool sort_dicts, std::string& out) {
  switch (value.type()) {
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, ent] : DictItems(value, sort_dicts)) {
        if (!first)
          out += ", ";
        first = false;
        out += StrRepr(DecodeUtf8(key));
        out += ": ";
        AppendRepr(*ent, sort_dicts, out);
      }
      out += '}';
      return;
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& ent : value) {
        if (!first)
          out += ", ";
        first = false;
        AppendRepr(ent, sort_dicts, out);
      }
      out += ']';
      return;
    }
    case Json::value_t::string:
      out += StrRepr(DecodeUtf8(value.get_ref<const std::string&>()));
      return;
    case Json::value_t::boolean:
      out += PythonBool(value.get<bool>());
      return;
    case Json::value_t::number_integer:
      out += std::to_string(value.get<std::int64_t>());
      return;
    case Json::value_t::number_unsigned:
      out += std::to_string(value.get<std::uint64_t>());
      return;
    case Json::value_t::number_float:
      out += PythonFloatRepr(value.get<double>());
      return;
    case Json::value_t::binary:
      out += BytesRepr(value.get_binary());
      return;
    case Json::value_t::null:
    case Json::value_t::discarded:
      out += "None";
      return;
  }
}

// PrettyPrinter with indent=1, compact=False, sort_dicts=True. `level` is Python's: 0 when
// _format() is entered for the top object, and +1 for each container dispatch.
class Printer {
 public:
  explicit Printer(std::ptrdiff_t width) : width_(width) {}

  void Format(const Json& value, std::ptrdiff_t indent, std::ptrdiff_t allowance, int level) {
    const std::string rep = PythonRepr(value);
    const std::ptrdiff_t max_width = width_ - indent - allowance;
    if (Len(rep) > max_width) {
      if (value.is_object()) {
        PprintDict(value, indent, allowance, level + 1);
        return;
      }
      if (value.is_array()) {
        PprintList(value, indent, allowance, level + 1);
        return;
      }
      if (value.is_string()) {
        PprintStr(DecodeUtf8(value.get_ref<const std::string&>()), indent, allowance, level + 1);
        return;
      }
    }
    out_ += rep;
  }

  std::string Take() { return std::move(out_); }

 private:
  void PprintDict(const Json& object, std::ptrdiff_t indent, std::ptrdiff_t allowance, int level) {
    out_ += '{';
    if (!object.empty())
      FormatDictItems(SortedItems(object), indent, allowance + 1, level);
    out_ += '}';
  }

  void PprintList(const Json& array, std::ptrdiff_t indent, std::ptrdiff_t allowance, int level) {
    out_ += '[';
    FormatItems(array, indent, allowance + 1, level);
    out_ += ']';
  }

  // Splits the string into chunks that fit, first at line ends, then after whitespace runs.
  // Only the top-level string (level 1) gets the parenthesised form; inside a container the
  // chunks are juxtaposed literals, continuation lines aligned with the opening quote.
  void PprintStr(const std::u32string& object, std::ptrdiff_t indent, std::ptrdiff_t allowance,
                 int level) {
    if (object.empty()) {
      out_ += StrRepr(object);
      return;
    }
    std::vector<std::string> chunks;
    const std::vector<std::u32string_view> lines = SplitLines(object);
    if (level == 1) {
      indent += 1;
      allowance += 1;
    }
    const std::ptrdiff_t max_width = width_ - indent;
    std::ptrdiff_t max_width1 = max_width;
    std::string rep;
    for (size_t i = 0; i < lines.size(); ++i) {
      const bool last_line = i == lines.size() - 1;
      rep = StrRepr(lines[i]);
      if (last_line)
        max_width1 -= allowance;
      if (Len(rep) <= max_width1) {
        chunks.push_back(rep);
        continue;
      }
      const std::vector<std::u32string_view> parts = SplitWords(lines[i]);
      std::ptrdiff_t max_width2 = max_width;
      std::u32string current;
      for (size_t j = 0; j < parts.size(); ++j) {
        std::u32string candidate = current;
        candidate += parts[j];
        if (j == parts.size() - 1 && last_line)
          max_width2 -= allowance;
        if (Len(StrRepr(candidate)) > max_width2) {
          if (!current.empty())
            chunks.push_back(StrRepr(current));
          current = parts[j];
        } else {
          current = std::move(candidate);
        }
      }
      if (!current.empty())
        chunks.push_back(StrRepr(current));
    }
    if (chunks.size() == 1) {
      out_ += rep;
      return;
    }
    if (level == 1)
      out_ += '(';
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (i > 0)
        out_ += '\n' + std::string(static_cast<size_t>(indent), ' ');
      out_ += chunks[i];
    }
    if (level == 1)
      out_ += ')';
  }

  void FormatDictItems(const std::vector<std::pair<std::string_view, const Json*>>& items,
                       std::ptrdiff_t indent, std::ptrdiff_t allowance, int level) {
    indent += kIndentPerLevel;
    const std::string delimnl = ",\n" + std::string(static_cast<size_t>(indent), ' ');
    for (size_t i = 0; i < items.size(); ++i) {
      const bool last = i == items.size() - 1;
      const std::string rep = StrRepr(DecodeUtf8(items[i].first));
      out_ += rep;
      out_ += ": ";
      Format(*items[i].second, indent + Len(rep) + 2, last ? allowance : 1, level);
      if (!last)
        out_ += delimnl;
    }
  }

  void FormatItems(const Json& items, std::ptrdiff_t indent, std::ptrdiff_t allowance, int level) {
    indent += kIndentPerLevel;
    const std::string delimnl = ",\n" + std::string(static_cast<size_t>(indent), ' ');
    for (size_t i = 0; i < items.size(); ++i) {
      const bool last = i == items.size() - 1;
      if (i > 0)
        out_ += delimnl;
      Format(items[i], indent, last ? allowance : 1, level);
    }
  }

  // str.splitlines(keepends=True); "\r\n" stays one boundary.
  static std::vector<std::u32string_view> SplitLines(std::u32string_view s) {
    std::vector<std::u32string_view> lines;
    size_t start = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (!IsLineBreak(s[i]))
        continue;
      if (s[i] == U'\r' && i + 1 < s.size() && s[i + 1] == U'\n')
        ++i;
      lines.push_back(s.substr(start, i + 1 - start));
      start = i + 1;
    }
    if (start < s.size())
      lines.push_back(s.substr(start));
    return lines;
  }

  // re.findall(r'\S*\s*', line) without the final empty match: non-space run + space run.
  static std::vector<std::u32string_view> SplitWords(std::u32string_view s) {
    std::vector<std::u32string_view> parts;
    size_t i = 0;
    while (i < s.size()) {
      const size_t start = i;
      while (i < s.size() && !IsSpace(s[i]))
        ++i;
      while (i < s.size() && IsSpace(s[i]))
        ++i;
      parts.push_back(s.substr(start, i - start));
    }
    return parts;
  }

  static constexpr std::ptrdiff_t kIndentPerLevel = 1;
  const std::ptrdiff_t width_;
  std::string out_;
};

// A writer never throws on content: a string that is not UTF-8 (nlohmann's default is to throw)
// gets U+FFFD for each bad byte. Python's json.dumps never meets one (its str is decoded text).
constexpr auto kReplaceBadUtf8 = Json::error_handler_t::replace;

// json.dumps: nlohmann writes scalars as Python does with ensure_ascii; only the separators
// of containers differ.
void AppendJsonDumps(const Json& v, std::string& out) {
  if (v.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [key, item] : v.items()) {
      if (!first)
        out += ", ";
      first = false;
      out += Json(key).dump(-1, ' ', /*ensure_ascii=*/true, kReplaceBadUtf8);
      out += ": ";
      AppendJsonDumps(item, out);
    }
    out += '}';
  } else if (v.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& item : v) {
      if (!first)
        out += ", ";
      first = false;
      AppendJsonDumps(item, out);
    }
    out += ']';
  } else {
    out += v.dump(-1, ' ', /*ensure_ascii=*/true, kReplaceBadUtf8);
  }
}

}  // namespace

const char* PythonBool(bool value) {
  return value ? "True" : "False";
}

// float_repr() in Objects/floatobject.c, with the layout of format_float_short(): the decimal
// point position `decpt` picks fixed notation in (-4, 16].
std::string PythonFloatRepr(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value < 0 ? "-inf" : "inf";
  std::string out = std::signbit(value) ? "-" : "";
  char buf[64];
  // Shortest round-trip form, e.g. "1.2345e+02"; the same digits as Python's repr.
  const auto res =
      std::to_chars(buf, buf + sizeof(buf), std::fabs(value), std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (char ch : sci.substr(0, e_pos)) {
    if (ch != '.')
      digits += ch;
  }
  int exp = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+' ? 1 : 0), sci.data() + sci.size(),
                  exp);
  const int decpt = exp + 1;
  const int ndigits = static_cast<int>(digits.size());
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0." + std::string(static_cast<size_t>(-decpt), '0') + digits;
    } else if (decpt >= ndigits) {
      out += digits + std::string(static_cast<size_t>(decpt - ndigits), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<size_t>(decpt)) + "." +
             digits.substr(static_cast<size_t>(decpt));
    }
    return out;
  }
  out += digits[0];
  if (ndigits > 1)
    out += "." + digits.substr(1);
  char exp_buf[16];
  (void)std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
  return out + exp_buf;
}

std::string PythonRepr(const nlohmann::ordered_json& value) {
  std::string out;
  AppendRepr(value, /*sort_dicts=*/true, out);
  return out;
}

std::string PythonDictRepr(const std::vector<std::pair<std::string, std::string>>& dict) {
  Json object = Json::object();
  for (const auto& [key, value] : dict)
    object[key] = value;
  std::string out;
  AppendRepr(object, /*sort_dicts=*/false, out);
  return out;
}

std::string PythonJsonDumps(const nlohmann::ordered_json& value) {
  std::string out;
  AppendJsonDumps(value, out);
  return out;
}

std::string PythonPformat(const nlohmann::ordered_json& value, int width) {
  Printer printer(width);
  printer.Format(value, 0, 0, 0);
  return printer.Take();
}

}  // namespace stas
