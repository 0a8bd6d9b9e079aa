// SPDX-License-Identifier: Apache-2.0
#include "common/loop/lifetime.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "common/testing/fake_event_loop.h"

namespace stas {
namespace {

TEST(LifetimeTest, GuardedCallRunsWhileTheOwnerLives) {
  Lifetime owner;
  std::string got;
  auto guarded = owner.Guard([&](const std::string& s, int n) { got = s + std::to_string(n); });
  guarded("nvme", 3);
  EXPECT_EQ(got, "nvme3");
}

TEST(LifetimeTest, GuardedCallIsDroppedOnceTheOwnerIsDestroyed) {
  auto owner = std::make_unique<Lifetime>();
  int calls = 0;
  std::function<void()> guarded = owner->Guard([&] { ++calls; });
  guarded();
  owner.reset();
  guarded();  // the callable outlives its owner and is still safe to call
  EXPECT_EQ(calls, 1);
}

TEST(LifetimeTest, PostedGuardedWorkRunsOnTheLoopOnlyWhileTheOwnerLives) {
  FakeEventLoop loop;
  Lifetime kept;
  auto gone = std::make_unique<Lifetime>();
  int kept_runs = 0;
  int gone_runs = 0;
  loop.Post(kept.Guard([&] { ++kept_runs; }));
  loop.Post(gone->Guard([&] { ++gone_runs; }));
  EXPECT_EQ(kept_runs, 0);  // posted work never runs inline
  gone.reset();
  loop.RunUntilIdle();
  EXPECT_EQ(kept_runs, 1);
  EXPECT_EQ(gone_runs, 0);
}

TEST(LifetimeTest, MoveOnlyArgumentsAreForwarded) {
  Lifetime owner;
  int got = 0;
  auto guarded = owner.Guard([&](std::unique_ptr<int> p) { got = *p; });
  guarded(std::make_unique<int>(7));
  EXPECT_EQ(got, 7);
}

}  // namespace
}  // namespace stas
