// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the JSON of stafd's get_all_log_pages(true) as stacd reads it
// (stac/staf_client.h ParseAllLogPages(), which uses RawEntryFromDict() and
// ValidateLogEntries()). Whatever owns stafd's bus name is not trusted blindly: every entry
// stacd keeps, and the host side of each DC (host-traddr, host-iface, host-nqn, which go into
// the Tid of every candidate, StacService::Discovered()), must keep the connect-string
// contract of fuzz_invariants.h. Malformed JSON must give nullopt, never an exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/log.h"
#include "stac/staf_client.h"
#include "tests/fuzz/fuzz_invariants.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  stas::SetLogSinkForTesting([](stas::LogLevel, const std::string&) {});  // quiet and fast
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string json(reinterpret_cast<const char*>(data), size);
  auto pages = stas::stac::ParseAllLogPages(json);
  if (!pages)
    return 0;
  for (const stas::stac::DcLogPage& page : *pages) {
    for (const stas::LogEntry& e : page.entries) {
      stas::fuzz::CheckLogEntry(e);
      // The candidate's identity, as StacService::Discovered() builds it.
      stas::fuzz::CheckTid(stas::Tid::Make({.transport = e.transport,
                                            .traddr = e.traddr,
                                            .trsvcid = e.trsvcid,
                                            .subsysnqn = e.subnqn,
                                            .host_traddr = page.host_traddr,
                                            .host_iface = page.host_iface,
                                            .host_nqn = page.host_nqn},
                                           stas::TidDefaults{}));
    }
  }
  return 0;
}
