// SPDX-License-Identifier: Apache-2.0
#include "common/testing/simulated_kernel.h"

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <thread>

#include "common/defs.h"
#include "common/kernel/connect_string.h"
#include "common/kernel/controller_state.h"

namespace stas::testing {
namespace {

Unexpected Errno(const char* what, int code) {
  return Fail(code, std::string(what) + ": " + std::generic_category().message(code));
}

}  // namespace

KernelDevice ExistingIoDevice(const std::string& subsysnqn, const std::string& traddr,
                              const std::string& trsvcid, const std::string& hostnqn) {
  KernelDevice d;
  d.transport = "tcp";
  d.traddr = traddr;
  d.trsvcid = trsvcid;
  d.subsysnqn = subsysnqn;
  d.hostnqn = hostnqn;
  d.cntrltype = "io";
  d.has_namespaces = true;
  return d;
}

RawLogEntry SimEntry(const std::string& subnqn, const std::string& traddr,
                     const std::string& trsvcid, uint8_t subtype, uint16_t eflags) {
  RawLogEntry e;
  e.trtype = 3;  // tcp
  e.adrfam = traddr.find(':') != std::string::npos ? 2 : 1;
  e.subtype = subtype;
  e.treq = 0;
  e.portid = 1;
  e.cntlid = 0xffff;
  e.asqsz = 32;
  e.eflags = eflags;
  e.subnqn = subnqn;
  e.traddr = traddr;
  e.trsvcid = trsvcid;
  return e;
}

void SimulatedKernel::AddPort(SimPort port) {
  std::lock_guard<std::mutex> lock(mu_);
  ports_.push_back(std::move(port));
}

SimPort* SimulatedKernel::FindPort(const std::string& traddr, const std::string& trsvcid) {
  for (SimPort& p : ports_) {
    if (p.traddr == traddr && p.trsvcid == trsvcid)
      return &p;
  }
  return nullptr;
}

void SimulatedKernel::SetLog(const std::string& traddr, const std::string& trsvcid,
                             std::vector<RawLogEntry> log) {
  std::lock_guard<std::mutex> lock(mu_);
  SimPort* port = FindPort(traddr, trsvcid);
  if (port == nullptr)
    return;
  port->log = std::move(log);
  for (auto& [name, dev] : devices_) {
    if (dev.persistent && dev.info.traddr == traddr && dev.info.trsvcid == trsvcid) {
      KernelEvent ev;
      ev.action = KernelEvent::Action::kChange;
      ev.device = name;
      ev.aen = kAenDiscoveryLogChanged;
      Emit(ev);
    }
  }
}

void SimulatedKernel::SetPortUp(const std::string& traddr, const std::string& trsvcid, bool up) {
  std::lock_guard<std::mutex> lock(mu_);
  SimPort* port = FindPort(traddr, trsvcid);
  if (port == nullptr || port->up == up)
    return;
  port->up = up;
  if (up)
    return;  // the devices come back at their next retry
  for (auto& [name, dev] : devices_) {
    const KernelDevice& d = dev.info;
    if (d.state == kCtrlStateLive && d.transport == port->transport && d.traddr == traddr &&
        d.trsvcid == trsvcid) {
      StartReconnecting(name, dev);
    }
  }
  // Deleted at once (ctrl-loss-tmo 0): erased after the loop, which must not see it go.
  for (auto it = devices_.begin(); it != devices_.end();) {
    auto next = std::next(it);
    if (it->second.info.state == kCtrlStateDeleting)
      Delete(it->first);
    it = next;
  }
}

SimulatedKernel::Device SimulatedKernel::NewDevice(KernelDevice info, bool persistent,
                                                   const ConnectOptions& options) {
  Device dev{.info = std::move(info), .persistent = persistent};
  // The kernel's option parsing (nvmf_parse_options()): reconnect_delay must be positive;
  // a negative ctrl_loss_tmo means reconnect forever.
  int delay = options.reconnect_delay.value_or(kDefaultReconnectDelay);
  if (delay <= 0)
    delay = kDefaultReconnectDelay;
  dev.reconnect_delay = std::chrono::seconds(delay);
  int tmo = options.ctrl_loss_tmo.value_or(kDefaultCtrlLossTmo);
  dev.max_reconnects = tmo < 0 ? -1 : (tmo + delay - 1) / delay;
  return dev;
}

void SimulatedKernel::StartReconnecting(const std::string& name, Device& dev) {
  // The kernel's error recovery: resetting, then connecting, then nvme_*_reconnect_or_remove().
  dev.info.state = kCtrlStateConnecting;
  dev.nr_reconnects = 0;
  dev.recovery = next_recovery_++;
  if (dev.max_reconnects == 0) {
    dev.info.state = kCtrlStateDeleting;
    dev.recovery = 0;
    return;
  }
  ScheduleRetry(name, dev);
}

void SimulatedKernel::ScheduleRetry(const std::string& name, const Device& dev) {
  // Through Post(), which any thread may call; the timer is then added on the loop thread.
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(dev.reconnect_delay);
  uint64_t recovery = dev.recovery;
  loop_.Post(lifetime_.Guard([this, name, recovery, delay] {
    loop_.AddTimer(delay, lifetime_.Guard([this, name, recovery] { Retry(name, recovery); }));
  }));
}

void SimulatedKernel::Retry(const std::string& name, uint64_t recovery) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = devices_.find(name);
  if (it == devices_.end() || it->second.recovery != recovery || recovery == 0)
    return;
  Device& dev = it->second;
  ++dev.nr_reconnects;
  const SimPort* port = FindPort(dev.info.traddr, dev.info.trsvcid);
  if (port != nullptr && port->up) {
    dev.info.state = kCtrlStateLive;
    dev.recovery = 0;
    dev.nr_reconnects = 0;
    KernelEvent ev;
    ev.action = KernelEvent::Action::kChange;
    ev.device = name;
    ev.event = "connected";  // nvme_start_ctrl()
    Emit(ev);
    return;
  }
  if (dev.max_reconnects >= 0 && dev.nr_reconnects >= dev.max_reconnects) {
    Delete(name);  // "Removing controller..." once ctrl-loss-tmo has run out
    return;
  }
  ScheduleRetry(name, dev);
}

