// SPDX-License-Identifier: Apache-2.0
// UUID helpers of stasadm (docs/compatibility.md, "stasadm"): RFC 4122 version-4 UUIDs, random
// or derived from /etc/machine-id the way nvme-stas derives them. Pure functions, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace stas::ctl {

using Uuid = std::array<uint8_t, 16>;

// The key nvme-stas hashes the machine ID with, so that the host NQN does not reveal it
// (machine-id(5) asks applications to use a keyed hash, never the ID itself).
inline constexpr std::string_view kNvmeAppKey = "$nvmexpress.org$";

// Forces the version (4) and variant (RFC 4122) bits, as Python's uuid.UUID(bytes=..,
// version=4) and systemd's id128_make_v4_uuid() do.
Uuid MakeV4(Uuid bytes);

// A random version-4 UUID (Python's uuid.uuid4()), from the kernel's getrandom(). Fails only if
// the kernel cannot provide random bytes.
Result<std::string> RandomUuid();

// The 16 bytes of a machine ID: exactly 32 hex digits (either case), what Python's
// uuid.UUID() accepts from the 32 characters nvme-stas reads. nullopt otherwise.
std::optional<Uuid> ParseMachineId(std::string_view text);

// nvme-stas's get_machine_app_specific(): HMAC-SHA256 with key `app_key` over the 16 bytes of
// the machine ID, first 16 bytes of the digest, as a version-4 UUID. Note that systemd's
// sd_id128_get_machine_app_specific() swaps key and message, so its result differs: we follow
// nvme-stas so that a host keeps the NQN it already has. nullopt only if libcrypto fails
// (no memory): never a constant UUID, which would give every such host the same NQN.
std::optional<std::string> AppSpecificUuid(const Uuid& machine_id,
                                           std::string_view app_key = kNvmeAppKey);

}  // namespace stas::ctl
