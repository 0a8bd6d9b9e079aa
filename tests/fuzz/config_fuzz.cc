// SPDX-License-Identifier: Apache-2.0
// Fuzz target: /etc/stas/stafd.conf and stacd.conf as a whole (common/config/ini_file.h
// ParseIniText() then config.h ParseServiceConfig(), for both daemons). Parsing never fails on
// content, so the invariants are on what comes out: option names lower-cased, entries in file
// order; every controller= entry kept keeps the contract of config_invariants.h; every
// exclude= value is a safe token; every diagnostic is one printable line (no forged log
// lines). tests/fuzz/config.dict holds the section and option names.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/config/config.h"
#include "common/config/ini_file.h"
#include "common/log.h"
#include "tests/fuzz/config_invariants.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  stas::SetLogSinkForTesting([](stas::LogLevel, const std::string&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  stas::IniDocument doc = stas::ParseIniText(text, "fuzz.conf");
  int last_line = 0;
  for (const stas::IniEntry& e : doc.entries) {
    for (char c : e.name)
      stas::fuzz::Require(c < 'A' || c > 'Z', "option name not lower-cased", e.name);
    stas::fuzz::Require(e.line >= last_line && e.line >= 1, "entries out of file order");
    last_line = e.line;
  }
  for (stas::Daemon d : {stas::Daemon::kStafd, stas::Daemon::kStacd}) {
    stas::LoadedConfig loaded = stas::ParseServiceConfig(d, doc);
    for (const stas::ControllerEntry& c : loaded.config.controllers)
      stas::fuzz::CheckControllerEntry(d, c);
    for (const stas::ExcludeRule& rule : loaded.config.excludes) {
      for (const auto& [key, value] : rule.fields)
        stas::fuzz::Require(stas::fuzz::IsSafeToken(value), "exclude= value", value);
    }
    stas::fuzz::CheckDiagnostics(loaded.diagnostics);
  }
  return 0;
}
