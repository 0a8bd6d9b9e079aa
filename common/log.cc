// SPDX-License-Identifier: Apache-2.0
#include "common/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <syslog.h>

#include <systemd/sd-journal.h>

#include "common/str_util.h"

namespace stas {
namespace {

struct LogState {
  std::mutex mu;
  std::string ident = "stas";
  bool to_journal = false;
  std::function<void(LogLevel, const std::string&)> sink;
};

LogState& State() {
  static LogState s;
  return s;
}

std::atomic<bool> g_debug{false};

int Priority(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return LOG_DEBUG;
    case LogLevel::kInfo:
      return LOG_INFO;
    case LogLevel::kNotice:
      return LOG_NOTICE;
    case LogLevel::kWarning:
      return LOG_WARNING;
    case LogLevel::kError:
      return LOG_ERR;
  }
  return LOG_INFO;
}

}  // namespace

void LogInit(const std::string& ident, bool to_journal) {
  std::lock_guard<std::mutex> lock(State().mu);
  State().ident = ident;
  State().to_journal = to_journal;
}

void SetLogDebug(bool on) {
  g_debug = on;
}
bool LogDebugEnabled() {
  return g_debug;
}
const char* LogLevelName() {
  return g_debug ? "DEBUG" : "INFO";
}

void Log(LogLevel level, const char* fmt, ...) {
  if (level == LogLevel::kDebug && !g_debug)
    return;
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  (void)std::vsnprintf(buf, sizeof(buf), fmt, ap);  // a longer message is cut, not lost
  va_end(ap);
  // One guard for every line: messages quote names that came from the fabric (mDNS instance
  // names, Identify strings, TXT values), and not every caller escapes them.
  const std::string line = LogSafe(buf);
  LogState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.to_journal) {
    sd_journal_send("MESSAGE=%s", line.c_str(), "PRIORITY=%d", Priority(level),
                    "SYSLOG_IDENTIFIER=%s", s.ident.c_str(), nullptr);
  } else {
    (void)std::fprintf(stderr, "%s\n", line.c_str());  // nowhere to report a failure to
  }
  if (s.sink)
    s.sink(level, line);
}

void SetLogSinkForTesting(std::function<void(LogLevel, const std::string&)> sink) {
  std::lock_guard<std::mutex> lock(State().mu);
  State().sink = std::move(sink);
}

}  // namespace stas
