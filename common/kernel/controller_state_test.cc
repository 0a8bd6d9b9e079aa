// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/controller_state.h"

#include <string>

#include <gtest/gtest.h>

namespace stas {
namespace {

TEST(ControllerStateTest, KnownStatesPassWithoutTheirNewline) {
  for (const char* s : {"live", "connecting", "resetting", "deleting", "deleting (no IO)", "dead",
                        "new", "unknown state"}) {
    EXPECT_EQ(ControllerStateFromSysfs(std::string(s) + "\n"), s);
  }
  EXPECT_EQ(ControllerStateFromSysfs(""), "");
  EXPECT_EQ(ControllerStateFromSysfs(" \n"), "");
}

TEST(ControllerStateTest, AnythingElseBecomesUnknownState) {
  EXPECT_EQ(ControllerStateFromSysfs("LIVE"), "unknown state");
  EXPECT_EQ(ControllerStateFromSysfs("live\nhostnqn=evil"), "unknown state");
  EXPECT_EQ(ControllerStateFromSysfs(std::string("live\0x", 6)), "unknown state");
  EXPECT_EQ(ControllerStateFromSysfs(std::string(100000, 'a')), "unknown state");
  EXPECT_EQ(ControllerStateFromSysfs("\x1b[31mlive"), "unknown state");
}

TEST(ControllerStateTest, OnlyTheTeardownStatesAreBeingDeleted) {
  EXPECT_TRUE(IsBeingDeleted("deleting"));
  EXPECT_TRUE(IsBeingDeleted("deleting (no IO)"));
  EXPECT_TRUE(IsBeingDeleted("dead"));
  for (const char* s : {"live", "connecting", "resetting", "new", "unknown state", ""})
    EXPECT_FALSE(IsBeingDeleted(s)) << s;
}

}  // namespace
}  // namespace stas
