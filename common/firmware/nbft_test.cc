// SPDX-License-Identifier: Apache-2.0
#include "common/firmware/nbft.h"

#include <arpa/inet.h>
#include <cerrno>
#include <filesystem>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/testing/file_helpers.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for posix_spawnp

namespace stas {
namespace {

using Ip16 = std::array<uint8_t, 16>;

constexpr const char* kNbftHostNqn =
    "nqn.2014-08.org.nvmexpress:uuid:a1b759e3-035d-4777-b3cc-1754b8b819b9";
constexpr const char* kSubNqn = "nqn.2014-08.org.example:boot.subsys02";

// An address as the table stores it: 16 bytes, IPv4 mapped into IPv6.
Ip16 Ip(const char* text) {
  Ip16 b{};
  if (inet_pton(AF_INET, text, b.data() + 12) == 1) {
    b[10] = b[11] = 0xff;
    return b;
  }
  EXPECT_EQ(inet_pton(AF_INET6, text, b.data()), 1) << text;
  return b;
}

struct HfiModel {
  uint8_t index = 1;
  uint8_t flags = 0x01;
  uint8_t trtype = 3;
  uint8_t info_id = 7;
  uint8_t info_flags = 0x03;  // valid, global route
  uint16_t info_hfi_index = 1;
  std::array<uint8_t, 6> mac = {0x52, 0x54, 0x00, 0xb8, 0x19, 0xb9};
  uint16_t vlan = 0;
  uint8_t ip_origin = 1;
  Ip16 ip = Ip("192.168.49.50");
  uint8_t prefix = 24;
  Ip16 gateway = Ip("0.0.0.0");
  Ip16 dhcp = {};
  std::string host_name = "nvmeof-host";
  size_t info_size = 128;
};

struct SsnsModel {
  uint16_t index = 1;
  uint16_t flags = 0x51;  // valid, extended info, discovered
  uint8_t trtype = 3;
  uint16_t trflags = 0;
  uint8_t discovery = 1;
  std::vector<uint8_t> traddr = {};  // empty: Ip("192.168.49.10")
  std::string trsvcid = "4420";
  uint32_t nsid = 1;
  uint8_t nidt = 3;
  Ip16 nid = {0xdf, 0x66, 0x9a, 0x88, 0xbd, 0x6f, 0x4d, 0xd6,
              0x8a, 0x50, 0x5f, 0x97, 0xeb, 0x55, 0xc8, 0x35};
  uint8_t primary_hfi = 1;
  std::vector<uint8_t> secondary_hfis = {1};
  std::string nqn = kSubNqn;
  bool ext_info = true;  // flags says so in any case
  uint16_t cntlid = 13;  // in the extended info
  uint16_t ext_index = 1;
};

struct DiscoveryModel {
  uint8_t index = 1;
  uint8_t flags = 0x01;
  uint8_t hfi = 1;
  std::string uri = "nvme+tcp://192.168.49.10:8009/";
  std::string nqn = "nqn.2014-08.org.nvmexpress.discovery";
};

// Where Build() put things, for tests that patch the bytes afterwards (then Seal() again).
struct Layout {
  size_t hfi_list = 0;
  size_t ssns_list = 0;
  size_t discovery_list = 0;
  size_t heap = 0;
};

void Put16(std::vector<uint8_t>* t, size_t at, uint32_t v) {
  (*t)[at] = static_cast<uint8_t>(v);
  (*t)[at + 1] = static_cast<uint8_t>(v >> 8);
}
void Put32(std::vector<uint8_t>* t, size_t at, uint32_t v) {
  Put16(t, at, v & 0xffff);
  Put16(t, at + 2, v >> 16);
}
uint32_t Get32(const std::vector<uint8_t>& t, size_t at) {
  return t[at] | (t[at + 1] << 8) | (t[at + 2] << 16) | (static_cast<uint32_t>(t[at + 3]) << 24);
}

// Makes the bytes add up to 0 again.
void Seal(std::vector<uint8_t>* t) {
  (*t)[9] = 0;
  uint8_t sum = 0;
  for (uint8_t u : *t)
    sum = static_cast<uint8_t>(sum + u);
  (*t)[9] = static_cast<uint8_t>(-sum);
}

// A table laid out the way drivers write one: header, control descriptor, host descriptor, the
// HFI, SSNS and discovery lists, then the heap. The defaults are the values of a real table
// (a QEMU guest booted by EDK2's NVMe/TCP driver).
struct TableModel {
  std::string host_nqn = kNbftHostNqn;
  uint8_t host_flags = 0x07;  // valid, host ID and host NQN configured
  Ip16 hostid = {0xe3, 0x59, 0xb7, 0xa1, 0x5d, 0x03, 0x77, 0x47,
                 0xb3, 0xcc, 0x17, 0x54, 0xb8, 0xb8, 0x19, 0xb9};
  std::vector<HfiModel> hfis = {HfiModel{}};
  std::vector<SsnsModel> ssns = {SsnsModel{}};
  std::vector<DiscoveryModel> discovery = {DiscoveryModel{}};