void SimulatedKernel::Delete(const std::string& name) {
  auto it = devices_.find(name);
  if (it == devices_.end())
    return;
  // The event is made before the erase: `name` may be the erased entry's own key.
  KernelEvent ev;
  ev.action = KernelEvent::Action::kRemove;
  ev.device = name;
  devices_.erase(it);
  Emit(ev);
}

void SimulatedKernel::SetDeviceState(const std::string& name, const std::string& state) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = devices_.find(name);
  if (it == devices_.end())
    return;
  it->second.info.state = state;
  it->second.recovery = 0;
}

void SimulatedKernel::SetSubsystems(const std::string& traddr, const std::string& trsvcid,
                                    std::vector<std::string> subsystems) {
  std::lock_guard<std::mutex> lock(mu_);
  if (SimPort* port = FindPort(traddr, trsvcid))
    port->subsystems = std::move(subsystems);
}

bool SimulatedKernel::HasPort(const std::string& traddr, const std::string& trsvcid) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const SimPort& p : ports_) {
    if (p.traddr == traddr && p.trsvcid == trsvcid)
      return true;
  }
  return false;
}

void SimulatedKernel::FailNext(const std::string& op, int count, int code) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < count; ++i)
    failures_[op].push_back(code);
}

std::optional<int> SimulatedKernel::TakeFailure(const std::string& op) {
  auto it = failures_.find(op);
  if (it == failures_.end() || it->second.empty())
    return std::nullopt;
  int code = it->second.front();
  it->second.pop_front();
  return code;
}

std::string SimulatedKernel::NewDeviceName() {
  return "nvme" + std::to_string(next_instance_++);
}

std::string SimulatedKernel::AddExistingDevice(KernelDevice device, const ConnectOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  device.name = NewDeviceName();
  if (device.state.empty())
    device.state = kCtrlStateLive;
  std::string name = device.name;
  KernelEvent ev;
  ev.action = KernelEvent::Action::kAdd;
  ev.device = name;
  devices_[name] = NewDevice(std::move(device), false, options);
  Emit(ev);
  if (devices_[name].info.IsIo() && !scan_held_)
    Scan(name, devices_[name]);
  return name;
}

void SimulatedKernel::RemoveDevice(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Delete(name);
}

