// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_save.h"

#include <cerrno>
#include <filesystem>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

#include "common/atomic_file.h"
#include "ctl/stasadm/stasadm_conf_edit.h"

namespace stas::ctl {
namespace {

constexpr mode_t kDefaultMode = 0644;

std::string ErrnoText(int err) {
  return std::generic_category().message(err);
}

// Most failures of a non-root user are permissions on /etc: say what would fix them.
std::string Hint(int err) {
  if ((err == EACCES || err == EPERM) && ::geteuid() != 0)
    return " (root privileges required)";
  return "";
}

std::string Explain(int err) {
  return ErrnoText(err) + Hint(err);
}

Unexpected WriteError(const std::string& path, const std::string& what, int err) {
  return Fail(err, "cannot write " + path + ": " + what + Explain(err));
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
  if (Status s = EnsureParentDirectory(target); !s) {
    std::string dir = std::filesystem::path(target).parent_path().string();
    return WriteError(path, "cannot create directory " + dir + ": ", s.error().code);
  }

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

  Status s = WriteFileAtomic(target, content, mode);
  if (s)
    return {};
  // The message names the path the user gave (the link, when one was followed), and says
  // what would fix a permission error.
  const int err = s.error().code;
  const std::string reason = s.error().message.substr(("cannot write " + target).size());
  return Fail(err, "cannot write " + path + reason + Hint(err));
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
