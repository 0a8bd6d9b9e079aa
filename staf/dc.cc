#include "staf/dc.h"

#include <cerrno>

#include "common/config_json.h"
#include "common/log.h"
#include "common/connect_or_adopt.h"

namespace stas::staf {
namespace {

// NVMe: Get Log Page, Discovery log, Log Specific Parameter "Port Local Entries Only".
constexpr uint8_t kLspPleo = 0x2;
constexpr uint32_t kLidSupportPleo = 0x2;
constexpr uint32_t kLidSupportExtDlpe = 0x1;
constexpr uint32_t kLidSupportAllSubE = 0x4;

std::string SupportBits(uint32_t bits) {
  std::string out;
  auto add = [&](uint32_t bit, const char* name) {
    if (bits & bit) out += (out.empty() ? "" : ", ") + std::string(name);
  };
  add(kLidSupportExtDlpe, "EXTDLPES");
  add(kLidSupportPleo, "PLEOS");
  add(kLidSupportAllSubE, "ALLSUBES");
  return out.empty() ? "none" : out;
}

bool SameReferrals(const std::vector<LogEntry>& a, const std::vector<LogEntry>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].AsDict() != b[i].AsDict()) return false;
  }
  return true;
}

}  // namespace

const char* OriginName(Origin o) {
  switch (o) {
    case Origin::kConfigured:
      return "configured";
    case Origin::kDiscovered:
      return "discovered";
    case Origin::kReferral:
      return "referral";
  }
  return "configured";
}

std::optional<Origin> OriginFromName(const std::string& name) {
  for (Origin o : {Origin::kConfigured, Origin::kDiscovered, Origin::kReferral}) {
    if (name == OriginName(o)) return o;
  }
  return std::nullopt;
}

Dc::Dc(DcContext& ctx, ConnectRequest request, Origin origin,
       std::vector<std::pair<std::string, std::string>> extras)
    : ctx_(ctx),
      request_(std::move(request)),
      origin_(origin),
      extras_(std::move(extras)),
      connect_timer_(ctx.loop, kFastConnectRetry, [this] { TryConnect(); }),
      register_timer_(ctx.loop, kRegisterRetry, [this] { RunIfIdle(&Dc::Register); }),
      support_timer_(ctx.loop, kSupportRetry, [this] { RunIfIdle(&Dc::GetSupport); }),
      log_timer_(ctx.loop, kLogRetry, [this] { RunIfIdle(&Dc::GetLog); }) {}

Dc::~Dc() = default;

std::string Dc::Prefix() const {
  return tid().ToString() + " | " + (device_.empty() ? "nvme?" : device_) + " - ";
}

void Dc::Start() {
  // Deferred so that the service finishes its reconciliation pass first (stas: Deferred).
  ctx_.loop.Post([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->TryConnect();
  });
}

std::vector<LogEntry> Dc::Referrals() const {
  std::vector<LogEntry> out;
  for (const LogEntry& e : log_) {
    if (e.IsReferral()) out.push_back(e);
  }
  return out;
}

void Dc::TryConnect() {
  if (disposing_ || op_ != Op::kNone || connected()) return;
  ++connect_attempts_;
  connect_stats_.exists = true;
  connect_stats_.completed = false;
  op_ = Op::kConnect;

  ConnectRequest req = request_;
  std::set<std::string> owned = ctx_.owned_devices ? ctx_.owned_devices() : std::set<std::string>{};
  NvmeKernel& kernel = ctx_.kernel;
  ctx_.runner.RunBlocking<ConnectOutcome>(
      weak_from_this(), [req, owned, &kernel]() { return ConnectOrAdopt(kernel, req, owned); },
      [this](ConnectOutcome o) {
        op_ = Op::kNone;
        if (!o.device) {
          OnConnectFailed(o.device.error());
        } else {
          if (!o.note.empty()) LOG_INFO("%s%s", Prefix().c_str(), o.note.c_str());
          OnConnected(*o.device, std::move(o.info), o.adopted);
        }
      });
}

