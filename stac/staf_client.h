// SPDX-License-Identifier: Apache-2.0
// StafClient: stacd's view of stafd over D-Bus (docs/compatibility.md, "How stacd follows
// stafd"). It calls get_all_log_pages(true) asynchronously with a timeout, follows the
// log_pages_changed and dc_removed signals, stafd's bus name, and its Discovery1 property
// InitialDiscoveryDone (ours, beside the nvme-stas API). What stafd sends is validated
// again: it is another process. Loop thread only; the connection must be driven by the same
// loop.
//
// When stafd answers that all its log pages do not fit in one D-Bus reply
// (org.nvmexpress.staf.Error.ReplyTooLarge, common/daemon/reply_size.h), the client reads them
// DC by DC instead: list_controllers(false), then get_log_pages for each DC, one call at a
// time, each with the same timeout, for at most kMaxDcsByDc DCs and within kDcByDcDeadline.
// The result has the same shape; if any step fails, the whole answer is nullopt (stacd then
// keeps what it has, rather than act on part of the fabric).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
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
  static constexpr std::size_t kMaxDcsByDc = 1024;
  static constexpr std::chrono::seconds kDcByDcDeadline{120};

  explicit StafClient(sdbus::IConnection& conn);
  ~StafClient() override;
  StafClient(const StafClient&) = delete;
  StafClient& operator=(const StafClient&) = delete;

  void GetAll(std::function<void(std::optional<std::vector<DcLogPage>>)> done) override;
  void GetInitialDiscoveryDone(std::function<void(std::optional<bool>)> done) override;
  void SetVolumeDcs(std::vector<std::map<std::string, std::string>> dcs,
                    std::function<void(Status)> done) override;
  void Subscribe(std::function<void(Event)> handler) override;

 private:
  struct DcByDcRead;
  void Notify(Event ev);
  void ReadDcByDc(std::function<void(std::optional<std::vector<DcLogPage>>)> done);
  void ReadNextDc(std::shared_ptr<DcByDcRead> read);

  std::unique_ptr<sdbus::IProxy> staf_;
  std::unique_ptr<sdbus::IProxy> bus_;
  std::function<void(Event)> handler_;
  bool dc_by_dc_logged_ = false;  // said once that the DC-by-DC reading is in use
  Lifetime lifetime_;             // drops replies that arrive after the client is gone
};

// Parses the JSON of get_all_log_pages(true); nullopt (logged) if it is not what stafd sends.
// Entries that fail validation are dropped with a warning.
std::optional<std::vector<DcLogPage>> ParseAllLogPages(const std::string& json);

// One DC's page from what list_controllers (`dc`, its identity dict) and get_log_pages
// (`entries`) answered, validated as ParseAllLogPages() validates each DC; nullopt (logged)
// when the DC's host fields are unusable.
std::optional<DcLogPage> DcLogPageFromDicts(
    const std::map<std::string, std::string>& dc,
    const std::vector<std::map<std::string, std::string>>& entries);

// Whether stafd's error means "the answer is too large for one D-Bus message".
bool IsReplyTooLarge(const sdbus::Error& e);

}  // namespace stas::stac
