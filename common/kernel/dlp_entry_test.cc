// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/dlp_entry.h"

#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "common/ip_address.h"
#include "common/kernel/disc_log_decode.h"
#include "common/nvme_names.h"
#include "common/str_util.h"

namespace stas {
namespace {

constexpr const char* kFcAddr = "nn-0x1000000000000001:pn-0x2000000000000001";

RawLogEntry Tcp(const std::string& traddr, const std::string& trsvcid = "4420",
                const std::string& subnqn = "nqn.2014-08.org.example:io1") {
  RawLogEntry e;
  e.trtype = kTrtypeTcp;
  e.adrfam = kAdrfamIpv4;
  e.subtype = kSubtypeNvme;
  e.traddr = traddr;
  e.trsvcid = trsvcid;
  e.subnqn = subnqn;
  return e;
}

RawLogEntry WithTrtype(RawLogEntry e, uint8_t trtype, uint8_t adrfam) {
  e.trtype = trtype;
  e.adrfam = adrfam;
  return e;
}

// Validates one entry: true if it was accepted.
bool Accepted(const RawLogEntry& e) {
  ValidatedLog log = ValidateLogEntries({e});
  return log.entries.size() == 1;
}

// Validates one entry that must be rejected, and returns the reason.
std::string RejectReason(const RawLogEntry& e) {
  ValidatedLog log = ValidateLogEntries({e});
  EXPECT_TRUE(log.entries.empty());
  EXPECT_EQ(0u, log.dropped_unspecified_addr);
  if (log.rejected.size() != 1) {
    ADD_FAILURE() << "not rejected";
    return "";
  }
  return log.rejected[0].reason;
}

TEST(DlpEntryTest, AcceptsValidTcpEntryAndRendersTheDbusDict) {
  RawLogEntry raw = Tcp("192.0.2.1");
  raw.treq = 0;
  raw.portid = 1;
  raw.cntlid = 65535;
  raw.asqsz = 32;
  raw.eflags = 4;
  ValidatedLog log = ValidateLogEntries({raw});
  ASSERT_EQ(1u, log.entries.size());
  EXPECT_TRUE(log.rejected.empty());
  EXPECT_EQ(0u, log.dropped_unspecified_addr);
  const LogEntry& e = log.entries[0];
  EXPECT_EQ("tcp", e.transport);
  EXPECT_TRUE(e.IsIoSubsystem());
  EXPECT_TRUE(e.Ncc());
  std::vector<std::pair<std::string, std::string>> want = {
      {"trtype", "tcp"},
      {"adrfam", "ipv4"},
      {"traddr", "192.0.2.1"},
      {"trsvcid", "4420"},
      {"subnqn", "nqn.2014-08.org.example:io1"},
      {"subtype", "nvme"},
      {"treq", "not specified"},
      {"portid", "1"},
      {"cntlid", "65535"},
      {"asqsz", "32"},
      {"eflags", "4"},
  };
  EXPECT_EQ(want, e.AsDict());
}

TEST(DlpEntryTest, DictUsesTheLibnvme13Vocabulary) {
  LogEntry e;
  auto value = [&e](const std::string& key) {
    for (const auto& [k, v] : e.AsDict()) {
      if (k == key)
        return v;
    }
    return std::string("<missing>");
  };
  const std::vector<std::pair<uint8_t, std::string>> trtypes = {
      {0, "unspecified"}, {1, "rdma"}, {2, "fc"},   {3, "tcp"},
      {254, "loop"},      {4, "4"},    {255, "255"}};
  for (const auto& [v, name] : trtypes) {
    e.trtype = v;
    EXPECT_EQ(name, value("trtype"));
  }
  // adrfam 254 (NVMF_ADDR_FAMILY_LOOP) has no case in the 1.3 typemap: it shows as a number.
  const std::vector<std::pair<uint8_t, std::string>> adrfams = {
      {0, "pci"}, {1, "ipv4"}, {2, "ipv6"}, {3, "infiniband"}, {4, "fc"}, {5, "5"}, {254, "254"}};
  for (const auto& [v, name] : adrfams) {
    e.adrfam = v;
    EXPECT_EQ(name, value("adrfam"));
  }
  const std::vector<std::pair<uint8_t, std::string>> subtypes = {
      {1, "referral"}, {2, "nvme"}, {3, "discovery"}, {0, "0"}, {4, "4"}};
  for (const auto& [v, name] : subtypes) {
    e.subtype = v;
    EXPECT_EQ(name, value("subtype"));
  }
  // treq is matched as a single value, so combined bits (sqflow disable + secure channel)
  // show as their decimal number, exactly as the 1.3 binding does.
  const std::vector<std::pair<uint8_t, std::string>> treqs = {{0, "not specified"},
                                                              {1, "required"},
                                                              {2, "not required"},
                                                              {4, "disable sqflow"},
                                                              {3, "3"},
                                                              {5, "5"},
                                                              {6, "6"},
                                                              {255, "255"}};
  for (const auto& [v, name] : treqs) {
    e.treq = v;
    EXPECT_EQ(name, value("treq"));
  }
  std::vector<std::string> keys;
  for (const auto& kv : e.AsDict())
    keys.push_back(kv.first);
  EXPECT_EQ((std::vector<std::string>{"trtype", "adrfam", "traddr", "trsvcid", "subnqn", "subtype",
                                      "treq", "portid", "cntlid", "asqsz", "eflags"}),
            keys);
}

TEST(DlpEntryTest, TrimsBlanksAroundStrings) {
  ValidatedLog log = ValidateLogEntries({Tcp("  192.0.2.1   ", "4420\t  ", " nqn.x\n")});
  ASSERT_EQ(1u, log.entries.size());
  EXPECT_EQ("192.0.2.1", log.entries[0].traddr);
  EXPECT_EQ("4420", log.entries[0].trsvcid);
  EXPECT_EQ("nqn.x", log.entries[0].subnqn);
}

TEST(DlpEntryTest, DropsUnspecifiedAddressesLikeNvmeStas) {
  std::vector<RawLogEntry> raw = {Tcp(""),    Tcp("0.0.0.0"),    Tcp("::"),
                                  Tcp("   "), Tcp(" 0.0.0.0  "), Tcp("192.0.2.1")};
  RawLogEntry v6 = Tcp(":: ");
  v6.adrfam = kAdrfamIpv6;
  raw.push_back(v6);
  ValidatedLog log = ValidateLogEntries(raw);
  EXPECT_EQ(6u, log.dropped_unspecified_addr);
  EXPECT_TRUE(log.rejected.empty());
  ASSERT_EQ(1u, log.entries.size());
  EXPECT_EQ("192.0.2.1", log.entries[0].traddr);
  // Only these exact texts are dropped; other spellings are ordinary (valid) IPs.
  RawLogEntry zero = Tcp("::0");
  zero.adrfam = kAdrfamIpv6;
  EXPECT_TRUE(Accepted(zero));
}

TEST(DlpEntryTest, RejectsOptionInjectionInTraddr) {
  EXPECT_NE(std::string::npos, RejectReason(Tcp("10.0.0.1,host_iface=eth0")).find("traddr"));
  EXPECT_TRUE(Accepted(Tcp("10.0.0.1")));
  // Also for transports that are only character-checked.
  RawLogEntry loop = WithTrtype(Tcp("10.0.0.1,host_iface=eth0"), kTrtypeLoop, 254);
  EXPECT_NE(std::string::npos, RejectReason(loop).find("','"));
}

TEST(DlpEntryTest, RejectsOptionInjectionInSubnqn) {
  std::string reason = RejectReason(Tcp("10.0.0.1", "4420", "nqn.evil,hostnqn=nqn.attacker"));
  EXPECT_NE(std::string::npos, reason.find("subnqn"));
  EXPECT_TRUE(Accepted(Tcp("10.0.0.1", "4420", "nqn.good:hostnqn-nqn.attacker")));
}

TEST(DlpEntryTest, RejectsOptionInjectionInTrsvcid) {
  RawLogEntry loop = WithTrtype(Tcp("target", "4420,ctrl_loss_tmo=1"), kTrtypeLoop, 254);
  EXPECT_NE(std::string::npos, RejectReason(loop).find("trsvcid"));
  EXPECT_TRUE(Accepted(WithTrtype(Tcp("target", "4420"), kTrtypeLoop, 254)));
}

// A DC that sends "04420" would be connected on port 2320 (the kernel reads it as octal) under
// a Tid that says 04420. Found by tests/fuzz/dlp_entry_fuzz.cc.
TEST(DlpEntryTest, RejectsPortWithLeadingZero) {
  EXPECT_NE(std::string::npos, RejectReason(Tcp("10.0.0.1", "04420")).find("trsvcid"));
  EXPECT_TRUE(Accepted(Tcp("10.0.0.1", "4420")));
}

TEST(DlpEntryTest, RejectsEqualsSign) {
  EXPECT_NE(std::string::npos, RejectReason(Tcp("10.0.0.1", "4420", "nqn.a=b")).find("'='"));
  RawLogEntry other = WithTrtype(Tcp("a=b"), 7, 0);
  EXPECT_NE(std::string::npos, RejectReason(other).find("'='"));
  EXPECT_TRUE(Accepted(Tcp("10.0.0.1", "4420", "nqn.a-b")));
}

TEST(DlpEntryTest, RejectsInnerWhitespace) {
  EXPECT_NE("", RejectReason(Tcp("10.0.0.1", "4420", "nqn.a b")));
  EXPECT_NE("", RejectReason(Tcp("10.0.0.1", "4420", "nqn.a\tb")));
  EXPECT_NE("", RejectReason(Tcp("10.0.0.1", "44 20")));
  EXPECT_NE("", RejectReason(WithTrtype(Tcp("a b"), kTrtypeLoop, 254)));
  EXPECT_TRUE(Accepted(Tcp("10.0.0.1\t", " 4420", "nqn.ab ")));
}

TEST(DlpEntryTest, RejectsControlCharacters) {
  EXPECT_NE("", RejectReason(Tcp("10.0.0.1", "4420", "nqn.a\x01z")));
  EXPECT_NE("", RejectReason(Tcp("10.0.0.1", "4420", "nqn.a\x7fz")));
  EXPECT_NE("", RejectReason(Tcp("10.0.0.1", "4420", std::string("nqn.a\0z", 7))));
  EXPECT_NE("", RejectReason(WithTrtype(Tcp("a\x1b[2Jb"), kTrtypeLoop, 254)));
  EXPECT_TRUE(Accepted(Tcp("10.0.0.1", "4420", "nqn.a~z")));
}

TEST(DlpEntryTest, RejectsNonAscii) {
  EXPECT_NE("", RejectReason(Tcp("10.0.0.1", "4420", "nqn.caf\xc3\xa9")));
  EXPECT_NE("", RejectReason(Tcp("10.0.0.1", "4420", "nqn.\xff")));
  EXPECT_NE("", RejectReason(WithTrtype(Tcp("h\xc3\xb4te"), kTrtypeLoop, 254)));
  EXPECT_TRUE(Accepted(Tcp("10.0.0.1", "4420", "nqn.cafe")));
}

TEST(DlpEntryTest, RejectsFieldsLongerThanTheRecordAllows) {
  auto loop = [](const std::string& traddr, const std::string& trsvcid) {
    return WithTrtype(Tcp(traddr, trsvcid), kTrtypeLoop, 254);
  };
  EXPECT_TRUE(Accepted(loop(std::string(kDlpeTraddrSize, 'a'), "1")));
  EXPECT_NE(std::string::npos,
            RejectReason(loop(std::string(kDlpeTraddrSize + 1, 'a'), "1")).find("traddr"));
  // Trailing padding counts: the raw field itself is too long.
  EXPECT_NE("", RejectReason(loop("a" + std::string(kDlpeTraddrSize, ' '), "1")));
  EXPECT_TRUE(Accepted(loop("a", std::string(kDlpeTrsvcidSize, '1'))));
  EXPECT_NE(std::string::npos,
            RejectReason(loop("a", std::string(kDlpeTrsvcidSize + 1, '1'))).find("trsvcid"));
  EXPECT_TRUE(Accepted(Tcp("10.0.0.1", "4420", "nqn." + std::string(219, 'x'))));  // 223
  EXPECT_NE(std::string::npos,
            RejectReason(Tcp("10.0.0.1", "4420", "nqn." + std::string(220, 'x'))).find("subnqn"));
  EXPECT_NE("", RejectReason(Tcp("10.0.0.1", "4420", std::string(kDlpeSubnqnSize + 1, 'x'))));
}

TEST(DlpEntryTest, TcpTraddrMustBeAnIpOfTheAdrfamFamily) {
  RawLogEntry v6 = Tcp("10.0.0.1");
  v6.adrfam = kAdrfamIpv6;
  EXPECT_NE(std::string::npos, RejectReason(v6).find("adrfam is ipv6"));
  RawLogEntry v4 = Tcp("2001:db8::1");
  EXPECT_NE(std::string::npos, RejectReason(v4).find("adrfam is ipv4"));
  RawLogEntry mapped = Tcp("::ffff:10.0.0.1");  // an IPv6 literal, even if it carries an IPv4
  EXPECT_NE("", RejectReason(mapped));
  v4.adrfam = kAdrfamIpv6;
  EXPECT_TRUE(Accepted(v4));
  RawLogEntry zoned = Tcp("fe80::1%eth0");
  zoned.adrfam = kAdrfamIpv6;
  EXPECT_TRUE(Accepted(zoned));
  EXPECT_NE("", RejectReason(Tcp("target.example.com")));
  EXPECT_NE("", RejectReason(Tcp("10.0.0.256")));
  EXPECT_NE("", RejectReason(Tcp("[2001:db8::1]")));
  EXPECT_NE("", RejectReason(WithTrtype(Tcp("10.0.0.1"), kTrtypeTcp, kAdrfamPci)));
  EXPECT_NE("", RejectReason(WithTrtype(Tcp("10.0.0.1"), kTrtypeTcp, kAdrfamInfiniband)));
  EXPECT_NE("", RejectReason(WithTrtype(Tcp("10.0.0.1"), kTrtypeTcp, 254)));
}

TEST(DlpEntryTest, RdmaTraddrMustBeAnIp) {
  EXPECT_TRUE(Accepted(WithTrtype(Tcp("192.0.2.7"), kTrtypeRdma, kAdrfamIpv4)));
  EXPECT_NE("", RejectReason(WithTrtype(Tcp("192.0.2.7"), kTrtypeRdma, kAdrfamIpv6)));
  EXPECT_NE("", RejectReason(WithTrtype(Tcp("rdma-host"), kTrtypeRdma, kAdrfamIpv4)));
  // rdma over InfiniBand is still addressed by IP (IPoIB through rdma_cm).
  EXPECT_TRUE(Accepted(WithTrtype(Tcp("192.0.2.7"), kTrtypeRdma, kAdrfamInfiniband)));
  EXPECT_NE("", RejectReason(WithTrtype(Tcp("ib0"), kTrtypeRdma, kAdrfamInfiniband)));
}

TEST(DlpEntryTest, TcpTrsvcidMustBeAPort) {
  EXPECT_TRUE(Accepted(Tcp("10.0.0.1", "1")));
  EXPECT_TRUE(Accepted(Tcp("10.0.0.1", "65535")));
  EXPECT_TRUE(Accepted(Tcp("10.0.0.1", "8009")));
  for (const char* bad : {"0", "65536", "", "http", "-1", "+4420", "0x1134", "4420a"}) {
    EXPECT_NE(std::string::npos, RejectReason(Tcp("10.0.0.1", bad)).find("trsvcid")) << bad;
  }
  EXPECT_NE("", RejectReason(WithTrtype(Tcp("10.0.0.1", "none"), kTrtypeRdma, kAdrfamIpv4)));
}

TEST(DlpEntryTest, FcTraddrMustBeAnFcAddress) {
  ValidatedLog log = ValidateLogEntries({WithTrtype(Tcp(kFcAddr, "none"), kTrtypeFc, kAdrfamFc),
                                         WithTrtype(Tcp(kFcAddr, ""), kTrtypeFc, kAdrfamFc)});
  ASSERT_EQ(2u, log.entries.size());
  EXPECT_EQ("fc", log.entries[0].transport);
  EXPECT_EQ("none", log.entries[0].trsvcid);
  EXPECT_EQ("", log.entries[1].trsvcid);
  EXPECT_NE(std::string::npos,
            RejectReason(WithTrtype(Tcp("10.0.0.1"), kTrtypeFc, kAdrfamFc)).find("Fibre"));
  EXPECT_NE("", RejectReason(WithTrtype(Tcp("nn-0x1000000000000001"), kTrtypeFc, kAdrfamFc)));
  EXPECT_NE("", RejectReason(WithTrtype(Tcp(kFcAddr, "a,b"), kTrtypeFc, kAdrfamFc)));
}

TEST(DlpEntryTest, KeepsUnknownTransportsWithCharacterRulesOnly) {
  ValidatedLog log = ValidateLogEntries({WithTrtype(Tcp("anything-goes", ""), 7, 9),
                                         WithTrtype(Tcp("host.example", "x"), kTrtypeLoop, 254),
                                         WithTrtype(Tcp("10.0.0.1"), kTrtypeUnspecified, 0)});
  ASSERT_EQ(3u, log.entries.size());
  EXPECT_EQ("7", log.entries[0].transport);
  EXPECT_EQ("9", log.entries[0].AsDict()[1].second);
  EXPECT_EQ("loop", log.entries[1].transport);
  EXPECT_EQ("254", log.entries[1].AsDict()[1].second);
  EXPECT_EQ("unspecified", log.entries[2].transport);
  EXPECT_NE("", RejectReason(WithTrtype(Tcp("a,b"), 7, 9)));
  EXPECT_NE("", RejectReason(WithTrtype(Tcp("ok", "4420", "nqn.x y"), 7, 9)));
}

TEST(DlpEntryTest, SubnqnNeedsNoNqnPrefix) {
  EXPECT_TRUE(Accepted(Tcp("10.0.0.1", "4420", "starfleet")));
  EXPECT_TRUE(Accepted(Tcp("10.0.0.1", "4420", "nqn.2014-08.org.nvmexpress.discovery")));
  EXPECT_NE(std::string::npos, RejectReason(Tcp("10.0.0.1", "4420", "")).find("subnqn"));
  EXPECT_NE(std::string::npos, RejectReason(Tcp("10.0.0.1", "4420", "  ")).find("subnqn"));
}

TEST(DlpEntryTest, SubtypeMustBeKnown) {
  for (uint8_t bad : {0, 4, 255}) {
    RawLogEntry e = Tcp("10.0.0.1");
    e.subtype = bad;
    EXPECT_NE(std::string::npos, RejectReason(e).find("subtype")) << static_cast<int>(bad);
  }
  std::vector<RawLogEntry> raw(3, Tcp("10.0.0.1", "8009"));
  raw[0].subtype = kSubtypeReferral;
  raw[1].subtype = kSubtypeNvme;
  raw[2].subtype = kSubtypeCurrentDc;
  ValidatedLog log = ValidateLogEntries(raw);
  ASSERT_EQ(3u, log.entries.size());
  EXPECT_TRUE(log.entries[0].IsReferral());
  EXPECT_FALSE(log.entries[0].IsIoSubsystem());
  EXPECT_TRUE(log.entries[1].IsIoSubsystem());
  EXPECT_FALSE(log.entries[1].IsCurrentDc());
  EXPECT_TRUE(log.entries[2].IsCurrentDc());
  EXPECT_FALSE(log.entries[2].IsReferral());
}

TEST(DlpEntryTest, NccComesFromEflagsBit2) {
  LogEntry e;
  for (uint16_t flags : {0, 1, 2, 3, 8, 0xfffb}) {
    e.eflags = flags;
    EXPECT_FALSE(e.Ncc()) << flags;
  }
  for (uint16_t flags : {4, 5, 7, 0xffff}) {
    e.eflags = flags;
    EXPECT_TRUE(e.Ncc()) << flags;
  }
}

TEST(DlpEntryTest, ProblemsKeepTheIndexAndShowTheRawEntrySafely) {
  std::vector<RawLogEntry> raw = {Tcp("10.0.0.1"), Tcp("0.0.0.0"),
                                  Tcp("10.0.0.2", "4420", "nqn.x\x1b]0;pwned\x07,y=z"),
                                  Tcp(std::string(1000, 'a'))};
  ValidatedLog log = ValidateLogEntries(raw);
  ASSERT_EQ(1u, log.entries.size());
  EXPECT_EQ(1u, log.dropped_unspecified_addr);
  ASSERT_EQ(2u, log.rejected.size());
  EXPECT_EQ(2u, log.rejected[0].index);
  EXPECT_EQ(3u, log.rejected[1].index);
  for (const LogEntryProblem& p : log.rejected) {
    EXPECT_TRUE(IsPrintableAscii(p.shown)) << p.shown;
    EXPECT_TRUE(IsPrintableAscii(p.reason)) << p.reason;
    EXPECT_LT(p.shown.size(), 600u);
  }
  EXPECT_NE(std::string::npos, log.rejected[0].shown.find("subnqn='nqn.x\\x1b]0;pwned\\x07,y=z'"));
  EXPECT_NE(std::string::npos, log.rejected[0].shown.find("trtype=3"));
  EXPECT_NE(std::string::npos, log.rejected[1].shown.find("(1000 bytes)"));
}

TEST(DlpEntryTest, DescribeEntryIsOneShortLine) {
  ValidatedLog log =
      ValidateLogEntries({Tcp("192.0.2.1", "4420", "nqn.x"),
                          WithTrtype(Tcp("2001:db8::1", "8009", "nqn.y"), kTrtypeTcp, kAdrfamIpv6),
                          WithTrtype(Tcp(kFcAddr, "none", "nqn.z"), kTrtypeFc, kAdrfamFc)});
  ASSERT_EQ(3u, log.entries.size());
  EXPECT_EQ("tcp 192.0.2.1:4420 nqn.x", DescribeEntry(log.entries[0]));
  EXPECT_EQ("tcp [2001:db8::1]:8009 nqn.y", DescribeEntry(log.entries[1]));
  EXPECT_EQ(std::string("fc ") + kFcAddr + " nqn.z", DescribeEntry(log.entries[2]));
}

// Random strings: mostly plausible values, mutated with the bytes an attacker would send.
class RandomEntries {
 public:
  explicit RandomEntries(uint32_t seed) : rng_(seed) {}

