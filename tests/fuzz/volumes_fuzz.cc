// SPDX-License-Identifier: Apache-2.0
// Fuzz target: stacd's volumes.json (stac/volumes/volume_state.h ParseVolumes()), which goes
// through the same checks as AttachVolume's D-Bus arguments (volume_spec.h). stacd connects
// every portal of every volume it accepts, and stafd every discovery controller, so each one
// must make a Tid that keeps the connect-string contract of fuzz_invariants.h; the namespace
// identifiers must be in their normalised forms. Bad text gives an error or a skipped entry, never
// an exception; what is accepted round-trips.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "stac/volumes/volume_state.h"
#include "tests/fuzz/fuzz_invariants.h"

namespace {

bool Hex(const std::string& s, std::size_t digits) {
  if (s.size() != digits)
    return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> skipped;
  auto parsed = stas::stac::ParseVolumes(text, &skipped);
  if (!parsed)
    return 0;
  for (const auto& v : *parsed) {
    const stas::stac::VolumeSpec& s = v.spec;
    stas::fuzz::Require(
        !s.ns.nguid.empty() || !s.ns.uuid.empty() || !s.ns.eui64.empty() || s.ns.nsid.has_value(),
        "a volume without a namespace", v.id);
    stas::fuzz::Require(s.ns.nguid.empty() || Hex(s.ns.nguid, 32), "an NGUID not normalised",
                        s.ns.nguid);
    stas::fuzz::Require(s.ns.eui64.empty() || Hex(s.ns.eui64, 16), "an EUI-64 not normalised",
                        s.ns.eui64);
    for (const stas::stac::Portal& p : s.portals) {
      // As StacService::VolumeRequest() makes its TID.
      stas::TidFields f{.transport = p.transport,
                        .traddr = p.traddr,
                        .trsvcid = p.trsvcid,
                        .subsysnqn = s.subsysnqn,
                        .host_traddr = p.host_traddr,
                        .host_iface = p.host_iface};
      if (!s.hostnqn.empty())
        f.host_nqn = s.hostnqn;
      stas::fuzz::CheckTid(stas::Tid::Make(f, stas::TidDefaults{}));
    }
    for (const stas::stac::Portal& p : s.discovery) {
      // As stafd makes the TID of a DC held for volumes.
      stas::TidFields f{.transport = p.transport,
                        .traddr = p.traddr,
                        .trsvcid = p.trsvcid,
                        .subsysnqn = p.nqn.empty() ? "nqn.2014-08.org.nvmexpress.discovery" : p.nqn,
                        .host_traddr = p.host_traddr,
                        .host_iface = p.host_iface};
      if (!s.hostnqn.empty())
        f.host_nqn = s.hostnqn;
      stas::fuzz::CheckTid(stas::Tid::Make(f, stas::TidDefaults{}));
    }
    stas::fuzz::Require(v.found_subsysnqn.empty() || (!s.discovery.empty() && s.subsysnqn.empty()),
                        "a found subsystem for a volume that names its own", v.id);
  }
  std::vector<std::string> skipped_again;
  auto again = stas::stac::ParseVolumes(stas::stac::SerializeVolumes(*parsed), &skipped_again);
  stas::fuzz::Require(again.has_value() && again->size() == parsed->size() && skipped_again.empty(),
                      "a parsed volumes file does not parse back");
  for (size_t i = 0; i < parsed->size(); ++i) {
    stas::fuzz::Require((*again)[i].id == (*parsed)[i].id &&
                            (*again)[i].spec == (*parsed)[i].spec &&
                            (*again)[i].options.connect == (*parsed)[i].options.connect &&
                            (*again)[i].options.persistent == (*parsed)[i].options.persistent &&
                            (*again)[i].found_subsysnqn == (*parsed)[i].found_subsysnqn,
                        "a volumes file round trip changes a volume", (*parsed)[i].id);
  }
  return 0;
}
