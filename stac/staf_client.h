// SPDX-License-Identifier: Apache-2.0
// StafClient: stacd's view of stafd over D-Bus (docs/compatibility.md, "How stacd follows
// stafd"). It calls get_all_log_pages(true) asynchronously with a timeout, follows the
// log_pages_changed and dc_removed signals and stafd's bus name. What stafd sends is validated
// again: it is another process. Loop thread only; the connection must be driven by the same
// loop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "common/loop/lifetime.h"
#include "stac/dlp_source.h"

namespace stas::stac {

class StafClient : public DlpSource {
 public:
  static constexpr std::chrono::seconds kCallTimeout{10};

  explicit StafClient(sdbus::IConnection& conn);
  ~StafClient() override;
  StafClient(const StafClient&) = delete;
  StafClient& operator=(const StafClient&) = delete;

  void GetAll(std::function<void(std::optional<std::vector<DcLogPage>>)> done) override;
  void Subscribe(std::function<void(Event)> handler) override;

 private:
  void Notify(Event ev);

  std::unique_ptr<sdbus::IProxy> staf_;
  std::unique_ptr<sdbus::IProxy> bus_;
  std::function<void(Event)> handler_;
  Lifetime lifetime_;  // drops replies that arrive after the client is gone
};

// Parses the JSON of get_all_log_pages(true); nullopt (logged) if it is not what stafd sends.
// Entries that fail validation are dropped with a warning.
std::optional<std::vector<DcLogPage>> ParseAllLogPages(const std::string& json);

}  // namespace stas::stac
