// SPDX-License-Identifier: Apache-2.0
// Process-wide logging: to the journal (--syslog) or to stderr, with a debug switch (tron).
// Thread-safe. Lines about a controller lead with its identity: "(tcp, 10.0.0.1, 8009) | nvme0 -
// ...".
#pragma once

#include <functional>
#include <string>

namespace stas {

enum class LogLevel { kDebug, kInfo, kNotice, kWarning, kError };

// `ident` is the program name (SYSLOG_IDENTIFIER). Without `to_journal`, lines go to stderr.
void LogInit(const std::string& ident, bool to_journal);
void SetLogDebug(bool on);
bool LogDebugEnabled();
const char* LogLevelName();  // "DEBUG" or "INFO", as D-Bus log_level reports it

void Log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Tests: every line also goes to `sink` (nullptr to remove it).
void SetLogSinkForTesting(std::function<void(LogLevel, const std::string&)> sink);

}  // namespace stas

#define LOG_DEBUG(...)                                    \
  do {                                                    \
    if (::stas::LogDebugEnabled())                        \
      ::stas::Log(::stas::LogLevel::kDebug, __VA_ARGS__); \
  } while (0)
#define LOG_INFO(...) ::stas::Log(::stas::LogLevel::kInfo, __VA_ARGS__)
#define LOG_NOTICE(...) ::stas::Log(::stas::LogLevel::kNotice, __VA_ARGS__)
#define LOG_WARNING(...) ::stas::Log(::stas::LogLevel::kWarning, __VA_ARGS__)
#define LOG_ERROR(...) ::stas::Log(::stas::LogLevel::kError, __VA_ARGS__)
