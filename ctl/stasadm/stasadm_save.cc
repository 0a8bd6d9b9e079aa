// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_save.h"

#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

#include "common/state_file.h"
#include "ctl/stasadm/stasadm_conf_edit.h"

namespace stas::ctl {
namespace {

constexpr mode_t kDefaultMode = 0644;

std::string ErrnoText(int err) {
  return std::generic_category().message(err);
}

// Most failures of a non-root user are permissions on /etc: say what would fix them.
std::string Explain(int err) {
  std::string text = ErrnoText(err);
  if ((err == EACCES || err == EPERM) && ::geteuid() != 0)
    text += " (root privileges required)";
  return text;
}

Unexpected WriteError(const std::string& path, const std::string& what, int err) {
  return Fail(err, "cannot write " + path + ": " + what + Explain(err));
}

Status WriteAll(int fd, const std::string& content) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Fail(errno, "");
    done += static_cast<size_t>(n);
  }
  return {};
}

// The file to write for `path`: its target when it is a symbolic link, so that a link (say,
// /etc/nvme/hostnqn pointing elsewhere) keeps working as it did with nvme-stas's open('w').
// Only a link that root or the caller made, in a directory nobody else may write to (or that
// belongs to the link's owner), is followed: resolving it here bypasses the kernel's
// fs.protected_symlinks, and a link planted in /tmp must not make root replace /etc/shadow.
Result<std::string> ResolveLink(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode))
    return path;
  std::string dir = std::filesystem::path(path).parent_path().string();
  struct stat dst {};
  if (::stat(dir.empty() ? "." : dir.c_str(), &dst) != 0)
    return Fail(errno, "cannot write " + path + ": " + ErrnoText(errno));
  const bool trusted_owner = st.st_uid == 0 || st.st_uid == ::geteuid();
  const bool shared_dir = (dst.st_mode & (S_IWGRP | S_IWOTH)) != 0 && dst.st_uid != st.st_uid;
  if (!trusted_owner || shared_dir) {
    return Fail(EPERM, "cannot write " + path +
                           ": it is a symbolic link that another user could "
                           "have made (owner uid " +
                           std::to_string(st.st_uid) + "); refusing to follow it");
  }
  std::error_code ec;
  std::filesystem::path target = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : target.string();
}

// Reads sys.conf; a missing file is an empty one.
Result<std::string> ReadConf(const std::string& path) {
  Result<std::string> text = ReadWholeFile(path);
  if (text)
    return text;
  if (text.error().code == ENOENT)
    return std::string();
  int err = text.error().code;
  return Fail(err, "cannot read " + path + ": " + Explain(err) + "; nothing was changed");
}

}  // namespace

Status WriteFileReplacing(const std::string& path, const std::string& content) {
  Result<std::string> resolved = ResolveLink(path);
  if (!resolved)
    return Fail(resolved.error());
  const std::string target = *resolved;
  std::string dir = std::filesystem::path(target).parent_path().string();
  if (dir.empty())
    dir = ".";
  if (Status s = EnsureParentDirectory(target); !s)
    return WriteError(path, "cannot create directory " + dir + ": ", s.error().code);

  mode_t mode = kDefaultMode;
  struct stat old {};
  bool replacing = ::stat(target.c_str(), &old) == 0;
  if (replacing) {
    if (S_ISDIR(old.st_mode))
      return WriteError(path, "", EISDIR);
    // The mode of one's own file is kept; a file someone else owns gets a fresh, root-owned
    // 0644 one (keeping its mode or owner would hand the new content back to that user).
    if (old.st_uid == ::geteuid())
      mode = old.st_mode & 07777;
  }

  std::string tmp = target + ".XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0)
    return WriteError(path, "cannot create a file in " + dir + ": ", errno);

  auto fail = [&](int err, const std::string& what) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return WriteError(path, what, err);
  };
  if (Status s = WriteAll(fd, content); !s)
    return fail(s.error().code, "");
  // mkostemp() creates mode 0600; set the mode explicitly so that the umask does not matter.
  if (::fchmod(fd, mode) != 0)
    return fail(errno, "");
  if (::fsync(fd) != 0)
    return fail(errno, "");
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return WriteError(path, "", err);
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    int err = errno;
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

Status Save(const SaveRequest& request) {
  std::optional<std::string> new_conf;
  if (!request.conf_file.empty()) {
    Result<std::string> text = ReadConf(request.conf_file);
    if (!text)
      return Fail(text.error());
    std::optional<std::string> conf_value = request.value;
    if (request.file && request.value)
      conf_value = "file://" + *request.file;
    new_conf = EditHostOption(*text, request.option, conf_value);
  }

  if (request.file && request.value) {
    if (Status s = WriteFileReplacing(*request.file, *request.value + "\n"); !s)
      return s;
  }
  if (new_conf) {
    if (Status s = WriteFileReplacing(request.conf_file, *new_conf); !s) {
      if (request.file && request.value)
        return Fail(s.error().code, s.error().message + " (" + *request.file +
                                        " was written, but " + request.conf_file +
                                        " does not name it)");
      return s;
    }
  }
  return {};
}

}  // namespace stas::ctl
