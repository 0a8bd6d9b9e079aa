// SPDX-License-Identifier: Apache-2.0
// stacd-sim: stacd on the simulated kernel, for D-Bus integration tests and benchmarks.
// Environment as stafd-sim's: STAS_SIM_SCENARIO (JSON scenario, re-applied on SIGUSR1: new
// subsystems become connectable), STAS_SIM_ETC, RUNTIME_DIRECTORY, STAS_SIM_DEVICES_FILE.
#include "stac/stacd_app.h"
#include "tests/sim/sim_daemon.h"

int main(int argc, char** argv) {
  stas::DaemonEnvironment env;
  return stas::testing::RunSimDaemon("stacd-sim", env, [&](const std::string& /*runtime*/) {
    return stas::stac::RunStacd(argc, argv, env);
  });
}