  std::vector<uint8_t> Build(Layout* layout = nullptr) const {
    Layout l;
    l.hfi_list = 160;
    l.ssns_list = l.hfi_list + 32 * hfis.size();
    l.discovery_list = l.ssns_list + 128 * ssns.size();
    l.heap = l.discovery_list + 32 * discovery.size();
    std::vector<uint8_t> t(l.heap);
    std::vector<uint8_t> heap;
    auto add = [&heap, &l](const std::vector<uint8_t>& blob) {
      if (blob.empty())
        return std::pair<uint32_t, uint32_t>(0, 0);
      auto at = static_cast<uint32_t>(l.heap + heap.size());
      heap.insert(heap.end(), blob.begin(), blob.end());
      return std::pair<uint32_t, uint32_t>(at, static_cast<uint32_t>(blob.size()));
    };
    auto str = [&add](const std::string& s) {
      auto [at, len] = add(std::vector<uint8_t>(s.c_str(), s.c_str() + s.size() + 1));
      return std::pair<uint32_t, uint32_t>(s.empty() ? 0 : at, s.empty() ? 0 : len - 1);
    };
    auto ref = [&t](size_t at, std::pair<uint32_t, uint32_t> r) {
      Put32(&t, at, r.first);
      Put16(&t, at + 4, r.second);
    };

    t[128] = 2;
    t[129] = host_flags;
    std::copy(hostid.begin(), hostid.end(), t.begin() + 130);
    ref(128 + 18, str(host_nqn));
    for (size_t i = 0; i < hfis.size(); ++i) {
      const HfiModel& h = hfis[i];
      size_t d = l.hfi_list + 32 * i;
      t[d] = 3;
      t[d + 1] = h.index;
      t[d + 2] = h.flags;
      t[d + 3] = h.trtype;
      std::vector<uint8_t> info(128);
      info[0] = h.info_id;
      info[1] = 1;
      info[2] = 3;
      info[3] = 1;
      info[4] = static_cast<uint8_t>(h.info_hfi_index);
      info[6] = h.info_flags;
      std::copy(h.mac.begin(), h.mac.end(), info.begin() + 11);
      info[17] = static_cast<uint8_t>(h.vlan);
      info[18] = static_cast<uint8_t>(h.vlan >> 8);
      info[19] = h.ip_origin;
      std::copy(h.ip.begin(), h.ip.end(), info.begin() + 20);
      info[36] = h.prefix;
      std::copy(h.gateway.begin(), h.gateway.end(), info.begin() + 37);
      std::copy(h.dhcp.begin(), h.dhcp.end(), info.begin() + 88);
      info.resize(h.info_size);
      auto info_ref = add(info);
      if (!h.host_name.empty()) {  // patched in the heap copy, which is where it is read from
        auto name = str(h.host_name);
        size_t in_heap = info_ref.first - l.heap + 104;
        for (int b = 0; b < 4; ++b)
          heap[in_heap + b] = static_cast<uint8_t>(name.first >> (8 * b));
        heap[in_heap + 4] = static_cast<uint8_t>(name.second);
        heap[in_heap + 5] = static_cast<uint8_t>(name.second >> 8);
      }
      ref(d + 16, info_ref);
    }
    for (size_t i = 0; i < ssns.size(); ++i) {
      const SsnsModel& s = ssns[i];
      size_t d = l.ssns_list + 128 * i;
      t[d] = 4;
      Put16(&t, d + 1, s.index);
      Put16(&t, d + 3, s.flags);
      t[d + 5] = s.trtype;
      Put16(&t, d + 6, s.trflags);
      t[d + 8] = s.discovery;
      Ip16 default_traddr = Ip("192.168.49.10");
      ref(d + 10,
          add(s.traddr.empty() ? std::vector<uint8_t>(default_traddr.begin(), default_traddr.end())
                               : s.traddr));
      ref(d + 16, str(s.trsvcid));
      Put32(&t, d + 24, s.nsid);
      t[d + 28] = s.nidt;
      std::copy(s.nid.begin(), s.nid.end(), t.begin() + static_cast<long>(d) + 29);
      t[d + 46] = s.primary_hfi;
      ref(d + 48, add(s.secondary_hfis));
      ref(d + 54, str(s.nqn));
      std::vector<uint8_t> ext(18);
      ext[0] = 9;
      ext[1] = 1;
      ext[2] = static_cast<uint8_t>(s.ext_index);
      ext[4] = 1;
      ext[8] = static_cast<uint8_t>(s.cntlid);
      ext[9] = static_cast<uint8_t>(s.cntlid >> 8);
      ref(d + 60, s.ext_info ? add(ext) : std::pair<uint32_t, uint32_t>(0, 0));
    }
    for (size_t i = 0; i < discovery.size(); ++i) {
      const DiscoveryModel& dm = discovery[i];
      size_t d = l.discovery_list + 32 * i;
      t[d] = 6;
      t[d + 1] = dm.flags;
      t[d + 2] = dm.index;
      t[d + 3] = dm.hfi;
      ref(d + 6, str(dm.uri));
      ref(d + 12, str(dm.nqn));
    }

    size_t c = 64;
    t[c] = 1;
    t[c + 1] = 1;
    Put16(&t, c + 4, 64);
    t[c + 6] = 1;
    ref(c + 8, {128, 32});
    auto list = [&t, c](size_t base, size_t offset, size_t stride, size_t count) {
      Put32(&t, c + base, count == 0 ? 0 : static_cast<uint32_t>(offset));
      Put16(&t, c + base + 4, count == 0 ? 0 : static_cast<uint32_t>(stride));
      t[c + base + 6] = 1;
      t[c + base + 7] = static_cast<uint8_t>(count);
    };
    list(16, l.hfi_list, 32, hfis.size());
    list(24, l.ssns_list, 128, ssns.size());
    list(40, l.discovery_list, 32, discovery.size());

    std::copy_n("NBFT", 4, t.begin());
    t[8] = 1;  // major revision
    std::copy_n("BOCHS ", 6, t.begin() + 10);
    std::copy_n("BXPC    ", 8, t.begin() + 16);
    Put32(&t, 36, static_cast<uint32_t>(l.heap));
    Put32(&t, 40, static_cast<uint32_t>(heap.size()));
    t.insert(t.end(), heap.begin(), heap.end());
    Put32(&t, 4, static_cast<uint32_t>(t.size()));
    Seal(&t);
    if (layout != nullptr)
      *layout = l;
    return t;
  }
};

Result<Nbft> Parse(const std::vector<uint8_t>& t, Diagnostics* warnings = nullptr) {
  return ParseNbft(t, warnings);
}

std::string AllText(const Diagnostics& d) {
  std::string out;
  for (const Diagnostic& x : d)
    out += x.ToString() + "\n";
  return out;
}

// The table parses, with `count` warnings, the first of which says `what` (a dropped record or
// a left-out field). More than one when other records named a dropped one.
Nbft ParsesWithWarning(const std::vector<uint8_t>& t, const std::string& what, size_t count = 1) {
  Diagnostics w;
  Result<Nbft> r = Parse(t, &w);
  EXPECT_TRUE(r) << r.error().message;
  EXPECT_EQ(w.size(), count) << AllText(w);
  if (!w.empty()) {
    EXPECT_NE(w[0].message.find(what), std::string::npos) << AllText(w);
  }
  return r ? *r : Nbft{};
}

void Refused(const std::vector<uint8_t>& t, const std::string& why) {
  Result<Nbft> r = Parse(t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EINVAL);
  EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
}

TEST(NbftTest, AGoodTableParsesToItsValues) {
  Diagnostics w;
  Result<Nbft> r = Parse(TableModel{}.Build(), &w);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(w.empty()) << AllText(w);
  const Nbft& n = *r;
  EXPECT_EQ(n.oem_id, "BOCHS");
  EXPECT_EQ(n.oem_table_id, "BXPC");
  EXPECT_EQ(n.major_revision, 1);
  EXPECT_EQ(n.minor_revision, 0);

  ASSERT_TRUE(n.host);
  EXPECT_EQ(n.host->nqn, kNbftHostNqn);
  EXPECT_TRUE(n.host->nqn_configured);
  EXPECT_EQ(n.host->hostid, "e359b7a1-5d03-7747-b3cc-1754b8b819b9");  // in table order
  EXPECT_EQ(n.host->hostid_bytes[0], 0xe3);
  EXPECT_TRUE(n.host->hostid_configured);
  EXPECT_EQ(n.host->primary_admin, 0);

  ASSERT_EQ(n.hfis.size(), 1u);
  const NbftHfi& h = n.hfis[0];
  EXPECT_EQ(h.index, 1);
  EXPECT_EQ(h.transport, "tcp");
  EXPECT_EQ(h.ipaddr, "192.168.49.50");  // unmapped from ::ffff:192.168.49.50
  EXPECT_EQ(h.prefix_length, 24);
  EXPECT_EQ(h.gateway, "");  // ::ffff:0.0.0.0, "none"
  EXPECT_EQ(h.mac, "52:54:00:b8:19:b9");
  EXPECT_EQ(h.vlan, 0);
  EXPECT_EQ(h.ip_origin, 1);
  EXPECT_FALSE(h.dhcp_override);
  EXPECT_EQ(h.dhcp_server, "");
  EXPECT_EQ(h.host_name, "nvmeof-host");
  EXPECT_TRUE(h.default_route);

  ASSERT_EQ(n.subsystems.size(), 1u);
  const NbftSubsystem& s = n.subsystems[0];
  EXPECT_EQ(s.index, 1);
  EXPECT_EQ(s.transport, "tcp");
  EXPECT_EQ(s.traddr, "192.168.49.10");
  EXPECT_EQ(s.trsvcid, "4420");
  EXPECT_EQ(s.subsys_nqn, kSubNqn);
  EXPECT_EQ(s.nsid, 1u);
  EXPECT_EQ(s.nid_type, NbftNidType::kUuid);
  EXPECT_EQ(s.nid, "df669a88-bd6f-4dd6-8a50-5f97eb55c835");
  EXPECT_EQ(s.controller_id, 13);
  EXPECT_EQ(s.hfi_indexes, std::vector<uint8_t>{1});  // the secondary 1 repeats the primary
  EXPECT_EQ(s.discovery_index, 1);
  EXPECT_TRUE(s.discovered);
  EXPECT_FALSE(s.unavailable);
  EXPECT_FALSE(s.non_bootable);
  EXPECT_FALSE(s.hdr_digest);

  ASSERT_EQ(n.discovery.size(), 1u);
  const NbftDiscovery& d = n.discovery[0];
  EXPECT_EQ(d.index, 1);
  EXPECT_EQ(d.hfi_index, 1);
  EXPECT_EQ(d.uri, "nvme+tcp://192.168.49.10:8009/");
  EXPECT_EQ(d.traddr, "192.168.49.10");
  EXPECT_EQ(d.trsvcid, "8009");
  EXPECT_EQ(d.nqn, "nqn.2014-08.org.nvmexpress.discovery");
}

TEST(NbftTest, Ipv6AddressesAreNormalised) {
  TableModel m;
  m.hfis[0].ip = Ip("fd09:9a46:b5c1:1fe:0:0:0:10");
  m.hfis[0].prefix = 64;
  m.hfis[0].gateway = Ip("FD09:9A46:B5C1:1FE::1");
  m.hfis[0].info_flags = 0x07;  // DHCP
  m.hfis[0].dhcp = Ip("fd09:9a46:b5c1:1fe::2");
  m.ssns[0].traddr.assign(16, 0);
  Ip16 t = Ip("fd09:9a46:b5c1:1fe::13f");
  m.ssns[0].traddr.assign(t.begin(), t.end());
  m.discovery[0].uri = "nvme+tcp://[FD09:9A46:B5C1:1FE::13F]:8009/";
  Diagnostics w;
  Result<Nbft> r = Parse(m.Build(), &w);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(w.empty()) << AllText(w);
  EXPECT_EQ(r->hfis[0].ipaddr, "fd09:9a46:b5c1:1fe::10");
  EXPECT_EQ(r->hfis[0].prefix_length, 64);
  EXPECT_EQ(r->hfis[0].gateway, "fd09:9a46:b5c1:1fe::1");
  EXPECT_TRUE(r->hfis[0].dhcp_override);
  EXPECT_EQ(r->hfis[0].dhcp_server, "fd09:9a46:b5c1:1fe::2");
  EXPECT_EQ(r->subsystems[0].traddr, "fd09:9a46:b5c1:1fe::13f");
  EXPECT_EQ(r->discovery[0].traddr, "fd09:9a46:b5c1:1fe::13f");
  EXPECT_EQ(r->discovery[0].trsvcid, "8009");
}

// Real firmware writes an all-zero address when DHCP failed: the interface is kept, without one.
TEST(NbftTest, AnHfiWithoutAddressIsKeptWithoutOne) {
  TableModel m;
  m.hfis[0].ip = {};
  m.hfis[0].prefix = 0;
  Result<Nbft> r = Parse(m.Build());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->hfis[0].ipaddr, "");
  EXPECT_EQ(r->hfis[0].mac, "52:54:00:b8:19:b9");
}

TEST(NbftTest, RefusesATableWhoseFrameIsWrong) {
  std::vector<uint8_t> good = TableModel{}.Build();
  Layout l;
  TableModel{}.Build(&l);

  std::vector<uint8_t> t = good;
  t[0] = 'X';
  Seal(&t);
  Refused(t, "signature is \"XBFT\"");

  Refused(std::vector<uint8_t>(good.begin(), good.begin() + 100), "too short");

  t = good;
  t.resize(t.size() - 1);  // the header still says the full length
  Refused(t, "the header says the table is");

  t = good;
  t[100] ^= 0x01;
  Refused(t, "bad checksum");

  t = good;
  t[8] = 2;
  Seal(&t);
  Refused(t, "major revision 2");

  t = good;
  Put32(&t, 40, Get32(t, 40) + 1);  // heap length past the end
  Seal(&t);
  Refused(t, "heap");

  t = good;
  t[64 + 6] = 0;  // control descriptor not valid
  Seal(&t);
  Refused(t, "control descriptor is not valid");

  t = good;
  Put16(&t, 64 + 4, 16);  // control descriptor length
  Seal(&t);
  Refused(t, "control descriptor length 16");

  t = good;
  Put32(&t, 64 + 8, static_cast<uint32_t>(t.size()) - 8);  // host descriptor past the end
  Seal(&t);
  Refused(t, "host descriptor");

  t = good;
  Put32(&t, 64 + 24, static_cast<uint32_t>(t.size()) + 64);  // SSNS list past the end
  Seal(&t);
  Refused(t, "SSNS descriptor list");

  t = good;
  Put32(&t, 64 + 16, 0xffffffe0);  // an offset that wraps in 32 bits
  Seal(&t);
  Refused(t, "HFI descriptor list");

  t = good;
  Put16(&t, 64 + 20, 16);  // HFI descriptors shorter than the specification's 32 bytes
  Seal(&t);
  Refused(t, "HFI descriptor list");

  t = good;
  t[64 + 31] = 200;  // 200 SSNS of 128 bytes do not fit
  Seal(&t);
  Refused(t, "SSNS descriptor list");

  t = good;
  Put32(&t, 64 + 32, 40);  // a security list over the header
  Put16(&t, 64 + 36, 64);
  t[64 + 39] = 1;
  Seal(&t);
  Refused(t, "security descriptor list");

  t = good;
  t.resize(kNbftMaxTableBytes + 1);
  Put32(&t, 4, static_cast<uint32_t>(t.size()));
  Seal(&t);
  Refused(t, "more than 65536");
}

TEST(NbftTest, AHeapReferenceOutsideTheHeapDropsItsRecord) {
  Layout l;
  std::vector<uint8_t> good = TableModel{}.Build(&l);
  size_t nqn_ref = l.ssns_list + 54;

  std::vector<uint8_t> t = good;
  Put16(&t, nqn_ref + 4, static_cast<uint32_t>(t.size()));  // length past the heap
  Seal(&t);
  Nbft n = ParsesWithWarning(t, "SSNS descriptor 1 dropped: subsystem NQN");
  EXPECT_TRUE(n.subsystems.empty());
  EXPECT_EQ(n.hfis.size(), 1u);
  EXPECT_EQ(n.discovery.size(), 1u);

  t = good;
  Put32(&t, nqn_ref, static_cast<uint32_t>(l.ssns_list));  // starts in the descriptors
  Seal(&t);
  ParsesWithWarning(t, "is not inside the heap");

  t = good;
  Put32(&t, nqn_ref, 0xfffffff0);  // offset + length wraps in 32 bits
  Seal(&t);
  ParsesWithWarning(t, "is not inside the heap");

  t = good;  // the HFI's transport info runs past the heap
  Put16(&t, l.hfi_list + 16 + 4, static_cast<uint32_t>(t.size()));
  Seal(&t);
  // Then the discovery record and the SSNS name no usable HFI: they go too, each said.
  n = ParsesWithWarning(t, "HFI descriptor 1 dropped: its transport info", 3);
  EXPECT_TRUE(n.hfis.empty());
  EXPECT_TRUE(n.discovery.empty());
  EXPECT_TRUE(n.subsystems.empty());
}

TEST(NbftTest, HeapStringsMayCountTheirNulButNotHideBytesAfterIt) {
  Layout l;
  std::vector<uint8_t> t = TableModel{}.Build(&l);
  size_t len_at = l.ssns_list + 54 + 4;
  Put16(&t, len_at, static_cast<uint32_t>(std::string(kSubNqn).size() + 1));  // NUL counted
  Seal(&t);
  Result<Nbft> r = Parse(t);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->subsystems.size(), 1u);
  EXPECT_EQ(r->subsystems[0].subsys_nqn, kSubNqn);

