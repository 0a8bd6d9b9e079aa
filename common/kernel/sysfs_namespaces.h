// SPDX-License-Identifier: Apache-2.0
// The namespaces of one controller as sysfs shows them, and the forms of the identifiers that
// name a namespace (UUID, NGUID, EUI-64): the kernel prints them one way, callers write them
// another, and both are compared in one normalised form.
//
// Under /sys/class/nvme/nvme<C>/ the kernel makes one directory per namespace it attached:
// "nvme<C>n<N>" without native multipath (its own disk), "nvme<S>c<C>n<N>" with it (a hidden
// path disk; users open the subsystem's head, "nvme<S>n<N>"). Both carry the namespace's
// identifiers (nsid, uuid, nguid, eui) and the block layer's size (512-byte sectors).
// Blocking (file system): workers only.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/kernel/nvme_kernel.h"

namespace stas {

// The block device users open for the namespace node `name` under a controller: "nvme0n1"
// for "nvme0n1" and for "nvme0c3n1"; nullopt if `name` is not a namespace node ("ng0n1",
// "power", "nvme3"...).
std::optional<std::string> BlockDeviceOfNamespaceNode(std::string_view name);

// `text` as `digits` lowercase hex digits, once the separators callers and the kernel use
// ('-', ':', ' ', '.') are taken out; nullopt if that is not exactly `digits` hex digits.
std::optional<std::string> HexIdentifier(std::string_view text, std::size_t digits);
// A UUID in its canonical form (lowercase, 8-4-4-4-12); nullopt if `text` is not 32 hex digits
// (with or without separators).
std::optional<std::string> CanonicalUuid(std::string_view text);

// The namespaces of controller `device` under `class_root` (normally /sys/class/nvme), by
// node name. Identifiers that are all zeros count as absent; the kernel shows the NGUID as
// "uuid" when a namespace has no UUID, and that does not count as a UUID either.
std::vector<NamespaceInfo> ReadNamespaces(const std::string& class_root, const std::string& device);

// Whether the disk `block` ("nvme1n2") or one of its partitions is in use: held by another
// block device (device-mapper, md, LVM: `holders` in sysfs) or mounted (`mounts`).
bool BlockDeviceInUse(const std::string& block, const std::string& sys_block = "/sys/block",
                      const std::string& mounts = "/proc/self/mounts");

// The kernel's native NVMe multipath setting (nvme_core.multipath: "Y" or "N"); nullopt if it
// cannot be read (nvme_core not loaded).
std::optional<bool> ReadNativeMultipath(
    const std::string& path = "/sys/module/nvme_core/parameters/multipath");

}  // namespace stas
