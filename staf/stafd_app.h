// The life of stafd, from the command line to exit, with the kernel edge given by `backend`
// (real in stafd, simulated in the test harness). Returns the exit status.
#pragma once

#include <string>

#include "common/host_identity.h"
#include "common/kernel_backend.h"

namespace stas::staf {

struct StafdEnvironment {
  KernelBackendFactory backend;
  bool require_root = true;
  // nvme-cli's udev rule is overridden while stafd runs (reference §4.16).
  std::string udev_rule_path = "/run/udev/rules.d/70-nvmf-autoconnect.rules";
  SysConfPaths sysconf = SysConfPaths::Default();
  // Called once the daemon is set up, on the loop thread (the harness hooks its controls here).
  std::function<void(GlibEventLoop&)> on_started;
};

int RunStafd(int argc, char** argv, const StafdEnvironment& env);

}  // namespace stas::staf
