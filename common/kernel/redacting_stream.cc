// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/redacting_stream.h"

#include <cerrno>
#include <string>
#include <string_view>
#include <unistd.h>

#include "common/secrets.h"

namespace stas {
namespace {

constexpr size_t kMaxPending = 64 * 1024;  // bounds what a line without an end can hold

struct Sink {
  int fd;
  std::string pending;  // the start of a line not ended yet; guarded by the FILE's lock
};

void WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;  // nowhere to report a failure to write a log line
    text.remove_prefix(static_cast<size_t>(n));
  }
}

// stdio calls this when it flushes (at each newline: the stream is line-buffered).
ssize_t Write(void* cookie, const char* data, size_t size) {
  auto* sink = static_cast<Sink*>(cookie);
  sink->pending.append(data, size);
  size_t start = 0;
  for (size_t nl = sink->pending.find('\n'); nl != std::string::npos;
       nl = sink->pending.find('\n', start)) {
    WriteAll(sink->fd,
             RedactSecrets(std::string_view(sink->pending).substr(start, nl + 1 - start)));
    start = nl + 1;
  }
  sink->pending.erase(0, start);
  if (sink->pending.size() >= kMaxPending) {
    WriteAll(sink->fd, RedactSecrets(sink->pending));
    sink->pending.clear();
  }
  return static_cast<ssize_t>(size);
}

// fclose(): what is left without a newline goes out too.
int Close(void* cookie) {
  auto* sink = static_cast<Sink*>(cookie);
  WriteAll(sink->fd, RedactSecrets(sink->pending));
  delete sink;
  return 0;
}

}  // namespace

std::FILE* OpenRedactingStream(int fd) {
  cookie_io_functions_t io{};
  io.write = Write;
  io.close = Close;
  auto* sink = new Sink{fd, {}};
  std::FILE* f = fopencookie(sink, "w", io);
  if (f == nullptr) {
    delete sink;
    return nullptr;
  }
  (void)std::setvbuf(f, nullptr, _IOLBF, 0);
  return f;
}

std::FILE* RedactingStderr() {
  static std::FILE* const kStream = OpenRedactingStream(STDERR_FILENO);
  return kStream;
}

}  // namespace stas
