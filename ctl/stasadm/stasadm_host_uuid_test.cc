// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_host_uuid.h"

#include <cerrno>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/nvme_names.h"
#include "common/testing/file_helpers.h"

namespace stas::ctl {
namespace {

// The 32-hex-digit machine ID and the UUID nvme-stas derives from it (see stasadm_uuid_test.cc).
constexpr const char* kMachineId = "0123456789abcdef0123456789abcdef";
constexpr const char* kMachineUuid = "f2782346-4809-484a-9a8b-952a04b57ba4";
// A DMI product UUID as the kernel shows it, and in network order (first 3 fields swapped).
constexpr const char* kDmiUuid = "4c4c4544-0051-3310-8051-b3c04f4e4a32";
constexpr const char* kDmiSwapped = "44454c4c-5100-1033-8051-b3c04f4e4a32";
constexpr const char* kPartitionUuid = "6d2a9d11-3f3c-4a0e-9a7c-2b8e5b1d0c4f";

// Each test gets a directory holding its own copies of the source files; none exists until
// the test writes it.
class StasadmHostUuidTest : public ::testing::Test {
 protected:
  testing::ScopedTempDir tmp_{"stasadm-host-uuid-test"};
  std::string dir_ = tmp_.path();
  HostUuidSources sources_{dir_ + "/machine-id", dir_ + "/product_uuid",
                           dir_ + "/ibm,partition-uuid"};
};

TEST_F(StasadmHostUuidTest, MachineIdComesFirstAndNeedsNoRoot) {
  testing::WriteFileText(sources_.machine_id, std::string(kMachineId) + "\n");
  testing::WriteFileText(sources_.product_uuid, std::string(kDmiUuid) + "\n");
  for (bool root : {false, true}) {
    Result<std::string> uuid = HostUuid(sources_, root);
    ASSERT_TRUE(uuid) << uuid.error().message;
    EXPECT_EQ(*uuid, kMachineUuid);
  }
}

TEST_F(StasadmHostUuidTest, UnusableMachineIdNeedsRoot) {
  for (const char* text : {"", "uninitialized\n", "0123456789abcdef0123456789abcdeX\n"}) {
    testing::WriteFileText(sources_.machine_id, text);
    testing::WriteFileText(sources_.product_uuid, std::string(kDmiUuid) + "\n");
    Result<std::string> uuid = HostUuid(sources_, false);
    ASSERT_FALSE(uuid) << text;
    EXPECT_EQ(uuid.error().code, EACCES);
    EXPECT_EQ(uuid.error().message.rfind("Permission denied. Root privileges required.", 0), 0u)
        << uuid.error().message;
  }
  std::filesystem::remove(sources_.machine_id);
  EXPECT_FALSE(HostUuid(sources_, false));
}

TEST_F(StasadmHostUuidTest, DmiProductUuidIsByteSwapped) {
  testing::WriteFileText(sources_.product_uuid, std::string(kDmiUuid) + "\n");
  testing::WriteFileText(sources_.partition_uuid, kPartitionUuid);
  Result<std::string> uuid = HostUuid(sources_, true);
  ASSERT_TRUE(uuid) << uuid.error().message;
  EXPECT_EQ(*uuid, kDmiSwapped);
}

TEST_F(StasadmHostUuidTest, PartitionUuidComesNext) {
  // A device-tree string property ends with a NUL.
  testing::WriteFileText(sources_.partition_uuid,
                         std::string(kPartitionUuid) + std::string(1, '\0'));
  Result<std::string> uuid = HostUuid(sources_, true);
  ASSERT_TRUE(uuid) << uuid.error().message;
  EXPECT_EQ(*uuid, kPartitionUuid);

  // An unusable DMI UUID is skipped.
  testing::WriteFileText(sources_.product_uuid, "00000000-0000-0000-0000-000000000000\n");
  uuid = HostUuid(sources_, true);
  ASSERT_TRUE(uuid);
  EXPECT_EQ(*uuid, kPartitionUuid);
}

TEST_F(StasadmHostUuidTest, RandomWhenNothingElseWorks) {
  testing::WriteFileText(sources_.product_uuid, "Not Settable\n");
  testing::WriteFileText(sources_.partition_uuid, "short");
  Result<std::string> first = HostUuid(sources_, true);
  Result<std::string> second = HostUuid(sources_, true);
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_FALSE(CheckUuid(*first)) << *first;
  EXPECT_EQ((*first)[14], '4');
  EXPECT_NE(*first, *second);
}

TEST(StasadmDmiProductUuidTest, SwapsTheFirstThreeFields) {
  EXPECT_EQ(DmiProductUuid(kDmiUuid), kDmiSwapped);
  EXPECT_EQ(DmiProductUuid("00112233-4455-6677-8899-aabbccddeeff"),
            "33221100-5544-7766-8899-aabbccddeeff");
  // Case is kept, as nvme-stas keeps it.
  EXPECT_EQ(DmiProductUuid("00112233-4455-6677-8899-AABBCCDDEEFF"),
            "33221100-5544-7766-8899-AABBCCDDEEFF");
}

TEST(StasadmDmiProductUuidTest, RejectsWhatIsNotAUsableUuid) {
  EXPECT_FALSE(DmiProductUuid("00000000-0000-0000-0000-000000000000"));
  EXPECT_FALSE(DmiProductUuid("ffffffff-ffff-ffff-ffff-ffffffffffff"));
  EXPECT_FALSE(DmiProductUuid("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"));
  EXPECT_FALSE(DmiProductUuid("Not Settable"));
  EXPECT_FALSE(DmiProductUuid("00112233-4455-6677-8899-aabbccddeefg"));
  EXPECT_FALSE(DmiProductUuid("00112233445566778899aabbccddeeff0000"));
}

}  // namespace
}  // namespace stas::ctl
