// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_conf_edit.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/str_util.h"

namespace stas::ctl {
namespace {

constexpr std::string_view kHostSection = "Host";

enum class Kind { kBlank, kComment, kSection, kOption, kContinuation, kOther };

struct Line {
  std::string_view text;  // without the '\n'
  Kind kind = Kind::kOther;
  std::string name;      // kSection: the section; kOption: the lower-cased option name
  bool in_host = false;  // kOption, kContinuation: belongs to a [Host] section
  int owner = -1;        // kContinuation: the index of its option line
  bool dropped = false;  // left out of the result
};

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos)
      end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

// The section a header line names, or nullopt when it is not a well-formed header: '[' name ']'
// with nothing after it but blanks or a comment, as common/ini_file.cc accepts it.
std::optional<std::string> SectionName(std::string_view body) {
  if (body.empty() || body.front() != '[')
    return std::nullopt;
  size_t close = body.find(']');
  if (close == std::string_view::npos)
    return std::nullopt;
  std::string_view rest = Trim(body.substr(close + 1));
  if (!rest.empty() && rest.front() != '#' && rest.front() != ';')
    return std::nullopt;
  return std::string(Trim(body.substr(1, close - 1)));
}

std::vector<Line> Classify(std::string_view text) {
  std::vector<Line> lines;
  std::string section;
  int option = -1;  // the option line that indented lines continue
  for (std::string_view raw : SplitLines(text)) {
    Line line;
    line.text = raw;
    std::string_view body = Trim(raw);
    bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    if (body.empty()) {
      line.kind = Kind::kBlank;
    } else if (body.front() == '#' || body.front() == ';') {
      line.kind = Kind::kComment;
    } else if (indented && option >= 0) {
      line.kind = Kind::kContinuation;
      line.owner = option;
      line.in_host = lines[static_cast<size_t>(option)].in_host;
    } else if (std::optional<std::string> name = SectionName(body)) {
      line.kind = Kind::kSection;
      line.name = *name;
      section = *name;
      option = -1;
    } else if (!section.empty()) {
      line.kind = Kind::kOption;
      line.name = ToLower(Trim(body.substr(0, body.find('='))));
      line.in_host = section == kHostSection;
      option = static_cast<int>(lines.size());
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

bool IsTarget(const Line& line, std::string_view option) {
  return line.kind == Kind::kOption && line.in_host && line.name == option;
}

// Marks every [Host] `option` line and its continuation lines as dropped, except that the
// first option line becomes `new_line` when it is given (the option keeps its place). Returns
// whether a line was replaced. `new_line` must outlive `lines`.
bool DropOption(std::vector<Line>& lines, std::string_view option, const std::string* new_line) {
  bool replaced = false;
  for (Line& line : lines) {
    bool target = IsTarget(line, option);
    if (!target && !(line.kind == Kind::kContinuation &&
                     IsTarget(lines[static_cast<size_t>(line.owner)], option))) {
      continue;
    }
    if (target && new_line && !replaced) {
      line.text = *new_line;
      replaced = true;
    } else {
      line.dropped = true;
    }
  }
  return replaced;
}

// Where a new option goes: after the last line (option or continuation) of the first [Host]
// section's options, else right after its header. Returns the index to insert before, or -1
// when there is no [Host] section.
int InsertionPoint(const std::vector<Line>& lines) {
  int header = -1;
  int after = -1;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& line = lines[i];
    if (line.kind == Kind::kSection) {
      if (header >= 0)
        break;  // the end of the first [Host] section
      if (line.name == kHostSection)
        header = static_cast<int>(i);
    } else if (header >= 0 && (line.kind == Kind::kOption || line.kind == Kind::kContinuation)) {
      after = static_cast<int>(i);
    }
  }
  if (header < 0)
    return -1;
  return (after >= 0 ? after : header) + 1;
}

}  // namespace

std::string EditHostOption(std::string_view text, std::string_view option,
                           const std::optional<std::string>& value) {
  std::vector<Line> lines = Classify(text);
  const std::string new_line = value ? std::string(option) + " = " + *value : std::string();
  bool replaced = DropOption(lines, option, value ? &new_line : nullptr);

  int insert_at = (value && !replaced) ? InsertionPoint(lines) : -1;
  std::string result;
  result.reserve(text.size() + new_line.size() + 16);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (static_cast<int>(i) == insert_at)
      result.append(new_line).append("\n");
    if (!lines[i].dropped)
      result.append(lines[i].text).append("\n");
  }
  if (insert_at == static_cast<int>(lines.size()))
    result.append(new_line).append("\n");

  bool has_host = std::any_of(lines.begin(), lines.end(), [](const Line& line) {
    return line.kind == Kind::kSection && line.name == kHostSection;
  });
  if (!has_host) {
    // configparser.write() ends every section with a blank line; keep that separation. (No
    // line was dropped: only [Host] lines are.)
    if (!result.empty() && !Trim(lines.back().text).empty())
      result.append("\n");
    result.append("[Host]\n");
    if (value)
      result.append(new_line).append("\n");
    result.append("\n");
  }
  return result;
}

}  // namespace stas::ctl
