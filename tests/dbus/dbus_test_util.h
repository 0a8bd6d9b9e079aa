// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the D-Bus tests of stafd and stacd: JSON views of what busctl, gdbus and
// the daemons print.
#pragma once

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/cli/run_program.h"
#include "tests/dbus/dbus_fixture.h"

namespace stas::testing {

using json = nlohmann::ordered_json;

inline std::vector<std::string> Keys(const json& object) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : object.items())
    keys.push_back(k);
  return keys;
}

inline std::set<std::string> KeySet(const json& object) {
  std::vector<std::string> keys = Keys(object);
  return {keys.begin(), keys.end()};
}

template <class C>
inline std::set<std::string> SetOf(const C& c) {
  return {c.begin(), c.end()};
}

// Order-insensitive comparison of objects (aa{ss} travels as a D-Bus dict; sdbus sends it sorted).
inline nlohmann::json Unordered(const json& j) {
  return nlohmann::json::parse(j.dump());
}

// `busctl --json=short call ...` prints {"type": "<sig>", "data": [<out args>]}.
inline json BusctlData(const ProgramOutput& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  if (j.is_discarded() || !j.contains("data"))
    return nullptr;
  return j["data"];
}

// `gdbus call ...` prints the reply tuple as GVariant text.
inline json GdbusData(const ProgramOutput& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return GvariantTextToJson(r.out);
}

inline std::string Args7(const std::vector<std::string>& id) {
  std::string out;
  for (const std::string& s : id)
    out += " '" + s + "'";
  return out;
}

// busctl's argument form: 'sssssss' and the strings (busctl takes '' as an empty string).
inline std::string BusctlArgs7(const std::vector<std::string>& id) {
  return "sssssss" + Args7(id);
}

// A file's whole text ("" when it cannot be read).
inline std::string ReadFileText(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A golden output of stafctl or stacctl, tests/dbus/golden/<name>: CPython's pprint of the
// expected value (make_goldens.py there regenerates them), so that the tools' output is not
// checked with the formatter that made it.
inline std::string Golden(const std::string& name) {
  std::string text = ReadFileText(std::string(STAS_DBUS_GOLDEN_DIR) + "/" + name);
  EXPECT_NE(text, "") << "no golden " << name;
  return text;
}

// `text` with each key of `renames` replaced by its value, in one pass (so that two names may
// swap). Every value must be exactly as long as its key: pprint breaks lines by length, so a
// same-length stand-in leaves the layout of the output as it was.
inline std::string ReplaceSameLength(const std::string& text,
                                     const std::map<std::string, std::string>& renames) {
  for (const auto& [from, to] : renames)
    EXPECT_EQ(from.size(), to.size()) << "'" << from << "' -> '" << to << "'";
  std::string out;
  for (size_t i = 0; i < text.size();) {
    auto hit = std::find_if(renames.begin(), renames.end(), [&](const auto& r) {
      return text.compare(i, r.first.size(), r.first) == 0;
    });
    if (hit == renames.end()) {
      out += text[i++];
    } else {
      out += hit->second;
      i += hit->first.size();
    }
  }
  return out;
}

// `text` (stafctl or stacctl output) with the test's temp dir `dir` as the goldens write it: the
// template mkdtemp() filled in, which is as long.
inline std::string WithGoldenTempDir(const std::string& text, const std::string& dir) {
  return ReplaceSameLength(text, {{dir, "/tmp/stas-dbus-test-XXXXXX"}});
}

// `text` (stafctl or stacctl status, pretty) without the "limits" object, which nvme-stas's
// goldens cannot have (#13: the [Limits] are ours; their values are tested in the services).
inline std::string WithoutLimits(const std::string& text) {
  static const std::regex kLimits(R"( 'limits': \{(?:[^{}]|\{[^{}]*\})*\},\n)");
  return std::regex_replace(text, kLimits, "");
}

// `busctl introspect` as {interface: {member: words of its line}}; member lines are
// ".name  kind  signature  result  flags".
inline std::map<std::string, std::map<std::string, std::vector<std::string>>> Introspection(
    const std::string& busctl_out) {
  std::map<std::string, std::map<std::string, std::vector<std::string>>> api;
  std::string iface;
  std::istringstream lines(busctl_out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string s; words >> s;)
      w.push_back(s);
    if (w.size() < 2)
      continue;
    if (w[1] == "interface")
      iface = w[0];
    else if (w[0][0] == '.')
      api[iface][w[0].substr(1)] = w;
  }
  return api;
}

}  // namespace stas::testing
