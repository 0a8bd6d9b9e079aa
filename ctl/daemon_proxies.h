// SPDX-License-Identifier: Apache-2.0
// Method-call proxies on stafd's and stacd's objects, for the CLIs and tests. The signal
// handlers are never registered (no registerProxy()), which saves the AddMatch round trip.
#pragma once

#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "common/defs.h"
#include "dbus/stac_proxy.h"
#include "dbus/staf_proxy.h"

namespace stas::ctl {

class StafProxy final : public sdbus::ProxyInterfaces<org::nvmexpress::staf_proxy,
                                                      org::nvmexpress::staf::debug_proxy> {
 public:
  explicit StafProxy(sdbus::IConnection& conn)
      : ProxyInterfaces(conn, kStafdBusName, kStafdObjectPath) {}
  ~StafProxy() = default;
  StafProxy(const StafProxy&) = delete;
  StafProxy& operator=(const StafProxy&) = delete;
  StafProxy(StafProxy&&) = delete;
  StafProxy& operator=(StafProxy&&) = delete;

 private:
  void onLog_pages_changed(const std::string&, const std::string&, const std::string&,
                           const std::string&, const std::string&, const std::string&,
                           const std::string&, const std::string&) override {}
  void onDc_removed() override {}
};

// stacd has no signals.
class StacProxy final : public sdbus::ProxyInterfaces<org::nvmexpress::stac_proxy,
                                                      org::nvmexpress::stac::debug_proxy> {
 public:
  explicit StacProxy(sdbus::IConnection& conn)
      : ProxyInterfaces(conn, kStacdBusName, kStacdObjectPath) {}
  ~StacProxy() = default;
  StacProxy(const StacProxy&) = delete;
  StacProxy& operator=(const StacProxy&) = delete;
  StacProxy(StacProxy&&) = delete;
  StacProxy& operator=(StacProxy&&) = delete;
};

}  // namespace stas::ctl
