// SPDX-License-Identifier: Apache-2.0
// Time spans written the way nvme-stas accepts them (zeroconf-connections-persistence), which is
// the syntax of pytimeparse. Pure function, thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace stas {

// Inputs longer than this are rejected; no sane time span is, and it bounds std::regex's
// recursion depth.
inline constexpr size_t kMaxTimeSpanLength = 256;

// Returns the span in seconds, or nullopt when `text` is not a time span. Accepted forms:
//  - a plain decimal number, optionally signed, with an optional exponent: "10", "-1", "0.5";
//    "inf" and "nan" are not accepted (Python's float() would);
//  - an optional sign, then units in the order days, hours, minutes, seconds, each optional:
//    "3 days 5 hours", "2h30m", "1 minute, 24 secs", "1.2 minutes" (case-insensitive; unit
//    spellings d|dy|dys|day|days, h|hr|hrs|hour|hours, m|min|mins|minute|minutes,
//    s|sec|secs|second|seconds; an optional ',' or '/' after each part);
//  - an optional sign, then a clock: "M:SS", "[days] H:MM:SS", "D:HH:MM:SS", ":SS".
// As in pytimeparse, when the seconds are a whole number the result is truncated to whole
// seconds ("1.01 minutes" -> 60).
std::optional<double> ParseTimeSpan(std::string_view text);

// A time span in systemd.time(7)'s grammar, as nvme-stas 3.x's dc-giveup-timeout takes it:
// one or more "<number>[<unit>]" parts, blanks between them optional, summed ("1h 30min",
// "2d12h", "1.5h"); a number without a unit counts seconds. Units are case-sensitive, since
// "M" is a month (30.44 days) and "m" a minute: usec us, msec ms, seconds second sec s,
// minutes minute min m, hours hour hr h, days day d, weeks week w, months month M,
// years year y (365.25 days). "infinity" gives +infinity. No sign: nullopt for anything else.
std::optional<double> ParseSystemdTimeSpan(std::string_view text);

}  // namespace stas