  TableModel m;
  m.ssns[0].nqn = std::string(kSubNqn) + std::string(1, '\0') + ",hostnqn=x";
  ParsesWithWarning(m.Build(), "has bytes after its end");
}

TEST(NbftTest, TwoRecordsMaySharePartOfTheHeap) {
  TableModel m;
  m.ssns.push_back(SsnsModel{});
  m.ssns[1].index = 2;
  m.ssns[1].ext_index = 2;
  Layout l;
  std::vector<uint8_t> t = m.Build(&l);
  // The second SSNS's NQN points at the first one's.
  std::copy_n(t.begin() + static_cast<long>(l.ssns_list) + 54, 6,
              t.begin() + static_cast<long>(l.ssns_list) + 128 + 54);
  Seal(&t);
  Result<Nbft> r = Parse(t);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->subsystems.size(), 2u);
  EXPECT_EQ(r->subsystems[1].subsys_nqn, kSubNqn);
}

TEST(NbftTest, AnNqnThatCouldInjectAnOptionDropsItsRecord) {
  for (const std::string& nqn :
       {std::string("nqn.2014-08.org.example:a,hostnqn=evil"), std::string("nqn.x:a=b"),
        std::string("nqn.x:a b"), std::string("nqn.x:\ttab"), std::string("nqn.x:\xc3\xa9"),
        std::string("nqn.") + std::string(220, 'a')}) {
    TableModel m;
    m.ssns[0].nqn = nqn;
    Nbft n = ParsesWithWarning(m.Build(), "SSNS descriptor 1 dropped: subsystem NQN");
    EXPECT_TRUE(n.subsystems.empty()) << nqn;
    EXPECT_EQ(n.hfis.size(), 1u);

    m = TableModel{};
    m.host_nqn = nqn;
    n = ParsesWithWarning(m.Build(), "host descriptor: host NQN");
    ASSERT_TRUE(n.host);
    EXPECT_EQ(n.host->nqn, "");  // left out, the rest of the host kept
    EXPECT_EQ(n.subsystems.size(), 1u);

    m = TableModel{};
    m.discovery[0].nqn = nqn;
    m.ssns[0].discovery = 0;
    n = ParsesWithWarning(m.Build(), "discovery descriptor 1 dropped: NQN");
    EXPECT_TRUE(n.discovery.empty());
  }
  TableModel m;
  m.host_nqn = "hostname-without-prefix";  // a host NQN starts with nqn.
  ParsesWithWarning(m.Build(), "does not start with \"nqn.\"");
}