  RawLogEntry Next() {
    RawLogEntry e;
    static constexpr uint8_t kTrtypes[] = {0, 1, 2, 3, 4, 254, 255};
    static constexpr uint8_t kAdrfams[] = {0, 1, 2, 3, 4, 254};
    e.trtype = Pick(kTrtypes, 8);
    e.adrfam = Pick(kAdrfams, 7);
    e.subtype = static_cast<uint8_t>(Chance(8) ? Byte() : 1 + Below(3));
    e.treq = Byte();
    e.portid = static_cast<uint16_t>(rng_());
    e.cntlid = static_cast<uint16_t>(rng_());
    e.asqsz = static_cast<uint16_t>(rng_());
    e.eflags = static_cast<uint16_t>(rng_());
    static constexpr std::string_view kAddrs[] = {
        "192.0.2.1", "2001:db8::7", "fe80::1%eth0",    "0.0.0.0",       "::",
        "",          kFcAddr,       "::ffff:10.0.0.1", "target.example"};
    static constexpr std::string_view kPorts[] = {"4420", "8009", "1", "65535", "0", "none", ""};
    static constexpr std::string_view kNqns[] = {"nqn.2014-08.org.nvmexpress.discovery",
                                                 "starfleet", "nqn.evil,hostnqn=nqn.attacker", ""};
    e.traddr = Mutate(std::string(kAddrs[Below(std::size(kAddrs))]));
    e.trsvcid = Mutate(std::string(kPorts[Below(std::size(kPorts))]));
    e.subnqn = Mutate(std::string(kNqns[Below(std::size(kNqns))]));
    return e;
  }

