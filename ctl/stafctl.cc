// SPDX-License-Identifier: Apache-2.0
// stafctl: asks stafd over D-Bus what it knows (docs/compatibility.md, "Command-line tools").
// Prints what nvme-stas's stafctl prints (Python pprint), or JSON with --json.
#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "common/config/host_identity.h"
#include "common/defs.h"
#include "ctl/ctl_app.h"
#include "ctl/daemon_proxies.h"

namespace stas::ctl {
namespace {

constexpr const char* kDaemon = "stafd";

struct DlpArgs {
  std::string transport = "tcp";
  std::string traddr;
  std::string trsvcid;
  std::string host_traddr;
  std::string host_iface;
  std::string host_nqn;  // empty until -q is given or the default is resolved
  std::string nqn = kWellKnownDiscoveryNqn;
};

// stafctl's part of `status`: each controller's cached log pages, before controller_info.
void AddLogPages(StafProxy& staf, const TidFields& id, nlohmann::ordered_json& controller) {
  controller["log_pages"] =
      DictListToJson(staf.get_log_pages(id.transport, id.traddr, id.trsvcid, id.subsysnqn,
                                        id.host_traddr, id.host_iface, *id.host_nqn));
}

int Dlp(const DlpArgs& a, bool json) {
  auto conn = ConnectSystemBus();
  StafProxy staf(*conn);
  PrintValue(DictListToJson(staf.get_log_pages(a.transport, a.traddr, a.trsvcid, a.nqn,
                                               a.host_traddr, a.host_iface, a.host_nqn)),
             json);
  return 0;
}

int Adlp(bool detailed, bool json) {
  auto conn = ConnectSystemBus();
  StafProxy staf(*conn);
  PrintValue(nlohmann::ordered_json::parse(staf.get_all_log_pages(detailed)), json);
  return 0;
}

// nvme-stas resolved this default at import time, so every stafctl command needed a readable
// host NQN. Only `dlp` without -q needs it here.
std::optional<std::string> DefaultHostNqn() {
  Result<HostIdentity> id = LoadHostIdentity(SysConfPaths::Default(), nullptr);
  if (!id) {
    std::cerr << id.error().message << "\n";
    return std::nullopt;
  }
  return id->hostnqn;
}

int Main(int argc, char** argv) {
  CtlApp ctl("STorage Appliance Finder (STAF)", "stafctl", kDaemon, "List discovery controllers");
  CLI::App& app = ctl.app();

  DlpArgs dlp_args;
  CLI::App* dlp = app.add_subcommand("dlp", "Show discovery log pages from a discovery controller");
  dlp->add_option("-t,--transport", dlp_args.transport, "NVMe-over-Fabrics fabric type")
      ->check(CLI::IsMember({"tcp", "rdma", "fc", "loop"}))
      ->capture_default_str();
  dlp->add_option("-a,--traddr", dlp_args.traddr, "Discovery Controller's network address")
      ->required();
  dlp->add_option("-s,--trsvcid", dlp_args.trsvcid,
                  "Transport service id (for IP addresses, the port)")
      ->required();
  dlp->add_option("-w,--host-traddr", dlp_args.host_traddr,
                  "Network source address used for the connection");
  dlp->add_option("-f,--host-iface", dlp_args.host_iface,
                  "Network source interface used for the connection");
  CLI::Option* host_nqn_opt =
      dlp->add_option("-q,--host-nqn", dlp_args.host_nqn, "Host NQN (default: from sys.conf)");
  dlp->add_option("-n,--nqn", dlp_args.nqn, "Discovery Controller's NQN")->capture_default_str();

  bool adlp_detailed = false;
  CLI::App* adlp = app.add_subcommand("adlp", "Show all discovery log pages");
  adlp->add_flag("-d,--detailed", adlp_detailed, "Print detailed info");

  if (int rc = ctl.Parse(argc, argv); rc >= 0)
    return rc;
  if (std::optional<int> rc = ctl.RunCommon<StafProxy>(AddLogPages))
    return *rc;
  if (dlp->parsed()) {
    if (host_nqn_opt->count() == 0) {
      std::optional<std::string> host_nqn = DefaultHostNqn();
      if (!host_nqn)
        return 1;
      dlp_args.host_nqn = *host_nqn;
    }
    return ctl.RunDbus(false, [&] { return Dlp(dlp_args, ctl.json()); });
  }
  if (adlp->parsed())
    return ctl.RunDbus(false, [&] { return Adlp(adlp_detailed, ctl.json()); });
  return ctl.Usage();
}

}  // namespace
}  // namespace stas::ctl

int main(int argc, char** argv) {
  return stas::ctl::GuardedMain("stafctl", stas::ctl::kDaemon,
                                [&] { return stas::ctl::Main(argc, argv); });
}
