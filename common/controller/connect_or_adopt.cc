// SPDX-License-Identifier: Apache-2.0
#include "common/controller/connect_or_adopt.h"

#include "common/config/exclusions.h"
#include "common/defs.h"
#include "common/kernel/controller_state.h"
#include "common/kernel/net_if.h"
#include "common/log.h"
#include "common/tid_match.h"

namespace stas {

std::optional<KernelDevice> FindAdoptable(NvmeKernel& kernel, KernelIndex& index,
                                          const ConnectRequest& req,
                                          const std::set<std::string>& owned, std::string* note) {
  std::optional<InterfaceAddresses> ifaddrs;  // read once, only if there is a candidate
  // A DC named by the well-known NQN may match one with a unique NQN (TP8013): all of them.
  bool any_nqn = req.tid.subsysnqn() == kWellKnownDiscoveryNqn;
  for (const std::string& name : index.ControllersOf(any_nqn ? "" : req.tid.subsysnqn())) {
    if (owned.count(name))
      continue;
    std::optional<KernelDevice> d = kernel.GetDevice(name);
    // Gone since the index was read, or the name given to a controller of another subsystem.
    if (!d || (!any_nqn && d->subsysnqn != req.tid.subsysnqn()))
      continue;
    bool right_kind = req.discovery ? d->IsDiscovery() : d->IsIo();
    // A controller the kernel is deleting is on its way out, and the kernel would let a new
    // connect through; one that is connecting or resetting is still the kernel's (a new
    // connect would be refused with EALREADY): it is adopted, and shown in its state.
    if (!right_kind || IsBeingDeleted(d->state))
      continue;
    if (!ifaddrs)
      ifaddrs = ReadInterfaceAddresses();
    KernelCtrl kc{d->transport,  d->traddr,    d->trsvcid, d->host_traddr,
                  d->host_iface, d->subsysnqn, d->hostnqn, d->src_addr};
    MatchResult m = MatchExistingCtrl(req.tid, kc, *ifaddrs);
    if (m.matches) {
      if (note)
        *note = m.note;
      return d;
    }
  }
  return std::nullopt;
}

namespace {

// An existing controller is ours to use: claimed in the registry when nobody owns it.
ConnectOutcome Adopted(NvmeKernel& kernel, const SharedHostFiles& files, KernelDevice d,
                       std::string note) {
  std::string owner = files.registry.Claim(d.name, kOwnerStas, kernel.UeventSeqnum());
  ConnectOutcome o{d.name, std::move(d), true, std::move(note)};
  o.owner = std::move(owner);
  return o;
}

}  // namespace

ConnectOutcome ConnectOrAdopt(NvmeKernel& kernel, KernelIndex& index, const ConnectRequest& req,
                              const std::set<std::string>& owned, bool adopt,
                              const SharedHostFiles& files) {
  std::string note;
  if (adopt) {
    if (std::optional<KernelDevice> d = FindAdoptable(kernel, index, req, owned, &note))
      return Adopted(kernel, files, std::move(*d), std::move(note));
  }
  if (!files.exclusions_dir.empty()) {
    const Tid& t = req.tid;
    // The host NQN and ID the connect would send (connect_string.h).
    const std::string& hostnqn = t.host_nqn().empty() ? req.host.hostnqn : t.host_nqn();
    ExcludedConnection c{t.transport(),   t.traddr(),     t.trsvcid(), t.subsysnqn(),
                         t.host_traddr(), t.host_iface(), hostnqn,     req.host.hostid};
    if (auto x = MatchExclusion(ReadExclusions(files.exclusions_dir), c)) {
      return ConnectOutcome{
          Fail(EACCES, "excluded by the host's exclusion list (" + x->where + ")"), std::nullopt,
          false, ""};
    }
  }
  Result<std::string> dev = kernel.Connect(req);
  if (!dev && dev.error().code == EALREADY && adopt) {
    // The kernel has this very controller, made since the index was read (by someone else):
    // it is adopted, as it would have been had the index known it.
    index.Invalidate();
    if (std::optional<KernelDevice> d = FindAdoptable(kernel, index, req, owned, &note))
      return Adopted(kernel, files, std::move(*d), std::move(note));
  }
  if (!dev)
    return ConnectOutcome{Fail(dev.error()), std::nullopt, false, ""};
  // Ours, whatever entry an older controller of the same name left behind.
  ConnectOutcome o{*dev, kernel.GetDevice(*dev), false, ""};
  if (files.registry.enabled()) {
    if (Status s = files.registry.Record(*dev, kOwnerStas, kernel.UeventSeqnum()); s) {
      o.owner = kOwnerStas;
    } else {
      LOG_WARNING("Cannot record %s in the ownership registry: %s", dev->c_str(),
                  s.error().message.c_str());
    }
  }
  return o;
}

}  // namespace stas
