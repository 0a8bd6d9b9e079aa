// SPDX-License-Identifier: Apache-2.0
#include "common/controller/ownership_registry.h"

#include <algorithm>
#include <filesystem>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "common/testing/file_helpers.h"

namespace stas {
namespace {

class OwnershipRegistryTest : public ::testing::Test {
 protected:
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_))
      out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  testing::ScopedTempDir tmp_{"registry-test"};
  std::string dir_ = tmp_.path() + "/run/nvme/registry";
  OwnershipRegistry registry_{dir_};
};

// An entry is a directory with owner and seqnum, 0755 and 0644, and nothing else is left in
// the registry (no temporary).
TEST_F(OwnershipRegistryTest, ARecordIsAWholeEntryInItsFormat) {
  EXPECT_EQ(registry_.OwnerOf("nvme3"), "");
  ASSERT_TRUE(registry_.Record("nvme3", kOwnerStas, 4711));
  EXPECT_EQ(testing::ReadFileText(dir_ + "/nvme3/owner"), "stas\n");
  EXPECT_EQ(testing::ReadFileText(dir_ + "/nvme3/seqnum"), "4711\n");
  EXPECT_EQ(registry_.OwnerOf("nvme3"), "stas");
  struct stat st {};
  ASSERT_EQ(stat((dir_ + "/nvme3").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755U);
  ASSERT_EQ(stat((dir_ + "/nvme3/owner").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644U);
  EXPECT_EQ(Names(), std::vector<std::string>{"nvme3"});
}

// A fresh connect on a recycled instance number replaces whatever entry was there.
TEST_F(OwnershipRegistryTest, ARecordReplacesAStaleEntry) {
  ASSERT_TRUE(registry_.Record("nvme3", "discoverd", 10));
  ASSERT_TRUE(registry_.Record("nvme3", kOwnerStas, 20));
  EXPECT_EQ(registry_.OwnerOf("nvme3"), "stas");
  EXPECT_EQ(testing::ReadFileText(dir_ + "/nvme3/seqnum"), "20\n");
  EXPECT_EQ(Names(), std::vector<std::string>{"nvme3"});
}

// Claiming takes what nobody owns and never another owner's entry.
TEST_F(OwnershipRegistryTest, AClaimTakesOnlyWhatNobodyOwns) {
  EXPECT_EQ(registry_.Claim("nvme1", kOwnerStas, 5), "stas");
  EXPECT_EQ(registry_.OwnerOf("nvme1"), "stas");
  testing::WriteFileText(dir_ + "/nvme2/owner", "nbft\n");
  EXPECT_EQ(registry_.Claim("nvme2", kOwnerStas, 6), "nbft");
  EXPECT_EQ(testing::ReadFileText(dir_ + "/nvme2/owner"), "nbft\n");
  // An entry without an owner yet (another manager writing it) is not taken either.
  testing::WriteFileText(dir_ + "/nvme4/seqnum", "7\n");
  EXPECT_EQ(registry_.Claim("nvme4", kOwnerStas, 7), "");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/nvme4/owner"));
}

// Releasing removes only one's own entry, and only the one it disconnected: a new controller
// that took the name meanwhile (another seqnum) keeps its entry.
TEST_F(OwnershipRegistryTest, AReleaseRemovesOnlyOnesOwnEntryOfThatController) {
  ASSERT_TRUE(registry_.Record("nvme1", kOwnerStas, 1));
  ASSERT_TRUE(registry_.Record("nvme2", kOwnerNbft, 1));
  ASSERT_TRUE(registry_.Record("nvme3", kOwnerStas, 1));
  const std::string stamp3 = registry_.Stamp("nvme3");
  EXPECT_EQ(stamp3, "1");
  ASSERT_TRUE(registry_.Record("nvme3", kOwnerStas, 2));  // nvme3 again, a new controller
  registry_.Release("nvme1", kOwnerStas, registry_.Stamp("nvme1"));
  registry_.Release("nvme2", kOwnerStas, registry_.Stamp("nvme2"));
  registry_.Release("nvme3", kOwnerStas, stamp3);
  EXPECT_EQ(Names(), (std::vector<std::string>{"nvme2", "nvme3"}));
  EXPECT_EQ(registry_.OwnerOf("nvme2"), "nbft");
  EXPECT_EQ(registry_.Stamp("nvme3"), "2");
}

// An entry or an owner file that is a link is not followed; a FIFO is not waited on.
TEST_F(OwnershipRegistryTest, LinksAndFifosAreNobodys) {
  testing::WriteFileText(tmp_.path() + "/elsewhere/owner", "secret first line\n");
  std::filesystem::create_directories(dir_ + "/nvme2");
  std::filesystem::create_directory_symlink(tmp_.path() + "/elsewhere", dir_ + "/nvme1");
  std::filesystem::create_symlink(tmp_.path() + "/elsewhere/owner", dir_ + "/nvme2/owner");
  std::filesystem::create_directories(dir_ + "/nvme3");
  ASSERT_EQ(mkfifo((dir_ + "/nvme3/owner").c_str(), 0600), 0);
  for (const char* d : {"nvme1", "nvme2", "nvme3"}) {
    EXPECT_EQ(registry_.OwnerOf(d), "") << d;
    EXPECT_EQ(registry_.Claim(d, kOwnerStas, 1), "") << d;  // and not claimed either
  }
}

// The device name comes from the kernel, but is never a path; an owner file is read no
// further than its first line, and at most 64 bytes of it.
TEST_F(OwnershipRegistryTest, NamesAreControllerNamesAndOwnersAreBounded) {
  EXPECT_FALSE(registry_.Record("../nvme1", kOwnerStas, 1));
  EXPECT_FALSE(registry_.Record("nvme1/x", kOwnerStas, 1));
  EXPECT_EQ(registry_.OwnerOf("../../etc"), "");
  testing::WriteFileText(dir_ + "/nvme5/owner", std::string(1000, 'x') + "\nsecond line\n");
  EXPECT_EQ(registry_.OwnerOf("nvme5"), std::string(64, 'x'));
}

// Without a registry nobody owns anything and nothing is written.
TEST_F(OwnershipRegistryTest, NoRegistryOwnsNothing) {
  OwnershipRegistry none;
  EXPECT_FALSE(none.enabled());
  EXPECT_TRUE(none.Record("nvme1", kOwnerStas, 1));
  EXPECT_EQ(none.Claim("nvme1", kOwnerStas, 1), "");
  EXPECT_EQ(none.OwnerOf("nvme1"), "");
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

}  // namespace
}  // namespace stas
