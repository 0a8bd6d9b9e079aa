// SPDX-License-Identifier: Apache-2.0
#include "common/atomic_file.h"

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/testing/file_helpers.h"

namespace stas {
namespace {

class AtomicFileTest : public ::testing::Test {
 protected:
  // Entries in `dir`: a temporary left behind shows up here.
  static std::size_t Entries(const std::string& dir) {
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      (void)entry;
      ++n;
    }
    return n;
  }
  // Open descriptors of this process: a descriptor leaked on an error path shows up here.
  static std::size_t OpenFds() {
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      (void)entry;
      ++n;
    }
    return n;
  }

  testing::ScopedTempDir tmp_{"atomic-file-test"};
  std::string dir_ = tmp_.path();
  std::string path_ = dir_ + "/state.json";
};

TEST_F(AtomicFileTest, WritesTheContentWithTheGivenMode) {
  ASSERT_TRUE(WriteFileAtomic(path_, "{}\n", 0640));
  EXPECT_EQ(testing::ReadFileText(path_), "{}\n");
  EXPECT_EQ(testing::FileMode(path_), 0640u);
  EXPECT_EQ(Entries(dir_), 1u);
}

TEST_F(AtomicFileTest, TheUmaskDoesNotApply) {
  const mode_t old = ::umask(077);
  Status s = WriteFileAtomic(path_, "x", 0644);
  ::umask(old);
  ASSERT_TRUE(s);
  EXPECT_EQ(testing::FileMode(path_), 0644u);
}

TEST_F(AtomicFileTest, ReplacesAFileAndItsMode) {
  testing::WriteFileText(path_, "old, and longer than the new content\n");
  ASSERT_EQ(::chmod(path_.c_str(), 0666), 0);
  ASSERT_TRUE(WriteFileAtomic(path_, "new\n", 0600));
  EXPECT_EQ(testing::ReadFileText(path_), "new\n");
  EXPECT_EQ(testing::FileMode(path_), 0600u);
  EXPECT_EQ(Entries(dir_), 1u);
}

// A link planted at the target must not make a daemon write where it points.
TEST_F(AtomicFileTest, ALinkAtTheTargetIsReplacedNotFollowed) {
  std::string elsewhere = dir_ + "/precious";
  testing::WriteFileText(elsewhere, "precious\n");
  std::filesystem::create_symlink(elsewhere, path_);
  ASSERT_TRUE(WriteFileAtomic(path_, "state\n", 0600));
  EXPECT_FALSE(std::filesystem::is_symlink(path_));
  EXPECT_EQ(testing::ReadFileText(path_), "state\n");
  EXPECT_EQ(testing::ReadFileText(elsewhere), "precious\n");
}

// The rename fails after the temporary was written: it goes, and so does its descriptor.
TEST_F(AtomicFileTest, AFailedWriteLeavesNoTemporaryAndNoDescriptor) {
  std::filesystem::create_directories(path_ + "/not-empty");
  const std::size_t fds = OpenFds();
  Status s = WriteFileAtomic(path_, "x", 0600);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, EISDIR);
  EXPECT_EQ(s.error().message, "cannot write " + path_ + ": Is a directory");
  EXPECT_EQ(Entries(dir_), 1u);
  EXPECT_EQ(OpenFds(), fds);
}

TEST_F(AtomicFileTest, AMissingDirectoryIsNamed) {
  std::string path = dir_ + "/missing/state.json";
  Status s = WriteFileAtomic(path, "x", 0600);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ENOENT);
  EXPECT_EQ(s.error().message, "cannot write " + path + ": cannot create a file in " + dir_ +
                                   "/missing: No such file or directory");
}

TEST_F(AtomicFileTest, ReadsWhatWasWritten) {
  std::string big(200000, 'x');  // more than one read() buffer
  ASSERT_TRUE(WriteFileAtomic(path_, big, 0600));
  Result<std::string> text = ReadWholeFile(path_);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, big);
}

TEST_F(AtomicFileTest, ReadingAMissingFileIsENOENT) {
  Result<std::string> text = ReadWholeFile(path_);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ENOENT);
  EXPECT_EQ(text.error().message, path_ + ": No such file or directory");
}

TEST_F(AtomicFileTest, EnsureParentDirectoryCreatesTheParents) {
  std::string path = dir_ + "/a/b/state.json";
  ASSERT_TRUE(EnsureParentDirectory(path));
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/a/b"));
  ASSERT_TRUE(WriteFileAtomic(path, "x", 0600));
}

}  // namespace
}  // namespace stas
