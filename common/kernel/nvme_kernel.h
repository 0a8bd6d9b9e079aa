// SPDX-License-Identifier: Apache-2.0
// The kernel edge: everything stafd and stacd ask of the Linux NVMe-oF host stack, behind one
// small interface. NvmeKernelLibnvme (libnvme 1.3 + sysfs) is the real one; SimulatedKernel
// (common/testing/) is an in-memory kernel for tests and benchmarks. Nothing above this
// interface includes libnvme headers.
//
// Every method may block (it talks to /dev/nvme-fabrics, /dev/nvmeN or sysfs): call them on a
// worker thread (BlockingRunner), never on the loop thread. Implementations are thread-safe:
// calls on different devices may run in parallel. Devices are named by their kernel name
// ("nvme3"), so no libnvme object ever crosses threads.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/config/config.h"
#include "common/kernel/kernel_features.h"
#include "common/result.h"
#include "common/tid.h"

namespace stas {

// Who the host is, as sent to the kernel with each connect and to a DC at registration.
struct HostInfo {
  std::string hostnqn;
  std::string hostid;
  std::optional<std::string> hostkey;  // DH-HMAC-CHAP host secret (sys.conf), for I/O ctrls
  std::optional<std::string> symname;  // TP8010 host symbolic name
};

struct ConnectRequest {
  Tid tid;  // transport, traddr, trsvcid, subsysnqn, host_traddr, host_iface, hostnqn
  bool discovery = false;  // a discovery controller (unique TP8013 NQNs get the "discovery" option)
  ConnectOptions options;  // effective tunables ([Global] merged with the entry's overrides)
  std::optional<std::string> dhchap_secret;       // per-controller host key
  std::optional<std::string> dhchap_ctrl_secret;  // per-controller controller key
  // NVMe/TCP TLS, per controller (either comes with options.tls): the keyring the kernel takes
  // the PSK from, by name (`keyring=`; default: its .nvme), and a configured PSK
  // ("NVMeTLSkey-1:...", a secret) whose TLS PSK is put there before each connect
  // (`tls-key=`; common/kernel/tls_keyring.h).
  std::optional<std::string> keyring;
  std::optional<std::string> tls_key;
  HostInfo host;
};

// One record of a discovery log page exactly as the controller sent it: UNTRUSTED. The string
// fields are the raw bytes of the fixed-size fields, up to the first NUL. Validate with
// dlp_entry.h before use.
struct RawLogEntry {
  uint8_t trtype = 0;
  uint8_t adrfam = 0;
  uint8_t subtype = 0;
  uint8_t treq = 0;
  uint16_t portid = 0;
  uint16_t cntlid = 0;
  uint16_t asqsz = 0;
  uint16_t eflags = 0;
  // The first byte of TSAS: for NVMe/TCP its SECTYPE (0 none, 1 TLS 1.2, 2 TLS 1.3); other
  // transports lay TSAS out otherwise.
  uint8_t tsas0 = 0;
  std::string trsvcid;
  std::string subnqn;
  std::string traddr;
};

// How much one discovery log page read may take (#13): a DC on the network chooses how many
// entries it claims and how slowly it answers, so both are bounded before anything is
// allocated or waited for.
struct DiscoveryLogLimits {
  // Entries read at most; a page that claims more is read up to this many (the buffer is
  // sized for these only) and reported with its full count.
  uint32_t max_entries = 4096;
  // The whole read, retries included, fails with kErrLogReadDeadline once this has passed (checked
  // between Get Log Page commands, so it may be exceeded by one admin command's time).
  std::chrono::steady_clock::duration deadline = std::chrono::seconds(60);
};

// The error code of a read that ran past DiscoveryLogLimits::deadline: "timer expired", not
// ETIMEDOUT, which the kernel gives when one admin command times out.
inline constexpr int kErrLogReadDeadline = ETIME;

// A discovery log page as read: at most DiscoveryLogLimits::max_entries entries, and how many
// the DC said its page holds. numrec > entries.size() means the page was cut.
struct DiscoveryLogPage {
  std::vector<RawLogEntry> entries;
  uint64_t numrec = 0;
  bool truncated() const { return numrec > entries.size(); }
};

// An existing kernel controller, as sysfs and its uevent properties describe it.
struct KernelDevice {
  std::string name;                                                 // "nvme3"
  std::string transport, traddr, trsvcid, host_traddr, host_iface;  // "none" already mapped to ""
  std::string subsysnqn, hostnqn, hostid;
  std::string src_addr;   // from the "address" attribute (kernel >= 6.1), else ""
  std::string cntrltype;  // "io", "discovery", "admin" or "" if unknown
  std::string dctype;     // "none", "ddc", "cdc" or ""
  std::string model, serial;
  std::string state;  // "live", "connecting", "deleting"... (controller_state.h), or ""
  bool has_namespaces = false;

