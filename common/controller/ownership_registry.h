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
  // one, one that is a symbolic link or not a regular file, or no registry). The first line of
  // the file, at most 64 bytes of it.
  std::string OwnerOf(const std::string& device) const;
  // The entry's seqnum file as it is, "" without one: what Release() checks.
  std::string Stamp(const std::string& device) const;
  // Makes `owner` the owner of `device`, whatever entry there was (a fresh connect: the old
  // entry belonged to a controller that no longer exists).
  Status Record(const std::string& device, const std::string& owner, uint64_t seqnum) const;
  // Claims `device` for `owner` when there is no entry at all; returns its owner afterwards.
  // An entry written meanwhile by someone else is never replaced (its owner is returned). A
  // failed write is logged and leaves it unowned ("").
  std::string Claim(const std::string& device, const std::string& owner, uint64_t seqnum) const;
  // Removes the entry of `device` if `owner` owns it and its Stamp() is still `stamp` (after our
  // own disconnect: a new controller that took the name meanwhile keeps its entry).
  void Release(const std::string& device, const std::string& owner, const std::string& stamp) const;

 private:
  std::string EntryPath(const std::string& device) const;
  // The first line of one of the entry's files, at most `max` bytes; never through a link.
  std::string ReadEntryFile(const std::string& device, const char* name, std::size_t max) const;
  Status Write(const std::string& device, const std::string& owner, uint64_t seqnum,
               bool replace) const;

  std::string dir_;
};

}  // namespace stas
