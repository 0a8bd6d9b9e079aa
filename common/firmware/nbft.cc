// SPDX-License-Identifier: Apache-2.0
#include "common/firmware/nbft.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/atomic_file.h"
#include "common/defs.h"
#include "common/dir_listing.h"
#include "common/ip_address.h"
#include "common/nvme_names.h"
#include "common/str_util.h"

namespace stas {
namespace {

using Bytes = std::span<const uint8_t>;

// Byte offsets of the NVM Express Boot Specification 1.0 layouts; integers are little-endian.
// The sizes are those of revision 1.0. A table may declare longer descriptors (a later minor
// revision appends fields, which are skipped), never shorter ones.
namespace hdr {  // the 36-byte ACPI header, then NBFT's heap and minor revision
constexpr size_t kLength = 4;
constexpr size_t kMajorRevision = 8;
constexpr size_t kOemId = 10;
constexpr size_t kOemIdSize = 6;
constexpr size_t kOemTableId = 16;
constexpr size_t kOemTableIdSize = 8;
constexpr size_t kOemRevision = 24;
constexpr size_t kHeapOffset = 36;
constexpr size_t kHeapLength = 40;
constexpr size_t kMinorRevision = 50;
constexpr size_t kSize = 64;
}  // namespace hdr

// The control descriptor follows the header. Each descriptor list is described at its base by
// {le32 offset, le16 length of one descriptor, u8 version, u8 count}.
namespace ctl {
constexpr size_t kLength = 4;
constexpr size_t kFlags = 6;
constexpr size_t kHostDescriptor = 8;  // {le32 offset, le16 length}
constexpr size_t kHfiList = 16;
constexpr size_t kSsnsList = 24;
constexpr size_t kSecurityList = 32;
constexpr size_t kDiscoveryList = 40;
constexpr size_t kSize = 64;
}  // namespace ctl
// No descriptor may overlap the header or the control descriptor.
constexpr size_t kFirstDescriptor = hdr::kSize + ctl::kSize;

// The fields read below, at their offsets in each descriptor (the first byte is always the
// structure ID; "ref" is a {le32 offset, le16 length} reference, to the heap but for the host
// descriptor's; integers are 8-bit unless said):
//   host: flags @1, host ID @2 (16 bytes), host NQN ref @18
//   HFI: index @1, flags @2, transport type @3, transport info ref @16
//   HFI transport info (in the heap): version @1, transport type @2, HFI index @4 (16-bit),
//     flags @6, MAC @11, VLAN @17 (16-bit), IP origin @19, address @20, prefix length @36,
//     gateway @37, DHCP server @88 (addresses 16 bytes), host name ref @104
//   SSNS: index @1 (16-bit), flags @3 (16-bit), transport type @5, transport flags @6
//     (16-bit), discovery index @8, traddr ref @10, trsvcid ref @16, NSID @24 (32-bit),
//     NID type @28, NID @29 (16 bytes), primary HFI @46, secondary HFIs ref @48, NQN ref @54,
//     extended info ref @60
//   SSNS extended info (in the heap): version @1, SSNS index @2 (16-bit), flags @4 (32-bit),
//     controller ID @8 (16-bit)
//   discovery: flags @1, index @2, HFI index @3, URI ref @6, NQN ref @12
constexpr size_t kHostSize = 32;
constexpr size_t kHfiSize = 32;
constexpr size_t kSsnsSize = 128;
constexpr size_t kSecuritySize = 64;
constexpr size_t kDiscoverySize = 32;
// Heap objects need only hold the fields read: the transport info up to its host name ref (its
// last 18 bytes are reserved), the extended info up to the controller ID.
constexpr size_t kTransportInfoSize = 110;
constexpr size_t kSsnsExtInfoSize = 10;

// Structure IDs (the first byte of each descriptor).
constexpr uint8_t kControlId = 1;
constexpr uint8_t kHostId = 2;
constexpr uint8_t kHfiId = 3;
constexpr uint8_t kSsnsId = 4;
constexpr uint8_t kDiscoveryId = 6;
constexpr uint8_t kTransportInfoId = 7;
constexpr uint8_t kSsnsExtInfoId = 9;
constexpr uint8_t kTrtypeTcp = 3;
constexpr uint8_t kValid = 0x01;  // bit 0 of every descriptor's flags

// The assert()s hold by construction: every descriptor span has been checked to be at least
// its size before its fields are read.
uint16_t Le16(Bytes b, size_t at) {
  assert(at + 2 <= b.size());
  return static_cast<uint16_t>(b[at] | (b[at + 1] << 8));
}
uint32_t Le32(Bytes b, size_t at) {
  assert(at + 4 <= b.size());
  return static_cast<uint32_t>(b[at]) | (static_cast<uint32_t>(b[at + 1]) << 8) |
         (static_cast<uint32_t>(b[at + 2]) << 16) | (static_cast<uint32_t>(b[at + 3]) << 24);
}

// A reference to a heap object or a descriptor: {le32 offset from the table start, le16 length}.
struct Ref {
  uint32_t offset = 0;
  uint16_t length = 0;
};
Ref RefAt(Bytes b, size_t at) {
  return Ref{Le32(b, at), Le16(b, at + 4)};
}

std::string Num(uint64_t v) {
  return std::to_string(v);
}

// A value from the table as a warning shows it: escaped, and cut.
std::string Shown(std::string_view s) {
  constexpr size_t kMax = 80;
  return "\"" + Printable(s.substr(0, kMax)) + (s.size() > kMax ? "...\"" : "\"");
}

bool AllZero(Bytes b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t u) { return u == 0; });
}

