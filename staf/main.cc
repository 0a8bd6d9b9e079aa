// SPDX-License-Identifier: Apache-2.0
// stafd: STorage Appliance Finder. Finds NVMe-oF discovery controllers and serves their log
// pages on D-Bus.
#include "staf/stafd_app.h"

int main(int argc, char** argv) {
  stas::staf::StafdEnvironment env;
  env.backend = [](stas::GlibEventLoop& loop) {
    return stas::MakeRealKernelBackend(loop);
  };
  return stas::staf::RunStafd(argc, argv, env);
}
