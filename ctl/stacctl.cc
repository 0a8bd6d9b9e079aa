// stacctl: asks stacd over D-Bus what it knows (reference §2.3). stafctl's tron, troff, status
// (without log pages) and ls, with stacd's proxy; prints Python pprint, or JSON with --json.
#include <optional>

#include <sdbus-c++/sdbus-c++.h>

#include "common/defs.h"
#include "ctl/ctl_app.h"
#include "ctl/ctl_common.h"
#include "dbus/stac_proxy.h"

namespace stas::ctl {
namespace {

constexpr const char* kDaemon = "stacd";

// Method calls only; stacd has no signals.
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

int Main(int argc, char** argv) {
  CtlApp ctl("STorage Appliance Connector (STAC)", "stacctl", kDaemon, "List I/O controllers");
  if (int rc = ctl.Parse(argc, argv); rc >= 0)
    return rc;
  if (std::optional<int> rc = ctl.RunCommon<StacProxy>())
    return *rc;
  return ctl.Usage();
}

}  // namespace
}  // namespace stas::ctl

int main(int argc, char** argv) {
  return stas::ctl::GuardedMain("stacctl", stas::ctl::kDaemon,
                                [&] { return stas::ctl::Main(argc, argv); });
}
