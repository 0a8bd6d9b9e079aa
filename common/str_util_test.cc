// SPDX-License-Identifier: Apache-2.0
#include "common/str_util.h"

#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/log.h"

namespace stas {
namespace {

TEST(Utf8Test, WellFormedSequencesAndTheMalformedOnes) {
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_TRUE(IsUtf8("plain"));
  EXPECT_TRUE(IsUtf8("Baie de stockage \xc3\xa9"));  // é
  EXPECT_TRUE(IsUtf8("\xf0\x9f\x92\xbe"));           // U+1F4BE
  EXPECT_FALSE(IsUtf8("\xff"));                      // never in UTF-8
  EXPECT_FALSE(IsUtf8("\xc0\xaf"));                  // overlong '/'
  EXPECT_FALSE(IsUtf8("\xed\xa0\x80"));              // a UTF-16 surrogate
  EXPECT_FALSE(IsUtf8("\xf4\x90\x80\x80"));          // above U+10FFFF
  EXPECT_FALSE(IsUtf8("\xc3"));                      // cut short
}

TEST(LogSafeTest, KeepsUtf8AndEscapesControlsAndMalformedBytes) {
  EXPECT_EQ(LogSafe("DC 1 \xc3\xa9"), "DC 1 \xc3\xa9");
  EXPECT_EQ(LogSafe("a\nstafd[1]: forged"), "a\\x0astafd[1]: forged");
  EXPECT_EQ(LogSafe("\x1b[2Jx\x7f"), "\\x1b[2Jx\\x7f");
  EXPECT_EQ(LogSafe("\xc2\x9b"
                    "31m"),
            "\\xc2\\x9b31m");  // C1 CSI
  EXPECT_EQ(LogSafe("\xff\xfe"
                    "ok"),
            "\\xff\\xfeok");
  EXPECT_EQ(LogSafe("\xe2\x82"), "\\xe2\\x82");  // a sequence cut at the end of a buffer
}

// The guard is in Log() itself: a caller that forgets to escape a name from the fabric still
// cannot forge a journal line.
TEST(LogSafeTest, EveryLogLineIsSafeWhateverTheCallerPassed) {
  std::vector<std::string> lines;
  SetLogSinkForTesting([&](LogLevel, const std::string& line) { lines.push_back(line); });
  LOG_WARNING("mDNS service %s ignored", "evil\nstafd[1]: Connected\xff");
  SetLogSinkForTesting(nullptr);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0], "mDNS service evil\\x0astafd[1]: Connected\\xff ignored");
}

TEST(StrUtilTest, SystemdBooleans) {
  for (const char* yes : {"1", "yes", "Y", "true", "t", "ON", " on "}) {
    bool v = false;
    EXPECT_TRUE(ParseSystemdBool(yes, &v)) << yes;
    EXPECT_TRUE(v) << yes;
  }
  for (const char* no : {"0", "no", "n", "False", "f", "off"}) {
    bool v = true;
    EXPECT_TRUE(ParseSystemdBool(no, &v)) << no;
    EXPECT_FALSE(v) << no;
  }
  bool v = true;
  for (const char* bad : {"", "2", "yess", "enabled", "-1"})
    EXPECT_FALSE(ParseSystemdBool(bad, &v)) << bad;
  EXPECT_TRUE(v);  // untouched
}

TEST(StrUtilTest, HexDigitsAndUuidText) {
  const std::array<uint8_t, 16> b = {0x00, 0x01, 0x0a, 0xff, 0x10, 0x20, 0x30, 0x40,
                                     0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0};
  EXPECT_EQ(HexDigits(std::span<const uint8_t>(b).first(4)), "00010aff");
  EXPECT_EQ(HexDigits({}), "");
  EXPECT_EQ(UuidText(b), "00010aff-1020-3040-5060-708090a0b0c0");
}

}  // namespace
}  // namespace stas
