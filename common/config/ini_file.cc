// SPDX-License-Identifier: Apache-2.0
#include "common/config/ini_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <system_error>
#include <unistd.h>

#include <ini.h>

#include "common/secrets.h"
#include "common/str_util.h"

namespace stas {
namespace {

// State shared by the stream reader and the handler of one parse. inih reads a line through
// Reader(), then calls Handler() for it before reading the next one, so `line_no` is the line
// of the entry being handled.
struct ParseState {
  std::string_view text;
  size_t pos = 0;
  int line_no = 0;
  std::string current_section;
  IniDocument* doc = nullptr;
};

void AddProblem(ParseState* st, std::string message) {
  st->doc->problems.push_back(
      Diagnostic{Severity::kError, st->doc->file, st->line_no, std::move(message)});
}

// Removes an inline comment: a '#' that follows whitespace.
std::string StripInlineComment(std::string line) {
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '#' && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
      line.resize(i);
      break;
    }
  }
  return line;
}

// Checks one raw line and returns what inih should see. Lines we reject become empty lines,
// after a diagnostic, so that inih never guesses at them.
std::string Sanitize(ParseState* st, std::string line) {
  std::string_view body = Trim(line);
  if (body.empty() || body[0] == '#' || body[0] == ';')
    return line;
  if (line.size() > kMaxIniLineLength) {
    AddProblem(st,
               "line is longer than " + std::to_string(kMaxIniLineLength) + " characters; ignored");
    return "";
  }
  line = StripInlineComment(std::move(line));
  body = Trim(line);
  if (body[0] == '[') {
    size_t close = body.find(']');
    if (close == std::string_view::npos || !Trim(body.substr(close + 1)).empty()) {
      AddProblem(st,
                 "malformed section header \"" + Printable(RedactSecrets(body)) + "\"; ignored");
      return "";
    }
    st->current_section = std::string(Trim(body.substr(1, close - 1)));
    st->doc->sections.push_back(IniSection{st->current_section, st->line_no});
    return line;
  }
  // inih also splits on ':'; configparser (delimiters '=') does not. A ':' before the first '='
  // means the line is not "name = value" (e.g. "hostnqn: nqn...").
  size_t eq = body.find('=');
  size_t colon = body.find(':');
  if (colon != std::string_view::npos && (eq == std::string_view::npos || colon < eq)) {
    AddProblem(
        st, "expected \"name = value\", found \"" + Printable(RedactSecrets(body)) + "\"; ignored");
    return "";
  }
  return line;
}

char* Reader(char* str, int num, void* stream) {
  auto* st = static_cast<ParseState*>(stream);
  if (st->pos >= st->text.size())
    return nullptr;
  size_t end = st->text.find('\n', st->pos);
  size_t next = (end == std::string_view::npos) ? st->text.size() : end + 1;
  std::string line(st->text.substr(st->pos, next - st->pos));
  st->pos = next;
  st->line_no++;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.pop_back();
  line = Sanitize(st, std::move(line));
  // Sanitize() guarantees the line fits: ini_max_line is larger than kMaxIniLineLength.
  size_t n = std::min(line.size(), static_cast<size_t>(num) - 2);
  std::memcpy(str, line.data(), n);
  str[n] = '\n';
  str[n + 1] = '\0';
  return str;
}

int Handler(void* user, const char* /*section*/, const char* name, const char* value) {
  auto* st = static_cast<ParseState*>(user);
  IniEntry entry;
  entry.section = st->current_section;
  entry.name = ToLower(Trim(name ? name : ""));
  if (value)
    entry.value = std::string(Trim(value));
  entry.line = st->line_no;
  // A malformed header is not recorded and does not change current_section either: the entry
  // stays with the last header that was, as its name does.
  entry.section_index = static_cast<int>(st->doc->sections.size()) - 1;
  if (entry.section.empty()) {
    AddProblem(st,
               "option \"" + Printable(entry.name) + "\" appears before any [section]; ignored");
    return 1;
  }
  st->doc->entries.push_back(std::move(entry));
  return 1;
}

std::mutex& InihMutex() {
  static std::mutex m;
  return m;
}

}  // namespace

std::vector<std::string> IniDocument::Values(std::string_view section,
                                             std::string_view name) const {
  std::vector<std::string> out;
  for (const IniEntry& e : entries) {
    if (e.section == section && e.name == name && e.value)
      out.push_back(*e.value);
  }
  return out;
}

const IniEntry* IniDocument::Last(std::string_view section, std::string_view name) const {
  const IniEntry* last = nullptr;
  for (const IniEntry& e : entries) {
    if (e.section == section && e.name == name)
      last = &e;
  }
  return last;
}

IniDocument ParseIniText(std::string_view text, std::string label) {
  IniDocument doc;
  doc.file = std::move(label);
  ParseState st;
  st.text = text;
  st.doc = &doc;

  std::lock_guard<std::mutex> lock(InihMutex());
  // Debian's libinih exposes its compile-time options as run-time knobs (docs/compatibility.md,
  // "inih 55 (Debian): compile-time options are run-time knobs").
  ini_max_line = static_cast<int>(kMaxIniLineLength) + 16;
  ini_allow_inline_comments = false;  // done in Sanitize(): ';' separates controller= fields
  ini_allow_no_value = true;
  ini_allow_multiline = true;
  ini_stop_on_first_error = false;
  int rc = ini_parse_stream(Reader, &st, Handler, &st);
  if (rc > 0) {
    // Sanitize() already rejected what inih would reject; this is a safety net.
    st.line_no = rc;
    AddProblem(&st, "syntax error");
  }
  return doc;
}

Result<IniDocument> ParseIniFile(const std::string& path) {
  auto fail = [&path](int err) {
    return Fail(err, path + ": " + std::generic_category().message(err));
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(errno);
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;  // EISDIR for a directory
      ::close(fd);
      return fail(err);
    }
    if (n == 0)
      break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return ParseIniText(text, path);
}

}  // namespace stas
