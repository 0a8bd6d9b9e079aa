// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/sysfs_namespaces.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>

#include "common/atomic_file.h"
#include "common/str_util.h"

namespace stas {
namespace {

// Digits of a decimal number at s[i..], advancing i; false if there are none.
bool SkipDigits(std::string_view s, std::size_t* i) {
  std::size_t start = *i;
  while (*i < s.size() && std::isdigit(static_cast<unsigned char>(s[*i])) != 0)
    ++*i;
  return *i > start;
}

// One attribute of a namespace directory: its first line, trimmed; "" if unreadable.
std::string ReadNsAttr(const std::filesystem::path& dir, const char* name) {
  constexpr std::size_t kMaxAttr = 256;  // the longest of these is a UUID
  Result<std::string> text = ReadFileHead((dir / name).string(), kMaxAttr, '\n');
  if (!text)
    return "";
  std::string_view v = *text;
  return std::string(Trim(v.substr(0, v.find('\n'))));
}

bool AllZeros(std::string_view hex) {
  return std::all_of(hex.begin(), hex.end(), [](char c) { return c == '0'; });
}

}  // namespace

std::optional<std::string> BlockDeviceOfNamespaceNode(std::string_view name) {
  // nvme<digits>[c<digits>]n<digits>
  if (!StartsWith(name, "nvme"))
    return std::nullopt;
  std::size_t i = 4;
  if (!SkipDigits(name, &i))
    return std::nullopt;
  std::string_view subsys = name.substr(4, i - 4);
  if (i < name.size() && name[i] == 'c') {
    ++i;
    if (!SkipDigits(name, &i))
      return std::nullopt;
  }
  if (i >= name.size() || name[i] != 'n')
    return std::nullopt;
  std::size_t ns_start = ++i;
  if (!SkipDigits(name, &i) || i != name.size())
    return std::nullopt;
  return "nvme" + std::string(subsys) + "n" + std::string(name.substr(ns_start));
}

std::optional<std::string> HexIdentifier(std::string_view text, std::size_t digits) {
  std::string out;
  for (char c : text) {
    if (c == '-' || c == ':' || c == ' ' || c == '.')
      continue;
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0 || out.size() == digits)
      return std::nullopt;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (out.size() != digits)
    return std::nullopt;
  return out;
}

std::optional<std::string> CanonicalUuid(std::string_view text) {
  std::optional<std::string> hex = HexIdentifier(text, 32);
  if (!hex)
    return std::nullopt;
  return hex->substr(0, 8) + "-" + hex->substr(8, 4) + "-" + hex->substr(12, 4) + "-" +
         hex->substr(16, 4) + "-" + hex->substr(20);
}

std::vector<NamespaceInfo> ReadNamespaces(const std::string& class_root,
                                          const std::string& device) {
  std::vector<NamespaceInfo> out;
  const std::filesystem::path ctrl = std::filesystem::path(class_root) / device;
  std::error_code ec;
  // increment(ec): operator++ throws when the directory goes away meanwhile.
  for (std::filesystem::directory_iterator it(ctrl, ec), end; !ec && it != end; it.increment(ec)) {
    std::string node = it->path().filename().string();
    std::optional<std::string> block = BlockDeviceOfNamespaceNode(node);
    if (!block)
      continue;
    NamespaceInfo ns;
    ns.block = std::move(*block);
    ns.path = node;
    long long n = 0;
    if (ParseInt(ReadNsAttr(it->path(), "nsid"), &n) && n > 0 && n <= 0xffffffffLL)
      ns.nsid = static_cast<uint32_t>(n);
    std::optional<std::string> nguid = HexIdentifier(ReadNsAttr(it->path(), "nguid"), 32);
    if (nguid && !AllZeros(*nguid))
      ns.nguid = *nguid;
    std::optional<std::string> uuid_hex = HexIdentifier(ReadNsAttr(it->path(), "uuid"), 32);
    // Without a UUID the kernel prints the NGUID in this attribute (for old udev rules).
    if (uuid_hex && !AllZeros(*uuid_hex) && *uuid_hex != ns.nguid)
      ns.uuid = *CanonicalUuid(*uuid_hex);
    std::optional<std::string> eui = HexIdentifier(ReadNsAttr(it->path(), "eui"), 16);
    if (eui && !AllZeros(*eui))
      ns.eui64 = *eui;
    if (ParseInt(ReadNsAttr(it->path(), "size"), &n) && n > 0 && n <= (INT64_MAX / 512))
      ns.size_bytes = static_cast<uint64_t>(n) * 512;
    out.push_back(std::move(ns));
  }
  std::sort(out.begin(), out.end(),
            [](const NamespaceInfo& a, const NamespaceInfo& b) { return a.path < b.path; });
  return out;
}

bool BlockDeviceInUse(const std::string& block, const std::string& sys_block,
                      const std::string& mounts) {
  auto has_holders = [](const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::directory_iterator it(dir / "holders", ec);
    return !ec && it != std::filesystem::directory_iterator();
  };
  const std::filesystem::path disk = std::filesystem::path(sys_block) / block;
  if (has_holders(disk))
    return true;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(disk, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (StartsWith(name, block + "p") && has_holders(it->path()))
      return true;
  }
  // The mount table: a device field of /dev/<block> or /dev/<block>p<N>.
  constexpr std::size_t kMaxMounts = 4U << 20;
  Result<std::string> table = ReadFileHead(mounts, kMaxMounts, '\0');
  if (!table)
    return false;
  const std::string dev = "/dev/" + block;
  for (const std::string& line : Split(*table, '\n')) {
    std::string_view field = std::string_view(line).substr(0, line.find(' '));
    if (field == dev)
      return true;
    if (StartsWith(field, dev + "p")) {
      std::string_view rest = field.substr(dev.size() + 1);
      std::size_t j = 0;
      if (SkipDigits(rest, &j) && j == rest.size())
        return true;
    }
  }
  return false;
}

std::optional<bool> ReadNativeMultipath(const std::string& path) {
  Result<std::string> text = ReadFileHead(path, 16, '\n');
  if (!text)
    return std::nullopt;
  std::string_view v = Trim(*text);
  if (v == "Y")
    return true;
  if (v == "N")
    return false;
  return std::nullopt;
}

}  // namespace stas