 private:
  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Chance(size_t one_in) { return Below(one_in) == 0; }
  uint8_t Byte() { return static_cast<uint8_t>(Below(256)); }
  template <size_t N>
  uint8_t Pick(const uint8_t (&values)[N], size_t random_one_in) {
    return Chance(random_one_in) ? Byte() : values[Below(N)];
  }

  // No NUL: the kernel edge cuts the fixed-size fields at the first one.
  char Hostile() {
    static constexpr std::string_view kPieces[] = {
        ",", "=", " ", "\t", "\n", "\x7f", "\x01", "\x1b", "\xc3\xa9", "\xe2\x80\xae", "\xff"};
    std::string_view p = kPieces[Below(std::size(kPieces))];
    return p[Below(p.size())];
  }

  std::string Mutate(std::string s) {
    switch (Below(6)) {
      case 0:  // as is
        return s;
      case 1:  // padded with blanks, as libnvme and targets do
        return std::string(Below(3), ' ') + s + std::string(Below(40), ' ');
      case 2: {  // a few hostile bytes inserted
        size_t n = 1 + Below(3);
        for (size_t i = 0; i < n; ++i)
          s.insert(Below(s.size() + 1), 1, Hostile());
        return s;
      }
      case 3: {  // a tail injected after a plausible value
        static constexpr std::string_view kTails[] = {",host_iface=eth0", "=x", ",", " hostnqn=x",
                                                      "\xc3\xa9"};
        return s + std::string(kTails[Below(std::size(kTails))]);
      }
      case 4: {  // long
        return s + std::string(Below(600), static_cast<char>('a' + Below(26)));
      }
      default: {  // random bytes 1..255
        std::string r(Below(64), 'x');
        for (char& c : r)
          c = static_cast<char>(1 + Below(255));
        return r;
      }
    }
  }