void Dc::OnConnectFailed(const Error& err) {
  ++connect_stats_.fail_count;
  if (disposing_) return AfterOp();
  // nvme-stas: a quick second try 3 s after the first failure, then every 60 s; the error is
  // logged once, at the second failure, so that a DC that is merely slow does not alarm.
  if (connect_attempts_ == 2) {
    LOG_ERROR("%sFailed to connect to controller. %s", Prefix().c_str(), err.message.c_str());
  } else {
    LOG_DEBUG("%sconnect attempt %d failed: %s", Prefix().c_str(), connect_attempts_,
              err.message.c_str());
  }
  connect_timer_.Start(connect_attempts_ >= 2 ? kConnectRetry : kFastConnectRetry);
  AfterOp();
}

void Dc::OnConnected(std::string device, std::optional<KernelDevice> info, bool adopted) {
  device_ = std::move(device);
  kdev_ = std::move(info);
  connect_attempts_ = 0;
  connect_stats_.completed = true;
  connect_timer_.Stop();
  if (disposing_) return AfterOp();
  LOG_INFO("%s%s", Prefix().c_str(),
           adopted ? "Connection adopted (existing kernel controller)" : "Connection established!");
  Register();
}

void Dc::Register() {
  // TP8010: only DDCs and CDCs take explicit registrations. An unknown dctype (old kernels)
  // is tried: the backend answers ENOTSUP when the DC does not support it.
  std::string dctype = kdev_ ? kdev_->dctype : "";
  if (dctype == "none") return GetSupport();
  op_ = Op::kRegister;
  register_stats_.exists = true;
  register_stats_.completed = false;
  std::string dev = device_;
  HostInfo host = ctx_.host;
  NvmeKernel& kernel = ctx_.kernel;
  ctx_.runner.RunBlocking<Result<RegistrationResult>>(
      weak_from_this(), [dev, host, &kernel]() { return kernel.RegisterHost(dev, host); },
      [this](Result<RegistrationResult> r) {
        op_ = Op::kNone;
        if (disposing_ || !connected()) return AfterOp();
        if (!r && r.error().code == ENOTSUP) {
          LOG_DEBUG("%sDIM registration not supported", Prefix().c_str());
          register_stats_.exists = false;
        } else if (!r) {
          if (register_stats_.fail_count++ == 0) {
            LOG_ERROR("%sFailed to register with Discovery Controller. %s", Prefix().c_str(),
                      r.error().message.c_str());
          }
          register_timer_.Start();
          return AfterOp();
        } else if (r->status != 0) {
          LOG_WARNING("%sRegistration error. %s.", Prefix().c_str(), r->message.c_str());
        } else {
          LOG_INFO("%sRegistered with Discovery Controller", Prefix().c_str());
        }
        register_stats_.completed = true;
        GetSupport();
      });
}

void Dc::RunIfIdle(void (Dc::*step)()) {
  if (disposing_ || !connected()) return;
  if (op_ != Op::kNone) {
    // Something is already talking to the DC; the log page is fetched after it anyway.
    refetch_pending_ = true;
    return;
  }
  (this->*step)();
}

void Dc::GetSupport() {
  register_timer_.Stop();
  // PLEO is only asked of DDCs: a CDC's log page is the fabric's view by design.
  if (!ctx_.pleo || (kdev_ && kdev_->dctype == "cdc")) {
    lsp_ = 0;
    return GetLog();
  }
  op_ = Op::kSupport;
  support_stats_.exists = true;
  support_stats_.completed = false;
  std::string dev = device_;
  NvmeKernel& kernel = ctx_.kernel;
  ctx_.runner.RunBlocking<Result<uint32_t>>(
      weak_from_this(), [dev, &kernel]() { return kernel.GetDiscoveryLogSupport(dev); },
      [this](Result<uint32_t> r) {
        op_ = Op::kNone;
        if (disposing_ || !connected()) return AfterOp();
        int code = r ? 0 : r.error().code;
        if (!r && code != EINVAL && code != ENOTSUP && code != EOPNOTSUPP) {
          if (support_stats_.fail_count++ == 0) {
            LOG_ERROR("%sFailed to get supported log pages. %s", Prefix().c_str(),
                      r.error().message.c_str());
          }
          support_timer_.Start();
          return AfterOp();
        }
        // A DC that answers the query with an NVMe error status (Linux nvmet's discovery
        // controller only knows the discovery log) supports no log page options: asking
        // again every 5 s would never fetch its log page.
        uint32_t bits = r ? *r : 0;
        if (!r) LOG_DEBUG("%sGet Supported Log Pages refused: %s", Prefix().c_str(), r.error().message.c_str());
        support_stats_.completed = true;
        LOG_DEBUG("%sDiscovery log page support: %s", Prefix().c_str(), SupportBits(bits).c_str());
        lsp_ = (bits & kLidSupportPleo) ? kLspPleo : 0;
        GetLog();
      });
}

