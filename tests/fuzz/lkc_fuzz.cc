// SPDX-License-Identifier: Apache-2.0
// Fuzz target: stafd's last-known-config.json (staf/last_known_config.h ParseLkc()). stafd
// restores every DC it names and connects to it, so the file is read as untrusted input: each
// restored DC's Tid and each log page entry must keep the connect-string contract of
// fuzz_invariants.h. Bad text gives an error, never an exception. What is accepted serialises
// and parses back to the same thing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "staf/last_known_config.h"
#include "tests/fuzz/fuzz_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto saved = stas::staf::ParseLkc(text);
  if (!saved)
    return 0;
  for (const stas::staf::SavedDc& dc : *saved) {
    stas::fuzz::CheckTid(dc.tid);
    for (const stas::LogEntry& e : dc.log)
      stas::fuzz::CheckLogEntry(e);
  }
  auto again = stas::staf::ParseLkc(stas::staf::SerializeLkc(*saved));
  stas::fuzz::Require(again.has_value() && again->size() == saved->size(),
                      "a parsed LKC does not parse back");
  for (size_t i = 0; i < saved->size(); ++i) {
    stas::fuzz::Require((*again)[i].tid == (*saved)[i].tid && (*again)[i].log == (*saved)[i].log &&
                            (*again)[i].origin == (*saved)[i].origin,
                        "an LKC round trip changes a DC", (*saved)[i].tid.ToString());
  }
  return 0;
}
