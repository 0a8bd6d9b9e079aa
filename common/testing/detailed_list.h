// SPDX-License-Identifier: Apache-2.0
// Service-level test helpers for list_controllers(detailed=True): the answer is asynchronous
// (each controller's kernel state is read on the runner), so tests collect it through the loop.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/controller/controller.h"
#include "common/testing/fake_event_loop.h"

namespace stas::testing {

// Service::ListDetailed()'s answer, once the loop has run the state reads and the reply; an
// empty list (and a test failure) if it never came.
template <typename Service>
std::vector<Dict> ListDetailed(const Service& service, FakeEventLoop& loop) {
  std::optional<std::vector<Dict>> out;
  service.ListDetailed([&out](std::vector<Dict> dicts) { out = std::move(dicts); });
  loop.RunUntilIdle();
  EXPECT_TRUE(out.has_value());
  return out.value_or(std::vector<Dict>{});
}

// The value of `key` in a detailed controller entry, or "<missing>".
inline std::string ValueOf(const Dict& d, const std::string& key) {
  for (const auto& [k, v] : d) {
    if (k == key)
      return v;
  }
  return "<missing>";
}

}  // namespace stas::testing
