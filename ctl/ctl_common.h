// What stafctl and stacctl share: the system-bus connection, the error path of nvme-stas's CLIs
// and their two output forms (Python pprint, or JSON with --json). Single-threaded programs.
// The command line and the subcommands they share are in ctl/ctl_app.h.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

namespace stas::ctl {

// How long one D-Bus call may take before the CLI gives up. stafd answers from memory, so this
// only bounds a hung daemon (sd-bus's own default is 25 s).
inline constexpr std::chrono::seconds kCallTimeout{10};

// The `aa{ss}` of list_controllers and get_log_pages.
using DictList = std::vector<std::map<std::string, std::string>>;

// The 7 strings that name a controller in get_log_pages and controller_info.
struct ControllerId {
  std::string transport, traddr, trsvcid, subsysnqn, host_traddr, host_iface, host_nqn;
};

// The ControllerId of a list_controllers dict; a missing key counts as "".
ControllerId IdOf(const std::map<std::string, std::string>& dict);

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

}  // namespace stas::ctl
