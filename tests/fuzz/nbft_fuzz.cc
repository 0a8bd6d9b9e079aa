// SPDX-License-Identifier: Apache-2.0
// Fuzz target: an ACPI NBFT as firmware, or whoever gives a VM its ACPI tables, writes it
// (common/firmware/nbft.h ParseNbft()). Each input is parsed as it is, then once more with its
// signature, length and checksum made right, so that mutations get past the frame checks and
// reach the descriptors and the heap.
// Invariants, on what is kept: at most kNbftMaxHfis / kNbftMaxSubsystems / kNbftMaxDiscovery
// records; every string is empty or a safe token without '=' (fuzz_invariants.h); each traddr
// an IP literal (no zone, not unspecified), each trsvcid a canonical port, each NQN at most 223
// bytes (a host NQN starting "nqn."); the host ID UUID text; every index a record refers to is
// kept, and indexes are unique; every warning and error one printable line; NbftToJson()
// serialises as strict UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "common/firmware/nbft.h"
#include "tests/fuzz/fuzz_invariants.h"

namespace {

namespace fz = stas::fuzz;

// Empty (the table has none) or something the connect string can carry.
void CheckString(std::string_view s, const char* what) {
  if (s.empty())
    return;
  fz::Require(fz::IsSafeToken(s), what, s);
  fz::Require(s.find('=') == std::string_view::npos, what, s);
}

void CheckAddress(std::string_view s, const char* what, bool required) {
  CheckString(s, what);
  if (s.empty()) {
    fz::Require(!required, what, s);
    return;
  }
  fz::Require(fz::IpFamily(s) != 0 && s.find('%') == std::string_view::npos, what, s);
  fz::Require(s != "0.0.0.0" && s != "::", what, s);
}

void CheckNqn(std::string_view s, const char* what, bool host) {
  CheckString(s, what);
  fz::Require(s.size() <= 223, what, s);
  if (host && !s.empty())
    fz::Require(s.substr(0, 4) == "nqn.", what, s);
}

void CheckUuidText(std::string_view s) {
  if (s.empty())
    return;
  bool ok = s.size() == 36;
  for (size_t i = 0; ok && i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    ok = dash ? s[i] == '-' : fz::IsHexDigits(s.substr(i, 1));
  }
  fz::Require(ok, "host ID is not UUID text", s);
}

void CheckTable(const stas::Nbft& n) {
  fz::Require(n.hfis.size() <= stas::kNbftMaxHfis, "more HFIs than the cap");
  fz::Require(n.subsystems.size() <= stas::kNbftMaxSubsystems, "more SSNS than the cap");
  fz::Require(n.discovery.size() <= stas::kNbftMaxDiscovery, "more discovery records than the cap");
  CheckString(n.oem_id, "OEM ID");
  CheckString(n.oem_table_id, "OEM table ID");
  if (n.host) {
    CheckNqn(n.host->nqn, "host NQN", true);
    CheckUuidText(n.host->hostid);
  }
  std::set<uint8_t> hfis;
  for (const stas::NbftHfi& h : n.hfis) {
    fz::Require(hfis.insert(h.index).second, "two HFIs with one index");
    fz::Require(h.transport == "tcp", "HFI transport", h.transport);
    CheckAddress(h.ipaddr, "HFI address", false);
    CheckAddress(h.gateway, "HFI gateway", false);
    CheckAddress(h.dhcp_server, "HFI DHCP server", false);
    if (!h.ipaddr.empty())
      fz::Require(h.prefix_length <= (fz::IpFamily(h.ipaddr) == 4 ? 32 : 128), "prefix length");
    CheckString(h.mac, "HFI MAC");
    fz::Require(h.mac.empty() || h.mac.size() == 17, "HFI MAC", h.mac);
    CheckString(h.host_name, "HFI host name");
    fz::Require(h.vlan <= 4094, "VLAN");
  }
  std::set<uint8_t> discovery;
  for (const stas::NbftDiscovery& d : n.discovery) {
    fz::Require(discovery.insert(d.index).second, "two discovery records with one index");
    fz::Require(hfis.count(d.hfi_index) == 1, "discovery record names an HFI not kept");
    fz::Require(!d.uri.empty(), "discovery record without URI");
    CheckString(d.uri, "discovery URI");
    CheckAddress(d.traddr, "discovery traddr", true);
    fz::Require(fz::IsCanonicalPort(d.trsvcid), "discovery trsvcid", d.trsvcid);
    CheckNqn(d.nqn, "discovery NQN", false);
  }
  for (const stas::NbftSubsystem& s : n.subsystems) {
    fz::Require(s.transport == "tcp", "SSNS transport", s.transport);
    CheckAddress(s.traddr, "SSNS traddr", true);
    fz::Require(fz::IsCanonicalPort(s.trsvcid), "SSNS trsvcid", s.trsvcid);
    fz::Require(!s.subsys_nqn.empty(), "SSNS without NQN");
    CheckNqn(s.subsys_nqn, "SSNS NQN", false);
    CheckString(s.nid, "SSNS NID");
    fz::Require(!s.hfi_indexes.empty(), "SSNS without HFI");
    std::set<uint8_t> used;
    for (uint8_t i : s.hfi_indexes) {
      fz::Require(hfis.count(i) == 1, "SSNS names an HFI not kept");
      fz::Require(used.insert(i).second, "SSNS names one HFI twice");
    }
    if (s.discovery_index)
      fz::Require(discovery.count(*s.discovery_index) == 1, "SSNS names a discovery not kept");
  }
  try {
    (void)stas::NbftToJson(n).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const std::exception& e) {
    fz::Violated("NbftToJson() does not serialise", e.what());
  }
}

void ParseAndCheck(const std::vector<uint8_t>& bytes) {
  stas::Diagnostics warnings;
  stas::Result<stas::Nbft> n = stas::ParseNbft(bytes, &warnings);
  for (const stas::Diagnostic& d : warnings)
    fz::Require(fz::IsPrintable(d.message) && !d.message.empty(), "warning", d.message);
  if (!n) {
    fz::Require(fz::IsPrintable(n.error().message), "error", n.error().message);
    return;
  }
  CheckTable(*n);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  ParseAndCheck(bytes);
  if (bytes.size() >= 36 && bytes.size() <= stas::kNbftMaxTableBytes) {
    std::memcpy(bytes.data(), "NBFT", 4);
    auto length = static_cast<uint32_t>(bytes.size());
    for (int i = 0; i < 4; ++i)
      bytes[4 + i] = static_cast<uint8_t>(length >> (8 * i));
    bytes[9] = 0;
    uint8_t sum = 0;
    for (uint8_t u : bytes)
      sum = static_cast<uint8_t>(sum + u);
    bytes[9] = static_cast<uint8_t>(-sum);
    ParseAndCheck(bytes);
  }
  return 0;
}