TEST(NbftTest, APortMustBeCanonicalDecimal) {
  for (const char* port : {"0", "65536", "08009", "0x1144", "44 20", "4420,", "-1", ""}) {
    TableModel m;
    m.ssns[0].trsvcid = port;
    Nbft n = ParsesWithWarning(m.Build(), "SSNS descriptor 1 dropped: trsvcid");
    EXPECT_TRUE(n.subsystems.empty()) << port;
  }
  for (const char* uri : {"nvme+tcp://192.0.2.1:0/", "nvme+tcp://192.0.2.1:08009/",
                          "nvme+tcp://192.0.2.1:65536", "nvme+tcp://192.0.2.1:/"}) {
    TableModel m;
    m.discovery[0].uri = uri;
    // The SSNS, which named the dropped record, is kept without it (a second warning).
    Nbft n = ParsesWithWarning(m.Build(), "discovery descriptor 1 dropped: URI", 2);
    EXPECT_TRUE(n.discovery.empty()) << uri;
    EXPECT_EQ(n.subsystems.size(), 1u);
    EXPECT_FALSE(n.subsystems[0].discovery_index);
  }
}

TEST(NbftTest, ADiscoveryUriNeedsAnIpAddressAndTheTcpScheme) {
  for (const char* uri : {"nvme+tcp://dc.example.com:8009/", "http://192.0.2.1:8009/",
                          "nvme+tcp://[fe80::1%eth0]:8009/", "nvme+tcp://[2001:db8::1/",
                          "nvme+tcp://192.0.2.1:8009/?a=b", "nvme+tcp://fe80::1/"}) {
    TableModel m;
    m.discovery[0].uri = uri;
    m.ssns[0].discovery = 0;
    ParsesWithWarning(m.Build(), "discovery descriptor 1 dropped: URI");
  }
  TableModel m;
  m.discovery[0].uri = "NVME+TCP://[::ffff:192.0.2.1]";  // no port, no path
  Result<Nbft> r = Parse(m.Build());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->discovery.size(), 1u);
  EXPECT_EQ(r->discovery[0].traddr, "192.0.2.1");
  EXPECT_EQ(r->discovery[0].trsvcid, "8009");
}