  std::mt19937 rng_;
};

TEST(DlpEntryTest, FuzzedEntriesNeverLetUnsafeStringsThrough) {
  RandomEntries gen(20240611);
  std::vector<RawLogEntry> raw;
  raw.reserve(10000);
  for (int i = 0; i < 10000; ++i)
    raw.push_back(gen.Next());
  ValidatedLog log = ValidateLogEntries(raw);
  EXPECT_EQ(raw.size(), log.entries.size() + log.rejected.size() + log.dropped_unspecified_addr);
  // Not vacuous: every outcome happens.
  EXPECT_GT(log.entries.size(), 100u);
  EXPECT_GT(log.rejected.size(), 100u);
  EXPECT_GT(log.dropped_unspecified_addr, 100u);

  auto safe = [](const std::string& s) {
    return !CheckSafeToken(s).has_value() && s.find('=') == std::string::npos;
  };
  for (const LogEntry& e : log.entries) {
    SCOPED_TRACE(Printable(DescribeEntry(e)));
    EXPECT_TRUE(safe(e.traddr));
    EXPECT_TRUE(safe(e.subnqn));
    EXPECT_FALSE(CheckNqn(e.subnqn, false).has_value());
    bool ip_transport = e.trtype == kTrtypeTcp || e.trtype == kTrtypeRdma;
    // trsvcid may be empty only where it is not a port (fc, loop, unknown transports).
    EXPECT_TRUE(safe(e.trsvcid) || (!ip_transport && e.trsvcid.empty()));
    EXPECT_TRUE(e.subtype >= 1 && e.subtype <= 3);
    if (ip_transport) {
      std::optional<IpAddress> ip = IpAddress::Parse(e.traddr);
      ASSERT_TRUE(ip.has_value());
      if (e.adrfam == kAdrfamIpv4) {
        EXPECT_EQ(4, ip->family());
      }
      if (e.adrfam == kAdrfamIpv6) {
        EXPECT_EQ(6, ip->family());
      }
      EXPECT_FALSE(CheckPort(e.trsvcid).has_value());
    }
    if (e.trtype == kTrtypeFc) {
      EXPECT_FALSE(CheckFcAddress(e.traddr).has_value());
    }
    for (const auto& [key, value] : e.AsDict()) {
      EXPECT_TRUE(IsPrintableAscii(value)) << key;
    }
  }
  for (const LogEntryProblem& p : log.rejected) {
    EXPECT_LT(p.index, raw.size());
    EXPECT_FALSE(p.reason.empty());
    EXPECT_TRUE(IsPrintableAscii(p.shown));
  }
}

TEST(DlpEntryTest, DictRoundTrip) {
  RawLogEntry raw;
  raw.trtype = 3;
  raw.adrfam = 2;
  raw.subtype = 2;
  raw.treq = 6;  // shown as the number "6"
  raw.portid = 7;
  raw.cntlid = 65535;
  raw.asqsz = 32;
  raw.eflags = 4;
  raw.traddr = "2001:db8::20";
  raw.trsvcid = "4420";
  raw.subnqn = "nqn.io:1";
  ValidatedLog v = ValidateLogEntries({raw});
  ASSERT_EQ(v.entries.size(), 1u);
  auto dict = v.entries[0].AsDict();
  std::map<std::string, std::string> m(dict.begin(), dict.end());
  std::optional<RawLogEntry> back = RawEntryFromDict(m);
  ASSERT_TRUE(back);
  ValidatedLog again = ValidateLogEntries({*back});
  ASSERT_EQ(again.entries.size(), 1u);
  EXPECT_EQ(again.entries[0], v.entries[0]);
  m.erase("eflags");
  EXPECT_FALSE(RawEntryFromDict(m));
  m["eflags"] = "-1";
  EXPECT_FALSE(RawEntryFromDict(m));
  m["eflags"] = "4";
  m["trtype"] = "carrier-pigeon";
  EXPECT_FALSE(RawEntryFromDict(m));
}

// TREQ bits 1:0 = 01b: a secure channel is required; for NVMe/TCP that is TLS.
TEST(DlpEntryTest, AnEntryThatRequiresASecureChannelAsksForTls) {
  for (uint8_t treq : {0, 1, 2, 3, 5}) {
    RawLogEntry raw = Tcp("192.0.2.1");
    raw.treq = treq;
    ValidatedLog log = ValidateLogEntries({raw});
    ASSERT_EQ(1u, log.entries.size());
    ConnectOptions options;
    log.entries[0].ApplyRequirements(&options);
    const bool required = treq == 1 || treq == 5;  // 5: required, and SQ flow control disable
    EXPECT_EQ(log.entries[0].SecureChannelRequired(), required) << int(treq);
    EXPECT_EQ(options.tls.value_or(false), required) << int(treq);
  }
  RawLogEntry rdma = Tcp("192.0.2.1");
  rdma.trtype = kTrtypeRdma;
  rdma.treq = 1;
  ValidatedLog log = ValidateLogEntries({rdma});
  ASSERT_EQ(1u, log.entries.size());
  ConnectOptions options;
  log.entries[0].ApplyRequirements(&options);
  EXPECT_FALSE(options.tls.has_value());  // TLS is NVMe/TCP's secure channel only
}

// TSAS SECTYPE (TP8011): a tcp port whose security is TLS gets TLS even when TREQ does not
// say "required"; the D-Bus dict names it, and stacd reads it back from there.
TEST(DlpEntryTest, ATcpEntryWhoseTsasSaysTlsAsksForTlsAndShowsIt) {
  nvmf_disc_log_entry wire{};
  wire.trtype = kTrtypeTcp;
  wire.adrfam = kAdrfamIpv4;
  wire.subtype = kSubtypeNvme;
  wire.treq = 2;              // not required
  wire.tsas.tcp.sectype = 2;  // TLS 1.3
  std::snprintf(wire.traddr, sizeof(wire.traddr), "192.0.2.1");
  std::snprintf(wire.trsvcid, sizeof(wire.trsvcid), "4420");
  std::snprintf(wire.subnqn, sizeof(wire.subnqn), "nqn.io:1");
  RawLogEntry raw = ToRawEntry(wire);
  EXPECT_EQ(raw.tsas0, 2);
  ValidatedLog log = ValidateLogEntries({raw});
  ASSERT_EQ(1u, log.entries.size());
  const LogEntry& e = log.entries[0];
  EXPECT_EQ(e.sectype, 2);
  ConnectOptions options;
  e.ApplyRequirements(&options);
  EXPECT_EQ(options.tls, std::optional<bool>(true));
  auto dict = e.AsDict();
  ASSERT_EQ(dict.size(), 12u);
  EXPECT_EQ(dict.back(), std::make_pair(std::string("sectype"), std::string("tls13")));
  std::map<std::string, std::string> m(dict.begin(), dict.end());
  std::optional<RawLogEntry> back = RawEntryFromDict(m);
  ASSERT_TRUE(back);
  ValidatedLog again = ValidateLogEntries({*back});
  ASSERT_EQ(1u, again.entries.size());
  EXPECT_EQ(again.entries[0], e);
  m["sectype"] = "tls9000";
  EXPECT_FALSE(RawEntryFromDict(m));

  // SECTYPE none: the dict is nvme-stas's, eleven keys, and TLS is not asked for.
  raw.tsas0 = 0;
  log = ValidateLogEntries({raw});
  ASSERT_EQ(1u, log.entries.size());
  EXPECT_EQ(log.entries[0].AsDict().size(), 11u);
  ConnectOptions clear;
  log.entries[0].ApplyRequirements(&clear);
  EXPECT_FALSE(clear.tls.has_value());

  // Another transport lays TSAS out otherwise (RDMA: its QP type first): not a SECTYPE.
  raw.trtype = kTrtypeRdma;
  raw.tsas0 = 1;
  log = ValidateLogEntries({raw});
  ASSERT_EQ(1u, log.entries.size());
  EXPECT_EQ(log.entries[0].sectype, 0);
  EXPECT_EQ(log.entries[0].AsDict().size(), 11u);
}

}  // namespace
}  // namespace stas
