// SPDX-License-Identifier: Apache-2.0
// SimulatedKernel: an in-memory Linux NVMe-oF host stack with its targets, for unit tests,
// D-Bus integration tests and benchmarks. It implements both NvmeKernel and KernelEvents.
//
// The test describes target ports (transport/traddr/trsvcid) with the discovery log page
// they serve and the subsystems they expose; Connect() creates devices "nvmeN" as the kernel
// does, with a configurable latency and scripted failures; changing a port's log page sends
// the 0x70f002 AEN to every connected persistent DC of that port, as nvmet does.
//
// Controller states follow the kernel's (common/kernel/controller_state.h): a device created
// by Connect() is "live"; when its port goes down it goes to "connecting" (it is not removed)
// and is retried every reconnect-delay seconds: the first retry after the port is back up
// makes it "live" again, with the NVME_EVENT=connected change event the kernel sends, and once
// ctrl-loss-tmo has run out (DIV_ROUND_UP(ctrl-loss-tmo, reconnect-delay) failed retries, as
// the kernel counts them) it is deleted, with a remove event. The retries run on the loop's
// timers, so a test drives them with FakeEventLoop::AdvanceBy() and nothing sleeps. Admin
// commands (log page, registration, support query) to a device that is not live fail.
//
// Thread-safe: the NvmeKernel methods run on worker threads; events are posted to the loop,
// and so is the scheduling of retries, whose timers then run on the loop thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/kernel/nvme_kernel.h"
#include "common/kernel/tls_keyring.h"
#include "common/loop/event_loop.h"
#include "common/loop/lifetime.h"
#include "common/testing/fake_keyrings.h"

namespace stas::testing {

struct SimPort {
  std::string transport = "tcp";
  std::string traddr;
  std::string trsvcid;
  std::string dctype = "ddc";    // "ddc"/"cdc" support DIM registration; "none" does not
  uint32_t log_support = 0x2;    // discovery LID-specific bits: PLEOS
  std::vector<RawLogEntry> log;  // the discovery log page this port's DC serves
  // How long reading that page takes (simulated, nobody waits): a read whose
  // DiscoveryLogLimits::deadline is shorter fails with ETIMEDOUT, as the real read does.
  std::chrono::steady_clock::duration log_read_time{};
  std::vector<std::string> subsystems;  // I/O subsystems reachable on this port
  bool up = true;                       // false: connects to it fail, its DCs lose connectivity
};

class SimulatedKernel : public NvmeKernel, public KernelEvents {
 public:
  // The kernel's defaults for a connect that does not set them (NVMF_DEF_CTRL_LOSS_TMO,
  // NVMF_DEF_RECONNECT_DELAY in drivers/nvme/host/fabrics.h).
  static constexpr int kDefaultCtrlLossTmo = 600;
  static constexpr int kDefaultReconnectDelay = 10;

  explicit SimulatedKernel(EventLoop& loop) : loop_(loop) {
    keyrings_.AddKeyring(kDefaultTlsKeyring);
  }

