// SPDX-License-Identifier: Apache-2.0
// Fuzz target: an mDNS (TP8009) announcement as Avahi resolves it, from any host on the link
// (staf/zeroconf/zeroconf_txt.h ParseTxt() and ParseIdentity()). The input is split with
// FuzzedDataProvider into: the kernel's TP8013 support, the resolved port, interface name and
// address, then up to 70 TXT strings. Invariants: the TXT dictionary holds printable keys
// (lower-case, no '=') and values (no '='), at most kMaxTxtEntries; problems are printable
// lines; an identity that ParseIdentity() accepts has transport tcp/rdma, a bare IP literal in
// canonical form, a port 1..65535, a valid interface name for tcp, a safe NQN, and makes a Tid
// that keeps the connect-string contract (fuzz_invariants.h).
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>
#include <vector>

#include "staf/zeroconf/zeroconf_txt.h"
#include "tests/fuzz/fuzz_invariants.h"

namespace fz = stas::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  bool tp8013 = in.ConsumeBool();
  int port = in.ConsumeIntegralInRange<int>(-2, 70000);
  std::string ifname = in.ConsumeRandomLengthString(24);
  std::string address = in.ConsumeRandomLengthString(64);
  std::vector<std::string> txt;
  while (in.remaining_bytes() > 0 && txt.size() < 70)
    txt.push_back(in.ConsumeRandomLengthString(300));

  stas::staf::TxtDict dict = stas::staf::ParseTxt(txt);
  fz::Require(dict.pairs.size() <= stas::staf::kMaxTxtEntries, "too many TXT pairs kept");
  for (const auto& [key, value] : dict.pairs) {
    fz::Require(!key.empty() && fz::IsPrintable(key), "TXT key", key);
    fz::Require(key.find('=') == std::string::npos, "TXT key with '='", key);
    for (char c : key)
      fz::Require(c < 'A' || c > 'Z', "TXT key not lower-cased", key);
    fz::Require(fz::IsPrintable(value) && value.find('=') == std::string::npos, "TXT value", value);
  }
  for (const std::string& p : dict.problems)
    fz::Require(fz::IsPrintable(p), "TXT problem is not a printable line", p);
  fz::Require(fz::IsPrintable(dict.ToString()), "TXT dict shown with non-printable bytes");

  auto id = stas::staf::ParseIdentity(ifname, address, port, dict, tp8013);
  if (!id) {
    fz::Require(fz::IsPrintable(id.error().message), "refusal is not printable",
                id.error().message);
    return 0;
  }
  fz::Require(id->transport == "tcp" || id->transport == "rdma", "transport", id->transport);
  fz::Require(fz::IpFamily(id->traddr) != 0 && id->traddr.find('%') == std::string::npos,
              "mDNS traddr is not a bare IP literal", id->traddr);
  fz::Require(id->traddr == id->ip.ToString(), "traddr not canonical", id->traddr);
  fz::Require(id->port >= 1 && fz::IsCanonicalPort(id->trsvcid()), "mDNS port", id->trsvcid());
  if (id->transport == "tcp") {
    fz::Require(fz::IsSafeToken(id->host_iface) && id->host_iface.size() <= 15 &&
                    id->host_iface.find_first_of("/:=") == std::string::npos,
                "mDNS host-iface", id->host_iface);
  } else {
    fz::Require(id->host_iface.empty(), "host-iface for rdma", id->host_iface);
  }
  fz::Require(fz::IsSafeToken(id->subsysnqn) && id->subsysnqn.size() <= 223, "mDNS nqn",
              id->subsysnqn);
  fz::CheckTid(stas::Tid::Make(id->ToTidFields(), stas::TidDefaults{}));
  return 0;
}
