// SPDX-License-Identifier: Apache-2.0
// FakeStafd: stafd as stacd sees it (a DlpSource), for stacd's unit tests: its answers, errors
// and silence, its signals, and the DCs stacd asks it to hold for volumes. Loop thread only.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/kernel/dlp_entry.h"
#include "stac/dlp_source.h"

namespace stas::stac {

class FakeStafd : public DlpSource {
 public:
  void GetAll(std::function<void(std::optional<std::vector<DcLogPage>>)> done) override {
    ++calls;
    done(answer);
  }
  void GetInitialDiscoveryDone(std::function<void(std::optional<bool>)> done) override {
    ++done_queries;
    done(initial_discovery_done);
  }
  void SetVolumeDcs(std::vector<std::map<std::string, std::string>> dcs,
                    std::function<void(Status)> done) override {
    volume_dcs.push_back(std::move(dcs));
    done(set_volume_dcs_result);
  }
  void Subscribe(std::function<void(Event)> handler) override { handler_ = std::move(handler); }
  void Emit(Event ev) { handler_(ev); }

  // One DC (host side: host_iface eth0) whose log page lists `entries`.
  void Serve(std::vector<RawLogEntry> entries) {
    DcLogPage page{.dc = "(tcp, 192.0.2.10, 8009, nqn.dc)",
                   .transport = "tcp",
                   .host_nqn = "nqn.host",
                   .entries = ValidateLogEntries(entries).entries};
    answer = std::vector<DcLogPage>{page};
  }

  std::optional<std::vector<DcLogPage>> answer;  // nullopt: stafd absent or erroring
  // Discovery1.InitialDiscoveryDone; nullopt: stafd absent, or nvme-stas's (no such property).
  std::optional<bool> initial_discovery_done = true;
  // Every set of DCs stacd told stafd its volumes need, and what stafd answers.
  std::vector<std::vector<std::map<std::string, std::string>>> volume_dcs;
  Status set_volume_dcs_result{};
  int calls = 0;
  int done_queries = 0;

 private:
  std::function<void(Event)> handler_;
};

}  // namespace stas::stac