  bool IsDiscovery() const;  // stas udev.py is_dc_device()
  bool IsIo() const;         // stas udev.py is_ioc_device()
};

// The result of a TP8010 DIM registration: `status` is the NVMe status (0 = success).
struct RegistrationResult {
  uint32_t status = 0;
  std::string message;  // "Status:0x.. - text" when status != 0
};

// One namespace as one controller reaches it (sysfs). `block` is the device users open: with
// native multipath the subsystem's head ("nvme0n1" for path "nvme0c3n1"), otherwise the
// controller's own disk (`block` == `path`). Identifiers are normalised: lowercase hex, the
// UUID with dashes, the NGUID (32 digits) and EUI-64 (16 digits) without separators; "" when
// the namespace has none.
struct NamespaceInfo {
  std::string block{};  // "nvme0n1"
  std::string path{};   // "nvme0c3n1", or the same as block
  uint32_t nsid = 0;
  std::string uuid{};
  std::string nguid{};
  std::string eui64{};
  uint64_t size_bytes = 0;
  bool operator==(const NamespaceInfo&) const = default;
};

// What a kernel event (uevent) says about a controller (subsystem "nvme") or a disk
// (subsystem "block", for a service that asks for them). Delivered on the loop thread.
struct KernelEvent {
  enum class Action { kAdd, kRemove, kChange };
  Action action = Action::kChange;
  std::string device;                   // "nvme3" ("nvme3n1", "nvme0c3n1" for "block")
  std::string aen;                      // NVME_AEN, e.g. "0x70f002", or ""
  std::string event;                    // NVME_EVENT: "connected", "rediscover", or ""
  std::string host_traddr, host_iface;  // NVME_HOST_TRADDR / NVME_HOST_IFACE ("none" -> "")
  std::string subsystem = "nvme";       // "nvme" or "block"
};

inline constexpr const char* kAenDiscoveryLogChanged = "0x70f002";

class NvmeKernel {
 public:
  virtual ~NvmeKernel() = default;

  // True if /dev/nvme-fabrics exists (the nvme-fabrics module is loaded).
  virtual bool FabricsAvailable() = 0;
  // Option names the kernel's fabrics driver accepts ("host_iface", "discovery",
  // "dhchap_secret"...), read from /dev/nvme-fabrics. Empty if unknown.
  virtual std::vector<std::string> SupportedOptions() = 0;
  // The option table and whether the kernel has its DH-HMAC-CHAP code (kernel_features.h).
  virtual KernelFeatures Features() { return {SupportedOptions(), true}; }

  // Creates a controller; returns its device name.
  virtual Result<std::string> Connect(const ConnectRequest& req) = 0;
  virtual Status Disconnect(const std::string& device) = 0;
  // Gives a connected controller new DH-HMAC-CHAP secrets: `host_secret` and, when not "",
  // `ctrl_secret` (its sysfs dhchap_secret and dhchap_ctrl_secret). The kernel re-authenticates
  // it with them in the background, without disconnecting it. EINVAL when it was made without
  // a secret of that kind (the kernel takes a new secret only in place of an old one); ENODEV
  // without the controller.
  virtual Status Reauthenticate(const std::string& device, const std::string& host_secret,
                                const std::string& ctrl_secret) = 0;

  // The discovery log page of a connected DC, with the given log-specific field (PLEO...),
  // within `limits`.
  virtual Result<DiscoveryLogPage> GetDiscoveryLog(const std::string& device, uint8_t lsp,
                                                   const DiscoveryLogLimits& limits) = 0;
  // The LID-specific support bits of the discovery log (Get Supported Log Pages, LID 0x70).
  virtual Result<uint32_t> GetDiscoveryLogSupport(const std::string& device) = 0;
  // TP8010 explicit registration of the host with a DC. ENOTSUP if the DC does not support it.
  virtual Result<RegistrationResult> RegisterHost(const std::string& device,
                                                  const HostInfo& host) = 0;

  // Every NVMe controller the kernel has now, and one by name.
  virtual std::vector<KernelDevice> ListDevices() = 0;
  virtual std::optional<KernelDevice> GetDevice(const std::string& device) = 0;
  // The kernel's state of one controller now (controller_state.h: "live", "connecting"...),
  // "" if there is no such controller. Cheaper than GetDevice(): one attribute.
  virtual std::string GetDeviceState(const std::string& device) {
    std::optional<KernelDevice> d = GetDevice(device);
    return d ? d->state : std::string();
  }
  // The namespaces the kernel has attached to one controller now (none while it scans them,
  // or if there is no such controller), in the order of their names.
  virtual std::vector<NamespaceInfo> ListNamespaces(const std::string& device) = 0;
  // Asks the kernel to scan a controller's namespaces again (sysfs rescan_controller): the
  // results arrive as block uevents. ENODEV if there is no such controller.
  virtual Status RescanNamespaces(const std::string& device) = 0;
  // The kernel's uevent sequence number now (/sys/kernel/uevent_seqnum): taken when a
  // connection is recorded in the ownership registry, so that the remove event of an older
  // controller of the same name does not delete its entry. 0 if unknown.
  virtual uint64_t UeventSeqnum() { return 0; }
  // Every controller's name and subsysnqn, by instance number: the one attribute that narrows
  // an adoption check down to a subsystem's controllers (KernelIndex).
  virtual std::vector<std::pair<std::string, std::string>> ListSubsysNqns() {
    std::vector<std::pair<std::string, std::string>> out;
    for (KernelDevice& d : ListDevices())
      out.emplace_back(std::move(d.name), std::move(d.subsysnqn));
    return out;
  }
};

// Kernel events about NVMe controllers (uevents of the "nvme" subsystem).
class KernelEvents {
 public:
  virtual ~KernelEvents() = default;
  using Handler = std::function<void(const KernelEvent&)>;
  // Starts delivering events to `handler`, on the loop thread. Loop thread only.
  virtual Status Start(Handler handler) = 0;
};

}  // namespace stas
