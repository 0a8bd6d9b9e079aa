// SPDX-License-Identifier: Apache-2.0
#include "common/testing/simulated_kernel.h"

#include <cerrno>
#include <system_error>
#include <thread>

#include "common/defs.h"

namespace stas::testing {
namespace {

Unexpected Errno(const char* what, int code) {
  return Fail(code, std::string(what) + ": " + std::generic_category().message(code));
}

}  // namespace

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
  if (SimPort* port = FindPort(traddr, trsvcid))
    port->up = up;
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

std::string SimulatedKernel::AddExistingDevice(KernelDevice device) {
  std::lock_guard<std::mutex> lock(mu_);
  device.name = NewDeviceName();
  if (device.state.empty())
    device.state = "live";
  std::string name = device.name;
  KernelEvent ev;
  ev.action = KernelEvent::Action::kAdd;
  ev.device = name;
  devices_[name] = Device{std::move(device), false};
  Emit(ev);
  return name;
}

void SimulatedKernel::RemoveDevice(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (devices_.erase(name) == 0)
    return;
  KernelEvent ev;
  ev.action = KernelEvent::Action::kRemove;
  ev.device = name;
  Emit(ev);
}

void SimulatedKernel::SendEvent(const std::string& name, const std::string& event) {
  std::lock_guard<std::mutex> lock(mu_);
  KernelEvent ev;
  ev.action = KernelEvent::Action::kChange;
  ev.device = name;
  ev.event = event;
  Emit(ev);
}

void SimulatedKernel::Emit(KernelEvent ev) {
  if (!handler_)
    return;
  Handler h = handler_;
  loop_.Post([h, ev]() { h(ev); });
}

std::vector<ConnectRequest> SimulatedKernel::connect_requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connects_;
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
  return {"instance",         "cntlid",
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
          "dhchap_secret",    "dhchap_ctrl_secret"};
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
    return Errno("nvmf_add_ctrl", *code);
  const Tid& tid = req.tid;
  SimPort* port = FindPort(tid.traddr(), tid.trsvcid());
  if (port == nullptr || !port->up || port->transport != tid.transport()) {
    return Errno("nvmf_add_ctrl", ECONNREFUSED);
  }
  bool is_dc = req.discovery || tid.subsysnqn() == kWellKnownDiscoveryNqn;
  if (!is_dc) {
    bool exposed = false;
    for (const std::string& s : port->subsystems)
      exposed = exposed || s == tid.subsysnqn();
    if (!exposed)
      return Errno("nvmf_add_ctrl", EIO);  // the target refuses the connect
    for (const auto& [name, dev] : devices_) {
      const KernelDevice& d = dev.info;
      if (d.IsIo() && d.subsysnqn == tid.subsysnqn() && d.traddr == tid.traddr() &&
          d.trsvcid == tid.trsvcid() && d.hostnqn == tid.host_nqn() &&
          d.host_traddr == tid.host_traddr() && d.host_iface == tid.host_iface()) {
        return Errno("nvmf_add_ctrl", EALREADY);  // the kernel refuses duplicate I/O connects
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
  d.state = "live";
  d.has_namespaces = !is_dc;
  std::string name = d.name;
  bool persistent = is_dc && req.options.kato.value_or(0) > 0;
  devices_[name] = Device{std::move(d), persistent};
  KernelEvent ev;
  ev.action = KernelEvent::Action::kAdd;
  ev.device = name;
  Emit(ev);
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

Result<std::vector<RawLogEntry>> SimulatedKernel::GetDiscoveryLog(const std::string& device,
                                                                  uint8_t /*lsp*/) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto code = TakeFailure("log"))
    return Errno("nvmf_get_discovery_log", *code);
  auto it = devices_.find(device);
  if (it == devices_.end())
    return Errno("nvmf_get_discovery_log", ENODEV);
  SimPort* port = FindPort(it->second.info.traddr, it->second.info.trsvcid);
  if (port == nullptr || !port->up)
    return Errno("nvmf_get_discovery_log", ETIMEDOUT);
  return port->log;
}

Result<uint32_t> SimulatedKernel::GetDiscoveryLogSupport(const std::string& device) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto code = TakeFailure("support"))
    return Errno("nvme_get_log_supported_log_pages", *code);
  auto it = devices_.find(device);
  if (it == devices_.end())
    return Errno("nvme_get_log_supported_log_pages", ENODEV);
  SimPort* port = FindPort(it->second.info.traddr, it->second.info.trsvcid);
  return port ? port->log_support : 0u;
}

Result<RegistrationResult> SimulatedKernel::RegisterHost(const std::string& device,
                                                         const HostInfo& /*host*/) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto code = TakeFailure("register"))
    return Errno("nvmf_register_ctrl", *code);
  auto it = devices_.find(device);
  if (it == devices_.end())
    return Errno("nvmf_register_ctrl", ENODEV);
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

Status SimulatedKernel::Start(Handler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(handler);
  return {};
}

}  // namespace stas::testing