  // --- Test set-up and control. Thread-safe. ---
  void AddPort(SimPort port);
  // Replaces a port's log page; connected persistent DCs of that port get an AEN.
  void SetLog(const std::string& traddr, const std::string& trsvcid, std::vector<RawLogEntry> log);
  // Down: connects to the port fail, and its live controllers start reconnecting (above).
  // Up: they are live again at their next retry.
  void SetPortUp(const std::string& traddr, const std::string& trsvcid, bool up);
  void SetSubsystems(const std::string& traddr, const std::string& trsvcid,
                     std::vector<std::string> subsystems);
  bool HasPort(const std::string& traddr, const std::string& trsvcid) const;
  void SetConnectLatency(std::chrono::milliseconds latency) { latency_ = latency; }
  // The next `count` calls of `op` ("connect", "log", "register", "support", "disconnect")
  // fail with `code`.
  void FailNext(const std::string& op, int count, int code);
  // Adds a device as if created by someone else (nvme-cli); returns its name. Its state is
  // device.state ("live" if empty) and stays so until the test changes it or its port goes
  // down; `options` are its connect options (ctrl_loss_tmo, reconnect_delay).
  std::string AddExistingDevice(KernelDevice device, const ConnectOptions& options = {});
  // Puts a device in `state` ("resetting", "deleting"...) and stops any reconnect loop it
  // was in: it stays so until the test changes it. No event, as the kernel sends none.
  void SetDeviceState(const std::string& name, const std::string& state);
  // The kernel removes a device (ctrl-loss-tmo expired, `nvme disconnect`).
  void RemoveDevice(const std::string& name);
  // Sends a change uevent with NVME_EVENT=`event` ("connected", "rediscover") for a device.
  void SendEvent(const std::string& name, const std::string& event);
  // The namespaces of a subsystem (nsid, identifiers, size; `block` and `path` are filled in
  // per controller, named as with native multipath). An I/O controller of it shows them once
  // it is connected, with a "block" add event for each; already connected ones get them now.
  void SetNamespaces(const std::string& subsysnqn, std::vector<NamespaceInfo> namespaces);
  // While true, new controllers do not scan their namespaces until RescanNamespaces() is
  // called for them (a lost or late scan).
  void SetScanHeld(bool held);
  // What the kernel says it supports (Features(), SupportedOptions()); by default an option
  // table with DH-HMAC-CHAP and no TLS, and the authentication code. A connect that needs
  // what it lacks fails with EOPNOTSUPP, as the real one's does.
  void SetFeatures(KernelFeatures features);

  // Adds a keyring the kernel knows by `name` (".nvme" is there from the start).
  KeySerial AddKeyring(const std::string& name);

  // --- Inspection. Thread-safe. ---
  std::vector<ConnectRequest> connect_requests() const;
  // The connect string of every connect that got as far as the kernel's write, secrets and
  // all, with the key serials its keyring and PSK got (tls_keyring.h: PrepareTlsKeys()).
  std::vector<std::string> connect_strings() const;
  // The psk keys of the keyring `name`: serial and identity.
  std::vector<TlsKeyEntry> psk_keys(const std::string& name) const;
  int connect_calls() const;
  int max_parallel_connects() const;
  int disconnect_calls() const;
  int rescan_calls() const;
  // Every Reauthenticate() the kernel took: the device and its new secrets.
  struct Reauthentication {
    std::string device, host_secret, ctrl_secret;
  };
  std::vector<Reauthentication> reauthentications() const;
  std::vector<std::string> registrations() const;  // devices that got a DIM registration
  size_t device_count() const;
  std::optional<KernelDevice> FindDevice(const std::string& subsysnqn,
                                         const std::string& traddr) const;

  // --- NvmeKernel ---
  bool FabricsAvailable() override { return true; }
  std::vector<std::string> SupportedOptions() override;
  KernelFeatures Features() override;
  // The number of uevents sent so far.
  uint64_t UeventSeqnum() override;
  Result<std::string> Connect(const ConnectRequest& req) override;
  Status Disconnect(const std::string& device) override;
  // As the kernel: EINVAL for a kind of secret the device was made without.
  Status Reauthenticate(const std::string& device, const std::string& host_secret,
                        const std::string& ctrl_secret) override;
  Result<DiscoveryLogPage> GetDiscoveryLog(const std::string& device, uint8_t lsp,
                                           const DiscoveryLogLimits& limits) override;
  Result<uint32_t> GetDiscoveryLogSupport(const std::string& device) override;
  Result<RegistrationResult> RegisterHost(const std::string& device, const HostInfo& host) override;
  std::vector<KernelDevice> ListDevices() override;
  std::optional<KernelDevice> GetDevice(const std::string& device) override;
  std::string GetDeviceState(const std::string& device) override;
  std::vector<NamespaceInfo> ListNamespaces(const std::string& device) override;
  Status RescanNamespaces(const std::string& device) override;

  // --- KernelEvents ---
  Status Start(Handler handler) override;