// Everything kept may be written into the connect string, where ',' separates options and '='
// a key from its value.
std::optional<std::string> CheckValue(std::string_view s) {
  if (auto why = CheckSafeToken(s))
    return why;
  if (s.find('=') != std::string_view::npos)
    return "contains '='";
  return std::nullopt;
}

std::optional<std::string> CheckNqnValue(std::string_view s, bool host) {
  if (auto why = CheckNqn(s, host))
    return why;
  return CheckValue(s);
}

// Every address in the table is 16 bytes of IPv6, an IPv4 address in its mapped form
// ::ffff:a.b.c.d, which is turned into a.b.c.d. nullopt for the unspecified address (all zero,
// or ::ffff:0.0.0.0): drivers write it for "none".
std::optional<IpAddress> AddressAt(Bytes b, size_t at) {
  assert(at + 16 <= b.size());
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  std::memcpy(&sin6.sin6_addr, b.data() + at, 16);
  std::optional<IpAddress> ip = IpAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&sin6));
  if (!ip)
    return std::nullopt;
  IpAddress plain = ip->Unmapped();
  std::string text = plain.ToString();
  if (text == "0.0.0.0" || text == "::")
    return std::nullopt;
  return plain;
}

// Header fields shown to the user: printable ASCII, padding cut, nothing that needs quoting.
std::string DisplayField(Bytes b) {
  std::string s(b.begin(), b.end());
  while (!s.empty() && (s.back() == '\0' || s.back() == ' '))
    s.pop_back();
  for (char& c : s) {
    if (CheckValue(std::string_view(&c, 1)))
      c = '_';
  }
  return s;
}

