// SPDX-License-Identifier: Apache-2.0
// Reads INI files the way nvme-stas's Python configparser reads them, on top of inih:
//  - only '=' separates a name from its value; option names are lower-cased, section names kept;
//  - '#' and ';' start full-line comments; a '#' preceded by whitespace starts an inline comment
//    (nvme-stas kept it in the value, which silently broke entries: we fix that on purpose);
//  - an indented line continues the previous option and counts as one more value of it;
//  - repeated options are all kept, in file order;
//  - lines up to kMaxLineLength characters (inih's default of 200 silently split longer lines).
// Thread-safe (inih's Debian run-time knobs are process-wide; a mutex serialises parses).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/diagnostic.h"
#include "common/result.h"

namespace stas {

inline constexpr size_t kMaxIniLineLength = 4000;

struct IniEntry {
  std::string section;               // as written, case-sensitive
  std::string name;                  // lower-cased
  std::optional<std::string> value;  // nullopt for a bare name without '='
  int line = 0;
  // Which [section] header it follows: an index into IniDocument::sections, so that two
  // sections of the same name ([Subsystem] twice) keep their options apart.
  int section_index = -1;
};

struct IniSection {
  std::string name;
  int line = 0;
};

struct IniDocument {
  std::string file;                  // the path it was read from, or a label
  std::vector<IniSection> sections;  // every [section] header, in file order (repeats kept)
  std::vector<IniEntry> entries;     // every option line, in file order
  Diagnostics problems;              // lines that could not be understood

  // All values of `name` in `section`, in file order (bare names are skipped).
  std::vector<std::string> Values(std::string_view section, std::string_view name) const;
  // The last value of `name` in `section` (single-valued options: the last one wins).
  const IniEntry* Last(std::string_view section, std::string_view name) const;
};

// `label` names the text in diagnostics (usually the file path).
IniDocument ParseIniText(std::string_view text, std::string label);

// Fails with the errno of open/read (ENOENT for a missing file).
Result<IniDocument> ParseIniFile(const std::string& path);

}  // namespace stas
