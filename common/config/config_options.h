// SPDX-License-Identifier: Apache-2.0
// The table of every option of stafd.conf and stacd.conf: where it lives, which daemon reads
// it, how its text is checked and converted, and how its value is shown. One table drives the
// parser, --dump-config and the documentation checks, so they cannot disagree.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.h"

namespace stas {

enum class OptionStatus {
  kCurrent,
  kDeprecated,  // still honoured, with a warning
  kObsolete,    // accepted and ignored, with a warning
  // nvme-stas 3.x's spelling of a current option (alias_of, same section): honoured, and
  // winning over the 2.x spelling when a file has both; shown and documented under the 2.x
  // name only, so that --dump-config keeps one key per setting.
  kAlias,
};

struct OptionSpec {
  std::string section;
  std::string name;
  bool stafd = false;
  bool stacd = false;
  OptionStatus status = OptionStatus::kCurrent;
  bool multi = false;    // controller=, exclude=: every occurrence counts
  std::string alias_of;  // kAlias: the option it spells differently
  // Applies `text` to `cfg`; on invalid text returns why and leaves `cfg` unchanged.
  // `notes` receives remarks about text that was accepted with changes.
  std::function<std::optional<std::string>(std::string_view text, ServiceConfig& cfg,
                                           std::vector<std::string>* notes)>
      parse;
  // The current value, for --dump-config (null when the option is not set).
  std::function<nlohmann::ordered_json(const ServiceConfig& cfg)> show;

  bool AppliesTo(Daemon d) const { return d == Daemon::kStafd ? stafd : stacd; }
};

// Every option, in the order of the shipped configuration files.
const std::vector<OptionSpec>& AllOptions();

// The connect tunables shared by [Global] and controller= entries (kato, queue-size...).
bool IsConnectOptionKey(std::string_view key);
// Parses one tunable into `out`; returns why the text is invalid (then `out` is unchanged).
std::optional<std::string> ParseConnectOption(std::string_view key, std::string_view text,
                                              ConnectOptions* out);
// The value of a tunable as JSON (null if unset) and as nvme-stas shows it on D-Bus
// ("True", "30"); nullopt if unset.
nlohmann::ordered_json ConnectOptionJson(const ConnectOptions& o, std::string_view key);
std::optional<std::string> ConnectOptionText(const ConnectOptions& o, std::string_view key);

}  // namespace stas
