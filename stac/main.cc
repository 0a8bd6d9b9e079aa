// SPDX-License-Identifier: Apache-2.0
// stacd: STorage Appliance Connector. Connects the NVMe-oF I/O controllers that stafd finds
// and that stacd.conf lists.
#include "stac/stacd_app.h"

int main(int argc, char** argv) {
  stas::DaemonEnvironment env;
  // Disk uevents too: a volume's block device is found when the kernel adds it.
  env.backend = [](stas::GlibEventLoop& loop) {
    return stas::MakeRealKernelBackend(loop, /*disk_events=*/true);
  };
  return stas::stac::RunStacd(argc, argv, env);
}
