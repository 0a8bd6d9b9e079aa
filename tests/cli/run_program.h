// SPDX-License-Identifier: Apache-2.0
// Runs a program and captures its output, for tests of the real binaries.
#pragma once

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace stas::testing {

struct ProgramOutput {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// `s` quoted for /bin/sh (single quotes).
inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// Where the first sanitizer report in a program's stderr starts, or npos. In a sanitizer tree
// (-DSTAS_SANITIZE, tests/sanitizers/) the programs stop at a finding with status 99, but a
// test expecting a failure would not tell that from an ordinary one: this names it.
inline size_t SanitizerReportStart(const std::string& err) {
  size_t first = std::string::npos;
  for (const char* mark : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                           "WARNING: ThreadSanitizer", "ThreadSanitizer: ", "runtime error: "}) {
    size_t at = err.find(mark);
    if (at != std::string::npos && (first == std::string::npos || at < first))
      first = at;
  }
  if (first == std::string::npos)
    return first;
  size_t line = err.rfind('\n', first);
  return line == std::string::npos ? 0 : line + 1;
}

// Fails the current test if `err`, the stderr of `what`, holds a sanitizer report.
inline void ExpectNoSanitizerReport(const std::string& what, const std::string& err) {
  size_t at = SanitizerReportStart(err);
  if (at != std::string::npos)
    ADD_FAILURE() << what << ": sanitizer report\n" << err.substr(at);
}

// Runs `command` with /bin/sh; stdout and stderr are captured separately. A sanitizer report
// in its stderr fails the current test.
inline ProgramOutput RunProgram(const std::string& command) {
  char err_path[] = "/tmp/stas-test-stderr-XXXXXX";
  int fd = mkstemp(err_path);
  ProgramOutput result;
  if (fd < 0)
    return result;
  close(fd);
  std::string full = command + " 2>" + err_path;
  FILE* p = popen(full.c_str(), "r");
  if (p == nullptr)
    return result;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    result.out.append(buf.data(), n);
  int status = pclose(p);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (FILE* e = fopen(err_path, "r")) {
    while ((n = fread(buf.data(), 1, buf.size(), e)) > 0)
      result.err.append(buf.data(), n);
    fclose(e);
  }
  unlink(err_path);
  ExpectNoSanitizerReport(command, result.err);
  return result;
}

}  // namespace stas::testing
