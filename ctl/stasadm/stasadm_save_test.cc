// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_save.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/testing/file_helpers.h"

namespace stas::ctl {
namespace {

class StasadmSaveTest : public ::testing::Test {
 protected:
  void SetUp() override { conf_ = dir_ + "/stas/sys.conf"; }

  static std::string Read(const std::string& path) { return testing::ReadFileText(path); }
  static void Write(const std::string& path, const std::string& text) {
    testing::WriteFileText(path, text);
  }
  static mode_t Mode(const std::string& path) { return testing::FileMode(path); }
  // No temporary file may be left behind.
  void ExpectOnly(const std::string& dir, size_t count) {
    size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      (void)entry;
      ++n;
    }
    EXPECT_EQ(n, count) << dir;
  }

  testing::ScopedTempDir tmp_{"stasadm-save-test"};
  std::string dir_ = tmp_.path();
  std::string conf_;
};

TEST_F(StasadmSaveTest, WritesFileAndNamesItInSysConf) {
  std::string file = dir_ + "/nvme/hostnqn";
  ASSERT_TRUE(Save({conf_, "nqn", "nqn.2014-08.org.nvmexpress:uuid:x", file}));
  EXPECT_EQ(Read(file), "nqn.2014-08.org.nvmexpress:uuid:x\n");
  EXPECT_EQ(Read(conf_), "[Host]\nnqn = file://" + file + "\n\n");
  EXPECT_EQ(Mode(file), 0644u);
  EXPECT_EQ(Mode(conf_), 0644u);
  ExpectOnly(dir_ + "/nvme", 1);
  ExpectOnly(dir_ + "/stas", 1);
}

TEST_F(StasadmSaveTest, WithoutFileTheValueGoesIntoSysConf) {
  ASSERT_TRUE(Save({conf_, "id", "4b4b4b4b-1111-2222-3333-444444444444", std::nullopt}));
  ASSERT_TRUE(Save({conf_, "symname", "lab", std::nullopt}));
  EXPECT_EQ(Read(conf_), "[Host]\nid = 4b4b4b4b-1111-2222-3333-444444444444\nsymname = lab\n\n");
  ASSERT_TRUE(Save({conf_, "symname", std::nullopt, std::nullopt}));
  EXPECT_EQ(Read(conf_), "[Host]\nid = 4b4b4b4b-1111-2222-3333-444444444444\n\n");
}

TEST_F(StasadmSaveTest, EmptyConfFileWritesOnlyTheFile) {
  std::string file = dir_ + "/hostid";
  ASSERT_TRUE(Save({"", "id", "abc", file}));
  EXPECT_EQ(Read(file), "abc\n");
  ExpectOnly(dir_, 1);
}

TEST_F(StasadmSaveTest, KeepsModeOfTheFileItReplaces) {
  Write(conf_, "# mine\n[Host]\n");
  ASSERT_EQ(::chmod(conf_.c_str(), 0600), 0);
  ASSERT_TRUE(Save({conf_, "symname", "s", std::nullopt}));
  EXPECT_EQ(Read(conf_), "# mine\n[Host]\nsymname = s\n");
  EXPECT_EQ(Mode(conf_), 0600u);
}

TEST_F(StasadmSaveTest, FollowsSymbolicLinks) {
  std::string target = dir_ + "/real-hostnqn";
  std::string link = dir_ + "/hostnqn";
  Write(target, "old\n");
  std::filesystem::create_symlink(target, link);
  ASSERT_TRUE(Save({"", "nqn", "new", link}));
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(Read(target), "new\n");
}

// root running `stasadm hostid -f /tmp/x`, where another user made /tmp/x a link to
// /etc/shadow, must not replace /etc/shadow.
TEST_F(StasadmSaveTest, RefusesALinkAnotherUserMade) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to make a link owned by another user";
  std::string target = dir_ + "/precious";
  std::string link = dir_ + "/x";
  Write(target, "precious\n");
  ASSERT_EQ(::chmod(dir_.c_str(), 01777), 0);  // like /tmp
  std::filesystem::create_symlink(target, link);
  ASSERT_EQ(::lchown(link.c_str(), 65534, 65534), 0);
  Status s = Save({"", "id", "new", link});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "cannot write " + link +
                                   ": it is a symbolic link that another user could have made "
                                   "(owner uid 65534); refusing to follow it");
  EXPECT_EQ(Read(target), "precious\n");
}

TEST_F(StasadmSaveTest, AFileOfAnotherUserBecomesTheCallersWithTheDefaultMode) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to make a file owned by another user";
  std::string file = dir_ + "/hostid";
  Write(file, "old\n");
  ASSERT_EQ(::chmod(file.c_str(), 0666), 0);
  ASSERT_EQ(::chown(file.c_str(), 65534, 65534), 0);
  ASSERT_TRUE(Save({"", "id", "new", file}));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(Mode(file), 0644u);
  EXPECT_EQ(Read(file), "new\n");
}

TEST_F(StasadmSaveTest, UnreadableSysConfChangesNothing) {
  std::filesystem::create_directories(conf_);  // a directory cannot be read as a file
  std::string file = dir_ + "/hostnqn";
  Status s = Save({conf_, "nqn", "n", file});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, EISDIR);
  EXPECT_EQ(s.error().message, "cannot read " + conf_ + ": Is a directory; nothing was changed");
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST_F(StasadmSaveTest, FileWriteErrorLeavesSysConfAlone) {
  Write(conf_, "[Host]\nnqn = old\n");
  Write(dir_ + "/nvme", "a file, not a directory");
  std::string file = dir_ + "/nvme/hostnqn";
  Status s = Save({conf_, "nqn", "n", file});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ENOTDIR);
  EXPECT_EQ(s.error().message, "cannot write " + file + ": cannot create directory " + dir_ +
                                   "/nvme: Not a directory");
  EXPECT_EQ(Read(conf_), "[Host]\nnqn = old\n");
}

TEST_F(StasadmSaveTest, PathThroughAFileCannotBeRead) {
  Write(dir_ + "/stas", "a file, not a directory");
  Status s = Save({conf_, "nqn", "n", std::nullopt});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ENOTDIR);
  EXPECT_EQ(s.error().message, "cannot read " + conf_ + ": Not a directory; nothing was changed");
}

TEST_F(StasadmSaveTest, WriteFileReplacingRefusesADirectory) {
  std::filesystem::create_directories(dir_ + "/d");
  Status s = WriteFileReplacing(dir_ + "/d", "x");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "cannot write " + dir_ + "/d: Is a directory");
}

}  // namespace
}  // namespace stas::ctl
