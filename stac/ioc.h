// SPDX-License-Identifier: Apache-2.0
// Ioc: one I/O controller that stacd connects and keeps connected.
//
// On top of Controller (connect or adopt, retries after 3 s then every 60 s, reconnect when the
// kernel removes the device, disposal), it follows the discovery log entry (DLPE) it came
// from: while the entry's NCC flag ("not connected to CDC", TP8010) is set, connection attempts
// stop after connect-attempts-on-ncc tries; when a new entry clears NCC, it connects at once.
//
// Loop thread only. Owned by StacService through a shared_ptr.
#pragma once

#include <functional>
#include <optional>

#include "common/controller/controller.h"
#include "common/kernel/dlp_entry.h"

namespace stas::stac {

// What all I/O controllers of one service share. Owned by the service; outlives every Ioc.
struct IocContext {
  ControllerContext controller;
  int connect_attempts_on_ncc = 0;  // 0: no limit
  // An I/O controller has its kernel device now (connected or adopted): volumes look for
  // their namespaces on it. May be empty.
  std::function<void()> on_connected{};
};

class Ioc : public Controller {
 public:
  Ioc(IocContext& ctx, ConnectRequest request, Dict extras, std::optional<LogEntry> dlpe);

  // A new log page entry for this controller (nullopt for configured controllers).
  void UpdateDlpe(std::optional<LogEntry> dlpe);
  // SIGHUP: connects now if disconnected and no retry is pending.
  void Reload();

  const std::optional<LogEntry>& dlpe() const { return dlpe_; }
  // Whether stacd made this kernel connection (or owned it before a restart): a controller it
  // adopted from someone else (`nvme connect`) is never disconnected on a volume's behalf.
  bool made_by_stacd() const { return made_by_stacd_; }
  void MarkOwnedBeforeRestart() { made_by_stacd_ = true; }
  // A volume's release while its connect is still in flight: whether the connect makes the
  // controller or adopts it is not known yet. Once it ends, the disposal disconnects only
  // what stacd made (or owned before a restart).
  void ReleaseOnlyIfMade() { release_only_if_made_ = true; }
  // Made for volumes (a volume's portal, or a connect=volumes DC's entry of a subsystem a
  // volume needs): a pass that no longer wants it releases it as a detach does (in-use and
  // ownership checks), and stacctl ls shows "connect": "volumes".
  bool for_volumes() const { return for_volumes_; }
  void set_for_volumes(bool on);
  bool ncc() const { return dlpe_ && dlpe_->Ncc(); }

  Dict Details() const override;

 private:
  bool ShouldRetryConnect() const override;
  void OnConnected(bool adopted) override;
  bool LeftToItsMaker() const override;

  IocContext& ictx_;
  std::optional<LogEntry> dlpe_;
  bool made_by_stacd_ = false;
  bool release_only_if_made_ = false;
  bool for_volumes_ = false;
};

}  // namespace stas::stac
