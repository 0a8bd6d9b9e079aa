// SPDX-License-Identifier: Apache-2.0
#include "common/controller/controller.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/config/config_json.h"
#include "common/kernel/connect_string.h"
#include "common/kernel/controller_state.h"
#include "common/log.h"
#include "common/python_compat.h"
#include "common/secrets.h"

namespace stas {
namespace {

// What a connect's error says about its keys (the kernel's answers when DH-HMAC-CHAP fails, or
// when it finds no TLS PSK; a configured keyring or PSK that could not be made ready), as the
// sentence to log; nullopt when it is not about keys.
std::optional<std::string> KeyFailure(const Error& e, bool tls) {
  switch (e.code) {
    case EKEYREJECTED:
      return "Authentication failed: the controller rejected the DH-HMAC-CHAP secret, or its "
             "answer did not match the controller secret (dhchap-ctrl-secret)";
    case ENOKEY:
      if (tls) {
        // Which keyring, and what is missing in it.
        std::string_view why = e.message;
        if (why.starts_with("connect: "))
          why.remove_prefix(9);
        return "TLS failed: " + std::string(why);
      }
      return "Authentication failed: the controller requires DH-HMAC-CHAP authentication, and "
             "no secret is configured for this connection";
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string Controller::OpStats::ToString() const {
  return std::string("{'fail count': ") + std::to_string(fail_count) +
         ", 'completed': " + PythonBool(completed) + ", 'alive': True}";
}

Controller::Controller(ControllerContext& ctx, ConnectRequest request, Dict extras)
    : ctx_(ctx),
      request_(std::move(request)),
      extras_(std::move(extras)),
      connect_timer_(ctx.loop, kFastConnectRetry, [this] { TryConnect(); }) {}

Controller::~Controller() = default;

std::string Controller::Prefix() const {
  return tid().ToString() + " | " + (device_.empty() ? "nvme?" : device_) + " - ";
}

void Controller::Start() {
  // Deferred so that the service finishes its reconciliation pass first (stas: Deferred).
  ctx_.loop.Post(lifetime_.Guard([this] { TryConnect(); }));
}

void Controller::TryConnect() {
  if (disposing_ || connected())
    return;
  if (busy()) {
    // The device went away under an operation (the kernel deleted it while a log page
    // fetch waited on it): connect once that operation is done, or the retry is lost.
    connect_when_idle_ = true;
    return;
  }
  connect_when_idle_ = false;
  if (NeedsWhatTheKernelLacks())
    return;
  ++connect_attempts_;
  connect_stats_.exists = true;
  connect_stats_.completed = false;
  ConnectRequest req = request_;
  std::set<std::string> owned = ctx_.owned_devices ? ctx_.owned_devices() : std::set<std::string>{};
  NvmeKernel& kernel = ctx_.kernel;
  KernelIndex& index = ctx_.index;
  RunOp<ConnectOutcome>(
      [req, owned, &kernel, &index, files = ctx_.shared_files]() {
        return ConnectOrAdopt(kernel, index, req, owned, true, files);
      },
      [this](ConnectOutcome o) { OnConnectDone(std::move(o)); });
}

bool Controller::NeedsWhatTheKernelLacks() {
  // Not retried: the kernel would refuse the same string every time (or, listing an option
  // whose code it lacks, connect without authenticating). Said once; a reload asks again.
  std::optional<std::string> why;
  if (Result<std::string> text = BuildConnectString(request_))
    why = MissingKernelFeature(ctx_.features, *text);
  if (!why) {
    unsupported_.clear();
    return false;
  }
  if (*why != unsupported_) {
    LOG_ERROR("%sNot connecting: %s; not retried", Prefix().c_str(), why->c_str());
    unsupported_ = *why;
  }
  return true;
}

void Controller::OnConnectDone(ConnectOutcome o) {
  if (!o.device) {
    ++connect_stats_.fail_count;
    if (disposing_)
      return;
    const int code = o.device.error().code;
    const bool tls = request_.options.tls.value_or(false);
    const std::optional<std::string> key_failure = KeyFailure(o.device.error(), tls);
    // The target tears the connection down as it refuses a key, and the kernel sometimes sees
    // the teardown before the refusal: after a refused key, the same keys failing with EIO or
    // ECONNRESET are the same refusal (seen with nvmet on 6.12).
    const bool refused =
        key_failure.has_value() || (auth_failures_ > 0 && (code == EIO || code == ECONNRESET));
    auth_failures_ = refused ? auth_failures_ + 1 : 0;
    // nvme-stas: a quick second try 3 s after the first failure, then every 60 s; the error
    // is logged once, at the second failure, so that a merely slow controller does not alarm.
    // A refused key is no slowness: said at once, and once; so is a TLS handshake that no
    // agent runs (the kernel asks user space, tlshd, for it), which is still retried.
    if (auth_failures_ == 1) {
      LOG_ERROR("%s%s", Prefix().c_str(), key_failure.value_or(o.device.error().message).c_str());
    } else if (tls && code == ESRCH && connect_attempts_ == 1) {
      LOG_ERROR(
          "%sTLS failed: the kernel found no handshake agent (tlshd) to run the TLS "
          "handshake",
          Prefix().c_str());
    } else if (connect_attempts_ == 2 && !refused && !(tls && code == ESRCH)) {
      LOG_ERROR("%sFailed to connect to controller. %s", Prefix().c_str(),
                o.device.error().message.c_str());
    } else {
      LOG_DEBUG("%sconnect attempt %d failed: %s", Prefix().c_str(), connect_attempts_,
                o.device.error().message.c_str());
    }
    if (auth_failures_ >= kAuthenticationAttempts) {
      LOG_ERROR(
          "%sKeys refused %d times in a row: not retried until its secrets change or the "
          "configuration is reloaded",
          Prefix().c_str(), auth_failures_);
    } else if (ShouldRetryConnect()) {
      connect_timer_.Start(connect_attempts_ >= 2 ? kConnectRetry : kFastConnectRetry);
    } else {
      LOG_INFO("%sGiving up after %d connection attempts", Prefix().c_str(), connect_attempts_);
    }
    OnConnectFailed();
    return;
  }
  device_ = *o.device;
  adopted_ = o.adopted;
  auth_failures_ = 0;
  kdev_ = std::move(o.info);
  owner_ = std::move(o.owner);
  connect_attempts_ = 0;
  connect_stats_.completed = true;
  connect_timer_.Stop();
  if (!o.note.empty())
    LOG_INFO("%s%s", Prefix().c_str(), o.note.c_str());
  if (disposing_)
    return;
  LOG_INFO(
      "%s%s", Prefix().c_str(),
      o.adopted ? "Connection adopted (existing kernel controller)" : "Connection established!");
  if (o.adopted && kdev_ && kdev_->state != kCtrlStateLive && !kdev_->state.empty()) {
    // Ours to wait for: the kernel reconnects it, or deletes it (a remove event) at
    // ctrl-loss-tmo, and then we connect again.
    LOG_INFO("%sThe kernel has it in state \"%s\", not live", Prefix().c_str(),
             kdev_->state.c_str());
  }
  OnConnected(o.adopted);
}

void Controller::AfterOp() {
  if (busy())
    return;
  if (disposing_) {
    if (on_idle_) {
      auto finish = std::move(on_idle_);
      on_idle_ = nullptr;
      finish();
    }
    return;
  }
  if (connect_when_idle_ && !connected())
    return TryConnect();
  connect_when_idle_ = false;
  if (secrets_when_idle_) {
    secrets_when_idle_ = false;
    if (connected())
      return ApplySecrets();
  }
  OnIdle();
}

void Controller::OnKernelEvent(const KernelEvent& ev) {
  if (disposing_ || device_.empty() || ev.device != device_)
    return;
  if (ev.action == KernelEvent::Action::kChange)
    return OnChangeEvent(ev);
  if (ev.action != KernelEvent::Action::kRemove)
    return;
  if (releasing_) {
    LOG_DEBUG("%sRemoved by our own disconnect", Prefix().c_str());
    return;
  }
  LOG_INFO("%sDevice removed by the kernel; reconnecting", Prefix().c_str());
  device_.clear();
  adopted_ = false;
  kdev_.reset();
  owner_.clear();
  connect_attempts_ = 0;
  OnDeviceGone();
  connect_timer_.Start(kFastConnectRetry);
}

void Controller::Dispose(bool keep_connection, std::function<void(bool)> done) {
  disposing_ = true;
  // A read still waiting for a place in its lane would otherwise be run (slowly, if the lane is
  // full of slow DCs) before the disconnect: it is skipped instead.
  reads_cancelled_->store(true);
  connect_timer_.Stop();
  StopTimers();
  auto finish = [this, keep_connection, done = std::move(done)]() {
    if (keep_connection || device_.empty() || LeftToItsMaker())
      return done(true);
    // Left to the owner the registry names: disposed of all the same.
    DisconnectHeld([done](Disconnected d) { done(d != Disconnected::kFailed); });
  };
  if (busy()) {
    on_idle_ = std::move(finish);
  } else {
    finish();
  }
}

void Controller::Release(std::function<void(bool)> done) {
  if (disposing_ || device_.empty() || busy())
    return done(false);
  releasing_ = true;
  connect_timer_.Stop();
  DisconnectHeld([this, done = std::move(done)](Disconnected d) {
    releasing_ = false;
    done(d == Disconnected::kYes);
  });
}

void Controller::DisconnectHeld(std::function<void(Disconnected)> done) {
  std::string dev = device_;
  NvmeKernel& kernel = ctx_.kernel;
  // Whatever the rule that lets it go, a controller someone else owns in the registry
  // (the firmware's boot connection, another manager's) is left connected: the owner is
  // read again now, since it may have changed since the connect.
  RunOp<Released>(
      [dev, &kernel, registry = ctx_.shared_files.registry]() {
        std::string owner = registry.OwnerOf(dev);
        if (!owner.empty() && owner != kOwnerStas)
          return Released{{}, owner};
        const std::string stamp = registry.Stamp(dev);
        Status s = kernel.Disconnect(dev);
        // Gone already (the kernel removed it meanwhile, its removal event maybe taken for
        // ours by Release()): as disconnected as it gets.
        if (!s && (s.error().code == ENODEV || s.error().code == ENOENT))
          s = Status{};
        if (s)
          registry.Release(dev, kOwnerStas, stamp);
        return Released{s, ""};
      },
      [this, done = std::move(done)](Released r) {
        if (!r.other_owner.empty()) {
          LOG_INFO("%sOwned by \"%s\" (ownership registry): left connected", Prefix().c_str(),
                   r.other_owner.c_str());
          owner_ = r.other_owner;
          return done(Disconnected::kLeftToOwner);
        }
        const Status& s = r.status;
        if (!s) {
          LOG_ERROR("%sFailed to disconnect: %s", Prefix().c_str(), s.error().message.c_str());
        } else {
          LOG_INFO("%sDisconnected", Prefix().c_str());
          device_.clear();
          adopted_ = false;
          kdev_.reset();
          owner_.clear();
        }
        done(s ? Disconnected::kYes : Disconnected::kFailed);
      });
}

bool Controller::RetryOnReload() {
  if (auth_failures_ < kAuthenticationAttempts)
    return true;
  retry_in_pass_ = true;
  return false;
}

void Controller::UpdateSecrets(const ConnectRequest& fresh) {
  bool retry = std::exchange(retry_in_pass_, false);
  if (fresh.tls_key != request_.tls_key || fresh.keyring != request_.keyring) {
    request_.tls_key = fresh.tls_key;
    request_.keyring = fresh.keyring;
    request_.options.tls = fresh.options.tls;  // either key turns it on
    SetExtra("keyring", fresh.keyring);
    SetExtra("tls-key", fresh.tls_key);
    // A TLS session keeps the key it was made with; the kernel's own reconnects too (it holds
    // the key tls_key= named). Ours take the new one.
    LOG_INFO("%sNew TLS keys in the configuration%s", Prefix().c_str(),
             connected() ? ": used from the next connect" : "");
    retry = true;
  }
  if (fresh.dhchap_secret == request_.dhchap_secret &&
      fresh.dhchap_ctrl_secret == request_.dhchap_ctrl_secret &&
      fresh.host.hostkey == request_.host.hostkey) {
    // The same DH-HMAC-CHAP keys: the target may have been put right, or the TLS keys changed;
    // one more try.
    if (retry && !disposing_ && !connected() && !busy()) {
      connect_timer_.Stop();
      reset_connect_attempts();
      TryConnect();
    }
    return;
  }
  request_.dhchap_secret = fresh.dhchap_secret;
  request_.dhchap_ctrl_secret = fresh.dhchap_ctrl_secret;
  request_.host.hostkey = fresh.host.hostkey;
  // Shown (redacted) on D-Bus as the configuration says now.
  SetExtra("dhchap-secret", fresh.dhchap_secret);
  SetExtra("dhchap-ctrl-secret", fresh.dhchap_ctrl_secret);
  if (disposing_)
    return;
  LOG_INFO("%sNew DH-HMAC-CHAP secrets in the configuration", Prefix().c_str());
  if (busy()) {
    // A connect in flight took the old secrets: applied (or connected again) once it is done.
    secrets_when_idle_ = true;
    connect_when_idle_ = !connected();
    return;
  }
  if (!connected()) {
    connect_timer_.Stop();
    reset_connect_attempts();
    return TryConnect();
  }
  ApplySecrets();
}

void Controller::ApplySecrets() {
  std::string dev = device_;
  std::string host_secret = HostSecretOf(request_);
  std::string ctrl_secret = request_.dhchap_ctrl_secret.value_or("");
  NvmeKernel& kernel = ctx_.kernel;
  // Without a host secret now there is nothing to re-authenticate with: connect again.
  const bool reauth = !host_secret.empty();
  RunOp<Status>(
      [dev, host_secret, ctrl_secret, reauth, &kernel]() -> Status {
        if (!reauth)
          return Fail(EINVAL, "no host secret");
        return kernel.Reauthenticate(dev, host_secret, ctrl_secret);
      },
      [this](const Status& s) {
        if (s) {
          LOG_INFO("%sRe-authenticating with the new secrets", Prefix().c_str());
          return;
        }
        if (disposing_ || !connected())
          return;
        LOG_INFO(
            "%sThe kernel cannot take the new secrets in place of the old ones (%s): "
            "connecting again with them",
            Prefix().c_str(), s.error().message.c_str());
        Release([this](bool released) {
          if (released && !disposing_) {
            reset_connect_attempts();
            TryConnect();
          }
        });
      });
}

void Controller::SetExtra(const std::string& key, const std::optional<std::string>& value) {
  auto it = std::find_if(extras_.begin(), extras_.end(),
                         [&key](const auto& kv) { return kv.first == key; });
  if (!value) {
    if (it != extras_.end())
      extras_.erase(it);
  } else if (it != extras_.end()) {
    it->second = *value;
  } else {
    extras_.emplace_back(key, *value);
  }
}

Dict Controller::IdDict() const {
  Dict d = tid().CoreFields();
  std::pair<std::string, std::string> host_nqn = d.back();
  d.pop_back();
  bool host_nqn_placed = false;
  for (const auto& [key, value] : extras_) {
    if (key == "host-nqn") {
      d.push_back(host_nqn);  // keeps the position it had in the file, with the final value
      host_nqn_placed = true;
    } else if (IsSecretKey(key)) {
      d.emplace_back(key, kRedacted);  // never hand secrets to D-Bus callers
    } else {
      d.emplace_back(key, value);
    }
  }
  if (!host_nqn_placed)
    d.push_back(host_nqn);
  d.emplace_back("device", device_.empty() ? "nvme?" : device_);
  return d;
}

Dict Controller::Info() const {
  Dict d = IdDict();
  d.emplace_back("connect attempts", std::to_string(connect_attempts_));
  d.emplace_back("retry connect timer", connect_timer_.ToString());
  if (connect_stats_.exists)
    d.emplace_back("connect operation", connect_stats_.ToString());
  if (!unsupported_.empty())
    d.emplace_back("unsupported by the kernel", unsupported_);  // not in nvme-stas 2.x
  return d;
}

Dict Controller::Details() const {
  Dict d = Info();
  auto attr = [this](std::string KernelDevice::*field) {
    return kdev_ ? (*kdev_).*field : std::string();
  };
  d.emplace_back("hostid", attr(&KernelDevice::hostid));
  d.emplace_back("hostnqn", attr(&KernelDevice::hostnqn));
  d.emplace_back("model", attr(&KernelDevice::model));
  d.emplace_back("serial", attr(&KernelDevice::serial));
  d.emplace_back("dctype", attr(&KernelDevice::dctype));
  d.emplace_back("cntrltype", attr(&KernelDevice::cntrltype));
  d.emplace_back("connected", PythonBool(connected()));
  if (!owner_.empty())
    d.emplace_back("owner", owner_);  // not in nvme-stas 2.x: only with a registry
  return d;
}

}  // namespace stas
