// SPDX-License-Identifier: Apache-2.0
#include "staf/dc.h"

#include <algorithm>
#include <cerrno>

#include "common/config/config.h"
#include "common/config/config_json.h"
#include "common/ip_address.h"
#include "common/log.h"

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
    if (bits & bit)
      out += (out.empty() ? "" : ", ") + std::string(name);
  };
  add(kLidSupportExtDlpe, "EXTDLPES");
  add(kLidSupportPleo, "PLEOS");
  add(kLidSupportAllSubE, "ALLSUBES");
  return out.empty() ? "none" : out;
}

bool SameReferrals(const std::vector<LogEntry>& a, const std::vector<LogEntry>& b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].AsDict() != b[i].AsDict())
      return false;
  }
  return true;
}

}  // namespace

Dc::Dc(DcContext& ctx, ConnectRequest request, Origin origin, Dict extras)
    : Controller(ctx.controller, std::move(request), std::move(extras)),
      dctx_(ctx),
      origin_(origin),
      log_generation_(++ctx.last_log_generation),
      register_timer_(ctx.controller.loop, kRegisterRetry, [this] { RunIfIdle(&Dc::Register); }),
      support_timer_(ctx.controller.loop, kSupportRetry, [this] { RunIfIdle(&Dc::GetSupport); }),
      log_timer_(ctx.controller.loop, kLogRetry, [this] { RunIfIdle(&Dc::GetLog); }),
      poll_timer_(ctx.controller.loop, ctx.epcsd_poll, [this] {
        LOG_INFO("%sParked: connecting to read the log page again", Prefix().c_str());
        TryConnect();
      }) {}

void Dc::SetCachedLog(std::vector<LogEntry> entries) {
  log_ = std::move(entries);
  log_generation_ = ++dctx_.last_log_generation;
  // What stafd served before its restart: as good as what stacd already acted on.
  first_read_done_ = true;
}

void Dc::FirstReadDone() {
  if (first_read_done_)
    return;
  first_read_done_ = true;
  if (dctx_.on_first_read_done)
    dctx_.on_first_read_done(*this);
}

EntrySelection Dc::SelectReferrals() const {
  return SelectEntries(
      log_, [](const LogEntry& e) { return e.IsReferral(); }, tid().transport(),
      dctx_.limits.follow_cross_transport, dctx_.limits.max_referrals_per_dc);
}

std::vector<LogEntry> Dc::Referrals() const {
  return SelectReferrals().used;
}

void Dc::NoteLimits(const DiscoveryLogPage& page) {
  const Limits& l = dctx_.limits;
  const std::string prefix = Prefix();
  limit_hits_.Clear(kLimitReadTimeout);  // this read finished in time
  limit_hits_.Note(prefix, kLimitLogEntries, std::to_string(l.max_log_page_entries),
                   page.numrec - page.entries.size(),
                   "Discovery log page cut: the DC lists " + std::to_string(page.numrec) +
                       " entries, the first " + std::to_string(page.entries.size()) +
                       " are used; entries dropped");
  EntrySelection referrals = SelectReferrals();
  limit_hits_.Note(prefix, kLimitReferrals, std::to_string(l.max_referrals_per_dc),
                   referrals.over_max, "Referral entries not followed");
  limit_hits_.Note(prefix, kLimitCrossTransport, "ignore", referrals.other_transport.size(),
                   "Referral entries of another transport than the DC's not followed (" +
                       EntriesText(referrals.other_transport) + ")");
}

void Dc::StopTimers() {
  register_timer_.Stop();
  support_timer_.Stop();
  log_timer_.Stop();
  poll_timer_.Stop();
}

void Dc::OnConnected(bool /*adopted*/) {
  parked_ = false;
  poll_failed_ = false;
  if (dctx_.on_connected)
    dctx_.on_connected(*this);
  Register();
}

void Dc::OnConnectFailed() {
  if (dctx_.on_connect_failed)
    dctx_.on_connect_failed(*this);
  // A parked DC that cannot be reached is tried again at the next poll, not every minute; it is
  // unreachable meanwhile (mDNS aging).
  if (parked_) {
    poll_failed_ = true;
    poll_timer_.Start(dctx_.epcsd_poll);
  }
  FirstReadDone();
}

DcPersistence PersistenceIn(const Dict& extras) {
  for (const auto& [key, value] : extras) {
    if (key == kDcPersistentKey)
      return ParseDcPersistence(value).value_or(DcPersistence::kUnset);
  }
  return DcPersistence::kUnset;
}

