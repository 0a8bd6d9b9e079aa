// SPDX-License-Identifier: Apache-2.0
// Tid: the identity of a controller, nvme-stas's TID (docs/compatibility.md, "Controller
// identity (TID)"). The 7-tuple
// (transport, traddr, trsvcid, subsysnqn, host_traddr, host_iface, host_nqn) compared as exact
// strings. Immutable value type; thread-safe. Holds no connect options (stas's cfg extras).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stas {

// The 7 strings that name a controller, raw, as they come in or go out: a controller= entry, a
// DLPE, udev, a list_controllers dict, the arguments of get_log_pages/controller_info (a D-Bus
// caller converts them to a Tid at the edge: TidFromDbusArgs). Only Tid::Make() gives them
// meaning; compare and key controllers by Tid. The `{}` initialisers let callers name only some
// fields: Tid::Make({.transport = "tcp"}, d).
struct TidFields {
  std::string transport{};
  std::string traddr{};
  std::string trsvcid{};
  std::string subsysnqn{};
  std::string host_traddr{};
  std::string host_iface{};
  std::optional<std::string> host_nqn{};  // absent: use TidDefaults::host_nqn; "" stays ""
  bool operator==(const TidFields&) const = default;
};

// The fields of a controller dict keyed as on D-Bus (Tid::CoreFields's keys), e.g. one of
// list_controllers; a missing key counts as "" (host_nqn too, so it is always present).
TidFields TidFieldsFromDict(const std::map<std::string, std::string>& dict);

// The one check for a controller identity read from anywhere but the configuration file (which
// reports each key with its line): a state file, stafd's JSON as stacd reads it. nullopt when
// every field could go into the connect string as it is (the rules of common/nvme_names.h,
// the same as for a controller= entry), else "<key> '<value>' <why>" for the first that could
// not. An IPv6 address in brackets is refused here: only the configuration spells it so.
std::optional<std::string> CheckTidFields(const TidFields& f);

// The host side alone (host-traddr for `transport`, host-iface, host-nqn), by the same rules:
// what the I/O controllers of a discovery controller inherit from it.
std::optional<std::string> CheckHostFields(std::string_view transport, const TidFields& f);

// Daemon-wide settings that take part in normalisation: [Global] ignore-iface, sys.conf hostnqn.
struct TidDefaults {
  bool ignore_iface = false;
  std::string host_nqn{};
};

class Tid {
 public:
  Tid() = default;  // all fields empty

  // Normalises as stas does: empty tcp trsvcid -> "8009" (also for I/O controllers), empty
  // rdma trsvcid -> "4420", any other transport -> "" (even if one was given); host_iface ""
  // when ignore_iface; host_nqn from `fields` when present, else from `defaults`.
  static Tid Make(TidFields fields, const TidDefaults& defaults);

  const std::string& transport() const { return transport_; }
  const std::string& traddr() const { return traddr_; }
  const std::string& trsvcid() const { return trsvcid_; }
  const std::string& subsysnqn() const { return subsysnqn_; }
  const std::string& host_traddr() const { return host_traddr_; }
  const std::string& host_iface() const { return host_iface_; }
  const std::string& host_nqn() const { return host_nqn_; }

  // "(transport, traddr, trsvcid[, subsysnqn][, host_iface][, host_traddr])", parts in []
  // only when non-empty. Used in log lines, as in stas.
  std::string ToString() const;

  // The 7 fields keyed as on D-Bus (docs/compatibility.md, "Controller identity dicts"), in
  // that order: traddr, trsvcid, transport,
  // subsysnqn, host-iface, host-traddr, host-nqn.
  std::vector<std::pair<std::string, std::string>> CoreFields() const;

  // The value for one of the 7 dashed keys above; nullopt for any other key.
  std::optional<std::string> Field(std::string_view dash_key) const;

  // FNV-1a 64 over the 7 fields, each followed by a NUL byte. The same for a given Tid in
  // every run and build, so it may be persisted (stas used an MD5 of the tuple for this).
  uint64_t StableHash() const;

  // Field-wise, in the declaration order below; gives == and an order for std::map/set.
  // clang-tidy 14 flags the 0 in the synthesised `<=> 0` comparisons.
  friend auto operator<=>(const Tid&, const Tid&) = default;  // NOLINT(modernize-use-nullptr)
  friend bool operator==(const Tid&, const Tid&) = default;

 private:
  std::string transport_;
  std::string traddr_;
  std::string trsvcid_;
  std::string subsysnqn_;
  std::string host_traddr_;
  std::string host_iface_;
  std::string host_nqn_;
};

}  // namespace stas

template <>
struct std::hash<stas::Tid> {
  size_t operator()(const stas::Tid& tid) const noexcept {
    return static_cast<size_t>(tid.StableHash());
  }
};
