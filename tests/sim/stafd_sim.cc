// stafd-sim: stafd on the simulated kernel, for D-Bus integration tests and benchmarks.
// Environment: STAS_SIM_SCENARIO (JSON scenario, re-applied on SIGUSR1), STAS_SIM_ETC (a
// directory holding stas/sys.conf and nvme/hostnqn, nvme/hostid), RUNTIME_DIRECTORY (state).
#include <signal.h>

#include <cstdio>
#include <cstdlib>

#include "common/log.h"
#include "staf/stafd_app.h"
#include "tests/sim/sim_scenario.h"

int main(int argc, char** argv) {
  const char* scenario = std::getenv("STAS_SIM_SCENARIO");  // NOLINT(concurrency-mt-unsafe)
  const char* etc = std::getenv("STAS_SIM_ETC");            // NOLINT(concurrency-mt-unsafe)
  const char* runtime = std::getenv("RUNTIME_DIRECTORY");   // NOLINT(concurrency-mt-unsafe)
  if (!scenario || !etc || !runtime) {
    std::fprintf(stderr, "stafd-sim: set STAS_SIM_SCENARIO, STAS_SIM_ETC and RUNTIME_DIRECTORY\n");
    return 2;
  }
  std::shared_ptr<stas::testing::SimulatedKernel> sim;
  stas::staf::StafdEnvironment env;
  env.require_root = false;
  env.udev_rule_path = std::string(runtime) + "/70-nvmf-autoconnect.rules";
  env.sysconf = {std::string(etc) + "/stas/sys.conf", std::string(etc) + "/nvme/hostnqn",
                 std::string(etc) + "/nvme/hostid", std::string(etc) + "/nvme/hostkey"};
  env.backend = [&](stas::GlibEventLoop& loop) {
    sim = std::make_shared<stas::testing::SimulatedKernel>(loop);
    if (stas::Status s = stas::testing::ApplyScenarioFile(scenario, *sim, true); !s) {
      std::fprintf(stderr, "stafd-sim: %s\n", s.error().message.c_str());
      std::exit(2);  // NOLINT(concurrency-mt-unsafe): start-up, single thread
    }
    return stas::KernelBackend{sim, sim, {}};
  };
  env.on_started = [&](stas::GlibEventLoop& loop) {
    (void)loop.AddUnixSignal(SIGUSR1, [&] {
      stas::Status s = stas::testing::ApplyScenarioFile(scenario, *sim, false);
      if (!s) LOG_ERROR("stafd-sim: %s", s.error().message.c_str());
      else LOG_INFO("stafd-sim: scenario re-applied");
    });
  };
  return stas::staf::RunStafd(argc, argv, env);
}
