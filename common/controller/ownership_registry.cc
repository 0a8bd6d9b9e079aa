// SPDX-License-Identifier: Apache-2.0
#include "common/controller/ownership_registry.h"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "common/nvme_names.h"
#include "common/str_util.h"

namespace stas {
namespace {

constexpr std::size_t kMaxOwnerBytes = 64;

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

std::string OwnershipRegistry::OwnerOf(const std::string& device) const {
  if (!enabled() || !IsControllerName(device))
    return "";
  Result<std::string> text = ReadFileHead(EntryPath(device) + "/owner", kMaxOwnerBytes, '\n');
  if (!text)
    return "";
  std::string_view line(*text);
  line = line.substr(0, line.find('\n'));
  return std::string(Trim(line.substr(0, kMaxOwnerBytes)));
}

Status OwnershipRegistry::Record(const std::string& device, const std::string& owner,
                                 uint64_t seqnum) const {
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
  // other), then the old one, now at the temporary name, is removed.
  if (renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, entry.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno != EEXIST ||
        renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, entry.c_str(), RENAME_EXCHANGE) != 0) {
      const int err = errno;
      discard();
      return Fail(err, "cannot write " + entry + ": " + std::generic_category().message(err));
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
  std::string current = OwnerOf(device);
  if (!current.empty())
    return current;
  if (Status s = Record(device, owner, seqnum); !s) {
    LOG_WARNING("Cannot claim %s in the ownership registry: %s", device.c_str(),
                s.error().message.c_str());
    return "";
  }
  return owner;
}

void OwnershipRegistry::Release(const std::string& device, const std::string& owner) const {
  if (!enabled() || OwnerOf(device) != owner)
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
