// SPDX-License-Identifier: Apache-2.0
#include "common/state_file.h"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <system_error>
#include <unistd.h>

namespace stas {
namespace {

Unexpected Errno(const std::string& what, int err) {
  return Fail(err, what + ": " + std::generic_category().message(err));
}

}  // namespace

Status WriteFileAtomic(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return Errno(tmp, errno);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Errno(tmp, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Errno(tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Errno(path, err);
  }
  return {};
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Errno(path, errno);
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Errno(path, err);
    }
    if (n == 0)
      break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

std::string RuntimeStatePath(const char* prog, const char* file) {
  const char* dir = std::getenv("RUNTIME_DIRECTORY");  // NOLINT(concurrency-mt-unsafe): start-up
  std::string base = (dir && *dir) ? std::string(dir) : std::string("/run/") + prog;
  // systemd may pass several directories separated by ':'; ours is the first.
  base = base.substr(0, base.find(':'));
  return base + "/" + file;
}

Status EnsureParentDirectory(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty())
    return {};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Fail(ec.value(), dir.string() + ": " + ec.message());
  return {};
}

}  // namespace stas
