// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_uuid.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "common/nvme_names.h"
#include "common/str_util.h"

namespace stas::ctl {
namespace {

// Expected values computed independently of this code:
//   printf 0123456789abcdef0123456789abcdef | xxd -r -p |
//     openssl dgst -sha256 -mac HMAC -macopt 'key:$nvmexpress.org$'
//   → f27823464809c84a1a8b952a04b57ba450742ff75c0789f5f8b37613611931bb
// and the first 16 bytes with the version (byte 6: c8 → 48) and variant (byte 8: 1a → 9a)
// forced, which is also what Python's str(uuid.UUID(bytes=.., version=4)) prints.
TEST(StasadmUuidTest, AppSpecificUuidMatchesNvmeStas) {
  std::optional<Uuid> id = ParseMachineId("0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(id);
  EXPECT_EQ(AppSpecificUuid(*id), "f2782346-4809-484a-9a8b-952a04b57ba4");

  // HMAC fc3377783c449938aaaf501ded981e7b...
  id = ParseMachineId("3d1219c7c4c5404aaa1f6d2a48adfda4");
  ASSERT_TRUE(id);
  EXPECT_EQ(AppSpecificUuid(*id), "fc337778-3c44-4938-aaaf-501ded981e7b");
}

TEST(StasadmUuidTest, AppSpecificUuidDependsOnTheKey) {
  std::optional<Uuid> id = ParseMachineId("0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(id);
  EXPECT_NE(AppSpecificUuid(*id, "another key"), AppSpecificUuid(*id));
}

TEST(StasadmUuidTest, ParseMachineIdAcceptsExactly32HexDigits) {
  std::optional<Uuid> id = ParseMachineId("0123456789ABCDEF0123456789abcdef");
  ASSERT_TRUE(id);
  EXPECT_EQ((*id)[0], 0x01);
  EXPECT_EQ((*id)[7], 0xef);
  EXPECT_EQ((*id)[15], 0xef);
  EXPECT_FALSE(ParseMachineId(""));
  EXPECT_FALSE(ParseMachineId("uninitialized"));
  EXPECT_FALSE(ParseMachineId("0123456789abcdef0123456789abcde"));
  EXPECT_FALSE(ParseMachineId("0123456789abcdef0123456789abcdef0"));
  EXPECT_FALSE(ParseMachineId("0123456789abcdef0123456789abcdeg"));
  EXPECT_FALSE(ParseMachineId("01234567-89ab-cdef-0123-456789abcd"));
}

TEST(StasadmUuidTest, MakeV4ForcesVersionAndVariantOnly) {
  Uuid ones;
  ones.fill(0xff);
  EXPECT_EQ(UuidText(MakeV4(ones)), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  Uuid zeros{};
  EXPECT_EQ(UuidText(MakeV4(zeros)), "00000000-0000-4000-8000-000000000000");
}

TEST(StasadmUuidTest, RandomUuidIsAFreshVersion4Uuid) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    Result<std::string> uuid = RandomUuid();
    ASSERT_TRUE(uuid) << uuid.error().message;
    EXPECT_FALSE(CheckUuid(*uuid)) << *uuid;
    EXPECT_EQ((*uuid)[14], '4') << *uuid;
    EXPECT_NE(std::string("89ab").find((*uuid)[19]), std::string::npos) << *uuid;
    seen.insert(*uuid);
  }
  EXPECT_EQ(seen.size(), 20u);
}

}  // namespace
}  // namespace stas::ctl