DcPersistence Dc::own_persistence() const {
  return PersistenceIn(extras());
}

void Dc::set_own_persistence(DcPersistence p) {
  if (p == own_persistence())
    return;
  SetExtra(kDcPersistentKey, p == DcPersistence::kUnset
                                 ? std::nullopt
                                 : std::optional<std::string>(DcPersistenceName(p)));
  ApplyPersistence();
}

bool Dc::EpcsdSet() const {
  for (const LogEntry& e : log_) {
    if (e.IsCurrentDc() && e.transport == tid().transport() && e.trsvcid == tid().trsvcid() &&
        SameAddress(e.traddr, tid().traddr()))
      return (e.eflags & kEflagsEpcsd) != 0;
  }
  return false;
}

DcPersistence Dc::persistence() const {
  DcPersistence own = own_persistence();
  return own != DcPersistence::kUnset ? own : dctx_.persistence;
}

void Dc::ApplyPersistence() {
  if (disposing())
    return;
  const DcPersistence p = persistence();
  if (parked_) {
    if (p == DcPersistence::kUnset || p == DcPersistence::kForce) {
      // Held from now on: connected at once, and retried as any DC if that fails.
      LOG_INFO("%sNo longer parked (persistent=%s)", Prefix().c_str(),
               p == DcPersistence::kForce ? "force" : "unset");
      parked_ = false;
      poll_failed_ = false;
      poll_timer_.Stop();
      TryConnect();
    } else if (poll_timer_.running() && poll_timer_.interval() != dctx_.epcsd_poll) {
      poll_timer_.Start(dctx_.epcsd_poll);  // a new epcsd-poll-interval-minutes
    }
    return;
  }
  // Held now, parked by the new choice once its page is read (at once if it is).
  if (connected() && !busy() && log_stats_.completed)
    HoldOrPark();
}

void Dc::HoldOrPark() {
  // Someone else's connection (the firmware's boot DC, another manager's) is theirs to keep.
  if (!owner().empty() && owner() != kOwnerStas)
    return;
  const DcPersistence p = persistence();
  switch (p) {
    case DcPersistence::kUnset:
      return;  // nvme-stas 2.x: always held
    case DcPersistence::kNo:
      return Park("persistent=no");
    case DcPersistence::kAuto:
      if (!EpcsdSet())
        return Park("the DC does not set EPCSD in its own log page entry (persistent=auto)");
      return;
    case DcPersistence::kForce:
      if (!EpcsdSet() && !force_noted_) {
        force_noted_ = true;
        LOG_INFO(
            "%sThe DC does not set EPCSD in its own log page entry; connection held "
            "anyway (persistent=force)",
            Prefix().c_str());
      }
      return;
  }
}

void Dc::Park(const char* why) {
  const auto minutes = static_cast<long long>(dctx_.epcsd_poll.count());
  LOG_INFO("%sParking: %s; disconnecting, its log page is kept and read again every %lld min",
           Prefix().c_str(), why, minutes);
  StopTimers();
  Release([this](bool released) {
    if (disposing())
      return;
    if (!released) {
      LOG_WARNING("%sNot parked: the connection could not be released; it is held",
                  Prefix().c_str());
      return;
    }
    parked_ = true;
    poll_timer_.Start(dctx_.epcsd_poll);
  });
}

void Dc::RunIfIdle(void (Dc::*step)()) {
  if (disposing() || !connected())
    return;
  if (busy()) {
    // Something is already talking to the DC; the log page is fetched after it anyway.
    refetch_pending_ = true;
    return;
  }
  (this->*step)();
}

