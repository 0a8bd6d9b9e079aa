// CtlApp: the command line and the subcommands that stafctl and stacctl share (reference §2.2,
// §2.3): -v/--version, --json, tron, troff, status and ls. Each tool adds its own subcommands
// to app() (stafctl: dlp, adlp) and names its daemon's generated proxy in RunCommon<Proxy>().
// Single-threaded.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "ctl/ctl_common.h"

namespace stas::ctl {

// Called by `status` for each controller, after its list_controllers(True) dict and before
// controller_info is merged in: stafctl adds the controller's log pages there.
template <class Proxy>
using StatusHook = std::function<void(Proxy&, const ControllerId&, nlohmann::ordered_json&)>;

class CtlApp {
 public:
  // `daemon` ("stafd", "stacd") goes into the status help and the D-Bus error message.
  CtlApp(const std::string& description, const std::string& prog, std::string daemon,
         const std::string& ls_help);

  // For the tool's own subcommands and options.
  CLI::App& app() { return app_; }
  bool json() const { return json_; }

  // Parses with argparse's exit statuses and handles --version: returns the status to exit
  // with when the program is done (help, usage error, version), or -1 when a command should run.
  int Parse(int argc, char** argv);

  // Runs `command` through RunDbusCommand() with this tool's daemon name.
  int RunDbus(bool explain_access_denied, const std::function<int()>& command) const;

  // Runs tron, troff, status or ls, whichever was parsed, against the daemon behind `Proxy`
  // (a generated proxy constructible from an sdbus::IConnection&); nullopt when none was.
  template <class Proxy>
  std::optional<int> RunCommon(const StatusHook<Proxy>& status_hook = {}) const;

  // What nvme-stas does without a subcommand: help on stdout, exit status 1.
  int Usage() const;

 private:
  CLI::App app_;
  std::string daemon_;
  bool version_ = false;
  bool json_ = false;
  bool ls_detailed_ = false;
  CLI::App* tron_ = nullptr;
  CLI::App* troff_ = nullptr;
  CLI::App* status_ = nullptr;
  CLI::App* ls_ = nullptr;
};

template <class Proxy>
int TronCommand(bool on, bool json) {
  auto conn = ConnectSystemBus();
  Proxy proxy(*conn);
  proxy.tron(on);
  PrintTron(proxy.tron(), json);
  return 0;
}

// nvme-stas: info = process_info(); info['controllers'] = list_controllers(True), and each
// controller dict .update()d with its controller_info().
template <class Proxy>
int StatusCommand(bool json, const StatusHook<Proxy>& hook) {
  auto conn = ConnectSystemBus();
  Proxy proxy(*conn);
  nlohmann::ordered_json info = nlohmann::ordered_json::parse(proxy.process_info());
  nlohmann::ordered_json controllers = nlohmann::ordered_json::array();
  for (const auto& dict : proxy.list_controllers(true)) {
    ControllerId id = IdOf(dict);
    nlohmann::ordered_json controller = DictToJson(dict);
    if (hook)
      hook(proxy, id, controller);
    UpdateDict(controller, nlohmann::ordered_json::parse(proxy.controller_info(
                               id.transport, id.traddr, id.trsvcid, id.subsysnqn, id.host_traddr,
                               id.host_iface, id.host_nqn)));
    controllers.push_back(std::move(controller));
  }
  info["controllers"] = std::move(controllers);
  PrintValue(info, json);
  return 0;
}

template <class Proxy>
int LsCommand(bool detailed, bool json) {
  auto conn = ConnectSystemBus();
  Proxy proxy(*conn);
  PrintValue(DictListToJson(proxy.list_controllers(detailed)), json);
  return 0;
}

template <class Proxy>
std::optional<int> CtlApp::RunCommon(const StatusHook<Proxy>& status_hook) const {
  // tron/troff explain an AccessDenied: the policy lets only root set the property.
  if (tron_->parsed())
    return RunDbus(true, [&] { return TronCommand<Proxy>(true, json_); });
  if (troff_->parsed())
    return RunDbus(true, [&] { return TronCommand<Proxy>(false, json_); });
  if (status_->parsed())
    return RunDbus(false, [&] { return StatusCommand<Proxy>(json_, status_hook); });
  if (ls_->parsed())
    return RunDbus(false, [&] { return LsCommand<Proxy>(ls_detailed_, json_); });
  return std::nullopt;
}

}  // namespace stas::ctl
