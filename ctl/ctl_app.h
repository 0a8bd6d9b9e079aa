// SPDX-License-Identifier: Apache-2.0
// What stafctl, stacctl and stasadm share: the system-bus connection, the error path of
// nvme-stas's CLIs and their two output forms (Python pprint, or JSON with --json), the
// argparse-compatible command line; and CtlApp, the command line and the subcommands that stafctl
// and stacctl share: -v/--version, --json, tron, troff, status and ls. Each tool adds its own
// subcommands to app() (stafctl: dlp, adlp) and names its daemon's generated proxy in
// RunCommon<Proxy>(). Single-threaded programs.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "common/tid.h"

namespace stas::ctl {

// How long one D-Bus call may take before the CLI gives up. stafd answers from memory, so this
// only bounds a hung daemon (sd-bus's own default is 25 s).
inline constexpr std::chrono::seconds kCallTimeout{10};

// The `aa{ss}` of list_controllers and get_log_pages.
using DictList = std::vector<std::map<std::string, std::string>>;

// Opens a connection to the system bus (sd-bus honours DBUS_SYSTEM_BUS_ADDRESS) whose method
// calls time out after kCallTimeout. Hand it to every proxy: a proxy made without one starts
// its own event-loop thread in sdbus-c++ 1.2. Throws sdbus::Error.
std::unique_ptr<sdbus::IConnection> ConnectSystemBus();

// Runs `command` and returns its exit status. When it throws sdbus::Error, prints
// "Unable to communicate with <daemon> over D-Bus. Is <daemon> running?" on stderr and returns 1,
// as nvme-stas does. With `explain_access_denied` (tron/troff), an
// org.freedesktop.DBus.Error.AccessDenied also prints the D-Bus error on a second line, since
// "is it running?" is misleading when the policy refused a non-root caller.
int RunDbusCommand(const std::string& daemon, bool explain_access_denied,
                   const std::function<int()>& command);

// `value` as nvme-stas prints it, `print(pprint.pformat(value, width=120))`, or, with `as_json`,
// as indented JSON (2 spaces, keys in the daemon's order). Ends with a newline.
std::string FormatValue(const nlohmann::ordered_json& value, bool as_json);
void PrintValue(const nlohmann::ordered_json& value, bool as_json);

// An `a{ss}` / `aa{ss}` as JSON objects (keys in the order the map holds them).
nlohmann::ordered_json DictToJson(const std::map<std::string, std::string>& dict);
nlohmann::ordered_json DictListToJson(const DictList& list);

// Python's dict.update() on JSON objects: keys `dict` already has keep their place and take
// the new value, new keys go last in `other`'s order.
void UpdateDict(nlohmann::ordered_json& dict, const nlohmann::ordered_json& other);

// What tron and troff print once the daemon's flag has been read back: "tron = True", or
// {"tron": true} with `as_json`.
void PrintTron(bool now, bool as_json);

// Parses the command line of a tool that takes at most one subcommand, with the exit statuses
// of Python's argparse: returns the status to exit with when parsing ends the program (0 after
// --help, 2 after a usage error, with CLI11's message; 0 after printing VersionLine() when
// `version`, the variable of the -v/--version flag, is set), or -1 when the command should run.
// Call it after the last add_subcommand().
int ParseCommandLine(CLI::App& app, int argc, char** argv, const bool& version);

// The `--version` line of every nvme-stas tool: "nvme-stas <version>".
std::string VersionLine();

// What main() of a *ctl tool returns: runs `body`, and when an exception escapes it prints
// "<prog>: <what>" on stderr and returns 1. An nlohmann::json exception means `daemon` sent a
// JSON document that does not parse, and says so.
int GuardedMain(const std::string& prog, const std::string& daemon,
                const std::function<int()>& body);

// Called by `status` for each controller, after its list_controllers(True) dict and before
// controller_info is merged in: stafctl adds the controller's log pages there.
template <class Proxy>
using StatusHook = std::function<void(Proxy&, const TidFields&, nlohmann::ordered_json&)>;

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
    TidFields id = TidFieldsFromDict(dict);
    nlohmann::ordered_json controller = DictToJson(dict);
    if (hook)
      hook(proxy, id, controller);
    UpdateDict(controller, nlohmann::ordered_json::parse(proxy.controller_info(
                               id.transport, id.traddr, id.trsvcid, id.subsysnqn, id.host_traddr,
                               id.host_iface, *id.host_nqn)));
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
