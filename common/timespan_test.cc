// SPDX-License-Identifier: Apache-2.0
#include "common/timespan.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

namespace stas {
namespace {

// Checks that `text` parses to exactly `seconds`.
void ExpectSpan(const std::string& text, double seconds) {
  std::optional<double> v = ParseTimeSpan(text);
  ASSERT_TRUE(v.has_value()) << '"' << text << '"';
  EXPECT_DOUBLE_EQ(*v, seconds) << '"' << text << '"';
}

void ExpectInvalid(const std::string& text) {
  std::optional<double> v = ParseTimeSpan(text);
  EXPECT_FALSE(v.has_value()) << '"' << text << "\" gave " << v.value_or(0);
}

TEST(TimeSpanTest, NvmeStasTestVectors) {
  // test/test-timeparse.py
  ExpectSpan("1:01", 61);
  ExpectSpan("1 minute, 24 secs", 84);
  ExpectSpan("1.2 minutes", 72);
  ExpectSpan("- 1 minute", -60);
  ExpectInvalid("blah");
}

TEST(TimeSpanTest, PlainNumbers) {
  ExpectSpan("10", 10);
  ExpectSpan("-1", -1);
  ExpectSpan("0", 0);
  ExpectSpan("0.5", 0.5);
  ExpectSpan("+7", 7);
  ExpectSpan(" 12 ", 12);
  ExpectSpan(".25", 0.25);
  ExpectSpan("1e2", 100);
}

TEST(TimeSpanTest, PlainNumberLookalikesAreRejected) {
  ExpectInvalid("inf");
  ExpectInvalid("nan");
  ExpectInvalid("-inf");
  ExpectInvalid("0x10");
  ExpectInvalid("1e");
  ExpectInvalid("- 1");  // float() refuses the blank; the unit form needs a unit
  ExpectInvalid("+-5s");
}

TEST(TimeSpanTest, Units) {
  ExpectSpan("72hours", 259200);
  ExpectSpan("72 hours", 259200);
  ExpectSpan("3 days 5 hours", 277200);
  ExpectSpan("1d", 86400);
  ExpectSpan("2h30m", 9000);
  ExpectSpan("1m24s", 84);
  ExpectSpan("  5 sec ", 5);
  ExpectSpan("2 dys", 172800);
  ExpectSpan("1 dy 1 hr 1 min 1 second", 90061);
  ExpectSpan("4 hrs/30 mins", 16200);
  ExpectSpan("1 day, 2 hours, 3 minutes, 4 seconds", 93784);
  ExpectSpan("+ 1 minute", 60);
}

TEST(TimeSpanTest, UnitsAreCaseInsensitive) {
  ExpectSpan("1 MINUTE", 60);
  ExpectSpan("2H30M", 9000);
  ExpectSpan("3 Days", 259200);
}

TEST(TimeSpanTest, FractionsFollowPytimeparse) {
  ExpectSpan("1.2 seconds", 1.2);
  ExpectSpan("1.5 hours", 5400);
  ExpectSpan("0.5d", 43200);
  // Whole seconds: the other fields' sum is truncated, as pytimeparse's int() does.
  ExpectSpan("1.01 minutes", 60);
  ExpectSpan("1.01 minutes 5 s", 65);
  // Fractional seconds: no truncation.
  ExpectSpan("1.01 minutes 0.5 s", 61.1);
  // The sign covers the whole span (pytimeparse signed only the non-second part: -80).
  ExpectSpan("-1.5 min 10 s", -100);
}

TEST(TimeSpanTest, Clocks) {
  ExpectSpan("1:02:03", 3723);
  ExpectSpan("1:00:00:00", 86400);
  ExpectSpan(":30", 30);
  ExpectSpan("59:59", 3599);
  ExpectSpan("2:03.5", 123.5);
  ExpectSpan("100:00:00", 360000);
  ExpectSpan("2 days 1:00:00", 176400);
  ExpectSpan("1d, 0:00:10", 86410);
  ExpectSpan("-1:00", -60);
  ExpectSpan("1:02:03:04", 93784);
}

TEST(TimeSpanTest, MalformedClocksAreRejected) {
  ExpectInvalid("100:00");  // minutes have at most two digits in M:SS
  ExpectInvalid("1:2");
  ExpectInvalid("1:02:3");
  ExpectInvalid(":5");
  ExpectInvalid("1::02");
  ExpectInvalid("1:02:03:04:05");
}

TEST(TimeSpanTest, GarbageIsRejected) {
  ExpectInvalid("");
  ExpectInvalid("   ");
  ExpectInvalid("-");
  ExpectInvalid("5 parsecs");
  ExpectInvalid("5 ms");
  ExpectInvalid("1s 1m");           // units must come in order
  ExpectInvalid("1 minute,, 2 s");  // at most one separator
  ExpectInvalid("1.2.3 s");         // pytimeparse raised ValueError here
  ExpectInvalid(". s");
  ExpectInvalid("5 s extra");
  ExpectInvalid(std::string(kMaxTimeSpanLength, '1') + " s");
}

TEST(TimeSpanTest, LongestAcceptedInput) {
  std::string text = std::string(kMaxTimeSpanLength - 2, ' ') + "5s";
  ExpectSpan(text, 5);
}

TEST(SystemdTimeSpanTest, Units) {
  EXPECT_EQ(ParseSystemdTimeSpan("72hours"), 72 * 3600);
  EXPECT_EQ(ParseSystemdTimeSpan("72h"), 72 * 3600);
  EXPECT_EQ(ParseSystemdTimeSpan("90"), 90);  // no unit: seconds
  EXPECT_EQ(ParseSystemdTimeSpan("1h 30min"), 5400);
  EXPECT_EQ(ParseSystemdTimeSpan("1h30min"), 5400);
  EXPECT_EQ(ParseSystemdTimeSpan(" 2d 12h "), 2.5 * 86400);
  EXPECT_EQ(ParseSystemdTimeSpan("1.5h"), 5400);
  EXPECT_EQ(ParseSystemdTimeSpan("1w"), 604800);
  EXPECT_EQ(ParseSystemdTimeSpan("500ms"), 0.5);
  EXPECT_EQ(ParseSystemdTimeSpan("1y"), 31557600);
  EXPECT_EQ(ParseSystemdTimeSpan("infinity"), HUGE_VAL);
}

// systemd.time(7): "M" is a month, "m" a minute. nvme-stas 2.x's "1M" meant one minute.
TEST(SystemdTimeSpanTest, MonthIsCapitalM) {
  EXPECT_EQ(ParseSystemdTimeSpan("1M"), 2629800);
  EXPECT_EQ(ParseSystemdTimeSpan("1m"), 60);
  EXPECT_EQ(ParseSystemdTimeSpan("2 months"), 2 * 2629800);
}

TEST(SystemdTimeSpanTest, Rejects) {
  for (const char* bad : {"", " ", "-1", "+5", "1x", "h", "1hh", "1mx", "inf", "nan", "1e3",
                          "1.2.3s", "72 hours of", "1H", "Infinity"}) {
    EXPECT_EQ(ParseSystemdTimeSpan(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(ParseSystemdTimeSpan(std::string(kMaxTimeSpanLength + 1, '1')), std::nullopt);
}

}  // namespace
}  // namespace stas
