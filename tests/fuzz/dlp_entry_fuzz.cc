// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a discovery log page as a discovery controller on the network sends it.
// The input is mapped directly onto struct nvmf_disc_log_entry, 1,024 bytes per entry (a
// short last entry is zero-padded), converted to RawLogEntry by the decoder NvmeKernelLibnvme
// uses (ToRawEntry(), common/kernel/disc_log_decode.h), and validated with
// ValidateLogEntries(). Invariants (fuzz_invariants.h): every entry is accepted, rejected or
// dropped exactly once; an accepted entry cannot inject into the connect string, has an IP
// literal of its adrfam and a canonical port for tcp/rdma, an FC address for fc; rejections
// are printable. Then the stafd -> stacd path: AsDict() -> RawEntryFromDict() ->
// ValidateLogEntries() gives the very same entry back.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <endian.h>
#include <map>
#include <vector>

#include <nvme/types.h>

#include "common/kernel/disc_log_decode.h"
#include "common/kernel/dlp_entry.h"
#include "tests/fuzz/fuzz_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static_assert(sizeof(nvmf_disc_log_entry) == 1024);
  std::vector<stas::RawLogEntry> raw;
  for (size_t off = 0; off < size; off += sizeof(nvmf_disc_log_entry)) {
    nvmf_disc_log_entry e{};
    std::memcpy(&e, data + off, std::min(sizeof(e), size - off));
    raw.push_back(stas::ToRawEntry(e));
  }
  stas::ValidatedLog v = stas::ValidateLogEntries(raw);
  stas::fuzz::CheckValidatedLog(raw.size(), v);

  for (const stas::LogEntry& e : v.entries) {
    (void)stas::DescribeEntry(e);
    auto dict = e.AsDict();
    std::optional<stas::RawLogEntry> back =
        stas::RawEntryFromDict(std::map<std::string, std::string>(dict.begin(), dict.end()));
    stas::fuzz::Require(back.has_value(), "RawEntryFromDict refuses what AsDict wrote");
    stas::ValidatedLog again = stas::ValidateLogEntries({*back});
    stas::fuzz::Require(again.entries.size() == 1 && again.entries[0] == e,
                        "an entry does not survive stafd -> stacd", stas::DescribeEntry(e));
  }
  return 0;
}
