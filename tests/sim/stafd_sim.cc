// SPDX-License-Identifier: Apache-2.0
// stafd-sim: stafd on the simulated kernel, for D-Bus integration tests and benchmarks.
// Environment: see tests/sim/sim_daemon.h.
#include "staf/stafd_app.h"
#include "tests/sim/sim_daemon.h"

int main(int argc, char** argv) {
  stas::staf::StafdEnvironment env;
  return stas::testing::RunSimDaemon("stafd-sim", env, [&](const std::string& runtime) {
    env.udev_rule_path = runtime + "/70-nvmf-autoconnect.rules";
    return stas::staf::RunStafd(argc, argv, env);
  });
}
