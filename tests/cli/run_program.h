// SPDX-License-Identifier: Apache-2.0
// Runs a program and captures its output, for tests of the real binaries.
#pragma once

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

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

// Runs `command` with /bin/sh; stdout and stderr are captured separately.
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
  return result;
}

}  // namespace stas::testing