TEST(NbftTest, AnIndexThatNamesNoRecord) {
  TableModel m;
  m.ssns[0].primary_hfi = 9;
  Nbft n = ParsesWithWarning(m.Build(), "SSNS descriptor 1 dropped: primary HFI index 9");
  EXPECT_TRUE(n.subsystems.empty());

  m = TableModel{};
  m.ssns[0].secondary_hfis = {0, 9, 1, 9};  // 0 is padding; 9 names nothing, twice
  n = ParsesWithWarning(m.Build(), "2 secondary HFI index(es)");
  ASSERT_EQ(n.subsystems.size(), 1u);
  EXPECT_EQ(n.subsystems[0].hfi_indexes, std::vector<uint8_t>{1});

  m = TableModel{};
  m.discovery[0].hfi = 9;
  m.ssns[0].discovery = 0;
  n = ParsesWithWarning(m.Build(), "discovery descriptor 1 dropped: HFI index 9");
  EXPECT_TRUE(n.discovery.empty());

  m = TableModel{};
  m.ssns[0].discovery = 5;
  n = ParsesWithWarning(m.Build(), "discovery index 5 names no usable discovery descriptor");
  ASSERT_EQ(n.subsystems.size(), 1u);  // it can still be connected to
  EXPECT_FALSE(n.subsystems[0].discovery_index);
}