 private:
  struct Device {
    KernelDevice info;
    bool persistent = false;  // a DC with a keep-alive: receives AENs
    std::chrono::seconds reconnect_delay{kDefaultReconnectDelay};
    int max_reconnects = 0;  // -1: forever (the kernel's nvmf_should_reconnect())
    int nr_reconnects = 0;
    // Which reconnect loop the pending retry belongs to (0: none): a retry of a loop that has
    // ended (the device went live, was deleted or set by the test) finds another value.
    uint64_t recovery = 0;
    bool scanned = false;                      // its namespaces are attached (I/O controllers)
    std::string host_secret{}, ctrl_secret{};  // the DH-HMAC-CHAP secrets it was made with
  };
  static Device NewDevice(KernelDevice info, bool persistent, const ConnectOptions& options);
  SimPort* FindPort(const std::string& traddr, const std::string& trsvcid);  // REQUIRES: mu_
  std::optional<int> TakeFailure(const std::string& op);                     // REQUIRES: mu_
  void Emit(KernelEvent ev);                                                 // REQUIRES: mu_
  std::string NewDeviceName();                                               // REQUIRES: mu_
  // The device's port is down: "connecting", and a retry after reconnect-delay (or deleted at
  // once when ctrl-loss-tmo is 0).
  void StartReconnecting(const std::string& name, Device& dev);    // REQUIRES: mu_
  void ScheduleRetry(const std::string& name, const Device& dev);  // REQUIRES: mu_
  // A retry's timer fired. Loop thread.
  void Retry(const std::string& name, uint64_t recovery);
  void Delete(const std::string& name);  // REQUIRES: mu_; the kernel deletes it, remove event
  // The namespaces of a device as the kernel names them under it. REQUIRES: mu_
  std::vector<NamespaceInfo> NamespacesOf(const std::string& name, const Device& dev);
  // A device's namespaces are attached now: "block" add events. REQUIRES: mu_
  void Scan(const std::string& name, Device& dev);
  // Fails admin commands to a device that is missing, on a port that is down, or not live.
  std::optional<Unexpected> CheckAdmin(const char* what, const std::string& device);  // mu_

  EventLoop& loop_;
  mutable std::mutex mu_;
  std::vector<SimPort> ports_;
  std::map<std::string, Device> devices_;
  std::map<std::string, std::deque<int>> failures_;
  std::map<std::string, std::vector<NamespaceInfo>> namespaces_;  // by subsystem NQN
  std::map<std::string, int> subsys_instances_;  // by subsystem NQN: the "nvme<S>" of heads
  bool scan_held_ = false;
  KernelFeatures features_{{"instance",         "cntlid",
                            "transport",        "traddr",
                            "trsvcid",          "nqn",
                            "queue_size",       "nr_io_queues",
                            "reconnect_delay",  "ctrl_loss_tmo",
                            "keep_alive_tmo",   "hostnqn",
                            "host_traddr",      "host_iface",
                            "hostid",           "duplicate_connect",
                            "disable_sqflow",   "hdr_digest",
                            "data_digest",      "nr_write_queues",
                            "nr_poll_queues",   "tos",
                            "fast_io_fail_tmo", "discovery",
                            "dhchap_secret",    "dhchap_ctrl_secret"},
                           true};
  int rescan_calls_ = 0;
  std::vector<ConnectRequest> connects_;
  std::vector<std::string> connect_strings_;
  FakeKeyrings keyrings_;
  std::vector<Reauthentication> reauthentications_;
  std::vector<std::string> registrations_;
  Handler handler_;
  int next_instance_ = 0;
  uint64_t next_recovery_ = 1;
  int connect_calls_ = 0;
  uint64_t seqnum_ = 0;  // uevents sent
  int disconnect_calls_ = 0;
  int parallel_ = 0;
  int max_parallel_ = 0;
  std::chrono::milliseconds latency_{0};
  Lifetime lifetime_;  // retries scheduled on the loop do nothing once the kernel is gone
};

// A live I/O controller someone else made (for AddExistingDevice()), with namespaces.
KernelDevice ExistingIoDevice(const std::string& subsysnqn, const std::string& traddr,
                              const std::string& trsvcid, const std::string& hostnqn);

// A discovery log entry for tests: tcp, IPv4 (IPv6 if traddr contains ':').
RawLogEntry SimEntry(const std::string& subnqn, const std::string& traddr,
                     const std::string& trsvcid, uint8_t subtype = 2, uint16_t eflags = 0);

}  // namespace stas::testing
