// SPDX-License-Identifier: Apache-2.0
#include "common/controller/ownership_registry.h"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

#include "common/log.h"
#include "common/nvme_names.h"
#include "common/str_util.h"

namespace stas {
namespace {

constexpr std::size_t kMaxOwnerBytes = 64;
constexpr std::size_t kMaxFileBytes = 512;

Status WriteSynced(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return Fail(errno, "cannot create " + path + ": " + std::generic_category().message(errno));
  const bool ok =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  const int err = errno;
  close(fd);
  if (!ok)
    return Fail(err, "cannot write " + path + ": " + std::generic_category().message(err));
  return {};
}

void SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

}  // namespace

std::string OwnershipRegistry::EntryPath(const std::string& device) const {
  return dir_ + "/" + device;
}

std::string OwnershipRegistry::ReadEntryFile(const std::string& device, const char* name,
                                             std::size_t max) const {
  if (!enabled() || !IsControllerName(device))
    return "";
  // Neither the entry nor its file is followed if it is a link; a FIFO is not waited on.
  int dir = open(EntryPath(device).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0)
    return "";
  int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  close(dir);
  if (fd < 0)
    return "";
  struct stat st {};
  std::string text(kMaxFileBytes, '\0');
  ssize_t n = -1;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    n = read(fd, text.data(), text.size());
  close(fd);
  if (n <= 0)
    return "";
  text.resize(static_cast<std::size_t>(n));
  std::string_view line(text);
  line = line.substr(0, line.find('\n'));
  return std::string(Trim(line.substr(0, max)));
}

std::string OwnershipRegistry::OwnerOf(const std::string& device) const {
  return ReadEntryFile(device, "owner", kMaxOwnerBytes);
}

std::string OwnershipRegistry::Stamp(const std::string& device) const {
  return ReadEntryFile(device, "seqnum", kMaxOwnerBytes);
}

Status OwnershipRegistry::Record(const std::string& device, const std::string& owner,
                                 uint64_t seqnum) const {
  return Write(device, owner, seqnum, /*replace=*/true);
}

Status OwnershipRegistry::Write(const std::string& device, const std::string& owner,
                                uint64_t seqnum, bool replace) const {
  if (!enabled())
    return {};
  if (!IsControllerName(device))
    return Fail(EINVAL, "not a controller name: " + device);
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    return Fail(ec.value(), "cannot create " + dir_ + ": " + ec.message());
  std::string tmp = dir_ + "/." + device + ".XXXXXX";
  if (mkdtemp(tmp.data()) == nullptr)
    return Fail(errno, "cannot create a directory in " + dir_ + ": " +
                           std::generic_category().message(errno));
  chmod(tmp.c_str(), 0755);
  auto discard = [&tmp] {
    std::error_code ignored;
    std::filesystem::remove_all(tmp, ignored);
  };
  Status s = WriteSynced(tmp + "/owner", owner + "\n");
  if (s)
    s = WriteSynced(tmp + "/seqnum", std::to_string(seqnum) + "\n");
  if (!s) {
    discard();
    return s;
  }
  SyncDirectory(tmp);
  const std::string entry = EntryPath(device);
  // An entry in place is exchanged with the new one in one step (readers see one or the
  // other), then the old one, now at the temporary name, is removed. A claim never replaces.
  if (renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, entry.c_str(), RENAME_NOREPLACE) != 0) {
    const int err = errno;
    if (err != EEXIST || !replace ||
        renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, entry.c_str(), RENAME_EXCHANGE) != 0) {
      const int code = err == EEXIST && replace ? errno : err;
      discard();
      return Fail(code, "cannot write " + entry + ": " + std::generic_category().message(code));
    }
    discard();
  }
  SyncDirectory(dir_);
  return {};
}

std::string OwnershipRegistry::Claim(const std::string& device, const std::string& owner,
                                     uint64_t seqnum) const {
  if (!enabled())
    return "";
  std::error_code ec;
  if (std::filesystem::symlink_status(EntryPath(device), ec).type() !=
      std::filesystem::file_type::not_found) {
    return OwnerOf(device);  // an entry (of someone, or being written): not ours to take
  }
  Status s = Write(device, owner, seqnum, /*replace=*/false);
  if (!s && s.error().code == EEXIST)
    return OwnerOf(device);  // written meanwhile by someone else
  if (!s) {
    LOG_WARNING("Cannot claim %s in the ownership registry: %s", device.c_str(),
                s.error().message.c_str());
    return "";
  }
  return owner;
}

void OwnershipRegistry::Release(const std::string& device, const std::string& owner,
                                const std::string& stamp) const {
  if (!enabled() || OwnerOf(device) != owner || Stamp(device) != stamp)
    return;
  // Renamed aside first, so that no reader sees an entry without its files.
  const std::string entry = EntryPath(device);
  std::string aside = dir_ + "/." + device + ".gone.XXXXXX";
  if (mkdtemp(aside.data()) == nullptr)
    return;
  if (rename(entry.c_str(), aside.c_str()) != 0) {
    rmdir(aside.c_str());
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(aside, ignored);
}

}  // namespace stas