TEST(NbftTest, MultipathIndexesAndRepeatedOnes) {
  TableModel m;
  m.hfis.push_back(HfiModel{});
  m.hfis[1].index = 2;
  m.hfis[1].info_hfi_index = 2;
  m.hfis[1].ip = Ip("192.168.50.50");
  m.hfis.push_back(HfiModel{});  // index 1 again
  m.ssns[0].secondary_hfis = {2, 1, 2};
  Nbft n = ParsesWithWarning(m.Build(), "HFI descriptor 3 dropped: HFI index 1 is taken");
  ASSERT_EQ(n.hfis.size(), 2u);
  EXPECT_EQ(n.subsystems[0].hfi_indexes, (std::vector<uint8_t>{1, 2}));
}

TEST(NbftTest, UnusedSlotsAreSkippedQuietly) {
  TableModel m;
  m.hfis.push_back(HfiModel{});
  m.hfis[1].flags = 0;
  m.hfis[1].index = 1;  // would be a repeat if it were read
  m.ssns.push_back(SsnsModel{});
  m.ssns[1].flags = 0x50;
  m.discovery.push_back(DiscoveryModel{});
  m.discovery[1].flags = 0;
  Diagnostics w;
  Result<Nbft> r = Parse(m.Build(), &w);
  ASSERT_TRUE(r);
  EXPECT_TRUE(w.empty()) << AllText(w);
  EXPECT_EQ(r->hfis.size(), 1u);
  EXPECT_EQ(r->subsystems.size(), 1u);
  EXPECT_EQ(r->discovery.size(), 1u);
}

TEST(NbftTest, BadInterfaceDetails) {
  // A dropped HFI takes the discovery record and the SSNS that use it along (3 warnings).
  TableModel m;
  m.hfis[0].trtype = 2;  // only NVMe/TCP has HFI transport info in this specification
  ParsesWithWarning(m.Build(), "transport type 2 is not supported", 3);
  m = TableModel{};
  m.hfis[0].prefix = 33;
  ParsesWithWarning(m.Build(), "prefix length 33", 3);
  m = TableModel{};
  m.hfis[0].vlan = 4095;
  ParsesWithWarning(m.Build(), "VLAN 4095", 3);
  m = TableModel{};
  m.hfis[0].info_flags = 0x02;  // transport info not marked valid
  ParsesWithWarning(m.Build(), "not a valid NVMe/TCP one", 3);
  m = TableModel{};
  m.hfis[0].info_size = 64;  // shorter than its fields
  ParsesWithWarning(m.Build(), "is not a 110-byte object", 3);

  m = TableModel{};
  m.hfis[0].host_name = "bad,name";
  Nbft n = ParsesWithWarning(m.Build(), "host name \"bad,name\"");
  ASSERT_EQ(n.hfis.size(), 1u);
  EXPECT_EQ(n.hfis[0].host_name, "");

  m = TableModel{};
  m.hfis[0].info_hfi_index = 4;
  n = ParsesWithWarning(m.Build(), "its transport info names HFI index 4");
  EXPECT_EQ(n.hfis.size(), 1u);
}

TEST(NbftTest, BadSubsystemDetails) {
  TableModel m;
  m.ssns[0].traddr = std::vector<uint8_t>(16, 0);
  ParsesWithWarning(m.Build(), "transport address is unspecified");
  m = TableModel{};
  m.ssns[0].traddr = {192, 0, 2, 1};  // not the 16 bytes of the specification
  ParsesWithWarning(m.Build(), "not a 16-byte object");
  m = TableModel{};
  m.ssns[0].trtype = 1;
  ParsesWithWarning(m.Build(), "transport type 1 is not supported");
  m = TableModel{};
  m.ssns[0].nidt = 7;
  Nbft n = ParsesWithWarning(m.Build(), "namespace identifier type 7");
  EXPECT_EQ(n.subsystems[0].nid_type, NbftNidType::kNone);
  m = TableModel{};
  m.ssns[0].ext_index = 2;  // the extended info belongs to another SSNS
  n = ParsesWithWarning(m.Build(), "extended info is not valid for it");
  EXPECT_FALSE(n.subsystems[0].controller_id);

  m = TableModel{};
  m.ssns[0].ext_info = false;  // flagged in use, but no object: drivers do that, nothing to say
  Diagnostics w;
  Result<Nbft> r = Parse(m.Build(), &w);
  ASSERT_TRUE(r);
  EXPECT_TRUE(w.empty()) << AllText(w);
  EXPECT_FALSE(r->subsystems[0].controller_id);
}

TEST(NbftTest, NamespaceIdsAndFlags) {
  TableModel m;
  m.ssns[0].nidt = 1;
  m.ssns[0].nid = {0x00, 0x25, 0x38, 0xb5, 0x71, 0xb2, 0x1a, 0x02};
  m.ssns[0].flags = 0x0103;  // valid, non-bootable, unavailable
  m.ssns[0].trflags = 0x07;  // in use, header and data digests
  m.ssns[0].nsid = 0;
  m.ssns.push_back(SsnsModel{});
  m.ssns[1].nidt = 2;
  m.ssns[1].nid = {0x53, 0x80, 0xb4, 0x2f, 0x0c, 0x0c, 0x5d, 0xe7,
                   0x18, 0xcc, 0xf9, 0x68, 0x0b, 0xe3, 0xca, 0x07};
  m.ssns[1].trflags = 0x06;  // digests without the in-use bit: not meant
  m.ssns[1].ext_index = 1;
  m.ssns[1].cntlid = 0;
  Result<Nbft> r = Parse(m.Build());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->subsystems.size(), 2u);
  const NbftSubsystem& a = r->subsystems[0];
  EXPECT_EQ(a.nid_type, NbftNidType::kEui64);
  EXPECT_EQ(a.nid, "002538b571b21a02");
  EXPECT_EQ(a.nsid, 0u);
  EXPECT_TRUE(a.unavailable);
  EXPECT_TRUE(a.non_bootable);
  EXPECT_FALSE(a.discovered);
  EXPECT_FALSE(a.controller_id);  // no extended info flag
  EXPECT_TRUE(a.hdr_digest);
  EXPECT_TRUE(a.data_digest);
  const NbftSubsystem& b = r->subsystems[1];
  EXPECT_EQ(b.nid_type, NbftNidType::kNguid);
  EXPECT_EQ(b.nid, "5380b42f0c0c5de718ccf9680be3ca07");
  EXPECT_FALSE(b.hdr_digest);
  EXPECT_FALSE(b.controller_id);  // 0: not given
}

