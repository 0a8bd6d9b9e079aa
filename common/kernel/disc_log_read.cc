// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/disc_log_read.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <endian.h>
#include <string>
#include <vector>

#include "common/kernel/disc_log_decode.h"

namespace stas {
namespace {

constexpr int kTries = 6;  // as nvme-stas
constexpr size_t kHeader = sizeof(nvmf_discovery_log);
constexpr size_t kEntry = sizeof(nvmf_disc_log_entry);
constexpr uint32_t kPiece = 4096;  // NVME_LOG_PAGE_PDU_SIZE

// Counts the commands and says when the deadline has passed.
class ReadClock {
 public:
  ReadClock(const SteadyNow& now, std::chrono::steady_clock::duration deadline)
      : now_(now), start_(now()), deadline_(deadline) {}

  // Called before each command: the deadline is checked between commands, so a read ends at
  // worst one admin timeout after it.
  std::optional<Unexpected> BeforeCommand() {
    auto elapsed = now_() - start_;
    if (elapsed > deadline_) {
      using Ms = std::chrono::milliseconds;
      return Fail(kErrLogReadDeadline,
                  "reading the discovery log page took " +
                      std::to_string(std::chrono::duration_cast<Ms>(elapsed).count()) +
                      " ms, more than log-page-read-timeout (" +
                      std::to_string(std::chrono::duration_cast<Ms>(deadline_).count()) +
                      " ms), after " + std::to_string(commands_) + " Get Log Page commands");
    }
    ++commands_;
    return std::nullopt;
  }

 private:
  const SteadyNow& now_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::duration deadline_;
  unsigned commands_ = 0;
};

}  // namespace

// Not libnvme 1.3's nvmf_get_discovery_wargs(): its nvme_get_log_page() overwrites the caller's
// RAE flag with "retain" on the first 4 KiB command, so a page of more than 4 KiB (4 entries or
// more) was read without ever clearing the retained Discovery Log Page Change event, and the
// target (nvmet, and any compliant DC) then sent no further AEN: stafd stopped seeing changes.
// Found on the real kernel (tests/e2e/stacd_aen_policies.sh). Clearing RAE only on the last
// read means a change during the read is either seen by the comparison or announced by a new
// AEN, never lost.
Result<DiscoveryLogPage> ReadDiscoveryLog(const LogChunkReader& read,
                                          const DiscoveryLogLimits& limits, const SteadyNow& now) {
  ReadClock clock(now, limits.deadline);
  const uint64_t max_entries = std::min<uint64_t>(limits.max_entries, kMaxLogPageEntriesCeiling);
  for (int attempt = 0; attempt < kTries; ++attempt) {
    nvmf_discovery_log header{};
    if (auto late = clock.BeforeCommand())
      return *late;
    if (Status s = read(0, &header, kHeader, /*rae=*/true); !s)
      return Fail(s.error());
    const uint64_t numrec = le64toh(header.numrec);
    const uint64_t genctr = le64toh(header.genctr);
    // The DC chooses numrec: only the entries we keep get a buffer, whatever it claims.
    const uint64_t kept = std::min(numrec, max_entries);
    std::vector<unsigned char> page(kHeader + kept * kEntry);
    for (size_t offset = 0; offset < page.size();) {
      auto len = static_cast<uint32_t>(std::min<size_t>(kPiece, page.size() - offset));
      if (auto late = clock.BeforeCommand())
        return *late;
      if (Status s = read(offset, page.data() + offset, len, /*rae=*/true); !s)
        return Fail(s.error());
      offset += len;
    }
    nvmf_discovery_log after{};
    if (auto late = clock.BeforeCommand())
      return *late;
    if (Status s = read(0, &after, kHeader, /*rae=*/false); !s)
      return Fail(s.error());
    // The counter moves with every change, so equal counters before and after the reads
    // also vouch for the copy of the header inside the page.
    if (le64toh(after.genctr) != genctr || le64toh(after.numrec) != numrec)
      continue;  // the page changed while it was read
    DiscoveryLogPage out;
    out.numrec = numrec;
    out.entries.reserve(kept);
    for (uint64_t i = 0; i < kept; ++i) {
      nvmf_disc_log_entry e;
      std::memcpy(&e, page.data() + kHeader + i * kEntry, kEntry);
      out.entries.push_back(ToRawEntry(e));
    }
    return out;
  }
  return Fail(EAGAIN, "the discovery log page kept changing while it was read (" +
                          std::to_string(kTries) + " tries)");
}

}  // namespace stas