void Dc::Register() {
  // TP8010: only DDCs and CDCs take explicit registrations. An unknown dctype (old kernels)
  // is tried: the backend answers ENOTSUP when the DC does not support it.
  std::string dctype = kernel_device() ? kernel_device()->dctype : "";
  if (dctype == "none") {
    LOG_INFO("%sNo DIM registration: the controller is neither a DDC nor a CDC (dctype none)",
             Prefix().c_str());
    return GetSupport();
  }
  register_stats_.exists = true;
  register_stats_.completed = false;
  std::string dev = device();
  HostInfo host = dctx_.host;
  NvmeKernel& kernel = ctx_.kernel;
  RunRead<Result<RegistrationResult>>(
      [dev, host, &kernel]() { return kernel.RegisterHost(dev, host); },
      [this](Result<RegistrationResult> r) {
        if (disposing() || !connected())
          return;
        if (!r && r.error().code == ENOTSUP) {
          LOG_DEBUG("%sDIM registration not supported", Prefix().c_str());
          register_stats_.exists = false;
        } else if (!r) {
          if (register_stats_.fail_count++ == 0) {
            LOG_ERROR("%sFailed to register with Discovery Controller. %s", Prefix().c_str(),
                      r.error().message.c_str());
          }
          register_timer_.Start();
          return FirstReadDone();
        } else if (r->status != 0) {
          LOG_WARNING("%sRegistration error. %s.", Prefix().c_str(), r->message.c_str());
        } else {
          LOG_INFO("%sRegistered with Discovery Controller", Prefix().c_str());
        }
        register_stats_.completed = true;
        GetSupport();
      });
}

void Dc::GetSupport() {
  register_timer_.Stop();
  // PLEO is only asked of DDCs: a CDC's log page is the fabric's view by design.
  if (!dctx_.pleo || (kernel_device() && kernel_device()->dctype == "cdc")) {
    lsp_ = 0;
    return GetLog();
  }
  support_stats_.exists = true;
  support_stats_.completed = false;
  std::string dev = device();
  NvmeKernel& kernel = ctx_.kernel;
  RunRead<Result<uint32_t>>([dev, &kernel]() { return kernel.GetDiscoveryLogSupport(dev); },
                            [this](Result<uint32_t> r) {
                              if (disposing() || !connected())
                                return;
                              int code = r ? 0 : r.error().code;
                              if (!r && code != EINVAL && code != ENOTSUP && code != EOPNOTSUPP) {
                                if (support_stats_.fail_count++ == 0) {
                                  LOG_ERROR("%sFailed to get supported log pages. %s",
                                            Prefix().c_str(), r.error().message.c_str());
                                }
                                support_timer_.Start();
                                return FirstReadDone();
                              }
                              // A DC that answers the query with an NVMe error status (Linux
                              // nvmet's discovery controller only knows the discovery log) supports
                              // no log page options: asking again every 5 s would never fetch its
                              // log page.
                              uint32_t bits = r ? *r : 0;
                              if (!r) {
                                LOG_DEBUG("%sGet Supported Log Pages refused: %s", Prefix().c_str(),
                                          r.error().message.c_str());
                              }
                              support_stats_.completed = true;
                              LOG_DEBUG("%sDiscovery log page support: %s", Prefix().c_str(),
                                        SupportBits(bits).c_str());
                              lsp_ = (bits & kLidSupportPleo) ? kLspPleo : 0;
                              GetLog();
                            });
}

void Dc::GetLog() {
  support_timer_.Stop();
  log_timer_.Stop();
  refetch_pending_ = false;
  log_stats_.exists = true;
  log_stats_.completed = false;
  std::string dev = device();
  uint8_t lsp = lsp_;
  // The DC decides how long its page is and how slowly it answers: both are bounded by the
  // configuration before the read starts (#13).
  const DiscoveryLogLimits limits{
      .max_entries = static_cast<uint32_t>(dctx_.limits.max_log_page_entries),
      .deadline = std::chrono::seconds(dctx_.limits.log_page_read_timeout_sec)};
  NvmeKernel& kernel = ctx_.kernel;
  RunRead<Result<DiscoveryLogPage>>(
      [dev, lsp, limits, &kernel]() { return kernel.GetDiscoveryLog(dev, lsp, limits); },
      [this](Result<DiscoveryLogPage> r) { OnLog(std::move(r)); });
}

