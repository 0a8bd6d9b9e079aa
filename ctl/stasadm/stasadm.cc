// SPDX-License-Identifier: Apache-2.0
// stasadm: writes the host's NVMe identity into sys.conf (docs/compatibility.md, "stasadm"):
// hostnqn, hostid, set-symname, clear-symname. Prints nothing on success; errors go to stderr
// with exit status 1
// (2 for a usage error).
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <unistd.h>

#include "common/config/host_identity.h"
#include "common/str_util.h"
#include "ctl/ctl_app.h"
#include "ctl/stasadm/stasadm_host_uuid.h"
#include "ctl/stasadm/stasadm_save.h"
#include "ctl/stasadm/stasadm_uuid.h"
#include "ctl/stasadm/stasadm_values.h"

namespace stas::ctl {
namespace {

constexpr const char* kNqnPrefix = "nqn.2014-08.org.nvmexpress:uuid:";

int Error(const std::string& message) {
  std::cerr << "stasadm: " << message << "\n";
  return 1;
}

// Saves `value` as [Host] `option`; `file` is the -f argument, if given.
int SaveOption(const std::string& conf_file, const std::string& option,
               std::optional<std::string> value, const std::optional<std::string>& file) {
  SaveRequest request{conf_file, option, std::move(value), std::nullopt};
  if (file) {
    Result<std::string> path = ValueFilePath(*file);
    if (!path)
      return Error(path.error().message);
    request.file = *path;
  }
  if (Status s = Save(request); !s)
    return Error(s.error().message);
  return 0;
}

int HostNqn(const std::string& conf_file, const std::optional<std::string>& file) {
  Result<std::string> uuid = HostUuid(HostUuidSources{}, ::geteuid() == 0);
  if (!uuid) {
    // nvme-stas's message, without our prefix: scripts may look for it.
    std::cerr << uuid.error().message << "\n";
    return 1;
  }
  return SaveOption(conf_file, "nqn", kNqnPrefix + *uuid, file);
}

int HostId(const std::string& conf_file, const std::optional<std::string>& file) {
  Result<std::string> uuid = RandomUuid();
  if (!uuid)
    return Error(uuid.error().message);
  return SaveOption(conf_file, "id", *uuid, file);
}

int SetSymname(const std::string& conf_file, const std::string& symname,
               const std::optional<std::string>& file) {
  if (std::optional<std::string> why = SymnameProblem(symname, file.has_value()))
    return Error("symbolic name \"" + Printable(symname) + "\" " + *why);
  return SaveOption(conf_file, "symname", symname, file);
}

// An option given with -f, or nullopt.
std::optional<std::string> Given(const CLI::Option* option, const std::string& value) {
  if (option->count() == 0)
    return std::nullopt;
  return value;
}

int Main(int argc, char** argv) {
  CLI::App app("Configuration utility for STAS.", "stasadm");
  // Before any subcommand is added: subcommands copy this setting when they are created.
  app.fallthrough();  // global options are also accepted after the subcommand
  bool version = false;
  std::string conf_file = SysConfPaths::Default().sys_conf;
  app.add_flag("-v,--version", version, "Print version, then exit");
  app.add_option("-c,--conf-file", conf_file,
                 "Configuration file. Default " + conf_file +
                     ". With -c \"\", only the -f file is written.")
      ->type_name("FILE");

  std::string file;
  CLI::App* hostnqn =
      app.add_subcommand("hostnqn", "Configure the host NQN. The NQN is auto-generated.");
  CLI::Option* hostnqn_file =
      hostnqn->add_option("-f,--file", file, "Optional file where to save the NQN.")
          ->type_name("FILE");

  CLI::App* hostid =
      app.add_subcommand("hostid", "Configure the host ID. The ID is auto-generated.");
  CLI::Option* hostid_file =
      hostid->add_option("-f,--file", file, "Optional file where to save the ID.")
          ->type_name("FILE");

  std::string symname;
  CLI::App* set_symname = app.add_subcommand("set-symname", "Set the host symbolic name");
  CLI::Option* symname_file =
      set_symname->add_option("-f,--file", file, "Optional file where to save the symbolic name.")
          ->type_name("FILE");
  set_symname->add_option("SYMNAME", symname, "Symbolic name")->required()->type_name("");

  CLI::App* clear_symname = app.add_subcommand("clear-symname", "Clear the host symbolic name");

  if (int rc = ParseCommandLine(app, argc, argv, version); rc >= 0)
    return rc;
  if (hostnqn->parsed())
    return HostNqn(conf_file, Given(hostnqn_file, file));
  if (hostid->parsed())
    return HostId(conf_file, Given(hostid_file, file));
  if (set_symname->parsed())
    return SetSymname(conf_file, symname, Given(symname_file, file));
  if (clear_symname->parsed())
    return SaveOption(conf_file, "symname", std::nullopt, std::nullopt);
  // What nvme-stas does without a subcommand: help on stdout, exit status 1.
  std::cout << app.help();
  return 1;
}

}  // namespace
}  // namespace stas::ctl

int main(int argc, char** argv) {
  try {
    return stas::ctl::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "stasadm: " << e.what() << "\n";
    return 1;
  }
}
