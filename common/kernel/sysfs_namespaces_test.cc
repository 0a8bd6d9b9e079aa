// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/sysfs_namespaces.h"

#include <gtest/gtest.h>

#include "common/testing/file_helpers.h"

namespace stas {
namespace {

using testing::ScopedTempDir;
using testing::WriteFileText;

TEST(BlockDeviceOfNamespaceNode, MultipathPathsMapToTheirHead) {
  EXPECT_EQ(BlockDeviceOfNamespaceNode("nvme0n1"), "nvme0n1");
  EXPECT_EQ(BlockDeviceOfNamespaceNode("nvme0c3n1"), "nvme0n1");
  EXPECT_EQ(BlockDeviceOfNamespaceNode("nvme12c140n27"), "nvme12n27");
  for (const char* other : {"ng0n1", "nvme3", "power", "nvme0c3", "nvme0n", "nvme0n1p1", "nvmexn1",
                            "nvme0cn1", "nvme0c1n1x", ""}) {
    EXPECT_FALSE(BlockDeviceOfNamespaceNode(other).has_value()) << other;
  }
}

TEST(HexIdentifier, AcceptsTheKernelsAndCallersForms) {
  EXPECT_EQ(HexIdentifier("00 11 22 33 44 55 66 77", 16), "0011223344556677");  // sysfs eui
  EXPECT_EQ(HexIdentifier("00:11:22:33:AA:BB:CC:DD", 16), "00112233aabbccdd");
  EXPECT_EQ(HexIdentifier("0011223344556677", 16), "0011223344556677");
  EXPECT_FALSE(HexIdentifier("001122334455667", 16).has_value());    // short
  EXPECT_FALSE(HexIdentifier("00112233445566778", 16).has_value());  // long
  EXPECT_FALSE(HexIdentifier("00112233445566zz", 16).has_value());
  EXPECT_FALSE(HexIdentifier("0011,22334455667", 16).has_value());
  EXPECT_FALSE(HexIdentifier("", 16).has_value());
}

TEST(CanonicalUuid, LowercaseWithDashes) {
  EXPECT_EQ(CanonicalUuid("7E0C1A2B-3C4D-4E5F-8A9B-0C1D2E3F4A5B"),
            "7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(CanonicalUuid("7e0c1a2b3c4d4e5f8a9b0c1d2e3f4a5b"),
            "7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b");
  EXPECT_FALSE(CanonicalUuid("7e0c1a2b-3c4d-4e5f-8a9b").has_value());
  EXPECT_FALSE(CanonicalUuid("not a uuid").has_value());
}

// A controller as the kernel shows it with native multipath (path disks nvme<S>c<C>n<N>) and
// one without (its own disks), with the identifiers in the kernel's own formats.
TEST(ReadNamespaces, ReadsIdentifiersInTheKernelsFormats) {
  ScopedTempDir root("sysfs-ns");
  const std::string c = root.path() + "/nvme3";
  WriteFileText(c + "/state", "live\n");
  WriteFileText(c + "/nvme1c3n1/nsid", "1\n");
  WriteFileText(c + "/nvme1c3n1/uuid", "7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b\n");
  WriteFileText(c + "/nvme1c3n1/nguid", "00000000-0000-0000-0000-000000000000\n");
  WriteFileText(c + "/nvme1c3n1/size", "2097152\n");
  // No UUID: the kernel prints the NGUID as "uuid"; that is not a UUID.
  WriteFileText(c + "/nvme1c3n2/nsid", "2\n");
  WriteFileText(c + "/nvme1c3n2/uuid", "11223344-5566-7788-99aa-bbccddeeff00\n");
  WriteFileText(c + "/nvme1c3n2/nguid", "11223344-5566-7788-99aa-bbccddeeff00\n");
  WriteFileText(c + "/nvme1c3n2/eui", "00 11 22 33 44 55 66 77\n");
  WriteFileText(c + "/ng1n1/nsid", "1\n");  // the generic char device: not a disk
  std::filesystem::create_directories(c + "/power");

  std::vector<NamespaceInfo> got = ReadNamespaces(root.path(), "nvme3");
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0], (NamespaceInfo{.block = "nvme1n1",
                                   .path = "nvme1c3n1",
                                   .nsid = 1,
                                   .uuid = "7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
                                   .nguid = "",
                                   .eui64 = "",
                                   .size_bytes = 2097152ULL * 512}));
  EXPECT_EQ(got[1], (NamespaceInfo{.block = "nvme1n2",
                                   .path = "nvme1c3n2",
                                   .nsid = 2,
                                   .uuid = "",
                                   .nguid = "112233445566778899aabbccddeeff00",
                                   .eui64 = "0011223344556677",
                                   .size_bytes = 0}));
}

