// SPDX-License-Identifier: Apache-2.0
#include "common/controller/connect_or_adopt.h"

#include "common/defs.h"
#include "common/kernel/controller_state.h"
#include "common/kernel/net_if.h"
#include "common/tid_match.h"

namespace stas {

std::optional<KernelDevice> FindAdoptable(NvmeKernel& kernel, const ConnectRequest& req,
                                          const std::set<std::string>& owned, std::string* note) {
  std::optional<InterfaceAddresses> ifaddrs;  // read once, only if there is a candidate
  // A DC named by the well-known NQN may match one with a unique NQN (TP8013): all of them.
  bool any_nqn = req.tid.subsysnqn() == kWellKnownDiscoveryNqn;
  for (const KernelDevice& d :
       any_nqn ? kernel.ListDevices() : kernel.ListDevicesOf(req.tid.subsysnqn())) {
    bool right_kind = req.discovery ? d.IsDiscovery() : d.IsIo();
    // A controller the kernel is deleting is on its way out, and the kernel would let a new
    // connect through; one that is connecting or resetting is still the kernel's (a new
    // connect would be refused with EALREADY): it is adopted, and shown in its state.
    if (!right_kind || owned.count(d.name) || IsBeingDeleted(d.state))
      continue;
    if (!ifaddrs)
      ifaddrs = ReadInterfaceAddresses();
    KernelCtrl kc{d.transport,  d.traddr,    d.trsvcid, d.host_traddr,
                  d.host_iface, d.subsysnqn, d.hostnqn, d.src_addr};
    MatchResult m = MatchExistingCtrl(req.tid, kc, *ifaddrs);
    if (m.matches) {
      if (note)
        *note = m.note;
      return d;
    }
  }
  return std::nullopt;
}

ConnectOutcome ConnectOrAdopt(NvmeKernel& kernel, const ConnectRequest& req,
                              const std::set<std::string>& owned, bool adopt) {
  if (adopt) {
    std::string note;
    if (std::optional<KernelDevice> d = FindAdoptable(kernel, req, owned, &note)) {
      return ConnectOutcome{d->name, d, true, note};
    }
  }
  Result<std::string> dev = kernel.Connect(req);
  if (!dev)
    return ConnectOutcome{Fail(dev.error()), std::nullopt, false, ""};
  std::optional<KernelDevice> info = kernel.GetDevice(*dev);
  return ConnectOutcome{*dev, std::move(info), false, ""};
}

}  // namespace stas
