// SPDX-License-Identifier: Apache-2.0
// stacd: STorage Appliance Connector. Connects the NVMe-oF I/O controllers that stafd finds
// and that stacd.conf lists.
#include "stac/stacd_app.h"

int main(int argc, char** argv) {
  stas::DaemonEnvironment env;
  env.backend = stas::MakeRealKernelBackend;
  return stas::stac::RunStacd(argc, argv, env);
}
