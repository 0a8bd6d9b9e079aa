// SPDX-License-Identifier: Apache-2.0
#include "stac/ioc.h"

#include "common/config/config.h"
#include "common/log.h"
#include "common/python_compat.h"

namespace stas::stac {
namespace {}  // namespace

Ioc::Ioc(IocContext& ctx, ConnectRequest request, Dict extras, std::optional<LogEntry> dlpe)
    : Controller(ctx.controller, std::move(request), std::move(extras)),
      ictx_(ctx),
      dlpe_(std::move(dlpe)) {}

bool Ioc::ShouldRetryConnect() const {
  // TP8010: with NCC set the subsystem may simply not be reachable from this host yet; stop
  // after the configured number of attempts rather than retry every minute forever.
  int limit = ictx_.connect_attempts_on_ncc;
  return !(ncc() && limit > 0 && connect_attempts() >= limit);
}

bool Ioc::LeftToItsMaker() const {
  // OnConnected() is not called for a connect that ends during the disposal: made_by_stacd_
  // says only what was known before it (owned before a restart).
  return release_only_if_made_ && adopted() && !made_by_stacd_;
}

void Ioc::OnConnected(bool adopted) {
  if (!adopted)
    made_by_stacd_ = true;
  if (ictx_.on_connected)
    ictx_.on_connected();
}

void Ioc::set_for_volumes(bool on) {
  for_volumes_ = on;
  SetExtra(kDcConnectKey, on ? std::optional<std::string>(kDcConnectVolumes) : std::nullopt);
}

void Ioc::UpdateDlpe(std::optional<LogEntry> dlpe) {
  bool ncc_cleared = ncc() && !(dlpe && dlpe->Ncc());
  dlpe_ = std::move(dlpe);
  if (ncc_cleared && !connected() && !busy() && !disposing()) {
    LOG_INFO("%sNCC cleared: connecting now", Prefix().c_str());
    reset_connect_attempts();
    connect_timer().Stop();
    TryConnect();
  }
}

void Ioc::Reload() {
  if (disposing() || connected() || busy() || connect_timer().running() || !RetryOnReload())
    return;
  reset_connect_attempts();
  TryConnect();
}

Dict Ioc::Details() const {
  Dict d = Controller::Details();
  // Python's str(dict) of the DLPE, as nvme-stas shows it in list_controllers(detailed).
  d.emplace_back("dlpe", dlpe_ ? PythonDictRepr(dlpe_->AsDict()) : "None");
  d.emplace_back("dlpe.eflags.ncc", PythonBool(ncc()));
  return d;
}

}  // namespace stas::stac
