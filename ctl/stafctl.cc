// stafctl: asks stafd over D-Bus what it knows (reference §2.2). Prints what nvme-stas's stafctl
// prints (Python pprint), or JSON with --json.
#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "common/defs.h"
#include "common/host_identity.h"
#include "ctl/ctl_common.h"
#include "dbus/staf_proxy.h"

namespace stas::ctl {
namespace {

constexpr const char* kDaemon = "stafd";

// Method calls only: the signal handlers are never registered (no registerProxy()), which
// saves the AddMatch round trip.
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

// The 7 strings that name a controller in get_log_pages and controller_info.
struct ControllerId {
  std::string transport, traddr, trsvcid, subsysnqn, host_traddr, host_iface, host_nqn;
};

ControllerId IdOf(const std::map<std::string, std::string>& dict) {
  auto get = [&dict](const char* key) {
    auto it = dict.find(key);
    return it == dict.end() ? std::string() : it->second;
  };
  return {get("transport"),   get("traddr"),     get("trsvcid"), get("subsysnqn"),
          get("host-traddr"), get("host-iface"), get("host-nqn")};
}

struct DlpArgs {
  std::string transport = "tcp";
  std::string traddr;
  std::string trsvcid;
  std::string host_traddr;
  std::string host_iface;
  std::string host_nqn;  // empty until -q is given or the default is resolved
  std::string nqn = kWellKnownDiscoveryNqn;
};

int Tron(bool on, bool json) {
  auto conn = ConnectSystemBus();
  StafProxy staf(*conn);
  staf.tron(on);
  bool now = staf.tron();
  if (json) {
    PrintValue({{"tron", now}}, true);
  } else {
    std::cout << "tron = " << (now ? "True" : "False") << "\n";
  }
  return 0;
}

int Status(bool json) {
  auto conn = ConnectSystemBus();
  StafProxy staf(*conn);
  nlohmann::ordered_json info = nlohmann::ordered_json::parse(staf.process_info());
  nlohmann::ordered_json controllers = nlohmann::ordered_json::array();
  for (const auto& dict : staf.list_controllers(true)) {
    ControllerId id = IdOf(dict);
    nlohmann::ordered_json controller = DictToJson(dict);
    controller["log_pages"] =
        DictListToJson(staf.get_log_pages(id.transport, id.traddr, id.trsvcid, id.subsysnqn,
                                          id.host_traddr, id.host_iface, id.host_nqn));
    // Python's dict.update(): known keys keep their place, new ones go last.
    nlohmann::ordered_json extra = nlohmann::ordered_json::parse(
        staf.controller_info(id.transport, id.traddr, id.trsvcid, id.subsysnqn, id.host_traddr,
                             id.host_iface, id.host_nqn));
    for (const auto& [key, value] : extra.items())
      controller[key] = value;
    controllers.push_back(std::move(controller));
  }
  info["controllers"] = std::move(controllers);
  PrintValue(info, json);
  return 0;
}

int Ls(bool detailed, bool json) {
  auto conn = ConnectSystemBus();
  StafProxy staf(*conn);
  PrintValue(DictListToJson(staf.list_controllers(detailed)), json);
  return 0;
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
  CLI::App app{"STorage Appliance Finder (STAF)", "stafctl"};
  app.fallthrough();  // global options are also accepted after the subcommand
  bool version = false;
  bool json = false;
  app.add_flag("-v,--version", version, "Print version, then exit");
  app.add_flag("--json", json, "Print JSON instead of Python-style output");

  CLI::App* tron = app.add_subcommand("tron", "Trace ON");
  CLI::App* troff = app.add_subcommand("troff", "Trace OFF");
  CLI::App* status = app.add_subcommand("status", "Show runtime status information about stafd");

  bool ls_detailed = false;
  CLI::App* ls = app.add_subcommand("ls", "List discovery controllers");
  ls->add_flag("-d,--detailed", ls_detailed, "Print detailed info");

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

  app.require_subcommand(0, 1);
  if (int rc = ParseCommandLine(app, argc, argv); rc >= 0)
    return rc;
  if (version) {
    std::cout << VersionLine() << "\n";
    return 0;
  }
  if (dlp->parsed() && host_nqn_opt->count() == 0) {
    std::optional<std::string> host_nqn = DefaultHostNqn();
    if (!host_nqn)
      return 1;
    dlp_args.host_nqn = *host_nqn;
  }

  auto run = [&](bool explain_access_denied, const std::function<int()>& command) {
    return RunDbusCommand(kDaemon, explain_access_denied, command);
  };
  if (tron->parsed())
    return run(true, [&] { return Tron(true, json); });
  if (troff->parsed())
    return run(true, [&] { return Tron(false, json); });
  if (status->parsed())
    return run(false, [&] { return Status(json); });
  if (ls->parsed())
    return run(false, [&] { return Ls(ls_detailed, json); });
  if (dlp->parsed())
    return run(false, [&] { return Dlp(dlp_args, json); });
  if (adlp->parsed())
    return run(false, [&] { return Adlp(adlp_detailed, json); });

  std::cout << app.help();
  return 1;
}

}  // namespace
}  // namespace stas::ctl

int main(int argc, char** argv) {
  try {
    return stas::ctl::Main(argc, argv);
  } catch (const nlohmann::json::exception& e) {
    // stafd sent a JSON document that does not parse: a bug on its side, not a usage error.
    std::cerr << "stafctl: invalid JSON from stafd: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "stafctl: " << e.what() << "\n";
    return 1;
  } catch (...) {
    return 1;
  }
}
