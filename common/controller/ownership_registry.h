// SPDX-License-Identifier: Apache-2.0
// The ownership registry that the NVMe-oF managers of a host share (libnvme 3's design): who
// made or claimed each kernel controller, so that none of them disconnects another's (the
// firmware's boot connections, nvme-discoverd's, an orchestrator's).
//
//   <dir>/nvme<N>/owner    the owner's name and a newline: "stas", "nbft", "discoverd"...
//   <dir>/nvme<N>/seqnum   /sys/kernel/uevent_seqnum read after the connect, in decimal
//
// <dir> is /run/nvme/registry. No entry: nobody owns the controller. An entry is written whole
// (a temporary directory, its files fsynced, then renamed into place, or exchanged with the
// old entry), so a reader never sees half of one. A controller removed by the kernel leaves
// its entry behind until the udev rule we ship (udev/70-stas-nvmf-registry.rules) deletes
// it: an entry whose seqnum is older than the remove event's. A fresh connect replaces the
// entry of a recycled instance number.
//
// Rules of both daemons: every connect they make is recorded as "stas"; a controller they
// adopt that nobody owns is claimed; an entry of another owner is never written, and its
// controller never disconnected (Controller::Dispose()).
//
// Blocking (small files in a tmpfs): worker threads. Stateless and thread-safe; two writers
// of one entry race, the last rename wins.
#pragma once

#include <cstdint>
#include <string>

#include "common/defs.h"
#include "common/result.h"

namespace stas {

inline constexpr const char* kOwnerStas = "stas";
inline constexpr const char* kOwnerNbft = "nbft";

class OwnershipRegistry {
 public:
  // `dir` empty: no registry (every controller unowned, writes do nothing).
  explicit OwnershipRegistry(std::string dir = {}) : dir_(std::move(dir)) {}

  bool enabled() const { return !dir_.empty(); }
  const std::string& dir() const { return dir_; }

  // The owner of `device` ("nvme3"); "" when nobody owns it (no entry, an unreadable or empty
  // one, or no registry). At most 64 bytes of the file are read.
  std::string OwnerOf(const std::string& device) const;
  // Makes `owner` the owner of `device`, whatever entry there was (a fresh connect: the old
  // entry belonged to a controller that no longer exists).
  Status Record(const std::string& device, const std::string& owner, uint64_t seqnum) const;
  // Claims `device` for `owner` when nobody owns it; returns its owner afterwards (another's
  // is left as it is). A failed write is logged and leaves it unowned ("").
  std::string Claim(const std::string& device, const std::string& owner, uint64_t seqnum) const;
  // Removes the entry of `device` if `owner` owns it (after our own disconnect).
  void Release(const std::string& device, const std::string& owner) const;

 private:
  std::string EntryPath(const std::string& device) const;

  std::string dir_;
};

}  // namespace stas
