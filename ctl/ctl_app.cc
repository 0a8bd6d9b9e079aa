// SPDX-License-Identifier: Apache-2.0
#include "ctl/ctl_app.h"

#include <cstdio>
#include <iostream>
#include <utility>

#include "build_config.h"
#include "common/python_compat.h"

namespace stas::ctl {

std::unique_ptr<sdbus::IConnection> ConnectSystemBus() {
  std::unique_ptr<sdbus::IConnection> conn = sdbus::createSystemBusConnection();
  conn->setMethodCallTimeout(kCallTimeout);
  return conn;
}

int RunDbusCommand(const std::string& daemon, bool explain_access_denied,
                   const std::function<int()>& command) {
  try {
    return command();
  } catch (const sdbus::Error& e) {
    std::cout.flush();
    std::cerr << "Unable to communicate with " << daemon << " over D-Bus. Is " << daemon
              << " running?\n";
    if (explain_access_denied && e.getName() == "org.freedesktop.DBus.Error.AccessDenied") {
      std::cerr << e.getName() << ": " << e.getMessage() << "\n";
    }
    return 1;
  }
}

std::string FormatValue(const nlohmann::ordered_json& value, bool as_json) {
  // dump() with an indent never escapes non-ASCII; replace keeps invalid UTF-8 from throwing.
  if (as_json)
    return value.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  return PythonPformat(value, 120) + "\n";
}

void PrintValue(const nlohmann::ordered_json& value, bool as_json) {
  std::cout << FormatValue(value, as_json);
  std::cout.flush();
}

nlohmann::ordered_json DictToJson(const std::map<std::string, std::string>& dict) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [key, value] : dict)
    j[key] = value;
  return j;
}

nlohmann::ordered_json DictListToJson(const DictList& list) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& dict : list)
    j.push_back(DictToJson(dict));
  return j;
}

void UpdateDict(nlohmann::ordered_json& dict, const nlohmann::ordered_json& other) {
  for (const auto& [key, value] : other.items())
    dict[key] = value;
}

void PrintTron(bool now, bool as_json) {
  if (as_json) {
    PrintValue({{"tron", now}}, true);
  } else {
    std::cout << "tron = " << PythonBool(now) << "\n";
  }
}

int ParseCommandLine(CLI::App& app, int argc, char** argv, const bool& version) {
  // Only now: a subcommand created after this call would inherit the maximum.
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);  // prints the message and the "Run with --help" hint on stderr
    return 2;           // argparse's status for a usage error
  }
  if (version) {
    std::cout << VersionLine() << "\n";
    return 0;
  }
  return -1;
}

std::string VersionLine() {
  return std::string("nvme-stas ") + kVersion;
}

int GuardedMain(const std::string& prog, const std::string& daemon,
                const std::function<int()>& body) {
  try {
    return body();
  } catch (const nlohmann::json::exception& e) {
    // The daemon sent a JSON document that does not parse: a bug on its side, not a usage error.
    std::cerr << prog << ": invalid JSON from " << daemon << ": " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << prog << ": " << e.what() << "\n";
    return 1;
  } catch (...) {
    return 1;
  }
}

CtlApp::CtlApp(const std::string& description, const std::string& prog, std::string daemon,
               const std::string& ls_help)
    : app_(description, prog), daemon_(std::move(daemon)) {
  // Before any subcommand is added: subcommands copy this setting when they are created.
  app_.fallthrough();  // global options are also accepted after the subcommand
  app_.add_flag("-v,--version", version_, "Print version, then exit");
  app_.add_flag("--json", json_, "Print JSON instead of Python-style output");
  tron_ = app_.add_subcommand("tron", "Trace ON");
  troff_ = app_.add_subcommand("troff", "Trace OFF");
  status_ = app_.add_subcommand("status", "Show runtime status information about " + daemon_);
  ls_ = app_.add_subcommand("ls", ls_help);
  ls_->add_flag("-d,--detailed", ls_detailed_, "Print detailed info");
}

int CtlApp::Parse(int argc, char** argv) {
  return ParseCommandLine(app_, argc, argv, version_);
}

int CtlApp::RunDbus(bool explain_access_denied, const std::function<int()>& command) const {
  return RunDbusCommand(daemon_, explain_access_denied, command);
}

int CtlApp::Usage() const {
  std::cout << app_.help();
  return 1;
}

}  // namespace stas::ctl
