// SPDX-License-Identifier: Apache-2.0
#include "common/tid.h"

#include "common/defs.h"
#include "common/nvme_names.h"
#include "common/str_util.h"

namespace stas {
namespace {

// FNV-1a, 64-bit parameters (http://www.isthe.com/chongo/tech/comp/fnv/).
constexpr uint64_t kFnvOffsetBasis = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

uint64_t FnvByte(uint64_t hash, unsigned char byte) {
  return (hash ^ byte) * kFnvPrime;
}

uint64_t FnvAppend(uint64_t hash, std::string_view bytes) {
  for (char c : bytes)
    hash = FnvByte(hash, static_cast<unsigned char>(c));
  // The NUL separator keeps ("ab", "c") and ("a", "bc") apart.
  return FnvByte(hash, 0);
}

}  // namespace

Tid Tid::Make(TidFields fields, const TidDefaults& defaults) {
  Tid tid;
  tid.transport_ = std::move(fields.transport);
  tid.traddr_ = std::move(fields.traddr);
  // stas trid.py: the tcp default is the discovery port even for I/O controllers, whose
  // usual port is 4420. Kept, because it is part of the identity (and of the LKC file).
  // For fc/loop the port has no meaning, so a configured one is dropped.
  if (tid.transport_ == "tcp") {
    tid.trsvcid_ = fields.trsvcid.empty() ? kDiscoveryPort : std::move(fields.trsvcid);
  } else if (tid.transport_ == "rdma") {
    tid.trsvcid_ = fields.trsvcid.empty() ? kRdmaPort : std::move(fields.trsvcid);
  }
  tid.subsysnqn_ = std::move(fields.subsysnqn);
  tid.host_traddr_ = std::move(fields.host_traddr);
  if (!defaults.ignore_iface)
    tid.host_iface_ = std::move(fields.host_iface);
  // A present but empty host-nqn stays empty, as in nvme-stas (docs/compatibility.md,
  // "Controller lookup on D-Bus"): D-Bus lookups must pass
  // the exact host-nqn that list_controllers reports.
  if (fields.host_nqn) {
    tid.host_nqn_ = std::move(*fields.host_nqn);
  } else {
    tid.host_nqn_ = defaults.host_nqn;
  }
  return tid;
}

std::string Tid::ToString() const {
  std::string out = "(" + transport_ + ", " + traddr_ + ", " + trsvcid_;
  for (const std::string* part : {&subsysnqn_, &host_iface_, &host_traddr_}) {
    if (!part->empty())
      out += ", " + *part;
  }
  out += ")";
  return out;
}

std::vector<std::pair<std::string, std::string>> Tid::CoreFields() const {
  return {
      {"traddr", traddr_},       {"trsvcid", trsvcid_},       {"transport", transport_},
      {"subsysnqn", subsysnqn_}, {"host-iface", host_iface_}, {"host-traddr", host_traddr_},
      {"host-nqn", host_nqn_},
  };
}

std::optional<std::string> Tid::Field(std::string_view dash_key) const {
  for (auto& [key, value] : CoreFields()) {
    if (key == dash_key)
      return std::move(value);
  }
  return std::nullopt;
}

TidFields TidFieldsFromDict(const std::map<std::string, std::string>& dict) {
  auto get = [&dict](const char* key) {
    auto it = dict.find(key);
    return it == dict.end() ? std::string() : it->second;
  };
  return {.transport = get("transport"),
          .traddr = get("traddr"),
          .trsvcid = get("trsvcid"),
          .subsysnqn = get("subsysnqn"),
          .host_traddr = get("host-traddr"),
          .host_iface = get("host-iface"),
          .host_nqn = get("host-nqn")};
}

namespace {

std::string Bad(const char* key, std::string_view value, const std::string& why) {
  return std::string(key) + " '" + Printable(value) + "' " + why;
}

// An address as the kernel gets it: no brackets, IP literal or host name (or FC address).
std::optional<std::string> CheckAddressField(const char* key, std::string_view transport,
                                             const std::string& value) {
  if (value.empty())
    return std::nullopt;
  std::string checked = value;
  if (auto why = CheckTransportAddress(transport, &checked))
    return Bad(key, value, *why);
  if (checked != value)
    return Bad(key, value, "is in brackets");
  return std::nullopt;
}

}  // namespace

std::optional<std::string> CheckHostFields(std::string_view transport, const TidFields& f) {
  if (auto why = CheckAddressField("host-traddr", transport, f.host_traddr))
    return why;
  if (!f.host_iface.empty()) {
    if (auto why = CheckInterfaceName(f.host_iface))
      return Bad("host-iface", f.host_iface, *why);
  }
  if (f.host_nqn && !f.host_nqn->empty()) {
    if (auto why = CheckNqn(*f.host_nqn, /*require_nqn_prefix=*/true))
      return Bad("host-nqn", *f.host_nqn, *why);
  }
  return std::nullopt;
}

std::optional<std::string> CheckTidFields(const TidFields& f) {
  if (f.transport != "tcp" && f.transport != "rdma" && f.transport != "fc" &&
      f.transport != "loop") {
    return Bad("transport", f.transport, "is not one of tcp, rdma, fc, loop");
  }
  if (auto why = CheckAddressField("traddr", f.transport, f.traddr))
    return why;
  if (!f.trsvcid.empty()) {
    if (auto why = CheckPort(f.trsvcid))
      return Bad("trsvcid", f.trsvcid, *why);
  }
  if (auto why = CheckNqn(f.subsysnqn, /*require_nqn_prefix=*/false))
    return Bad("subsysnqn", f.subsysnqn, *why);
  return CheckHostFields(f.transport, f);
}

uint64_t Tid::StableHash() const {
  uint64_t hash = kFnvOffsetBasis;
  for (const std::string* field :
       {&transport_, &traddr_, &trsvcid_, &subsysnqn_, &host_traddr_, &host_iface_, &host_nqn_}) {
    hash = FnvAppend(hash, *field);
  }
  return hash;
}

}  // namespace stas
