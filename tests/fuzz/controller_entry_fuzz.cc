// SPDX-License-Identifier: Apache-2.0
// Fuzz target: one controller= / exclude= value (common/config/config.h
// ParseControllerEntry(), ParseExcludeEntry()), without the INI layer around it, so that the
// fuzzer spends its time in the tokeniser and the identity checks. The first byte picks the
// daemon (stacd requires an NQN, stafd fills in the discovery one). Invariants:
// config_invariants.h for an accepted entry; exclude= values are safe tokens; diagnostics are
// printable lines. tests/fuzz/config.dict holds the keys.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/config/config.h"
#include "tests/fuzz/config_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  stas::Daemon d = (data[0] & 1) != 0 ? stas::Daemon::kStacd : stas::Daemon::kStafd;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  stas::Diagnostics diag;
  if (auto c = stas::ParseControllerEntry(d, text, "fuzz.conf", 1, &diag))
    stas::fuzz::CheckControllerEntry(d, *c);
  if (auto rule = stas::ParseExcludeEntry(text, "fuzz.conf", 1, &diag)) {
    stas::fuzz::Require(!rule->fields.empty(), "an exclude= rule that matches everything");
    for (const auto& [key, value] : rule->fields)
      stas::fuzz::Require(stas::fuzz::IsSafeToken(value), "exclude= value", value);
  }
  stas::fuzz::CheckDiagnostics(diag);
  return 0;
}
