// SPDX-License-Identifier: Apache-2.0
// Small file helpers for tests that check what a program wrote. Header-only.
#pragma once

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <stdlib.h>
#include <string>
#include <sys/stat.h>

#include <gtest/gtest.h>

namespace stas::testing {

// A fresh directory <gtest's temp dir>/<prefix>-XXXXXX (TEST_TMPDIR, TMPDIR or /tmp; mode 0700,
// as mkdtemp() makes it), removed with all it holds when the object goes. Throws if it cannot
// be made: gtest then fails the test without running the rest of it.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(const std::string& prefix) {
    std::string tmpl = ::testing::TempDir() + prefix + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      // NOLINTNEXTLINE(concurrency-mt-unsafe): tests make their directories on one thread
      throw std::runtime_error("mkdtemp(" + tmpl + "): " + std::strerror(errno));
    }
    path_ = tmpl;
  }
  ~ScopedTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  ScopedTempDir(ScopedTempDir&&) = delete;
  ScopedTempDir& operator=(ScopedTempDir&&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The whole file, bytes as they are ("" if it cannot be read).
inline std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `text`, creating the parent directories.
inline void WriteFileText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// The permission bits of `path` (a test failure if it does not exist).
inline mode_t FileMode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

}  // namespace stas::testing
