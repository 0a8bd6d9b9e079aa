// SPDX-License-Identifier: Apache-2.0
// The blocking half of bringing up a controller, shared by stafd's Dc and stacd's Ioc: reuse
// an existing kernel controller that matches the candidate when there is one, else connect
// (docs/compatibility.md, "Adopting existing kernel connections"). A controller the kernel
// is deleting ("deleting", "deleting (no IO)", "dead") is never adopted; one that is
// "connecting" or "resetting" is. Blocking; worker thread only.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "common/controller/kernel_index.h"
#include "common/controller/ownership_registry.h"
#include "common/kernel/nvme_kernel.h"
#include "common/result.h"

namespace stas {

// What the NVMe-oF managers of a host share, read or written at each connect.
struct SharedHostFiles {
  // The host-wide exclusion list (common/config/exclusions.h); empty: none.
  std::string exclusions_dir{};
  OwnershipRegistry registry{};  // none unless given a directory
};

struct ConnectOutcome {
  Result<std::string> device;        // the device name, or why the connect failed
  std::optional<KernelDevice> info;  // its attributes, when known
  bool adopted = false;              // an existing controller was reused
  std::string note;                  // what the matching rules assumed, for the log
  // Who owns it in the ownership registry now: "stas" once recorded or claimed, another
  // owner's name for an adopted controller someone else owns, "" without a registry.
  std::string owner{};

  // An outcome for work that could not run to its end (RunBlocking's recovery).
  static ConnectOutcome Failed(const std::string& why) { return {Fail(EIO, why), {}, false, {}}; }
};

// `index`: where the kernel's controllers of the candidate's subsystem are looked up.
// `owned`: devices that other controllers of the daemon already own (never adopted twice).
// `adopt`: whether to look for an existing controller at all.
// `files`: the exclusion list, read now: a connect it excludes fails with EACCES (adopting an
// existing controller is not a connect); the ownership registry: a new connection is recorded
// as ours, an adopted one claimed when nobody owns it.
ConnectOutcome ConnectOrAdopt(NvmeKernel& kernel, KernelIndex& index, const ConnectRequest& req,
                              const std::set<std::string>& owned, bool adopt = true,
                              const SharedHostFiles& files = {});

// The existing controller `req` would adopt, if any (no connect).
std::optional<KernelDevice> FindAdoptable(NvmeKernel& kernel, KernelIndex& index,
                                          const ConnectRequest& req,
                                          const std::set<std::string>& owned, std::string* note);

}  // namespace stas