void Dc::GetLog() {
  support_timer_.Stop();
  log_timer_.Stop();
  refetch_pending_ = false;
  op_ = Op::kLog;
  log_stats_.exists = true;
  log_stats_.completed = false;
  std::string dev = device_;
  uint8_t lsp = lsp_;
  NvmeKernel& kernel = ctx_.kernel;
  ctx_.runner.RunBlocking<Result<std::vector<RawLogEntry>>>(
      weak_from_this(), [dev, lsp, &kernel]() { return kernel.GetDiscoveryLog(dev, lsp); },
      [this](Result<std::vector<RawLogEntry>> r) {
        op_ = Op::kNone;
        if (disposing_ || !connected()) return AfterOp();
        if (!r) {
          if (log_stats_.fail_count++ == 0) {
            LOG_ERROR("%sFailed to retrieve log pages. %s", Prefix().c_str(),
                      r.error().message.c_str());
          }
          log_timer_.Start();
          return AfterOp();
        }
        log_stats_.completed = true;
        log_stats_.fail_count = 0;
        ValidatedLog v = ValidateLogEntries(*r);
        for (const LogEntryProblem& p : v.rejected) {
          LOG_WARNING("%sRejected discovery log entry #%zu (%s): %s", Prefix().c_str(), p.index,
                      p.reason.c_str(), p.shown.c_str());
        }
        std::vector<LogEntry> old_referrals = Referrals();
        log_ = std::move(v.entries);
        LOG_INFO("%sReceived discovery log pages (num records=%zu).", Prefix().c_str(),
                 log_.size());
        if (ctx_.on_log_pages) ctx_.on_log_pages(*this);
        if (!SameReferrals(old_referrals, Referrals()) && ctx_.on_referrals_changed) {
          ctx_.on_referrals_changed(*this);
        }
        AfterOp();
      });
}

void Dc::AfterOp() {
  if (op_ != Op::kNone) return;
  if (disposing_) {
    if (on_idle_) {
      auto finish = std::move(on_idle_);
      on_idle_ = nullptr;
      finish();
    }
    return;
  }
  if (!connected()) return;
  if (resync_pending_) {
    resync_pending_ = false;
    refetch_pending_ = false;
    return Register();
  }
  if (refetch_pending_) GetLog();
}

void Dc::OnKernelEvent(const KernelEvent& ev) {
  if (disposing_ || ev.device != device_ || device_.empty()) return;
  switch (ev.action) {
    case KernelEvent::Action::kRemove:
      return OnDeviceRemoved();
    case KernelEvent::Action::kAdd:
      return;
    case KernelEvent::Action::kChange:
      break;
  }
  if (!ev.aen.empty()) {
    LOG_INFO("%sReceived AEN: %s", Prefix().c_str(), ev.aen.c_str());
    if (ev.aen == kAenDiscoveryLogChanged) RunIfIdle(&Dc::GetLog);
    return;
  }
  if (ev.event == "connected" || ev.event == "rediscover") {
    // The kernel re-established a persistent DC connection: register again, fetch again.
    LOG_DEBUG("%sNVME_EVENT=%s", Prefix().c_str(), ev.event.c_str());
    if (op_ != Op::kNone) {
      resync_pending_ = true;
    } else {
      Register();
    }
  }
}

void Dc::OnDeviceRemoved() {
  LOG_INFO("%sDevice removed by the kernel; reconnecting", Prefix().c_str());
  device_.clear();
  kdev_.reset();
  connect_attempts_ = 0;
  register_timer_.Stop();
  support_timer_.Stop();
  log_timer_.Stop();
  // The cached log page stays: stacd keeps its I/O connections while the DC is away.
  connect_timer_.Start(kFastConnectRetry);
}

