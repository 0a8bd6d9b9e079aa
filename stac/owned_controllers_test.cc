// SPDX-License-Identifier: Apache-2.0
#include "stac/owned_controllers.h"

#include <gtest/gtest.h>

namespace stas::stac {
namespace {

TEST(OwnedControllersTest, RoundTrip) {
  Tid tid = Tid::Make({.transport = "tcp", .traddr = "192.0.2.1", .subsysnqn = "nqn.io:1"},
                      TidDefaults{.host_nqn = "nqn.host"});
  Result<std::vector<TidFields>> back = ParseOwnedControllers(SerializeOwnedControllers({tid}));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ(Tid::Make((*back)[0], TidDefaults{}), tid);
}

// A version that is no int is refused without an undefined conversion (UBSan:
// -DSTAS_SANITIZE=ON). Found by the fuzz tier (owned_controllers).
TEST(OwnedControllersTest, ForeignDocumentsAreRejected) {
  for (const char* text :
       {"", "[]", R"({"format":"stacd-owned-controllers","version":2,"controllers":[]})",
        R"({"format":"stacd-owned-controllers","version":7e300,"controllers":[]})",
        R"({"format":"stacd-owned-controllers","version":"1","controllers":[]})",
        R"({"format":"stacd-owned-controllers","version":1,"controllers":[{}]})",
        R"({"format":1,"version":1,"controllers":[]})"}) {
    EXPECT_FALSE(ParseOwnedControllers(text)) << text;
  }
  EXPECT_TRUE(ParseOwnedControllers(
      R"({"format":"stacd-owned-controllers","version":1,"controllers":[]})"));
}

}  // namespace
}  // namespace stas::stac
