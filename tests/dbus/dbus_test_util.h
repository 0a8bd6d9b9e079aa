// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the D-Bus tests of stafd and stacd: JSON views of what busctl, gdbus and
// the daemons print.
#pragma once

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
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
