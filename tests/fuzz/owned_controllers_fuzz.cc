// SPDX-License-Identifier: Apache-2.0
// Fuzz target: stacd's owned-controllers.json (stac/owned_controllers.h
// ParseOwnedControllers()). stacd re-adopts the controllers it names and may reconnect them
// later, so every identity it accepts must make a Tid that keeps the connect-string contract of
// fuzz_invariants.h (fields set are safe tokens; tcp/rdma have a canonical port once
// normalised). Bad text gives an error, never an exception; what is accepted round-trips.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "stac/owned_controllers.h"
#include "tests/fuzz/fuzz_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = stas::stac::ParseOwnedControllers(text);
  if (!parsed)
    return 0;
  std::vector<stas::Tid> tids;
  for (const stas::TidFields& f : *parsed) {
    // As StacService::RestoreOwned() makes its request (Candidates::Make, no config entry).
    tids.push_back(stas::Tid::Make(f, stas::TidDefaults{}));
    stas::fuzz::CheckTid(tids.back());
  }
  auto again = stas::stac::ParseOwnedControllers(stas::stac::SerializeOwnedControllers(tids));
  stas::fuzz::Require(again.has_value() && again->size() == tids.size(),
                      "a parsed state file does not parse back");
  for (size_t i = 0; i < tids.size(); ++i) {
    stas::fuzz::Require(stas::Tid::Make((*again)[i], stas::TidDefaults{}) == tids[i],
                        "a state file round trip changes a Tid", tids[i].ToString());
  }
  return 0;
}
