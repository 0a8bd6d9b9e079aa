// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_values.h"

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "common/config/host_identity.h"
#include "common/str_util.h"

namespace stas::ctl {
namespace {

bool IsBlank(char c) {
  return c == ' ' || c == '\t';
}

bool IsAsciiControl(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

// C0 controls and DEL, and the C1 controls U+0080..U+009F (UTF-8 C2 80..C2 9F). `s` is UTF-8.
bool HasControl(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (IsAsciiControl(c))
      return true;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9f)
      return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> ConfValueProblem(std::string_view value) {
  for (char c : value) {
    if (IsAsciiControl(static_cast<unsigned char>(c)))
      return "contains control characters (such as a newline)";
  }
  if (!value.empty() && (IsBlank(value.front()) || IsBlank(value.back())))
    return "starts or ends with a blank, which sys.conf does not keep";
  for (size_t i = 1; i < value.size(); ++i) {
    if (value[i] == '#' && IsBlank(value[i - 1]))
      return "contains a blank followed by '#', which sys.conf reads as a comment";
  }
  return std::nullopt;
}

std::optional<std::string> SymnameProblem(std::string_view symname, bool in_file) {
  if (symname.empty())
    return "is empty (clear-symname removes the symbolic name)";
  if (symname.size() > kMaxSymnameBytes) {
    return "is " + std::to_string(symname.size()) + " bytes long, at most " +
           std::to_string(kMaxSymnameBytes) + " are allowed";
  }
  if (!IsUtf8(symname))
    return "is not valid UTF-8";
  if (HasControl(symname))
    return "contains control characters";
  if (!IsPrintableAscii(symname))
    return "contains non-ASCII characters, which stafd and stacd ignore (printable ASCII only)";
  if (symname.find(',') != std::string_view::npos)
    return "contains ',', which stafd and stacd ignore";
  if (in_file && symname.find_first_of(" \t") != std::string_view::npos) {
    return "contains blanks: stafd and stacd read only the first word of a file; leave out "
           "-f to keep the whole name";
  }
  return ConfValueProblem(symname);
}

Result<std::string> ValueFilePath(const std::string& file) {
  if (file.empty())
    return Fail(EINVAL, "the file name given with -f/--file is empty");
  std::error_code ec;
  std::filesystem::path path = std::filesystem::absolute(file, ec);
  if (ec)
    return Fail(ec.value(), file + ": " + ec.message());
  std::string abs = path.lexically_normal().string();
  if (std::optional<std::string> why = ConfValueProblem(abs))
    return Fail(EINVAL, "cannot name \"" + Printable(abs) + "\" in sys.conf: it " + *why);
  return abs;
}

}  // namespace stas::ctl
