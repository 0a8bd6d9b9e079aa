// SPDX-License-Identifier: Apache-2.0
#include "tests/sim/sim_daemon.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <signal.h>

#include "common/log.h"
#include "common/testing/simulated_kernel.h"
#include "tests/sim/sim_kernel_devices.h"
#include "tests/sim/sim_scenario.h"

namespace stas::testing {

int RunSimDaemon(const char* prog, DaemonEnvironment& env,
                 const std::function<int(const std::string& runtime)>& run) {
  const char* scenario = std::getenv("STAS_SIM_SCENARIO");     // NOLINT(concurrency-mt-unsafe)
  const char* etc = std::getenv("STAS_SIM_ETC");               // NOLINT(concurrency-mt-unsafe)
  const char* runtime = std::getenv("RUNTIME_DIRECTORY");      // NOLINT(concurrency-mt-unsafe)
  const char* devices = std::getenv("STAS_SIM_DEVICES_FILE");  // NOLINT(concurrency-mt-unsafe)
  if (!scenario || !etc || !runtime) {
    std::fprintf(stderr, "%s: set STAS_SIM_SCENARIO, STAS_SIM_ETC and RUNTIME_DIRECTORY\n", prog);
    return 2;
  }
  // Shared by the callbacks below; lives as long as this function, so past the daemon's loop.
  auto sim = std::make_shared<std::shared_ptr<SimulatedKernel>>();
  auto publisher = std::make_shared<std::unique_ptr<KernelDevicesPublisher>>();
  std::string scenario_path = scenario;
  std::string devices_path = devices ? devices : "";
  std::string name = prog;
  env.require_root = false;
  env.sysconf = {.sys_conf = std::string(etc) + "/stas/sys.conf",
                 .hostnqn_file = std::string(etc) + "/nvme/hostnqn",
                 .hostid_file = std::string(etc) + "/nvme/hostid",
                 .hostkey_file = std::string(etc) + "/nvme/hostkey",
                 .exclusions_dir = std::string(etc) + "/nvme"};
  env.registry_dir = std::string(runtime) + "/nvme-registry";
  env.conn_conf_file = std::string(etc) + "/nvme/nvme-stas.conf";
  env.nbft_dir = std::string(etc) + "/nbft";
  env.backend = [sim, scenario_path, name](GlibEventLoop& loop) {
    *sim = std::make_shared<SimulatedKernel>(loop);
    if (Status s = ApplyScenarioFile(scenario_path, **sim, true); !s) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), s.error().message.c_str());
      std::exit(2);  // NOLINT(concurrency-mt-unsafe): start-up, single thread
    }
    return KernelBackend{.kernel = *sim, .events = *sim, .set_trace = {}};
  };
  env.on_started = [sim, publisher, scenario_path, devices_path, name](GlibEventLoop& loop) {
    (void)loop.AddUnixSignal(SIGUSR1, [sim, scenario_path, name] {
      Status s = ApplyScenarioFile(scenario_path, **sim, false);
      if (!s)
        LOG_ERROR("%s: %s", name.c_str(), s.error().message.c_str());
      else
        LOG_INFO("%s: scenario re-applied", name.c_str());
    });
    if (!devices_path.empty()) {
      *publisher = std::make_unique<KernelDevicesPublisher>(*sim, devices_path);
      (*publisher)->Start(loop);
    }
  };
  int status = run(runtime);
  // The loop is gone and the workers joined: this is the list shutdown left.
  if (*publisher)
    (*publisher)->Publish();
  return status;
}

}  // namespace stas::testing
