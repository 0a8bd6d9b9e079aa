#include "ctl/ctl_app.h"

#include <iostream>
#include <utility>

namespace stas::ctl {

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
