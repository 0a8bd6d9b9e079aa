// SPDX-License-Identifier: Apache-2.0
// StacDbus: stacd's object /org/nvmexpress/stac on D-Bus, the nvme-stas v2.3+ API
// (docs/compatibility.md, "D-Bus API"). It answers from StacService's state. Arguments from
// callers are checked; a bad one gets org.nvmexpress.stac.Error.InvalidArgs. Secrets are never
// returned.
// Loop thread only (sdbus-c++ is driven from the GLib loop).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "common/daemon/controller_list_reply.h"
#include "common/daemon/debug_interface.h"
#include "common/daemon/pending_replies.h"
#include "common/daemon/process_info.h"
#include "dbus/stac_adaptor.h"
#include "stac/stac_service.h"
#include "stac/volumes/volume_spec.h"

namespace stas::stac {

class StacDbus final : public sdbus::AdaptorInterfaces<
                           org::nvmexpress::stac_adaptor, org::nvmexpress::stac::debug_adaptor,
                           org::nvmexpress::stac::Volumes1_adaptor, sdbus::Properties_adaptor> {
 public:
  StacDbus(sdbus::IConnection& conn, StacService& service, ProcessInfoSource info);
  ~StacDbus();
  StacDbus(const StacDbus&) = delete;
  StacDbus& operator=(const StacDbus&) = delete;

  // The JSON document of process_info, also used by tests without a bus.
  std::string ProcessInfoJson() const;
  // The service's volumes changed (StacDeps::on_volumes_changed): VolumeChanged for `volume`
  // (if any) and PropertiesChanged for Generation.
  void OnVolumesChanged(const VolumeView* volume);

 private:
  void list_controllers(sdbus::Result<ControllerList>&& result, bool detailed) override;
  std::string process_info() override;
  std::string controller_info(const std::string& transport, const std::string& traddr,
                              const std::string& trsvcid, const std::string& subsysnqn,
                              const std::string& host_traddr, const std::string& host_iface,
                              const std::string& host_nqn) override;
  bool tron() override;
  void tron(const bool& value) override;
  std::string log_level() override;
  // org.nvmexpress.stac.Volumes1
  VariantMap GetConnectorInfo() override;
  void AttachVolume(sdbus::Result<std::string, VariantMap>&& result, std::string volume_id,
                    VariantMap spec, VariantMap options) override;
  void DetachVolume(sdbus::Result<>&& result, std::string volume_id, VariantMap options) override;
  std::vector<VariantMap> ListVolumes(const std::vector<std::string>& ids) override;
  uint64_t Generation() override;

  StacService& service_;
  HostInfo host_;
  std::string system_uuid_;  // read once: the DMI product UUID does not change
  PendingReplies<std::string, VariantMap> attach_replies_;
  PendingReplies<> detach_replies_;
  ControllerListReplies list_replies_;  // list_controllers calls not answered yet
  DebugInterface<StacService> debug_;
};

}  // namespace stas::stac
