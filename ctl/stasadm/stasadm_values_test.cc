// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_values.h"

#include <cerrno>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/config/host_identity.h"

namespace stas::ctl {
namespace {

TEST(StasadmValuesTest, AcceptsOrdinarySymnames) {
  EXPECT_FALSE(SymnameProblem("lab-host-7", false));
  EXPECT_FALSE(SymnameProblem("Rack 3 / slot 2 (#7)", false));
  EXPECT_FALSE(SymnameProblem(std::string(kMaxSymnameBytes, 'a'), false));
  EXPECT_FALSE(SymnameProblem("one-word", true));
}

TEST(StasadmValuesTest, RejectsMalformedSymnames) {
  EXPECT_EQ(*SymnameProblem("", false), "is empty (clear-symname removes the symbolic name)");
  EXPECT_EQ(*SymnameProblem(std::string(kMaxSymnameBytes + 1, 'a'), false),
            "is 256 bytes long, at most 255 are allowed");
  EXPECT_EQ(*SymnameProblem("bad\xff", false), "is not valid UTF-8");
  EXPECT_EQ(*SymnameProblem("\xc0\xaf", false), "is not valid UTF-8");      // overlong '/'
  EXPECT_EQ(*SymnameProblem("\xed\xa0\x80", false), "is not valid UTF-8");  // surrogate
  EXPECT_EQ(*SymnameProblem("two\nlines", false), "contains control characters");
  EXPECT_EQ(*SymnameProblem("tab\there", false), "contains control characters");
  EXPECT_EQ(*SymnameProblem("c1\xc2\x85", false), "contains control characters");
  EXPECT_EQ(*SymnameProblem("caf\xc3\xa9", false),
            "contains non-ASCII characters, which stafd and stacd ignore (printable ASCII only)");
  EXPECT_EQ(*SymnameProblem("a,b", false), "contains ',', which stafd and stacd ignore");
  EXPECT_EQ(*SymnameProblem(" padded", false),
            "starts or ends with a blank, which sys.conf does not keep");
  EXPECT_EQ(*SymnameProblem("host #7", false),
            "contains a blank followed by '#', which sys.conf reads as a comment");
  EXPECT_EQ(SymnameProblem("two words", true).value_or("").rfind("contains blanks", 0), 0u);
}

TEST(StasadmValuesTest, ConfValueProblem) {
  EXPECT_FALSE(ConfValueProblem("file:///etc/nvme/hostnqn"));
  EXPECT_FALSE(ConfValueProblem("a#b"));
  EXPECT_TRUE(ConfValueProblem("a\rb"));
  EXPECT_TRUE(ConfValueProblem("a\x7f"));
  EXPECT_TRUE(ConfValueProblem("trailing\t"));
  EXPECT_TRUE(ConfValueProblem("a\t#b"));
}

TEST(StasadmValuesTest, ValueFilePathIsAbsolute) {
  Result<std::string> path = ValueFilePath("/etc/nvme/../nvme/hostnqn");
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, "/etc/nvme/hostnqn");

  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  path = ValueFilePath("hostnqn");
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, (std::string(cwd) == "/" ? "" : std::string(cwd)) + "/hostnqn");
}

TEST(StasadmValuesTest, ValueFilePathRejectsWhatSysConfCannotName) {
  Result<std::string> path = ValueFilePath("");
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().code, EINVAL);
  EXPECT_EQ(path.error().message, "the file name given with -f/--file is empty");
  path = ValueFilePath("/tmp/new\nline");
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().message,
            "cannot name \"/tmp/new\\x0aline\" in sys.conf: it contains control characters "
            "(such as a newline)");
  EXPECT_FALSE(ValueFilePath("/tmp/x #1"));
  EXPECT_FALSE(ValueFilePath("/tmp/trailing "));
}

}  // namespace
}  // namespace stas::ctl
