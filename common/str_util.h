// SPDX-License-Identifier: Apache-2.0
// Small string helpers shared by the parsers. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace stas {

// Strips ASCII whitespace (space, \t, \n, \r, \f, \v) from both ends.
std::string_view Trim(std::string_view s);
std::string ToLower(std::string_view s);

// Splits on every occurrence of `sep`; keeps empty fields.
std::vector<std::string> Split(std::string_view s, char sep);

// Splits on `sep` with any whitespace around it, as Python's re.split(r'\s*;\s*', s) does.
std::vector<std::string> SplitTrimmed(std::string_view s, char sep);

bool StartsWith(std::string_view s, std::string_view prefix);

// True if every byte is printable ASCII (0x20..0x7e).
bool IsPrintableAscii(std::string_view s);

// Bytes as lower-case hex digits, two per byte.
std::string HexDigits(std::span<const uint8_t> bytes);
// 16 bytes as UUID text, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in lower case, in the order
// given.
std::string UuidText(std::span<const uint8_t, 16> bytes);

// Parses a whole decimal integer with an optional sign, surrounding blanks allowed.
// Rejects empty text, trailing garbage and overflow of `long long`.
bool ParseInt(std::string_view s, long long* out);

// Parses true/false the way the stas config does: case-insensitive "true" or "false" only.
bool ParseBool(std::string_view s, bool* out);
// systemd's booleans, as nvme-stas 3.x and libnvme 3's INI files take them (case-insensitive):
// 1 yes y true t on, and 0 no n false f off.
bool ParseSystemdBool(std::string_view s, bool* out);

// Quotes a value for a log line: printable text as is, anything else as \xNN escapes.
std::string Printable(std::string_view s);

// The length of the UTF-8 sequence at s[i], or 0 when it is malformed (overlong forms,
// surrogates and code points above U+10FFFF included).
size_t Utf8SequenceLength(std::string_view s, size_t i);
// True if `s` is well-formed UTF-8.
bool IsUtf8(std::string_view s);

// A log line as it may reach the journal or a terminal: well-formed UTF-8 is kept (an mDNS
// instance name may be "Baie de stockage é"), but control characters (C0, DEL, C1) and bytes
// that are not UTF-8 become \xNN escapes, so that no text from the fabric can start a forged
// line, move the cursor or make the journal store the message as a binary blob.
std::string LogSafe(std::string_view s);

}  // namespace stas