TEST(NbftTest, CountsAreCapped) {
  TableModel m;
  m.ssns.assign(kNbftMaxSubsystems + 10, SsnsModel{});
  m.discovery.clear();
  for (auto& s : m.ssns)
    s.discovery = 0;
  Nbft n = ParsesWithWarning(m.Build(), "138 SSNS descriptors; only the first 128 are read");
  EXPECT_EQ(n.subsystems.size(), kNbftMaxSubsystems);
}

TEST(NbftTest, AnInvalidHostDescriptorLeavesNoHost) {
  TableModel m;
  m.host_flags = 0x06;
  Nbft n = ParsesWithWarning(m.Build(), "host descriptor: not marked valid");
  EXPECT_FALSE(n.host);
  EXPECT_EQ(n.subsystems.size(), 1u);

  m = TableModel{};
  m.hostid = {};
  m.host_flags = 0x05;  // primary admin "not indicated", host ID not configured
  Result<Nbft> r = Parse(m.Build());
  ASSERT_TRUE(r && r->host);
  EXPECT_EQ(r->host->hostid, "");
  EXPECT_FALSE(r->host->hostid_configured);
}

TEST(NbftTest, JsonHasStableKeys) {
  Result<Nbft> r = Parse(TableModel{}.Build());
  ASSERT_TRUE(r);
  nlohmann::json j = NbftToJson(*r);
  EXPECT_EQ(j["oem-id"], "BOCHS");
  EXPECT_EQ(j["host"]["host-nqn"], kNbftHostNqn);
  EXPECT_EQ(j["host"]["host-id"], "e359b7a1-5d03-7747-b3cc-1754b8b819b9");
  EXPECT_EQ(j["hfi"][0]["ipaddr"], "192.168.49.50");
  EXPECT_EQ(j["hfi"][0]["mac"], "52:54:00:b8:19:b9");
  EXPECT_EQ(j["subsystem"][0]["traddr"], "192.168.49.10");
  EXPECT_EQ(j["subsystem"][0]["trsvcid"], "4420");
  EXPECT_EQ(j["subsystem"][0]["subsys-nqn"], kSubNqn);
  EXPECT_EQ(j["subsystem"][0]["hfi"], nlohmann::json::array({1}));
  EXPECT_EQ(j["subsystem"][0]["discovery"], 1);
  EXPECT_EQ(j["subsystem"][0]["nid-type"], "uuid");
  EXPECT_EQ(j["subsystem"][0]["controller-id"], 13);
  EXPECT_EQ(j["discovery"][0]["uri"], "nvme+tcp://192.168.49.10:8009/");
  EXPECT_EQ(j["discovery"][0]["hfi"], 1);
  EXPECT_NO_THROW(j.dump());

  Nbft empty;
  j = NbftToJson(empty);
  EXPECT_TRUE(j["host"].is_null());
  EXPECT_TRUE(j["hfi"].is_array() && j["hfi"].empty());
}

std::string ToString(const std::vector<uint8_t>& t) {
  return std::string(t.begin(), t.end());
}

TEST(NbftTest, ReadsEveryTableOfADirectory) {
  testing::ScopedTempDir dir("nbft");
  const std::string& d = dir.path();
  testing::WriteFileText(d + "/NBFT", ToString(TableModel{}.Build()));
  testing::WriteFileText(d + "/NBFT1", "garbage, not a table");
  ASSERT_EQ(::mkfifo((d + "/NBFT2").c_str(), 0600), 0);  // never opened for a blocking read
  std::filesystem::create_symlink(d + "/NBFT", d + "/NBFT3");
  std::filesystem::create_symlink(d + "/missing", d + "/NBFT4");
  TableModel ipv6;
  ipv6.hfis[0].ip = Ip("2001:db8::5");
  testing::WriteFileText(d + "/NBFT10", ToString(ipv6.Build()));
  testing::WriteFileText(d + "/NBFT5", std::string(kNbftMaxTableBytes + 1, 'x'));
  testing::WriteFileText(d + "/NBFTX", ToString(TableModel{}.Build()));  // not a table name
  testing::WriteFileText(d + "/DSDT", "other tables are not read");

  Diagnostics w;
  std::vector<NbftFile> tables = ReadNbftTables(d, &w);
  ASSERT_EQ(tables.size(), 3u) << AllText(w);
  EXPECT_EQ(tables[0].path, d + "/NBFT");
  EXPECT_EQ(tables[1].path, d + "/NBFT3");   // the symlink is followed
  EXPECT_EQ(tables[2].path, d + "/NBFT10");  // after NBFT5
  EXPECT_EQ(tables[2].table.hfis[0].ipaddr, "2001:db8::5");
  std::string text = AllText(w);
  EXPECT_EQ(w.size(), 4u) << text;
  EXPECT_NE(text.find(d + "/NBFT1: not used: the table is 20 bytes"), std::string::npos) << text;
  EXPECT_NE(text.find(d + "/NBFT2: not read: not a regular file"), std::string::npos) << text;
  EXPECT_NE(text.find(d + "/NBFT4: not read: "), std::string::npos) << text;
  EXPECT_NE(text.find(d + "/NBFT5: not read: larger than 65536 bytes"), std::string::npos) << text;
}

TEST(NbftTest, AMissingDirectoryHasNoTables) {
  Diagnostics w;
  EXPECT_TRUE(ReadNbftTables("/nonexistent/acpi/tables", &w).empty());
  EXPECT_TRUE(w.empty()) << AllText(w);
}

