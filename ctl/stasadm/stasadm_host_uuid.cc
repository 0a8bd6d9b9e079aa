// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_host_uuid.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "common/nvme_names.h"
#include "ctl/stasadm/stasadm_uuid.h"

namespace stas::ctl {
namespace {

constexpr size_t kMachineIdLength = 32;
constexpr size_t kUuidLength = 36;

// The first `size` bytes of `path`, or nullopt when it cannot be read or is shorter: what
// nvme-stas's read_from_file() returns (it reads `size` characters and checks the count).
std::optional<std::string> ReadPrefix(const std::string& path, size_t size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return std::nullopt;
  std::string data;
  std::array<char, 64> buf{};
  while (data.size() < size) {
    ssize_t n = ::read(fd, buf.data(), std::min(buf.size(), size - data.size()));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    data.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  if (data.size() != size)
    return std::nullopt;
  return data;
}

std::optional<std::string> MachineAppSpecificUuid(const std::string& path) {
  std::optional<std::string> text = ReadPrefix(path, kMachineIdLength);
  if (!text)
    return std::nullopt;
  // nvme-stas crashed on a machine-id that is not hex (Python's ValueError); we move on.
  std::optional<Uuid> id = ParseMachineId(*text);
  if (!id)
    return std::nullopt;
  return AppSpecificUuid(*id);
}

std::optional<std::string> PartitionUuid(const std::string& path) {
  std::optional<std::string> text = ReadPrefix(path, kUuidLength);
  if (!text || CheckUuid(*text))
    return std::nullopt;
  return text;
}

}  // namespace

std::optional<std::string> DmiProductUuid(std::string_view text) {
  if (CheckUuid(text))
    return std::nullopt;
  if (text.find_first_not_of("0-") == std::string_view::npos ||
      text.find_first_not_of("fF-") == std::string_view::npos) {
    return std::nullopt;
  }
  // Byte-swaps the 4-, 2- and 2-byte fields: nvme-stas's character order.
  static constexpr size_t kOrder[] = {6, 7, 4, 5, 2, 3, 0, 1, 8, 11, 12, 9, 10, 13, 16, 17, 14, 15};
  std::string out;
  out.reserve(text.size());
  for (size_t i : kOrder)
    out += text[i];
  out.append(text.substr(18));
  return out;
}

Result<std::string> HostUuid(const HostUuidSources& sources, bool is_root) {
  if (std::optional<std::string> uuid = MachineAppSpecificUuid(sources.machine_id))
    return *uuid;
  if (!is_root) {
    return Fail(EACCES, "Permission denied. Root privileges required. (" + sources.machine_id +
                            " is missing or not 32 hex digits, and the other sources of the "
                            "host UUID, such as " +
                            sources.product_uuid + ", are readable by root only)");
  }
  if (std::optional<std::string> text = ReadPrefix(sources.product_uuid, kUuidLength)) {
    if (std::optional<std::string> uuid = DmiProductUuid(*text))
      return *uuid;
  }
  if (std::optional<std::string> uuid = PartitionUuid(sources.partition_uuid))
    return *uuid;
  return RandomUuid();
}

}  // namespace stas::ctl