TEST(ReadNamespaces, NoControllerOrGarbageGivesNothingUsable) {
  ScopedTempDir root("sysfs-ns");
  EXPECT_TRUE(ReadNamespaces(root.path(), "nvme9").empty());
  WriteFileText(root.path() + "/nvme0/nvme0n1/nsid", "-1\n");
  WriteFileText(root.path() + "/nvme0/nvme0n1/uuid", "not-a-uuid\n");
  WriteFileText(root.path() + "/nvme0/nvme0n1/size", "99999999999999999999\n");
  std::vector<NamespaceInfo> got = ReadNamespaces(root.path(), "nvme0");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].nsid, 0U);
  EXPECT_EQ(got[0].uuid, "");
  EXPECT_EQ(got[0].size_bytes, 0U);
}

TEST(BlockDeviceInUse, HoldersOfTheDiskOrAPartitionAndMounts) {
  ScopedTempDir root("sysfs-ns");
  const std::string sys = root.path() + "/block";
  const std::string mounts = root.path() + "/mounts";
  std::filesystem::create_directories(sys + "/nvme0n1/holders");
  std::filesystem::create_directories(sys + "/nvme0n2/holders");
  WriteFileText(sys + "/nvme0n2/holders/dm-0", "");
  WriteFileText(sys + "/nvme0n3/nvme0n3p2/holders/md0", "");
  WriteFileText(mounts,
                "proc /proc proc rw 0 0\n/dev/nvme0n4p1 /mnt ext4 rw 0 0\n"
                "/dev/nvme0n5 /srv xfs rw 0 0\n/dev/nvme0n10 /x xfs rw 0 0\n");
  EXPECT_FALSE(BlockDeviceInUse("nvme0n1", sys, mounts));
  EXPECT_TRUE(BlockDeviceInUse("nvme0n2", sys, mounts));  // held (device-mapper)
  EXPECT_TRUE(BlockDeviceInUse("nvme0n3", sys, mounts));  // a partition held (md)
  EXPECT_TRUE(BlockDeviceInUse("nvme0n4", sys, mounts));  // a partition mounted
  EXPECT_TRUE(BlockDeviceInUse("nvme0n5", sys, mounts));  // mounted
  EXPECT_FALSE(BlockDeviceInUse("nvme0n1", sys, root.path() + "/no-such-file"));
  // nvme0n1 is not nvme0n10.
  WriteFileText(mounts, "/dev/nvme0n10 /x xfs rw 0 0\n/dev/nvme0n1px /y xfs rw 0 0\n");
  EXPECT_FALSE(BlockDeviceInUse("nvme0n1", sys, mounts));
}

TEST(ReadNativeMultipath, YesNoOrUnknown) {
  ScopedTempDir root("sysfs-ns");
  const std::string p = root.path() + "/multipath";
  EXPECT_FALSE(ReadNativeMultipath(p).has_value());
  WriteFileText(p, "Y\n");
  EXPECT_EQ(ReadNativeMultipath(p), true);
  WriteFileText(p, "N\n");
  EXPECT_EQ(ReadNativeMultipath(p), false);
  WriteFileText(p, "maybe\n");
  EXPECT_FALSE(ReadNativeMultipath(p).has_value());
}

}  // namespace
}  // namespace stas