TEST(NbftTest, ARecordWarningNamesItsFile) {
  testing::ScopedTempDir dir("nbft");
  TableModel m;
  m.ssns[0].trsvcid = "0";
  testing::WriteFileText(dir.path() + "/NBFT", ToString(m.Build()));
  Diagnostics w;
  std::vector<NbftFile> tables = ReadNbftTables(dir.path(), &w);
  ASSERT_EQ(tables.size(), 1u);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].file, dir.path() + "/NBFT");
  EXPECT_NE(w[0].message.find("SSNS descriptor 1 dropped: trsvcid \"0\""), std::string::npos);
}

// tests/e2e/vm/make-nbft.py, which writes the tables the e2e guests boot with, and this parser
// agree on the format.
class NbftGeneratorTest : public ::testing::Test {
 protected:
  // Runs the generator into a file of the temporary directory; its parsed table or error.
  Result<Nbft> Generate(std::vector<std::string> args, Diagnostics* warnings) {
    std::string out = dir_.path() + "/NBFT";
    std::vector<std::string> argv = {
        "python3", std::string(STAS_SOURCE_DIR) + "/tests/e2e/vm/make-nbft.py", "--out", out};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (std::string& a : argv)
      cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_t child = 0;
    int rc = posix_spawnp(&child, "python3", nullptr, nullptr, cargv.data(), environ);
    EXPECT_EQ(rc, 0) << "python3 not found";
    int status = 0;
    EXPECT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "make-nbft.py failed";
    std::string raw = testing::ReadFileText(out);
    return ParseNbft(std::span(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()), warnings);
  }

  testing::ScopedTempDir dir_{"nbft-gen"};
};

TEST_F(NbftGeneratorTest, WritesWhatTheParserReads) {
  Diagnostics w;
  Result<Nbft> r = Generate(
      {"--hostnqn",       "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555",
       "--hostid",        "11111111-2222-3333-4444-555555555555",
       "--hfi-ip",        "10.0.2.15",
       "--hfi-prefix",    "24",
       "--hfi-mac",       "52:54:00:12:34:56",
       "--traddr",        "10.0.2.2",
       "--trsvcid",       "4420",
       "--subnqn",        "nqn.2014-08.org.example:boot",
       "--nsid",          "3",
       "--discovery-uri", "nvme+tcp://10.0.2.2:8009/",
       "--discovery-nqn", "nqn.2014-08.org.example:dc"},
      &w);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(w.empty()) << AllText(w);
  ASSERT_TRUE(r->host);
  EXPECT_EQ(r->host->nqn, "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(r->host->hostid, "11111111-2222-3333-4444-555555555555");
  ASSERT_EQ(r->hfis.size(), 1u);
  EXPECT_EQ(r->hfis[0].ipaddr, "10.0.2.15");
  EXPECT_EQ(r->hfis[0].prefix_length, 24);
  EXPECT_EQ(r->hfis[0].mac, "52:54:00:12:34:56");
  ASSERT_EQ(r->subsystems.size(), 1u);
  EXPECT_EQ(r->subsystems[0].traddr, "10.0.2.2");
  EXPECT_EQ(r->subsystems[0].trsvcid, "4420");
  EXPECT_EQ(r->subsystems[0].subsys_nqn, "nqn.2014-08.org.example:boot");
  EXPECT_EQ(r->subsystems[0].nsid, 3u);
  EXPECT_EQ(r->subsystems[0].hfi_indexes, std::vector<uint8_t>{1});
  EXPECT_EQ(r->subsystems[0].discovery_index, 1);
  EXPECT_TRUE(r->subsystems[0].discovered);
  ASSERT_EQ(r->discovery.size(), 1u);
  EXPECT_EQ(r->discovery[0].traddr, "10.0.2.2");
  EXPECT_EQ(r->discovery[0].trsvcid, "8009");
  EXPECT_EQ(r->discovery[0].nqn, "nqn.2014-08.org.example:dc");
}

TEST_F(NbftGeneratorTest, WritesIpv6WithoutDiscovery) {
  Diagnostics w;
  Result<Nbft> r = Generate({"--hfi-ip", "fd00:1::50", "--hfi-prefix", "64", "--traddr",
                             "fd00:1::5", "--hfi-host-name", "boot-host"},
                            &w);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(w.empty()) << AllText(w);
  EXPECT_EQ(r->hfis[0].ipaddr, "fd00:1::50");
  EXPECT_EQ(r->hfis[0].host_name, "boot-host");
  EXPECT_EQ(r->subsystems[0].traddr, "fd00:1::5");
  EXPECT_FALSE(r->subsystems[0].discovery_index);
  EXPECT_TRUE(r->discovery.empty());
}

TEST_F(NbftGeneratorTest, EachMalformedTableIsRefusedOrItsRecordDropped) {
  Result<Nbft> r = Generate({"--malformed", "bad-checksum"}, nullptr);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("bad checksum"), std::string::npos) << r.error().message;

  r = Generate({"--malformed", "descriptor-offset"}, nullptr);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("SSNS descriptor list"), std::string::npos) << r.error().message;

  for (const auto& [kind, why] : std::vector<std::pair<std::string, std::string>>{
           {"string-past-heap", "is not inside the heap"},
           {"nqn-comma", "contains ','"},
           {"hfi-index", "primary HFI index 7"}}) {
    Diagnostics w;
    r = Generate({"--malformed", kind}, &w);
    ASSERT_TRUE(r) << kind << ": " << r.error().message;
    EXPECT_TRUE(r->subsystems.empty()) << kind;
    EXPECT_EQ(r->hfis.size(), 1u) << kind;
    ASSERT_EQ(w.size(), 1u) << kind << ": " << AllText(w);
    EXPECT_NE(w[0].message.find("SSNS descriptor 1 dropped"), std::string::npos) << kind;
    EXPECT_NE(w[0].message.find(why), std::string::npos) << kind << ": " << w[0].message;
  }
}

}  // namespace
}  // namespace stas
