// SPDX-License-Identifier: Apache-2.0
// StafDbus: stafd's object /org/nvmexpress/staf on D-Bus, the nvme-stas v2.3+ API
// (docs/compatibility.md, "D-Bus API") and our Discovery1 interface beside it. It answers from
// StafService's state and emits log_pages_changed, dc_removed and Discovery1's
// PropertiesChanged. Arguments from callers are checked; a bad one gets
// org.nvmexpress.staf.Error.InvalidArgs, never a crash. Secrets are never returned. A reply
// whose size depends on the fabric (list_controllers, get_log_pages, get_all_log_pages,
// controller_info) is measured first: above [Limits] max-dbus-reply-size it is answered with
// org.nvmexpress.staf.Error.ReplyTooLarge, never sent (common/daemon/reply_size.h).
// Loop thread only (sdbus-c++ is driven from the GLib loop).
#pragma once

#include <functional>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "common/daemon/controller_list_reply.h"
#include "common/daemon/debug_interface.h"
#include "common/daemon/process_info.h"
#include "dbus/staf_adaptor.h"
#include "staf/all_log_pages.h"
#include "staf/staf_service.h"

namespace stas::staf {

class StafDbus final : public sdbus::AdaptorInterfaces<
                           org::nvmexpress::staf_adaptor, org::nvmexpress::staf::debug_adaptor,
                           org::nvmexpress::staf::Discovery1_adaptor, sdbus::Properties_adaptor> {
 public:
  StafDbus(sdbus::IConnection& conn, StafService& service, ProcessInfoSource info);
  ~StafDbus();
  StafDbus(const StafDbus&) = delete;
  StafDbus& operator=(const StafDbus&) = delete;

  // The signals, emitted when StafService reports (StafDeps::on_log_pages_changed,
  // on_dc_removed).
  void OnLogPagesChanged(const Dc& dc);
  void OnDcRemoved();
  // PropertiesChanged of Discovery1.InitialDiscoveryDone (StafDeps::on_initial_discovery_done).
  void OnInitialDiscoveryDone();

  // The JSON documents of the API, also used by tests without a bus.
  std::string ProcessInfoJson() const;
  // get_all_log_pages' document; throws ReplyTooLarge when it is larger than the bound.
  std::string AllLogPagesJson(bool detailed);
  const AllLogPages& all_log_pages() const { return all_log_pages_; }

 private:
  void list_controllers(sdbus::Result<ControllerList>&& result, bool detailed) override;
  std::vector<std::map<std::string, std::string>> get_log_pages(
      const std::string& transport, const std::string& traddr, const std::string& trsvcid,
      const std::string& subsysnqn, const std::string& host_traddr, const std::string& host_iface,
      const std::string& host_nqn) override;
  std::string get_all_log_pages(const bool& detailed) override;
  std::string process_info() override;
  std::string controller_info(const std::string& transport, const std::string& traddr,
                              const std::string& trsvcid, const std::string& subsysnqn,
                              const std::string& host_traddr, const std::string& host_iface,
                              const std::string& host_nqn) override;
  bool tron() override;
  void tron(const bool& value) override;
  std::string log_level() override;
  bool InitialDiscoveryDone() override;
  void SetVolumeDiscoveryControllers(
      const std::vector<std::map<std::string, std::string>>& controllers) override;

  std::size_t MaxReplySize() const;

  StafService& service_;
  AllLogPages all_log_pages_;           // get_all_log_pages' cache
  ControllerListReplies list_replies_;  // list_controllers calls not answered yet
  DebugInterface<StafService> debug_;
};

}  // namespace stas::staf
