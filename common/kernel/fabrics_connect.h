// SPDX-License-Identifier: Apache-2.0
// Creating a controller: the connect string (connect_string.h) written to /dev/nvme-fabrics,
// whose write handler returns once the kernel has created the controller or given up, and the
// answer read back from the same descriptor. Blocking; worker threads only.
#pragma once

#include <string>

#include "common/kernel/connect_string.h"
#include "common/kernel/nvme_kernel.h"
#include "common/result.h"

namespace stas {

// The new controller's device name ("nvme5"). Errors: the kernel's errno (EALREADY: it has a
// controller with these addresses and host; EINVAL: it refused an option; ECONNREFUSED...),
// ENODEV without `fabrics_dev` (the nvme-fabrics module is not loaded), EINVAL for a request
// that cannot be written (BuildConnectString), EPROTO for an answer without an instance.
// `serials`: the keyring and PSK the string names (BuildConnectString()).
Result<std::string> FabricsConnect(const std::string& fabrics_dev, const ConnectRequest& req,
                                   const TlsKeySerials& serials = {});

}  // namespace stas