void Dc::Resync() {
  if (disposing_) return;
  if (!connected()) {
    if (op_ == Op::kNone) {
      connect_timer_.Stop();
      TryConnect();
    }
    return;
  }
  if (op_ != Op::kNone) {
    resync_pending_ = true;
  } else {
    Register();
  }
}

void Dc::Dispose(bool keep_connection, std::function<void(bool)> done) {
  disposing_ = true;
  connect_timer_.Stop();
  register_timer_.Stop();
  support_timer_.Stop();
  log_timer_.Stop();
  auto finish = [this, keep_connection, done = std::move(done)]() {
    if (keep_connection || device_.empty()) return done(true);
    op_ = Op::kDisconnect;
    std::string dev = device_;
    NvmeKernel& kernel = ctx_.kernel;
    ctx_.runner.RunBlocking<Status>(
        weak_from_this(), [dev, &kernel]() { return kernel.Disconnect(dev); },
        [this, done](Status s) {
          op_ = Op::kNone;
          if (!s) {
            LOG_ERROR("%sFailed to disconnect: %s", Prefix().c_str(), s.error().message.c_str());
          } else {
            LOG_INFO("%sDisconnected", Prefix().c_str());
            device_.clear();
          }
          done(static_cast<bool>(s));
        });
  };
  if (op_ != Op::kNone) {
    on_idle_ = std::move(finish);
  } else {
    finish();
  }
}

std::string Dc::OpString(const OpStats& s) {
  // nvme-stas shows str(AsyncTask.as_dict()), a Python dict repr.
  return std::string("{'fail count': ") + std::to_string(s.fail_count) +
         ", 'completed': " + (s.completed ? "True" : "False") + ", 'alive': True}";
}

std::vector<std::pair<std::string, std::string>> Dc::IdDict() const {
  std::vector<std::pair<std::string, std::string>> d = tid().CoreFields();
  std::pair<std::string, std::string> host_nqn = d.back();
  d.pop_back();
  bool host_nqn_placed = false;
  for (const auto& [key, value] : extras_) {
    if (key == "host-nqn") {
      d.push_back(host_nqn);  // keeps the position it had in the file, with the final value
      host_nqn_placed = true;
    } else if (key == "dhchap-secret" || key == "dhchap-ctrl-secret") {
      d.emplace_back(key, kRedacted);  // never hand secrets to D-Bus callers
    } else {
      d.emplace_back(key, value);
    }
  }
  if (!host_nqn_placed) d.push_back(host_nqn);
  d.emplace_back("device", device_.empty() ? "nvme?" : device_);
  return d;
}

std::vector<std::pair<std::string, std::string>> Dc::Info() const {
  auto d = IdDict();
  d.emplace_back("connect attempts", std::to_string(connect_attempts_));
  d.emplace_back("retry connect timer", connect_timer_.ToString());
  if (connect_stats_.exists) d.emplace_back("connect operation", OpString(connect_stats_));
  d.emplace_back("origin", OriginName(origin_));
  if (log_stats_.exists) d.emplace_back("get log page operation", OpString(log_stats_));
  if (register_stats_.exists) d.emplace_back("register operation", OpString(register_stats_));
  if (support_stats_.exists) {
    d.emplace_back("get supported log page operation", OpString(support_stats_));
  }
  return d;
}

std::vector<std::pair<std::string, std::string>> Dc::Details() const {
  auto d = Info();
  auto attr = [this](std::string KernelDevice::*field) {
    return kdev_ ? (*kdev_).*field : std::string();
  };
  d.emplace_back("hostid", attr(&KernelDevice::hostid));
  d.emplace_back("hostnqn", attr(&KernelDevice::hostnqn));
  d.emplace_back("model", attr(&KernelDevice::model));
  d.emplace_back("serial", attr(&KernelDevice::serial));
  d.emplace_back("dctype", attr(&KernelDevice::dctype));
  d.emplace_back("cntrltype", attr(&KernelDevice::cntrltype));
  d.emplace_back("connected", connected() ? "True" : "False");
  return d;
}

}  // namespace stas::staf
