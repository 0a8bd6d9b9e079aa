// SPDX-License-Identifier: Apache-2.0
// The ACPI NBFT (NVMe Boot Firmware Table, NVM Express Boot Specification 1.0): what the pre-OS
// driver that booted the host over NVMe/TCP hands over to the OS, as the kernel exports it in
// /sys/firmware/acpi/tables/NBFT, NBFT1, NBFT2... One table holds the host identity, the host
// fabric interfaces (HFI) it configured, the namespaces it attached (SSNS) and the discovery
// controllers it used. libnvme 1.3 (Debian 12) cannot read it; this is our own reader.
//
// The table is untrusted input (firmware, or anyone who can give a VM an ACPI table): every
// offset and length in it is checked against the table before use, and every value is checked
// before it is kept. A table whose frame is wrong (signature, length, checksum, revision, header,
// control descriptor, descriptor list bounds) is refused as a whole; one bad record (a string
// that is not a safe token, an address or port that does not parse, an index naming no record)
// is dropped with a warning that names it, and the others are kept.
//
// What is kept can go into a connect string unchanged: every string is either empty (the table
// has none) or printable ASCII with no blank, ',' or '='; each traddr is an IP literal; each
// trsvcid a port 1..65535 in plain decimal; each NQN passes CheckNqn(). Pure but for
// ReadNbftTables(); thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/result.h"

namespace stas {

// Real tables are 0.3 to 4 KiB (a host with 14 namespaces over 2 interfaces: 4,147 bytes), and
// QEMU's -acpitable takes at most 64 KiB - 1: a table is read whole into memory, and anything
// larger is not an NBFT a driver wrote.
inline constexpr size_t kNbftMaxTableBytes = 64 * 1024;
// The counts in the table are 8-bit (at most 255 of each kind). Records past these caps are not
// read (with a warning): each SSNS may become a connection at boot, and a real boot
// configuration has a few interfaces and at most tens of namespaces.
inline constexpr size_t kNbftMaxHfis = 64;
inline constexpr size_t kNbftMaxSubsystems = 128;
inline constexpr size_t kNbftMaxDiscovery = 64;
// One table per pre-OS driver that wrote one (NBFT, NBFT1, ...).
inline constexpr size_t kNbftMaxTables = 16;
inline constexpr const char* kNbftTableDir = "/sys/firmware/acpi/tables";

struct NbftHost {
  std::string nqn;              // "" when the table has none or it is not a valid NQN
  bool nqn_configured = false;  // set by an administrator, not the driver's default
  std::array<uint8_t, 16> hostid_bytes{};
  std::string hostid;  // the 16 bytes as UUID text, in table order; "" if all zero
  bool hostid_configured = false;
  // Primary Administrative Host hint: 0 not indicated, 1 unselected, 2 selected, 3 reserved.
  uint8_t primary_admin = 0;
};

// A network interface the pre-OS driver used. The table does not name the OS interface: map it
// by `mac` (and `vlan`).
struct NbftHfi {
  uint8_t index = 0;      // what NbftSubsystem::hfi_indexes and NbftDiscovery::hfi_index name
  std::string transport;  // "tcp", the only HFI transport of the specification
  std::string ipaddr;     // "" when the driver has none (DHCP failed)
  uint8_t prefix_length = 0;
  std::string gateway;         // "" when none
  std::string mac;             // "52:54:00:12:34:56"; "" when the table gives none
  uint16_t vlan = 0;           // 0: no VLAN
  uint8_t ip_origin = 0;       // the driver's NL_PREFIX_ORIGIN value; 0: not given
  bool dhcp_override = false;  // the address came from DHCP
  std::string dhcp_server;     // "" unless dhcp_override
  std::string host_name;       // "" when none, or not a valid host name
  bool default_route = false;  // the driver used this interface for its default route
};

// The Namespace Identifier the SSNS names, when its NSID is 0 or besides it.
enum class NbftNidType : uint8_t { kNone = 0, kEui64 = 1, kNguid = 2, kUuid = 3 };

// A namespace the pre-OS driver attached (an SSNS descriptor), with the controller it went
// through.
struct NbftSubsystem {
  uint16_t index = 0;
  std::string transport;  // "tcp"
  std::string traddr;     // IP literal, IPv4 unmapped
  std::string trsvcid;    // canonical port
  std::string subsys_nqn;
  uint32_t nsid = 0;  // 0: identify the namespace by `nid`
  NbftNidType nid_type = NbftNidType::kNone;
  std::string nid;  // lower-case hex: EUI-64 16 digits, NGUID 32, UUID 8-4-4-4-12
  std::optional<uint16_t> controller_id;
  std::vector<uint8_t> hfi_indexes;        // primary HFI first, then the secondary ones
  std::optional<uint8_t> discovery_index;  // the discovery record it was found through
  bool discovered = false;                 // found through discovery, not configured explicitly
  bool unavailable = false;                // the driver could not reach it
  bool non_bootable = false;               // administrative namespace, not part of the boot
  bool hdr_digest = false;                 // the connection was required to use these digests
  bool data_digest = false;
};

struct NbftDiscovery {
  uint8_t index = 0;
  uint8_t hfi_index = 0;
  std::string uri;      // "nvme+tcp://192.0.2.1:8009/", as in the table
  std::string traddr;   // the URI's host, an IP literal (IPv6 without brackets)
  std::string trsvcid;  // the URI's port, 8009 when it has none
  std::string nqn;      // "" for the well-known discovery NQN
};

struct Nbft {
  // For display only, from the ACPI header: printable, trailing blanks cut, any byte that is
  // not a safe token character replaced by '_'.
  std::string oem_id;
  std::string oem_table_id;
  uint32_t oem_revision = 0;
  uint8_t major_revision = 0;
  uint8_t minor_revision = 0;
  std::optional<NbftHost> host;  // nullopt when the host descriptor is marked invalid
  std::vector<NbftHfi> hfis;
  std::vector<NbftSubsystem> subsystems;
  std::vector<NbftDiscovery> discovery;
};

// One whole table. EINVAL (with why) when its frame is wrong; bad records are dropped and said
// in `warnings` (may be null), one line each, with no file name.
Result<Nbft> ParseNbft(std::span<const uint8_t> bytes, Diagnostics* warnings);

struct NbftFile {
  std::string path;
  Nbft table;
};

// Every table of `dir` named NBFT or NBFT<digits> (ACPI's names for several tables with one
// signature), in that order, at most kNbftMaxTables. Read through ReadRegularFile(), so a FIFO
// or a device there is never read and a file over kNbftMaxTableBytes is refused. A missing `dir`
// means no table; a table that cannot be read or parsed is left out with a warning naming the
// file and why, as is every dropped record (Diagnostic::file is the table's path).
std::vector<NbftFile> ReadNbftTables(const std::string& dir, Diagnostics* warnings);

// The table for `status` output. Keys are fixed and hyphenated: "oem-id", "host" {"host-nqn",
// "host-id", ...}, "hfi" [...], "subsystem" [{"traddr", "trsvcid", "subsys-nqn", "hfi",
// "discovery", ...}], "discovery" [...]; a value the table does not have is "" or null.
nlohmann::json NbftToJson(const Nbft& nbft);

}  // namespace stas
