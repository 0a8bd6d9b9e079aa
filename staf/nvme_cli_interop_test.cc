// SPDX-License-Identifier: Apache-2.0
#include "staf/nvme_cli_interop.h"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/atomic_file.h"
#include "common/testing/file_helpers.h"

namespace stas::staf {
namespace {

using ::testing::HasSubstr;

TEST(NvmeCliInteropTest, UnitNameCarriesTheDeviceAndHostSide) {
  KernelEvent ev{KernelEvent::Action::kChange, "nvme3", "0x70f002", "", "10.0.0.1", "eth0"};
  EXPECT_EQ(NvmfConnectUnit(ev),
            "nvmf-connect@--device\\x3dnvme3\\x09--host-traddr\\x3d10.0.0.1\\x09--host-iface"
            "\\x3deth0.service");
  ev.host_traddr = "none";
  ev.host_iface = "";
  EXPECT_EQ(NvmfConnectUnit(ev), "nvmf-connect@--device\\x3dnvme3.service");
}

TEST(NvmeCliInteropTest, OverrideRuleIsWrittenReplacedAndRemoved) {
  testing::ScopedTempDir dir("stas-udev-test");
  std::string path = dir.path() + "/rules.d/70-nvmf-autoconnect.rules";
  InstallUdevRuleOverride(path);
  Result<std::string> text = ReadWholeFile(path);
  ASSERT_TRUE(text);
  // Only nvme-cli's FC rule survives; the TCP discovery AEN rule is what stafd replaces.
  EXPECT_THAT(*text, HasSubstr("SUBSYSTEM==\"fc\""));
  EXPECT_THAT(*text, HasSubstr("nvmf-connect@--device\\x3dnone\\x09--transport\\x3dfc"));
  EXPECT_EQ(text->find("NVME_AEN"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomic(path, "stale rule from a crashed stafd\n", 0600));
  InstallUdevRuleOverride(path);
  EXPECT_THAT(*ReadWholeFile(path), HasSubstr("SUBSYSTEM==\"fc\""));
  RemoveUdevRuleOverride(path);
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  RemoveUdevRuleOverride(path);  // already gone: no error
}

}  // namespace
}  // namespace stas::staf