// "nvme+tcp://<IPv4 or [IPv6]>[:port][/...]", the form of the Discovery Descriptor's URI.
std::optional<std::string> ParseUri(const std::string& uri, std::string* traddr,
                                    std::string* trsvcid) {
  static const std::string kScheme = "nvme+tcp://";
  if (ToLower(uri.substr(0, kScheme.size())) != kScheme)
    return "does not start with nvme+tcp://";
  std::string rest = uri.substr(kScheme.size());
  std::string authority = rest.substr(0, rest.find('/'));
  std::string host = authority;
  std::string port = kDiscoveryPort;
  if (StartsWith(authority, "[")) {
    size_t close = authority.find(']');
    if (close == std::string::npos)
      return "has no ']' after its IPv6 address";
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':')
        return "has text after its IPv6 address";
      port = authority.substr(close + 2);
    }
  } else if (size_t colon = authority.find(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  std::optional<IpAddress> ip = IpAddress::Parse(host);
  if (!ip || host.find('%') != std::string::npos)
    return "has no IP address as its host (" + Shown(host) + ")";
  if (auto why = CheckPort(port))
    return "has port " + Shown(port) + ": " + *why;
  *traddr = ip->Unmapped().ToString();
  *trsvcid = port;
  return std::nullopt;
}

// What tells the descriptors of one list apart: the structure ID they must have and where their
// flags are (bit 0: the descriptor is in use).
struct Kind {
  const char* name;
  uint8_t id;
  size_t flags_at;
};
constexpr Kind kHfiKind{"HFI", kHfiId, 2};
constexpr Kind kSsnsKind{"SSNS", kSsnsId, 3};
constexpr Kind kDiscoveryKind{"discovery", kDiscoveryId, 1};

// A descriptor list, checked to lie within the table.
struct List {
  size_t offset = 0;
  size_t stride = 0;
  size_t count = 0;
};

class Parser {
 public:
  Parser(Bytes bytes, Diagnostics* warnings) : bytes_(bytes), warnings_(warnings) {}

  Result<Nbft> Parse();

 private:
  void Warn(std::string message) {
    if (warnings_ != nullptr)
      warnings_->push_back(Diagnostic{Severity::kWarning, "", 0, std::move(message)});
  }

  Status CheckFrame();
  Result<List> ListAt(Bytes control, size_t base, size_t min_size, const char* what) const;
  Bytes Descriptor(const List& list, size_t i) const {
    return bytes_.subspan(list.offset + i * list.stride, list.stride);
  }
  std::optional<Bytes> HeapObject(Ref ref) const;
  Result<std::string> HeapString(Ref ref, const char* what) const;

  std::optional<NbftHost> Host(Bytes d);
  Result<NbftHfi> Hfi(Bytes d, const std::string& name);
  Result<NbftDiscovery> Discovery(Bytes d);
  Result<NbftSubsystem> Subsystem(Bytes d, const std::string& name);
  void Nid(Bytes d, const std::string& name, NbftSubsystem* s);
  void SecondaryHfis(Bytes d, const std::string& name, NbftSubsystem* s);
  void ExtendedInfo(Bytes d, const std::string& name, NbftSubsystem* s);

  // Reads each descriptor of `list` marked valid (at most `cap`) with `read`, appending what it
  // returns to `out` and warning about what it refuses.
  template <class T, class Read>
  void ReadList(const List& list, const Kind& kind, size_t cap, std::vector<T>* out, Read read);

  bool HasHfi(uint8_t index) const {
    return std::any_of(nbft_.hfis.begin(), nbft_.hfis.end(),
                       [index](const NbftHfi& h) { return h.index == index; });
  }
  bool HasDiscovery(uint8_t index) const {
    return std::any_of(nbft_.discovery.begin(), nbft_.discovery.end(),
                       [index](const NbftDiscovery& d) { return d.index == index; });
  }

  Bytes bytes_;
  Diagnostics* warnings_;
  uint64_t heap_begin_ = 0;
  uint64_t heap_end_ = 0;
  Nbft nbft_;
};

Status Parser::CheckFrame() {
  if (bytes_.size() < kFirstDescriptor)
    return Fail(EINVAL, "the table is " + Num(bytes_.size()) + " bytes, too short for an NBFT");
  if (bytes_.size() > kNbftMaxTableBytes) {
    return Fail(EINVAL, "the table is " + Num(bytes_.size()) + " bytes, more than " +
                            Num(kNbftMaxTableBytes));
  }
  if (std::memcmp(bytes_.data(), "NBFT", 4) != 0) {
    return Fail(EINVAL, "the signature is " +
                            Shown(std::string(bytes_.begin(), bytes_.begin() + 4)) +
                            ", not \"NBFT\"");
  }
  // The ACPI length is the table's size: sysfs exports exactly that many bytes.
  if (uint32_t length = Le32(bytes_, hdr::kLength); length != bytes_.size()) {
    return Fail(EINVAL, "the header says the table is " + Num(length) + " bytes, it is " +
                            Num(bytes_.size()));
  }
  uint8_t sum = 0;
  for (uint8_t u : bytes_)
    sum = static_cast<uint8_t>(sum + u);
  if (sum != 0)
    return Fail(EINVAL, "bad checksum (the bytes add up to " + Num(sum) + " modulo 256, not 0)");
  // Minor revisions are backward compatible by the specification; a new major one is not.
  if (bytes_[hdr::kMajorRevision] != 1) {
    return Fail(EINVAL,
                "major revision " + Num(bytes_[hdr::kMajorRevision]) + " is not supported (1)");
  }
  heap_begin_ = Le32(bytes_, hdr::kHeapOffset);
  heap_end_ = heap_begin_ + Le32(bytes_, hdr::kHeapLength);
  if (heap_end_ > bytes_.size()) {
    return Fail(EINVAL, "the heap (offset " + Num(heap_begin_) + ", up to " + Num(heap_end_) +
                            ") passes the end of the table");
  }
  return {};
}

Result<List> Parser::ListAt(Bytes control, size_t base, size_t min_size, const char* what) const {
  List list{Le32(control, base), Le16(control, base + 4), control[base + 7]};
  if (list.count == 0)
    return List{};  // offset and length are reserved then
  // 64-bit: offset + 255 * 65535 cannot wrap.
  uint64_t end =
      static_cast<uint64_t>(list.offset) + static_cast<uint64_t>(list.stride) * list.count;
  if (list.stride < min_size || list.offset < kFirstDescriptor || end > bytes_.size()) {
    return Fail(EINVAL, std::string(what) + " descriptor list (offset " + Num(list.offset) + ", " +
                            Num(list.count) + " of " + Num(list.stride) +
                            " bytes) does not fit in the table");
  }
  return list;
}

// The object `ref` names: empty when its length is 0 (the table has none), nullopt when it does
// not lie wholly inside the heap.
std::optional<Bytes> Parser::HeapObject(Ref ref) const {
  if (ref.length == 0)
    return Bytes();
  uint64_t end = static_cast<uint64_t>(ref.offset) + ref.length;
  if (ref.offset < heap_begin_ || end > heap_end_)
    return std::nullopt;
  return bytes_.subspan(ref.offset, ref.length);
}

// Drivers differ on the terminating NUL: most leave it out of the length, some count it. What
// follows the first NUL inside the object must be NUL as well.
Result<std::string> Parser::HeapString(Ref ref, const char* what) const {
  std::optional<Bytes> obj = HeapObject(ref);
  if (!obj) {
    return Fail(EINVAL, std::string(what) + " (offset " + Num(ref.offset) + ", length " +
                            Num(ref.length) + ") is not inside the heap");
  }
  std::string s(obj->begin(), obj->end());
  size_t nul = s.find('\0');
  if (nul != std::string::npos) {
    if (s.find_first_not_of('\0', nul) != std::string::npos)
      return Fail(EINVAL, std::string(what) + " " + Shown(s) + " has bytes after its end");
    s.resize(nul);
  }
  return s;
}

std::optional<NbftHost> Parser::Host(Bytes d) {
  if (d[0] != kHostId || (d[1] & kValid) == 0) {
    Warn("host descriptor: not marked valid (structure ID " + Num(d[0]) + ", flags " + Num(d[1]) +
         "); the table gives no host identity");
    return std::nullopt;
  }
  NbftHost host;
  host.hostid_configured = (d[1] & 0x02) != 0;
  host.nqn_configured = (d[1] & 0x04) != 0;
  host.primary_admin = static_cast<uint8_t>((d[1] >> 3) & 0x3);
  std::copy_n(d.begin() + 2, 16, host.hostid_bytes.begin());
  if (!AllZero(host.hostid_bytes))
    host.hostid = UuidText(host.hostid_bytes);
  Result<std::string> nqn = HeapString(RefAt(d, 18), "host NQN");
  if (!nqn) {
    Warn("host descriptor: " + nqn.error().message + "; host NQN left out");
  } else if (nqn->empty()) {
    Warn("host descriptor: no host NQN");
  } else if (auto why = CheckNqnValue(*nqn, true)) {
    Warn("host descriptor: host NQN " + Shown(*nqn) + " " + *why + "; left out");
  } else {
    host.nqn = std::move(*nqn);
  }
  return host;
}

Result<NbftHfi> Parser::Hfi(Bytes d, const std::string& name) {
  NbftHfi h;
  h.index = d[1];
  if (d[3] != kTrtypeTcp)
    return Fail(EINVAL, "transport type " + Num(d[3]) + " is not supported (3, tcp)");
  h.transport = "tcp";
  Ref ref = RefAt(d, 16);
  std::optional<Bytes> info = HeapObject(ref);
  if (!info || info->size() < kTransportInfoSize) {
    return Fail(EINVAL, "its transport info (offset " + Num(ref.offset) + ", length " +
                            Num(ref.length) + ") is not a " + Num(kTransportInfoSize) +
                            "-byte object inside the heap");
  }
  Bytes t = *info;
  if (t[0] != kTransportInfoId || t[1] != 1 || t[2] != kTrtypeTcp || (t[6] & kValid) == 0) {
    return Fail(EINVAL, "its transport info is not a valid NVMe/TCP one (structure ID " +
                            Num(t[0]) + ", version " + Num(t[1]) + ", transport " + Num(t[2]) +
                            ", flags " + Num(t[6]) + ")");
  }
  if (Le16(t, 4) != h.index)
    Warn(name + ": its transport info names HFI index " + Num(Le16(t, 4)) + " (ignored)");
  if (!AllZero(t.subspan(11, 6))) {
    std::string hex = HexDigits(t.subspan(11, 6));
    for (size_t i = 0; i < 6; ++i)
      h.mac += (i > 0 ? ":" : "") + hex.substr(2 * i, 2);
  }
  h.vlan = Le16(t, 17);
  if (h.vlan > 4094)
    return Fail(EINVAL, "VLAN " + Num(h.vlan) + " is not 0..4094");
  h.ip_origin = t[19];
  if (std::optional<IpAddress> ip = AddressAt(t, 20)) {
    unsigned max_prefix = ip->family() == 4 ? 32 : 128;
    if (t[36] > max_prefix) {
      return Fail(EINVAL, "prefix length " + Num(t[36]) + " is too long for " + ip->ToString());
    }
    h.ipaddr = ip->ToString();
    h.prefix_length = t[36];
  }
  if (std::optional<IpAddress> gw = AddressAt(t, 37))
    h.gateway = gw->ToString();
  h.default_route = (t[6] & 0x02) != 0;
  h.dhcp_override = (t[6] & 0x04) != 0;
  if (std::optional<IpAddress> dhcp = AddressAt(t, 88); dhcp && h.dhcp_override)
    h.dhcp_server = dhcp->ToString();
  // CheckHostname() lets through letters, digits, '-', '_' and '.' only.
  Result<std::string> host_name = HeapString(RefAt(t, 104), "host name");
  if (!host_name) {
    Warn(name + ": " + host_name.error().message + "; left out");
  } else if (auto why = host_name->empty() ? std::nullopt : CheckHostname(*host_name)) {
    Warn(name + ": host name " + Shown(*host_name) + " " + *why + "; left out");
  } else {
    h.host_name = std::move(*host_name);
  }
  return h;
}

Result<NbftDiscovery> Parser::Discovery(Bytes d) {
  NbftDiscovery r;
  r.index = d[2];
  r.hfi_index = d[3];
  if (!HasHfi(r.hfi_index))
    return Fail(EINVAL, "HFI index " + Num(r.hfi_index) + " names no usable HFI descriptor");
  Result<std::string> uri = HeapString(RefAt(d, 6), "URI");
  if (!uri)
    return Fail(uri.error());
  if (uri->empty())
    return Fail(EINVAL, "it has no URI");
  if (auto why = CheckValue(*uri))
    return Fail(EINVAL, "URI " + Shown(*uri) + " " + *why);
  if (auto why = ParseUri(*uri, &r.traddr, &r.trsvcid))
    return Fail(EINVAL, "URI " + Shown(*uri) + " " + *why);
  r.uri = std::move(*uri);
  Result<std::string> nqn = HeapString(RefAt(d, 12), "NQN");
  if (!nqn)
    return Fail(nqn.error());
  if (!nqn->empty()) {
    if (auto why = CheckNqnValue(*nqn, false))
      return Fail(EINVAL, "NQN " + Shown(*nqn) + " " + *why);
    r.nqn = std::move(*nqn);
  }
  return r;
}

Result<NbftSubsystem> Parser::Subsystem(Bytes d, const std::string& name) {
  NbftSubsystem s;
  s.index = Le16(d, 1);
  if (d[5] != kTrtypeTcp)
    return Fail(EINVAL, "transport type " + Num(d[5]) + " is not supported (3, tcp)");
  s.transport = "tcp";
  std::optional<Bytes> traddr = HeapObject(RefAt(d, 10));
  if (!traddr || traddr->size() != 16)
    return Fail(EINVAL, "its transport address is not a 16-byte object inside the heap");
  std::optional<IpAddress> ip = AddressAt(*traddr, 0);
  if (!ip)
    return Fail(EINVAL, "its transport address is unspecified");
  s.traddr = ip->ToString();
  Result<std::string> trsvcid = HeapString(RefAt(d, 16), "trsvcid");
  if (!trsvcid)
    return Fail(trsvcid.error());
  if (auto why = CheckPort(*trsvcid))
    return Fail(EINVAL, "trsvcid " + Shown(*trsvcid) + " " + *why);
  s.trsvcid = std::move(*trsvcid);
  Result<std::string> nqn = HeapString(RefAt(d, 54), "subsystem NQN");
  if (!nqn)
    return Fail(nqn.error());
  if (auto why = CheckNqnValue(*nqn, false))
    return Fail(EINVAL, "subsystem NQN " + Shown(*nqn) + " " + *why);
  s.subsys_nqn = std::move(*nqn);
  uint8_t primary = d[46];
  if (!HasHfi(primary))
    return Fail(EINVAL, "primary HFI index " + Num(primary) + " names no usable HFI descriptor");
  s.hfi_indexes.push_back(primary);
  SecondaryHfis(d, name, &s);
  if (uint8_t disc = d[8]; disc != 0) {  // 0: not found through discovery
    if (HasDiscovery(disc))
      s.discovery_index = disc;
    else
      Warn(name + ": discovery index " + Num(disc) + " names no usable discovery descriptor");
  }
  s.nsid = Le32(d, 24);
  Nid(d, name, &s);
  uint16_t flags = Le16(d, 3);
  s.non_bootable = (flags & 0x0002) != 0;
  s.discovered = (flags & 0x0040) != 0;
  s.unavailable = (flags & 0x0180) == 0x0100;
  uint16_t trflags = Le16(d, 6);
  if ((trflags & kValid) != 0) {  // the digest bits mean something only then
    s.hdr_digest = (trflags & 0x02) != 0;
    s.data_digest = (trflags & 0x04) != 0;
  }
  if ((flags & 0x0010) != 0)
    ExtendedInfo(d, name, &s);
  return s;
}

void Parser::Nid(Bytes d, const std::string& name, NbftSubsystem* s) {
  Bytes nid = d.subspan(29, 16);
  switch (d[28]) {
    case 0:
      return;
    case 1:
      s->nid_type = NbftNidType::kEui64;
      nid = nid.first(8);
      s->nid = HexDigits(nid);
      break;
    case 2:
      s->nid_type = NbftNidType::kNguid;
      s->nid = HexDigits(nid);
      break;
    case 3:
      s->nid_type = NbftNidType::kUuid;
      s->nid = UuidText(nid.first<16>());
      break;
    default:
      Warn(name + ": namespace identifier type " + Num(d[28]) + " is unknown; NID left out");
      return;
  }
  if (AllZero(nid)) {
    s->nid_type = NbftNidType::kNone;
    s->nid.clear();
  }
}

// Secondary HFIs: a heap array of HFI indexes. A 0 is taken for padding unless an HFI has index
// 0; repeats, and the primary, are skipped.
void Parser::SecondaryHfis(Bytes d, const std::string& name, NbftSubsystem* s) {
  std::optional<Bytes> list = HeapObject(RefAt(d, 48));
  if (!list) {
    Warn(name + ": its secondary HFI list is not inside the heap; left out");
    return;
  }
  size_t unknown = 0;
  for (uint8_t index : *list) {
    if (index == 0 && !HasHfi(0))
      continue;
    if (!HasHfi(index)) {
      ++unknown;
      continue;
    }
    if (std::find(s->hfi_indexes.begin(), s->hfi_indexes.end(), index) == s->hfi_indexes.end())
      s->hfi_indexes.push_back(index);
  }
  if (unknown > 0) {
    Warn(name + ": " + Num(unknown) +
         " secondary HFI index(es) name no usable HFI descriptor; left out");
  }
}

// Some drivers set the "extended info in use" flag with no object: nothing to read then.
void Parser::ExtendedInfo(Bytes d, const std::string& name, NbftSubsystem* s) {
  std::optional<Bytes> ext = HeapObject(RefAt(d, 60));
  if (ext && ext->empty())
    return;
  if (!ext || ext->size() < kSsnsExtInfoSize) {
    Warn(name + ": its extended info is not a " + Num(kSsnsExtInfoSize) +
         "-byte object inside the heap; left out");
    return;
  }
  Bytes e = *ext;
  if (e[0] != kSsnsExtInfoId || e[1] != 1 || Le16(e, 2) != s->index || (Le32(e, 4) & kValid) == 0) {
    Warn(name + ": its extended info is not valid for it (structure ID " + Num(e[0]) +
         ", version " + Num(e[1]) + ", SSNS index " + Num(Le16(e, 2)) + "); left out");
    return;
  }
  if (uint16_t cntlid = Le16(e, 8); cntlid != 0)  // 0: not given
    s->controller_id = cntlid;
}

template <class T, class Read>
void Parser::ReadList(const List& list, const Kind& kind, size_t cap, std::vector<T>* out,
                      Read read) {
  if (list.count > cap) {
    Warn(Num(list.count) + " " + kind.name + " descriptors; only the first " + Num(cap) +
         " are read");
  }
  for (size_t i = 0; i < std::min(list.count, cap); ++i) {
    Bytes d = Descriptor(list, i);
    if ((d[kind.flags_at] & kValid) == 0)
      continue;  // a slot the driver did not use
    std::string name = std::string(kind.name) + " descriptor " + Num(i + 1);
    if (d[0] != kind.id) {
      Warn(name + " dropped: structure ID " + Num(d[0]) + ", not " + Num(kind.id));
      continue;
    }
    Result<T> r = read(d, name);
    if (!r) {
      Warn(name + " dropped: " + r.error().message);
      continue;
    }
    out->push_back(std::move(*r));
  }
}

Result<Nbft> Parser::Parse() {
  if (Status frame = CheckFrame(); !frame)
    return Fail(frame.error());
  Bytes control = bytes_.subspan(hdr::kSize, ctl::kSize);
  if (control[0] != kControlId || (control[ctl::kFlags] & kValid) == 0) {
    return Fail(EINVAL, "the control descriptor is not valid (structure ID " + Num(control[0]) +
                            ", flags " + Num(control[ctl::kFlags]) + ")");
  }
  if (uint16_t csl = Le16(control, ctl::kLength);
      csl < ctl::kSize || hdr::kSize + csl > bytes_.size()) {
    return Fail(EINVAL, "the control descriptor length " + Num(csl) + " is wrong");
  }
  Ref host = RefAt(control, ctl::kHostDescriptor);
  if (host.offset < kFirstDescriptor || host.length < kHostSize ||
      static_cast<uint64_t>(host.offset) + host.length > bytes_.size()) {
    return Fail(EINVAL, "the host descriptor (offset " + Num(host.offset) + ", length " +
                            Num(host.length) + ") does not fit in the table");
  }
  // Security descriptors are not read (nothing here uses them), but a security list that points
  // outside the table breaks it as much as a bad HFI list does.
  Result<List> hfis = ListAt(control, ctl::kHfiList, kHfiSize, "HFI");
  Result<List> ssns = ListAt(control, ctl::kSsnsList, kSsnsSize, "SSNS");
  Result<List> security = ListAt(control, ctl::kSecurityList, kSecuritySize, "security");
  Result<List> discovery = ListAt(control, ctl::kDiscoveryList, kDiscoverySize, "discovery");
  for (const Result<List>* list : {&hfis, &ssns, &security, &discovery}) {
    if (!*list)
      return Fail(list->error());
  }

  nbft_.oem_id = DisplayField(bytes_.subspan(hdr::kOemId, hdr::kOemIdSize));
  nbft_.oem_table_id = DisplayField(bytes_.subspan(hdr::kOemTableId, hdr::kOemTableIdSize));
  nbft_.oem_revision = Le32(bytes_, hdr::kOemRevision);
  nbft_.major_revision = bytes_[hdr::kMajorRevision];
  nbft_.minor_revision = bytes_[hdr::kMinorRevision];
  nbft_.host = Host(bytes_.subspan(host.offset, host.length));
  // In this order: discovery descriptors name HFIs, SSNS name both. A repeated index would make
  // those references ambiguous: the later descriptor is dropped.
  ReadList(*hfis, kHfiKind, kNbftMaxHfis, &nbft_.hfis,
           [this](Bytes d, const std::string& name) -> Result<NbftHfi> {
             if (HasHfi(d[1]))
               return Fail(EINVAL, "HFI index " + Num(d[1]) + " is taken by an earlier one");
             return Hfi(d, name);
           });
  ReadList(*discovery, kDiscoveryKind, kNbftMaxDiscovery, &nbft_.discovery,
           [this](Bytes d, const std::string&) -> Result<NbftDiscovery> {
             if (HasDiscovery(d[2]))
               return Fail(EINVAL, "discovery index " + Num(d[2]) + " is taken by an earlier one");
             return Discovery(d);
           });
  ReadList(*ssns, kSsnsKind, kNbftMaxSubsystems, &nbft_.subsystems,
           [this](Bytes d, const std::string& name) { return Subsystem(d, name); });
  return std::move(nbft_);
}

// "NBFT", then the kernel's instance number for a second table of that signature.
bool IsTableName(const std::string& name) {
  return StartsWith(name, "NBFT") &&
         std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

const char* NidTypeName(NbftNidType t) {
  switch (t) {
    case NbftNidType::kEui64:
      return "eui64";
    case NbftNidType::kNguid:
      return "nguid";
    case NbftNidType::kUuid:
      return "uuid";
    case NbftNidType::kNone:
      break;
  }
  return "none";
}

nlohmann::json HostToJson(const NbftHost& h) {
  static const char* const kPrimary[] = {"not-indicated", "unselected", "selected", "reserved"};
  return {{"host-nqn", h.nqn},
          {"host-nqn-configured", h.nqn_configured},
          {"host-id", h.hostid},
          {"host-id-configured", h.hostid_configured},
          {"primary-admin", kPrimary[h.primary_admin & 0x3]}};
}

nlohmann::json HfiToJson(const NbftHfi& h) {
  return {{"index", h.index},
          {"transport", h.transport},
          {"ipaddr", h.ipaddr},
          {"prefix-length", h.prefix_length},
          {"gateway", h.gateway},
          {"mac", h.mac},
          {"vlan", h.vlan},
          {"ip-origin", h.ip_origin},
          {"dhcp-override", h.dhcp_override},
          {"dhcp-server", h.dhcp_server},
          {"host-name", h.host_name},
          {"default-route", h.default_route}};
}

nlohmann::json SubsystemToJson(const NbftSubsystem& s) {
  nlohmann::json j = {{"index", s.index},
                      {"transport", s.transport},
                      {"traddr", s.traddr},
                      {"trsvcid", s.trsvcid},
                      {"subsys-nqn", s.subsys_nqn},
                      {"nsid", s.nsid},
                      {"nid-type", NidTypeName(s.nid_type)},
                      {"nid", s.nid},
                      {"controller-id", nullptr},
                      {"hfi", s.hfi_indexes},
                      {"discovery", nullptr},
                      {"discovered", s.discovered},
                      {"unavailable", s.unavailable},
                      {"non-bootable", s.non_bootable},
                      {"hdr-digest", s.hdr_digest},
                      {"data-digest", s.data_digest}};
  if (s.controller_id)
    j["controller-id"] = *s.controller_id;
  if (s.discovery_index)
    j["discovery"] = *s.discovery_index;
  return j;
}

nlohmann::json DiscoveryToJson(const NbftDiscovery& d) {
  return {{"index", d.index},   {"hfi", d.hfi_index},   {"uri", d.uri},
          {"traddr", d.traddr}, {"trsvcid", d.trsvcid}, {"nqn", d.nqn}};
}

}  // namespace

Result<Nbft> ParseNbft(std::span<const uint8_t> bytes, Diagnostics* warnings) {
  return Parser(bytes, warnings).Parse();
}

std::vector<NbftFile> ReadNbftTables(const std::string& dir, Diagnostics* warnings) {
  auto warn = [warnings](const std::string& file, std::string message) {
    if (warnings != nullptr)
      warnings->push_back(Diagnostic{Severity::kWarning, file, 0, std::move(message)});
  };
  std::vector<std::string> names;
  Result<DirListing> listed = ListDirectory(dir);
  if (listed) {
    for (const std::string& name : listed->names) {
      if (IsTableName(name))
        names.push_back(name);
    }
  } else if (listed.error().code != ENOENT) {
    warn(dir, "cannot list the ACPI tables: " + WithoutPathPrefix(dir, listed.error().message));
  }
  // NBFT, NBFT1, NBFT2, ..., NBFT10: by length first.
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  if (names.size() > kNbftMaxTables) {
    warn(dir,
         Num(names.size()) + " NBFT tables; only the first " + Num(kNbftMaxTables) + " are read");
    names.resize(kNbftMaxTables);
  }
  std::vector<NbftFile> out;
  for (const std::string& name : names) {
    std::string path = dir + "/" + name;
    Result<std::string> raw = ReadRegularFile(path, kNbftMaxTableBytes);
    if (!raw) {
      warn(path, "not read: " + WithoutPathPrefix(path, raw.error().message));
      continue;
    }
    Diagnostics found;
    Result<Nbft> table =
        ParseNbft(std::span(reinterpret_cast<const uint8_t*>(raw->data()), raw->size()), &found);
    for (Diagnostic& d : found) {
      d.file = path;
      if (warnings != nullptr)
        warnings->push_back(std::move(d));
    }
    if (!table) {
      warn(path, "not used: " + table.error().message);
      continue;
    }
    out.push_back(NbftFile{path, std::move(*table)});
  }
  return out;
}

nlohmann::json NbftToJson(const Nbft& nbft) {
  nlohmann::json hfis = nlohmann::json::array();
  for (const NbftHfi& h : nbft.hfis)
    hfis.push_back(HfiToJson(h));
  nlohmann::json subsystems = nlohmann::json::array();
  for (const NbftSubsystem& s : nbft.subsystems)
    subsystems.push_back(SubsystemToJson(s));
  nlohmann::json discovery = nlohmann::json::array();
  for (const NbftDiscovery& d : nbft.discovery)
    discovery.push_back(DiscoveryToJson(d));
  return {{"oem-id", nbft.oem_id},
          {"oem-table-id", nbft.oem_table_id},
          {"oem-revision", nbft.oem_revision},
          {"major-revision", nbft.major_revision},
          {"minor-revision", nbft.minor_revision},
          {"host", nbft.host ? HostToJson(*nbft.host) : nlohmann::json(nullptr)},
          {"hfi", std::move(hfis)},
          {"subsystem", std::move(subsystems)},
          {"discovery", std::move(discovery)}};
}

}  // namespace stas
