// SPDX-License-Identifier: Apache-2.0
// The options of nvme-stas.conf (nvme_stas_conf.h): what each key is, where it may be written,
// how its value is checked, and how a checked value goes into a ControllerEntry. For
// nvme_stas_conf.cc only. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config/config.h"
#include "common/config/config_reporter.h"
#include "common/diagnostic.h"
#include "common/str_util.h"

namespace stas::stas_conf {

inline constexpr std::string_view kHostSection = "Host";
inline constexpr std::string_view kDcSection = "Discovery Controller";
inline constexpr std::string_view kSubsystemSection = "Subsystem";
inline constexpr std::string_view kDcDefaultsSection = "Discovery Controller Defaults";
inline constexpr std::string_view kIoDefaultsSection = "I/O Controller Defaults";

// What a key is; that decides where it may be written.
enum class Kind {
  kPath,         // transport, traddr: controller= lines only
  kAddress,      // trsvcid, host-traddr, host-iface
  kTunable,      // a ConnectOptions field
  kNqn,          // the endpoint section's nqn
  kPersistent,   // discovery controllers only
  kSecret,       // [Host] or an endpoint section, never a controller= line
  kTls,          // tls, tls-key, keyring: an endpoint section, never a controller= line
  kUnsupported,  // security keys not implemented yet: same places as kSecret
  kNotHandled,   // nvme connect options we do not pass
  kIdentity,     // [Host] only
  kController,   // endpoint sections only
};

struct KeySpec {
  std::string_view key;   // nvme-stas 3.x's spelling
  std::string_view ours;  // nvme-stas 2.x's: ControllerEntry::extras and ConnectOptions keys
  Kind kind;
};

// nullptr for a key nvme-stas.conf does not know.
const KeySpec* FindKey(std::string_view key);
// " (nvme-stas 3.x spells it ...)" for a key in nvme-stas 2.x's spelling, else "".
std::string SpellingHint(std::string_view key);
// Keys whose values must never be on a controller= line (nor in any message).
bool IsSecurityKey(std::string_view key);

// One option of one level: our key, its canonical value ("" = the kernel's default).
struct Setting {
  std::string key;
  std::string value;
};
using Level = std::vector<Setting>;

// The last value of a key wins, at the place it was written last (the order of `extras`).
void Put(Level* level, std::string key, std::string value);

// Where an option is written, for the rules of the key table and the messages.
enum class Where { kHost, kEndpoint, kDefaults, kLine };
struct Place {
  Where where;
  bool dc;              // a DC's section or line, or [Discovery Controller Defaults]
  std::string section;  // the section's name

  std::string Name(std::string_view key) const {
    return "[" + section + "] " + (where == Where::kLine ? "controller= " : "") + Printable(key);
  }
};

// Checks one option of a Defaults section, an endpoint section or a controller= line, and
// records it in `level`. transport, traddr, nqn and controller= are the caller's where they
// belong; secrets on a controller= line are refused before this.
void AddOption(const KeySpec& k, std::string_view value, int line, const Place& p, Level* level,
               ConfigReporter* rep);
void WarnUnknown(std::string_view key, int line, const Place& p, ConfigReporter* rep);
// Applies one level's option, checked by AddOption(), to `c`.
void Apply(const Setting& s, ControllerEntry* c);

}  // namespace stas::stas_conf