void Dc::OnLog(Result<DiscoveryLogPage> r) {
  if (disposing() || !connected())
    return;
  if (!r) {
    const bool first = log_stats_.fail_count++ == 0;
    if (r.error().code == kErrLogReadDeadline) {
      // Retried like any failed read, and logged once while it keeps happening.
      limit_hits_.Note(Prefix(), kLimitReadTimeout,
                       std::to_string(dctx_.limits.log_page_read_timeout_sec) + "s", 1,
                       "Discovery log page read abandoned, retried in " +
                           std::to_string(kLogRetry.count()) + " s: " + r.error().message);
    } else if (first) {
      LOG_ERROR("%sFailed to retrieve log pages. %s", Prefix().c_str(), r.error().message.c_str());
    }
    log_timer_.Start();
    return FirstReadDone();
  }
  log_stats_.completed = true;
  log_stats_.fail_count = 0;
  ValidatedLog v = ValidateLogEntries(r->entries);
  // Summarised, and at warning level only when the refusals differ from the last fetch's:
  // a DC may send the same bad page after every AEN.
  std::vector<std::string> summary = RejectedSummary(v.rejected);
  const bool new_refusals = summary != last_rejected_;
  for (const std::string& line : summary) {
    if (new_refusals) {
      LOG_WARNING("%sRejected discovery log entry %s", Prefix().c_str(), line.c_str());
    } else {
      LOG_DEBUG("%sRejected discovery log entry %s (as before)", Prefix().c_str(), line.c_str());
    }
  }
  last_rejected_ = std::move(summary);
  std::vector<LogEntry> old_referrals = Referrals();
  last_fetch_changed_ = log_ != v.entries;
  if (last_fetch_changed_)
    log_generation_ = ++dctx_.last_log_generation;
  log_ = std::move(v.entries);
  LOG_INFO("%sReceived discovery log pages (num records=%zu).", Prefix().c_str(), log_.size());
  NoteLimits(*r);
  if (dctx_.on_log_pages)
    dctx_.on_log_pages(*this);
  if (!SameReferrals(old_referrals, Referrals()) && dctx_.on_referrals_changed) {
    dctx_.on_referrals_changed(*this);
  }
  FirstReadDone();  // the referrals it names are already asked for
  if (!busy())
    HoldOrPark();  // last: the page is cached and served before the connection goes
}

void Dc::OnIdle() {
  if (!connected())
    return;
  if (resync_pending_) {
    resync_pending_ = false;
    refetch_pending_ = false;
    return Register();
  }
  if (refetch_pending_)
    GetLog();
}

void Dc::OnChangeEvent(const KernelEvent& ev) {
  if (!ev.aen.empty()) {
    LOG_INFO("%sReceived AEN: %s", Prefix().c_str(), ev.aen.c_str());
    if (ev.aen == kAenDiscoveryLogChanged)
      RunIfIdle(&Dc::GetLog);
    return;
  }
  if (ev.event == "connected" || ev.event == "rediscover") {
    // The kernel re-established a persistent DC connection: register again, fetch again.
    LOG_DEBUG("%sNVME_EVENT=%s", Prefix().c_str(), ev.event.c_str());
    if (busy()) {
      resync_pending_ = true;
    } else {
      Register();
    }
  }
}

void Dc::OnDeviceGone() {
  // The cached log page stays: stacd keeps its I/O connections while the DC is away.
  StopTimers();
}

bool Dc::volumes_only() const {
  return std::find(extras().begin(), extras().end(),
                   std::pair<std::string, std::string>{kDcConnectKey, kDcConnectVolumes}) !=
         extras().end();
}

void Dc::set_volumes_only(bool on) {
  // "all" is shown only where the configuration says so: a DC's dict keeps nvme-stas's shape.
  if (on)
    SetExtra(kDcConnectKey, kDcConnectVolumes);
  else if (volumes_only())
    SetExtra(kDcConnectKey, std::nullopt);
}

void Dc::Resync() {
  if (disposing())
    return;
  if (parked_) {
    // Its page is read at the next poll: a reload does not reconnect every parked DC.
    LOG_DEBUG("%sParked: not read again before the next poll", Prefix().c_str());
    return;
  }
  if (!connected()) {
    if (!busy() && RetryOnReload()) {
      connect_timer().Stop();
      TryConnect();
    }
    return;
  }
  if (busy()) {
    resync_pending_ = true;
  } else {
    Register();
  }
}

Dict Dc::Info() const {
  Dict d = Controller::Info();
  d.emplace_back("origin", OriginName(origin_));
  if (origin_ == Origin::kDiscovered && dctx_.unresponsive_info) {
    for (auto& kv : dctx_.unresponsive_info(*this))
      d.push_back(std::move(kv));
  }
  if (parked_)
    d.emplace_back("parked, next read", poll_timer_.ToString());
  if (log_stats_.exists)
    d.emplace_back("get log page operation", log_stats_.ToString());
  if (register_stats_.exists)
    d.emplace_back("register operation", register_stats_.ToString());
  if (support_stats_.exists) {
    d.emplace_back("get supported log page operation", support_stats_.ToString());
  }
  return d;
}

}  // namespace stas::staf