void SimulatedKernel::SendEvent(const std::string& name, const std::string& event) {
  std::lock_guard<std::mutex> lock(mu_);
  KernelEvent ev;
  ev.action = KernelEvent::Action::kChange;
  ev.device = name;
  ev.event = event;
  Emit(ev);
}

void SimulatedKernel::SetNamespaces(const std::string& subsysnqn,
                                    std::vector<NamespaceInfo> namespaces) {
  std::lock_guard<std::mutex> lock(mu_);
  namespaces_[subsysnqn] = std::move(namespaces);
  for (auto& [name, dev] : devices_) {
    if (dev.scanned && dev.info.subsysnqn == subsysnqn)
      Scan(name, dev);
  }
}

void SimulatedKernel::SetScanHeld(bool held) {
  std::lock_guard<std::mutex> lock(mu_);
  scan_held_ = held;
}

std::vector<NamespaceInfo> SimulatedKernel::NamespacesOf(const std::string& name,
                                                         const Device& dev) {
  auto it = namespaces_.find(dev.info.subsysnqn);
  if (!dev.scanned || it == namespaces_.end())
    return {};
  auto [inst, added] =
      subsys_instances_.emplace(dev.info.subsysnqn, static_cast<int>(subsys_instances_.size()));
  (void)added;
  const std::string subsys = "nvme" + std::to_string(inst->second);
  std::vector<NamespaceInfo> out;
  for (NamespaceInfo ns : it->second) {
    ns.block = subsys + "n" + std::to_string(ns.nsid);
    ns.path = subsys + "c" + name.substr(4) + "n" + std::to_string(ns.nsid);
    out.push_back(std::move(ns));
  }
  return out;
}

void SimulatedKernel::Scan(const std::string& name, Device& dev) {
  dev.scanned = true;
  for (const NamespaceInfo& ns : NamespacesOf(name, dev)) {
    KernelEvent ev;
    ev.action = KernelEvent::Action::kAdd;
    ev.subsystem = "block";
    ev.device = ns.path;
    Emit(ev);
  }
}

std::vector<NamespaceInfo> SimulatedKernel::ListNamespaces(const std::string& device) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = devices_.find(device);
  if (it == devices_.end())
    return {};
  return NamespacesOf(device, it->second);
}

Status SimulatedKernel::RescanNamespaces(const std::string& device) {
  std::lock_guard<std::mutex> lock(mu_);
  ++rescan_calls_;
  auto it = devices_.find(device);
  if (it == devices_.end())
    return Errno("rescan_controller", ENODEV);
  Scan(device, it->second);
  return {};
}

int SimulatedKernel::rescan_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rescan_calls_;
}

uint64_t SimulatedKernel::UeventSeqnum() {
  std::lock_guard<std::mutex> lock(mu_);
  return seqnum_;
}

void SimulatedKernel::Emit(KernelEvent ev) {
  ++seqnum_;
  if (!handler_)
    return;
  Handler h = handler_;
  loop_.Post([h, ev]() { h(ev); });
}

KeySerial SimulatedKernel::AddKeyring(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  return keyrings_.AddKeyring(name);
}

std::vector<ConnectRequest> SimulatedKernel::connect_requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connects_;
}
std::vector<std::string> SimulatedKernel::connect_strings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connect_strings_;
}
std::vector<TlsKeyEntry> SimulatedKernel::psk_keys(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto ring = keyrings_.rings_.find(name);
  std::vector<TlsKeyEntry> keys;
  if (ring == keyrings_.rings_.end())
    return keys;
  for (const auto& [serial, key] : keyrings_.keys_) {
    if (key.ring == ring->second && key.type == kPskKeyType)
      keys.push_back({serial, key.description});
  }
  return keys;
}
int SimulatedKernel::connect_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connect_calls_;
}
int SimulatedKernel::max_parallel_connects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_parallel_;
}
int SimulatedKernel::disconnect_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return disconnect_calls_;
}
std::vector<std::string> SimulatedKernel::registrations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return registrations_;
}
size_t SimulatedKernel::device_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return devices_.size();
}

std::optional<KernelDevice> SimulatedKernel::FindDevice(const std::string& subsysnqn,
                                                        const std::string& traddr) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, dev] : devices_) {
    if (dev.info.subsysnqn == subsysnqn && dev.info.traddr == traddr)
      return dev.info;
  }
  return std::nullopt;
}

std::vector<std::string> SimulatedKernel::SupportedOptions() {
  return Features().options;
}

