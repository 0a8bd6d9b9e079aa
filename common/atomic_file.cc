// SPDX-License-Identifier: Apache-2.0
#include "common/atomic_file.h"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace stas {
namespace {

std::string ErrnoText(int err) {
  return std::generic_category().message(err);
}

Unexpected WriteError(const std::string& path, const std::string& what, int err) {
  return Fail(err, "cannot write " + path + ": " + what + ErrnoText(err));
}

// Returns 0 or an errno value.
int WriteAll(int fd, const std::string& content) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

// Fills the open temporary `fd` and closes it. Returns 0 or an errno value; `fd` is closed
// either way.
int FillAndClose(int fd, const std::string& content, mode_t mode) {
  int err = 0;
  // mkostemp() creates mode 0600; set the mode explicitly so that the umask does not matter.
  if (::fchmod(fd, mode) != 0)
    err = errno;
  if (err == 0)
    err = WriteAll(fd, content);
  if (err == 0 && ::fsync(fd) != 0)
    err = errno;
  if (::close(fd) != 0 && err == 0)
    err = errno;
  return err;
}

}  // namespace

Status WriteFileAtomic(const std::string& path, const std::string& content, mode_t mode) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty())
    dir = ".";
  std::string tmp = path + ".XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC | O_NOFOLLOW);  // adds O_CREAT | O_EXCL
  if (fd < 0) {
    int err = errno;
    return WriteError(path, "cannot create a file in " + dir + ": ", err);
  }
  int err = FillAndClose(fd, content, mode);
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0)
    err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return WriteError(path, "", err);
  }
  // The rename is durable only once the directory is synced; failing that is not worth an
  // error, the file is in place.
  if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

namespace {

// Reads until `done(text)` or the end of the file. `regular_only`: opened without blocking, and
// EINVAL unless it is a regular file.
Result<std::string> ReadFileWhile(const std::string& path, size_t chunk,
                                  const std::function<bool(const std::string&)>& done,
                                  bool regular_only = false) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | (regular_only ? O_NONBLOCK : 0));
  if (fd < 0) {
    int err = errno;
    return Fail(err, path + ": " + ErrnoText(err));
  }
  struct stat st {};
  if (regular_only && (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
    ::close(fd);
    return Fail(EINVAL, path + ": not a regular file");
  }
  std::string text;
  std::vector<char> buf(chunk);
  while (!done(text)) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Fail(err, path + ": " + ErrnoText(err));
    }
    if (n == 0)
      break;
    text.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path) {
  return ReadFileWhile(path, 65536, [](const std::string&) { return false; });
}

Result<std::string> ReadRegularFile(const std::string& path, size_t max_bytes) {
  Result<std::string> text = ReadFileWhile(
      path, 65536, [max_bytes](const std::string& t) { return t.size() > max_bytes; }, true);
  if (text && text->size() > max_bytes)
    return Fail(EFBIG, path + ": larger than " + std::to_string(max_bytes) + " bytes");
  return text;
}

std::string WithoutPathPrefix(const std::string& path, const std::string& message) {
  const std::string prefix = path + ": ";
  return message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size()) : message;
}

Result<std::string> ReadFileHead(const std::string& path, size_t max_bytes, char stop) {
  return ReadFileWhile(path, 512, [max_bytes, stop](const std::string& text) {
    return text.size() >= max_bytes || text.find(stop) != std::string::npos;
  });
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
