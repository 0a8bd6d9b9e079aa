// SPDX-License-Identifier: Apache-2.0
// DlpSource: where stacd gets the discovery log pages that stafd serves. StafClient is the
// D-Bus implementation; tests use a fake. Loop thread only.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/kernel/dlp_entry.h"
#include "common/result.h"

namespace stas::stac {

// One DC's log page as stafd reports it, with the host side of the DC's connection.
struct DcLogPage {
  std::string dc{};         // the DC's identity, printable, for logs and status
  std::string transport{};  // the DC's own transport: entries of another one are not connected
  std::string host_traddr{};
  std::string host_iface{};
  std::string host_nqn{};
  // The DC is connect=volumes: only the subsystems volumes need are connected from it.
  bool volumes_only = false;
  std::vector<LogEntry> entries{};  // validated again: stafd is another process
};

class DlpSource {
 public:
  enum class Event {
    kChanged,   // log_pages_changed or dc_removed
    kAppeared,  // stafd took its bus name
    kVanished,  // stafd left the bus
    // stafd has read every DC it knows once since it started (its Discovery1 property
    // InitialDiscoveryDone became true).
    kInitialDiscoveryDone,
  };
  virtual ~DlpSource() = default;

  // Asks for every DC's log page. `done(nullopt)` when stafd is absent, does not answer in
  // time, or answers with an error: the caller must then keep what it has (never disconnect
  // on missing information, nvme-stas PR #510).
  virtual void GetAll(std::function<void(std::optional<std::vector<DcLogPage>>)> done) = 0;
  // Asks whether stafd has read every DC it knows once since it started. `done(nullopt)` when
  // stafd is absent, does not answer, or has no such property (nvme-stas's stafd): the caller
  // then has only time to go by.
  virtual void GetInitialDiscoveryDone(std::function<void(std::optional<bool>)> done) = 0;
  // Tells stafd which DCs the volumes need (Discovery1.SetVolumeDiscoveryControllers), each as
  // the keys of that call. `done` gets the outcome (an error when stafd is absent, refuses, or
  // does not answer in time).
  virtual void SetVolumeDcs(std::vector<std::map<std::string, std::string>> dcs,
                            std::function<void(Status)> done) = 0;
  // From now on, `handler` gets stafd's events on the loop thread (replacing any earlier one).
  // The source exists before its listener and may outlive it: the listener subscribes once,
  // when it starts, with a handler guarded by its Lifetime (as for KernelEvents::Start()).
  virtual void Subscribe(std::function<void(Event)> handler) = 0;
};

}  // namespace stas::stac
