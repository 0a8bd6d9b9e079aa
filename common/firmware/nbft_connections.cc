// SPDX-License-Identifier: Apache-2.0
#include "common/firmware/nbft_connections.h"

#include <cctype>
#include <dirent.h>

#include "common/atomic_file.h"
#include "common/defs.h"
#include "common/dir_listing.h"
#include "common/ip_address.h"
#include "common/str_util.h"

namespace stas {
namespace {

bool HostMatches(const KernelDevice& dev, const NbftFile& table) {
  return !table.table.host || table.table.host->nqn.empty() || dev.hostnqn == table.table.host->nqn;
}

bool IsNbftDiscovery(const KernelDevice& dev, const NbftFile& table) {
  if (!dev.IsDiscovery() || !HostMatches(dev, table))
    return false;
  for (const NbftDiscovery& d : table.table.discovery) {
    const std::string nqn = d.nqn.empty() ? kWellKnownDiscoveryNqn : d.nqn;
    if (dev.transport == "tcp" && SameAddress(dev.traddr, d.traddr) && dev.trsvcid == d.trsvcid &&
        dev.subsysnqn == nqn)
      return true;
  }
  return false;
}

}  // namespace

bool IsNbftConnection(const KernelDevice& dev, const NbftFile& table) {
  if (!HostMatches(dev, table))
    return false;
  for (const NbftSubsystem& s : table.table.subsystems) {
    if (dev.transport == s.transport && SameAddress(dev.traddr, s.traddr) &&
        dev.trsvcid == s.trsvcid && dev.subsysnqn == s.subsys_nqn)
      return true;
  }
  return false;
}

std::vector<std::string> ClaimNbftConnections(NvmeKernel& kernel, const OwnershipRegistry& registry,
                                              const std::vector<NbftFile>& tables) {
  std::vector<std::string> lines;
  if (tables.empty())
    return lines;
  for (const KernelDevice& dev : kernel.ListDevices()) {
    for (const NbftFile& t : tables) {
      if (!IsNbftConnection(dev, t) && !IsNbftDiscovery(dev, t))
        continue;
      const std::string owner = registry.Claim(dev.name, kOwnerNbft, kernel.UeventSeqnum());
      lines.push_back(dev.name + " (" + dev.subsysnqn + " at " + dev.traddr + ":" + dev.trsvcid +
                      ") is a boot connection of " + t.path + "; its owner: " +
                      (owner.empty() ? "none (the registry could not be written)" : owner));
      break;
    }
  }
  return lines;
}

std::vector<ControllerEntry> NbftDiscoveryEntries(
    const std::vector<NbftFile>& tables,
    const std::function<std::string(const std::string& mac, uint16_t vlan)>& iface_of_mac) {
  std::vector<ControllerEntry> out;
  for (const NbftFile& t : tables) {
    for (const NbftDiscovery& d : t.table.discovery) {
      if (d.traddr.empty() || d.trsvcid.empty())
        continue;
      ControllerEntry e;
      e.transport = "tcp";
      e.traddr = d.traddr;
      e.trsvcid = d.trsvcid;
      e.subsysnqn = d.nqn.empty() ? kWellKnownDiscoveryNqn : d.nqn;
      for (const NbftHfi& h : t.table.hfis) {
        if (h.index == d.hfi_index && !h.mac.empty())
          e.host_iface = iface_of_mac(h.mac, h.vlan);
      }
      if (t.table.host && !t.table.host->nqn.empty()) {
        e.host_nqn = t.table.host->nqn;
        e.extras.emplace_back("host-nqn", *e.host_nqn);
      }
      out.push_back(std::move(e));
    }
  }
  return out;
}

nlohmann::ordered_json NbftStatusJson(const std::vector<NbftFile>& tables,
                                      const Diagnostics& problems) {
  if (tables.empty() && problems.empty())
    return nullptr;
  nlohmann::ordered_json j;
  j["tables"] = nlohmann::ordered_json::array();
  for (const NbftFile& t : tables) {
    nlohmann::ordered_json one;
    one["file"] = t.path;
    // NbftToJson() builds a json (keys sorted); converted through its text, which is ours.
    const nlohmann::ordered_json table = nlohmann::ordered_json::parse(NbftToJson(t.table).dump());
    for (const auto& [key, value] : table.items())
      one[key] = value;
    j["tables"].push_back(std::move(one));
  }
  j["problems"] = nlohmann::ordered_json::array();
  for (const Diagnostic& d : problems)
    j["problems"].push_back(d.ToString());
  return j;
}

std::string InterfaceOfMac(const std::string& mac, uint16_t vlan, const std::string& net_dir,
                           const std::string& vlan_dir) {
  Result<DirListing> listed = ListDirectory(net_dir);
  if (!listed)
    return "";
  const std::string wanted = ToLower(mac);
  const std::string vid = "VID: " + std::to_string(vlan);
  std::vector<std::string> found;
  for (const std::string& name : listed->names) {
    if (name.empty() || name[0] == '.')
      continue;
    Result<std::string> addr = ReadRegularFile(net_dir + "/" + name + "/address", 64);
    if (!addr || ToLower(Trim(*addr)) != wanted)
      continue;
    // A VLAN interface has its parent's MAC: the HFI's VLAN tells them apart.
    Result<std::string> uevent = ReadRegularFile(net_dir + "/" + name + "/uevent", 4096);
    const bool is_vlan = uevent && uevent->find("DEVTYPE=vlan") != std::string::npos;
    if (is_vlan != (vlan != 0))
      continue;
    if (vlan != 0) {
      Result<std::string> info = ReadRegularFile(vlan_dir + "/" + name, 4096);
      // "eth1.100  VID: 100\t REORDER_HDR: 1 ...": the number ends at a non-digit.
      const size_t at = info ? info->find(vid) : std::string::npos;
      const size_t end = at + vid.size();
      if (at == std::string::npos ||
          (end < info->size() && std::isdigit(static_cast<unsigned char>((*info)[end]))))
        continue;
    }
    found.push_back(name);
  }
  // Several (the ports of a bond share a MAC): none is surely the one the firmware used.
  return found.size() == 1 ? found[0] : "";
}

}  // namespace stas