KernelFeatures SimulatedKernel::Features() {
  std::lock_guard<std::mutex> lock(mu_);
  return features_;
}

void SimulatedKernel::SetFeatures(KernelFeatures features) {
  std::lock_guard<std::mutex> lock(mu_);
  features_ = std::move(features);
}

Result<std::string> SimulatedKernel::Connect(const ConnectRequest& req) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++connect_calls_;
    connects_.push_back(req);
    max_parallel_ = std::max(max_parallel_, ++parallel_);
  }
  if (latency_.count() > 0)
    std::this_thread::sleep_for(latency_);
  std::lock_guard<std::mutex> lock(mu_);
  --parallel_;
  if (auto code = TakeFailure("connect"))
    return Errno("connect", *code);
  if (Result<std::string> text = BuildConnectString(req)) {
    if (std::optional<std::string> why = MissingKernelFeature(features_, *text))
      return Fail(EOPNOTSUPP, *why);
  }
  // As NvmeKernelLibnvme::Connect(): the configured keyring and PSK made ready first.
  Result<TlsKeySerials> serials = PrepareTlsKeys(keyrings_, req, true);
  if (!serials)
    return Fail(serials.error());
  if (Result<std::string> text = BuildConnectString(req, *serials))
    connect_strings_.push_back(std::move(*text));
  const Tid& tid = req.tid;
  SimPort* port = FindPort(tid.traddr(), tid.trsvcid());
  if (port == nullptr || !port->up || port->transport != tid.transport()) {
    return Errno("connect", ECONNREFUSED);
  }
  bool is_dc = req.discovery || tid.subsysnqn() == kWellKnownDiscoveryNqn;
  if (!is_dc) {
    bool exposed = false;
    for (const std::string& s : port->subsystems)
      exposed = exposed || s == tid.subsysnqn();
    if (!exposed)
      return Errno("connect", EIO);  // the target refuses the connect
    for (const auto& [name, dev] : devices_) {
      const KernelDevice& d = dev.info;
      // The kernel's duplicate check (nvmf_ctlr_matches_baseopts()) skips the controllers
      // it is deleting.
      if (d.IsIo() && !IsBeingDeleted(d.state) && d.subsysnqn == tid.subsysnqn() &&
          d.traddr == tid.traddr() && d.trsvcid == tid.trsvcid() && d.hostnqn == tid.host_nqn() &&
          d.host_traddr == tid.host_traddr() && d.host_iface == tid.host_iface()) {
        return Errno("connect", EALREADY);  // the kernel refuses duplicate I/O connects
      }
    }
  }
  KernelDevice d;
  d.name = NewDeviceName();
  d.transport = tid.transport();
  d.traddr = tid.traddr();
  d.trsvcid = tid.trsvcid();
  d.host_traddr = tid.host_traddr();
  d.host_iface = tid.host_iface();
  d.subsysnqn = tid.subsysnqn();
  d.hostnqn = tid.host_nqn();
  d.hostid = req.host.hostid;
  d.cntrltype = is_dc ? "discovery" : "io";
  d.dctype = is_dc ? port->dctype : "none";
  d.model = "Linux";
  d.serial = "sim" + std::to_string(next_instance_);
  d.state = kCtrlStateLive;
  d.has_namespaces = !is_dc;
  std::string name = d.name;
  // Every discovery connection is made with a keep-alive (BuildConnectString()), which is
  // what makes it persistent.
  bool persistent = is_dc;
  devices_[name] = NewDevice(std::move(d), persistent, req.options);
  devices_[name].host_secret = HostSecretOf(req);
  devices_[name].ctrl_secret = req.dhchap_ctrl_secret.value_or("");
  KernelEvent ev;
  ev.action = KernelEvent::Action::kAdd;
  ev.device = name;
  Emit(ev);
  if (!is_dc && !scan_held_)
    Scan(name, devices_[name]);
  return name;
}

Status SimulatedKernel::Disconnect(const std::string& device) {
  std::lock_guard<std::mutex> lock(mu_);
  ++disconnect_calls_;
  if (auto code = TakeFailure("disconnect"))
    return Errno("nvme_disconnect_ctrl", *code);
  if (devices_.erase(device) == 0)
    return Errno("nvme_disconnect_ctrl", ENODEV);
  KernelEvent ev;
  ev.action = KernelEvent::Action::kRemove;
  ev.device = device;
  Emit(ev);
  return {};
}

