// SPDX-License-Identifier: Apache-2.0
#include "common/dir_listing.h"

#include <cerrno>

#include <gtest/gtest.h>

#include "common/testing/file_helpers.h"

namespace stas {
namespace {

TEST(DirListingTest, SortedNamesBoundedAndMissing) {
  stas::testing::ScopedTempDir tmp("dir-listing");
  for (const char* name : {"b.conf", "a.conf", "c"})
    stas::testing::WriteFileText(tmp.path() + "/" + name, "x");
  Result<DirListing> all = ListDirectory(tmp.path());
  ASSERT_TRUE(all);
  EXPECT_EQ(all->names, (std::vector<std::string>{"a.conf", "b.conf", "c"}));
  EXPECT_FALSE(all->truncated);
  Result<DirListing> two = ListDirectory(tmp.path(), 2);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->names.size(), 2u);
  EXPECT_TRUE(two->truncated);
  Result<DirListing> none = ListDirectory(tmp.path() + "/none");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ENOENT);
}

}  // namespace
}  // namespace stas
