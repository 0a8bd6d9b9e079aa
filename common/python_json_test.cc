// SPDX-License-Identifier: Apache-2.0
#include "common/python_json.h"

#include <gtest/gtest.h>

namespace stas {
namespace {

TEST(PythonJsonTest, UsesPythonSeparatorsAndEscapes) {
  nlohmann::ordered_json j = {{"tron", false},
                              {"n", 3},
                              {"s", "a\"b\\c\n\x01\xc3\xa9"},
                              {"l", {1, nullptr, "x"}},
                              {"o", nlohmann::ordered_json::object()}};
  // The same text as: json.dumps({"tron": False, "n": 3, "s": "a\"b\\c\n\x01é",
  //                               "l": [1, None, "x"], "o": {}})
  EXPECT_EQ(
      PythonJsonDumps(j),
      R"({"tron": false, "n": 3, "s": "a\"b\\c\n\u0001\u00e9", "l": [1, null, "x"], "o": {}})");
  EXPECT_EQ(PythonJsonDumps(nlohmann::ordered_json::array()), "[]");
}

}  // namespace
}  // namespace stas
