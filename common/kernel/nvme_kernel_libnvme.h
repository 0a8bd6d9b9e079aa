// SPDX-License-Identifier: Apache-2.0
// NvmeKernelLibnvme: the real NvmeKernel, on libnvme 1.3 and sysfs.
//
// Thread-safe by construction: every method builds its own libnvme tree (nvme_create_root),
// does its work on it and frees it, so no libnvme object outlives a call or crosses threads.
// Every method may block (connect, admin commands, sysfs): worker thread only.
//
// What each method touches:
//   Connect                 `fabrics_dev`; for a controller with tls-key= or keyring=, the
//                           kernel's keyrings first (libkeyutils, tls_keyring.h)
//   Disconnect              `sysfs_root`/<dev>/delete_controller, written directly
//   GetDiscoveryLog,        /sys/class/nvme* (nvme_scan_ctrl) and /dev/<dev> ioctls; libnvme
//   GetDiscoveryLogSupport, opens the fd lazily and nvme_free_tree() closes it (checked in the
//   RegisterHost            1.3 binary), so no fd survives a call. nvme_scan_ctrl() also opens
//                           and identifies every namespace: fine for DCs, which have none.
//   ListDevices, GetDevice,  `sysfs_root` (default /sys/class/nvme), read directly
//   GetDeviceState
//   FabricsAvailable,       `fabrics_dev` (default /dev/nvme-fabrics), read directly
//   SupportedOptions
//   Features                the option table, and `module_dir`/nvme_auth (default /sys/module)
//                           or the running kernel's modules.builtin for the DH-HMAC-CHAP code
// libnvme's own calls always use the real /sys/class/nvme and /dev paths; the two constructor
// paths only redirect the reads this class does itself (tests use a fake tree).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/kernel/nvme_kernel.h"
#include "common/kernel/tls_keyring.h"

namespace stas {

class NvmeKernelLibnvme : public NvmeKernel {
 public:
  explicit NvmeKernelLibnvme(std::string sysfs_root = "/sys/class/nvme",
                             std::string fabrics_dev = "/dev/nvme-fabrics",
                             std::string seqnum_file = "/sys/kernel/uevent_seqnum",
                             std::string module_dir = "/sys/module");

  // libnvme's own log level for every root created from now on: LOG_DEBUG when on, LOG_ERR
  // otherwise (libnvme writes to stderr). Process-wide. Thread-safe.
  static void SetTrace(bool on);

  bool FabricsAvailable() override;
  std::vector<std::string> SupportedOptions() override;
  KernelFeatures Features() override;

  // Writes BuildConnectString(req) (connect_string.h) to fabrics_dev and reads the new
  // controller's instance from it. Errors: the kernel's errno (EALREADY: it has this
  // controller; EINVAL: it refused an option; ECONNREFUSED...), ENODEV without fabrics_dev,
  // EPROTO for an answer without an instance, EOPNOTSUPP for a string that needs a feature
  // the kernel lacks (MissingKernelFeature(): not sent, as the kernel would quote a refused
  // option, secret included, in its log).
  Result<std::string> Connect(const ConnectRequest& req) override;
  // ENODEV if there is no such controller (any more).
  Status Disconnect(const std::string& device) override;
  // Writes the secrets to the controller's dhchap_secret and dhchap_ctrl_secret.
  Status Reauthenticate(const std::string& device, const std::string& host_secret,
                        const std::string& ctrl_secret) override;

  // libnvme retries up to 6 times while the generation counter changes (then EAGAIN).
  Result<DiscoveryLogPage> GetDiscoveryLog(const std::string& device, uint8_t lsp,
                                           const DiscoveryLogLimits& limits) override;
  Result<uint32_t> GetDiscoveryLogSupport(const std::string& device) override;
  // The symbolic name is host.symname; the host NQN and ID are the ones the kernel controller
  // was created with (sysfs), as libnvme takes them from there. A non-zero NVMe status is a
  // value, with nvme-stas's message: "Result:0x%04x, Status:0x%04x - <text>".
  Result<RegistrationResult> RegisterHost(const std::string& device, const HostInfo& host) override;

  // Controllers are the `nvme<N>` entries of sysfs_root, in instance order.
  std::vector<KernelDevice> ListDevices() override;
  std::vector<std::pair<std::string, std::string>> ListSubsysNqns() override;
  // `seqnum_file` (/sys/kernel/uevent_seqnum), 0 when it cannot be read.
  uint64_t UeventSeqnum() override;
  std::optional<KernelDevice> GetDevice(const std::string& device) override;
  std::string GetDeviceState(const std::string& device) override;
  // sysfs_namespaces.h, under sysfs_root.
  std::vector<NamespaceInfo> ListNamespaces(const std::string& device) override;
  // Writes 1 to the controller's rescan_controller.
  Status RescanNamespaces(const std::string& device) override;

 private:
  // Writes `value` ("1" by default) to one of a controller's sysfs attributes
  // (delete_controller...). ENODEV if there is no such controller.
  Status WriteOne(const std::string& device, const char* attribute, std::string_view value = "1");
  // Whether the running kernel's modules.builtin lists `module_file` ("nvme-auth.ko").
  bool BuiltIn(const std::string& module_file) const;
  // The names of the `nvme<N>` entries of sysfs_root, in instance order.
  std::vector<std::string> ControllerNames();

  std::string sysfs_root_;
  std::string fabrics_dev_;
  std::unique_ptr<Keyrings> keyrings_ = MakeKernelKeyrings();  // stateless: thread-safe
  std::string seqnum_file_;
  std::string module_dir_;
};

// Parses the sysfs `address` attribute ("traddr=...,trsvcid=...,host_traddr=...,
// host_iface=...,src_addr=...") into `dev`; unknown keys are ignored, "none" becomes "".
void ParseAddressAttribute(const std::string& address, KernelDevice* dev);

// The libnvme version string, e.g. "1.3".
std::string LibnvmeVersion();

}  // namespace stas