Status SimulatedKernel::Reauthenticate(const std::string& device, const std::string& host_secret,
                                       const std::string& ctrl_secret) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = devices_.find(device);
  if (it == devices_.end())
    return Errno("dhchap_secret", ENODEV);
  Device& dev = it->second;
  if (dev.host_secret.empty() || (!ctrl_secret.empty() && dev.ctrl_secret.empty()))
    return Errno("dhchap_secret", EINVAL);
  dev.host_secret = host_secret;
  if (!ctrl_secret.empty())
    dev.ctrl_secret = ctrl_secret;
  reauthentications_.push_back({device, host_secret, ctrl_secret});
  return {};
}

std::vector<SimulatedKernel::Reauthentication> SimulatedKernel::reauthentications() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reauthentications_;
}

std::optional<Unexpected> SimulatedKernel::CheckAdmin(const char* what, const std::string& device) {
  auto it = devices_.find(device);
  if (it == devices_.end())
    return Errno(what, ENODEV);
  SimPort* port = FindPort(it->second.info.traddr, it->second.info.trsvcid);
  // The real kernel holds a command to a controller that is not live until it is live again
  // or deleted; failing it at once is what the caller sees of that, without the wait.
  if ((port != nullptr && !port->up) || it->second.info.state != kCtrlStateLive)
    return Errno(what, ETIMEDOUT);
  return std::nullopt;
}

Result<DiscoveryLogPage> SimulatedKernel::GetDiscoveryLog(const std::string& device,
                                                          uint8_t /*lsp*/,
                                                          const DiscoveryLogLimits& limits) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto code = TakeFailure("log"))
    return Errno("nvmf_get_discovery_log", *code);
  if (auto failed = CheckAdmin("nvmf_get_discovery_log", device))
    return *failed;
  const KernelDevice& d = devices_.at(device).info;
  SimPort* port = FindPort(d.traddr, d.trsvcid);
  if (port == nullptr)
    return Errno("nvmf_get_discovery_log", ETIMEDOUT);
  if (port->log_read_time > limits.deadline)
    return Fail(kErrLogReadDeadline,
                "reading the discovery log page took longer than log-page-read-timeout");
  DiscoveryLogPage page;
  page.numrec = port->log.size();
  size_t kept = std::min<size_t>(port->log.size(), limits.max_entries);
  page.entries.assign(port->log.begin(), port->log.begin() + static_cast<std::ptrdiff_t>(kept));
  return page;
}

Result<uint32_t> SimulatedKernel::GetDiscoveryLogSupport(const std::string& device) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto code = TakeFailure("support"))
    return Errno("nvme_get_log_supported_log_pages", *code);
  if (auto failed = CheckAdmin("nvme_get_log_supported_log_pages", device))
    return *failed;
  const KernelDevice& d = devices_.at(device).info;
  SimPort* port = FindPort(d.traddr, d.trsvcid);
  return port ? port->log_support : 0u;
}

Result<RegistrationResult> SimulatedKernel::RegisterHost(const std::string& device,
                                                         const HostInfo& /*host*/) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto code = TakeFailure("register"))
    return Errno("nvmf_register_ctrl", *code);
  if (auto failed = CheckAdmin("nvmf_register_ctrl", device))
    return *failed;
  auto it = devices_.find(device);
  if (it->second.info.dctype != "ddc" && it->second.info.dctype != "cdc") {
    return Errno("nvmf_register_ctrl", ENOTSUP);
  }
  registrations_.push_back(device);
  return RegistrationResult{};
}

std::vector<KernelDevice> SimulatedKernel::ListDevices() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<KernelDevice> out;
  for (const auto& [name, dev] : devices_)
    out.push_back(dev.info);
  return out;
}

std::optional<KernelDevice> SimulatedKernel::GetDevice(const std::string& device) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = devices_.find(device);
  if (it == devices_.end())
    return std::nullopt;
  return it->second.info;
}

std::string SimulatedKernel::GetDeviceState(const std::string& device) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = devices_.find(device);
  return it == devices_.end() ? std::string() : it->second.info.state;
}

Status SimulatedKernel::Start(Handler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(handler);
  return {};
}

}  // namespace stas::testing
