// SPDX-License-Identifier: Apache-2.0
#include "staf/zeroconf/zeroconf_txt.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/defs.h"

namespace stas::staf {
namespace {

using Txt = std::vector<std::string>;

Result<ZeroconfIdentity> Identify(const Txt& txt, bool tp8013 = true,
                                  const std::string& address = "192.168.1.20", int port = 8009,
                                  const std::string& ifname = "eth0") {
  return ParseIdentity(ifname, address, port, ParseTxt(txt), tp8013);
}

// The error text, or "" when the parse succeeded.
std::string Why(const Result<ZeroconfIdentity>& r) {
  return r ? "" : r.error().message;
}

TEST(ZeroconfTxtTest, ParsesKeyValuePairsAndLowerCasesKeys) {
  TxtDict d = ParseTxt({"p=tcp", "NQN=nqn.2014-08.com.example:DC1", "Vendor=Acme"});
  EXPECT_TRUE(d.problems.empty());
  ASSERT_EQ(d.pairs.size(), 3u);
  EXPECT_EQ(d.pairs.at("p"), "tcp");
  EXPECT_EQ(d.pairs.at("nqn"), "nqn.2014-08.com.example:DC1");  // values keep their case
  EXPECT_EQ(d.pairs.at("vendor"), "Acme");
}

struct TxtCase {
  const char* name;
  Txt txt;
  bool ok;
  const char* transport;  // when ok
  const char* subsysnqn;  // when ok
  const char* why;        // a substring of the error, when not ok
};

class ZeroconfTxtTableTest : public ::testing::TestWithParam<TxtCase> {};

TEST_P(ZeroconfTxtTableTest, Identity) {
  const TxtCase& c = GetParam();
  Result<ZeroconfIdentity> r = Identify(c.txt);
  if (c.ok) {
    ASSERT_TRUE(r) << c.name << ": " << Why(r);
    EXPECT_EQ(r->transport, c.transport) << c.name;
    EXPECT_EQ(r->subsysnqn, c.subsysnqn) << c.name;
  } else {
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().code, EINVAL) << c.name;
    EXPECT_NE(r.error().message.find(c.why), std::string::npos) << c.name << ": " << Why(r);
  }
}

const std::string wkdn = kWellKnownDiscoveryNqn;
// 224 bytes: one over the NQN limit, while the TXT entry still fits in 255.
const std::string long_nqn = "nqn.2014-08.com.example:" + std::string(200, 'x');
const std::string too_long_entry = "nqn=nqn.2014-08.com.example:" + std::string(260, 'y');

std::vector<std::string> ManyEntriesThenP() {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < kMaxTxtEntries; ++i)
    v.push_back("k" + std::to_string(i) + "=v");
  v.push_back("p=tcp");
  return v;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ZeroconfTxtTableTest,
    ::testing::Values(
        TxtCase{"tcp", {"p=tcp"}, true, "tcp", wkdn.c_str(), ""},
        TxtCase{"tcp_with_nqn",
                {"p=tcp", "nqn=nqn.1988-11.com.example:unique-dc"},
                true,
                "tcp",
                "nqn.1988-11.com.example:unique-dc",
                ""},
        TxtCase{"roce", {"p=roce"}, true, "rdma", wkdn.c_str(), ""},
        TxtCase{"iwarp", {"p=iwarp"}, true, "rdma", wkdn.c_str(), ""},
        TxtCase{"rdma", {"p=rdma"}, true, "rdma", wkdn.c_str(), ""},
        TxtCase{"p_case_and_blanks", {"p= RoCE "}, true, "rdma", wkdn.c_str(), ""},
        TxtCase{"upper_case_keys", {"P=TCP", "NQN=nqn.x:y"}, true, "tcp", "nqn.x:y", ""},
        TxtCase{"nqn_trimmed", {"p=tcp", "nqn=  nqn.x:y  "}, true, "tcp", "nqn.x:y", ""},
        TxtCase{"empty_nqn_is_wkdn", {"p=tcp", "nqn="}, true, "tcp", wkdn.c_str(), ""},
        TxtCase{"unknown_keys_ignored", {"x=1", "p=tcp", "y=a,b"}, true, "tcp", wkdn.c_str(), ""},
        // Duplicates: the later one wins (stas builds a dict), also across letter case.
        TxtCase{"duplicate_p_last_wins", {"p=rdma", "P=tcp"}, true, "tcp", wkdn.c_str(), ""},
        TxtCase{"duplicate_p_last_invalid", {"p=tcp", "p=fc"}, false, "", "", "invalid/undefined"},
        TxtCase{"no_p", {"nqn=nqn.x:y"}, false, "", "", "invalid/undefined protocol"},
        TxtCase{"no_txt", {}, false, "", "", "invalid/undefined protocol"},
        TxtCase{"empty_p", {"p="}, false, "", "", "invalid/undefined protocol"},
        TxtCase{"p_fc", {"p=fc"}, false, "", "", "invalid/undefined protocol"},
        TxtCase{"p_udp", {"p=udp"}, false, "", "", "invalid/undefined protocol"},
        TxtCase{"p_with_inner_blank", {"p=t cp"}, false, "", "", "invalid/undefined protocol"},
        // '=' in a value: the entry does not split into two parts and is dropped (stas).
        TxtCase{"equals_in_p", {"p=tcp=1"}, false, "", "", "invalid/undefined protocol"},
        TxtCase{"equals_in_nqn_dropped", {"p=tcp", "nqn=nqn.x:y=z"}, true, "tcp", wkdn.c_str(), ""},
        // Control characters, DEL and non-ASCII bytes: the entry is dropped.
        TxtCase{"newline_in_p", {"p=tcp\n"}, false, "", "", "invalid/undefined protocol"},
        TxtCase{"nul_in_p", {std::string("p=tcp\0x", 7)}, false, "", "", "invalid/undefined"},
        TxtCase{"del_in_nqn", {"p=tcp", "nqn=nqn.x\x7fy"}, true, "tcp", wkdn.c_str(), ""},
        TxtCase{"utf8_in_nqn", {"p=tcp", "nqn=nqn.caf\xc3\xa9:x"}, true, "tcp", wkdn.c_str(), ""},
        TxtCase{"latin1_in_p", {"p=tcp\xa0"}, false, "", "", "invalid/undefined protocol"},
        // Option injection through the NQN: commas and blanks are refused.
        TxtCase{"comma_in_nqn", {"p=tcp", "nqn=nqn.x:y,rdma"}, false, "", "", "Invalid nqn"},
        // ... and an injected "key=value" has a second '=', so the whole entry is dropped.
        TxtCase{"option_in_nqn_dropped",
                {"p=tcp", "nqn=nqn.x:y,transport=rdma"},
                true,
                "tcp",
                wkdn.c_str(),
                ""},
        TxtCase{"blank_in_nqn", {"p=tcp", "nqn=nqn.x y"}, false, "", "", "Invalid nqn"},
        TxtCase{"tab_in_nqn", {"p=tcp", "nqn=nqn.x\ty"}, true, "tcp", wkdn.c_str(), ""},
        // Lengths.
        TxtCase{"nqn_over_223", {"p=tcp", "nqn=" + long_nqn}, false, "", "", "Invalid nqn"},
        TxtCase{"entry_over_255_dropped", {"p=tcp", too_long_entry}, true, "tcp", wkdn.c_str(), ""},
        TxtCase{"too_many_entries", ManyEntriesThenP(), false, "", "", "invalid/undefined"},
        // Malformed entries.
        TxtCase{"no_equals", {"ptcp"}, false, "", "", "invalid/undefined protocol"},
        TxtCase{"empty_key", {"=tcp", "p=tcp"}, true, "tcp", wkdn.c_str(), ""},
        TxtCase{"empty_entry", {"", "p=tcp"}, true, "tcp", wkdn.c_str(), ""}),
    [](const ::testing::TestParamInfo<TxtCase>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(ZeroconfTxtTest, ReportsWhyEntriesWereDropped) {
  TxtDict d = ParseTxt({"a=1=2", "\x01p=tcp", "nqn=x\xff", "noeq", "=v", "k=1", "K=2"});
  ASSERT_EQ(d.problems.size(), 6u);
  EXPECT_NE(d.problems[0].find("more than one '='"), std::string::npos) << d.problems[0];
  EXPECT_NE(d.problems[1].find("control character"), std::string::npos) << d.problems[1];
  EXPECT_NE(d.problems[1].find("\\x01p=tcp"), std::string::npos) << d.problems[1];
  EXPECT_NE(d.problems[2].find("non-ASCII"), std::string::npos) << d.problems[2];
  EXPECT_NE(d.problems[3].find("no '='"), std::string::npos) << d.problems[3];
  EXPECT_NE(d.problems[4].find("empty key"), std::string::npos) << d.problems[4];
  EXPECT_NE(d.problems[5].find("duplicate key 'k'"), std::string::npos) << d.problems[5];
  EXPECT_EQ(d.pairs.at("k"), "2");
  EXPECT_TRUE(d.important_problem);  // "nqn=x\xff" was dropped
}

TEST(ZeroconfTxtTest, OnlyDroppedPOrNqnIsImportant) {
  EXPECT_FALSE(ParseTxt({"vendor=a=b", "p=tcp"}).important_problem);
  EXPECT_TRUE(ParseTxt({"p=tcp", "P=rdma"}).important_problem);
  EXPECT_TRUE(ParseTxt({"NQN=a=b"}).important_problem);
}

TEST(ZeroconfTxtTest, LogTextOfHostileValuesIsPrintableAndBounded) {
  std::string hostile = "x=" + std::string(200, '\x1b');
  TxtDict d = ParseTxt({hostile});
  ASSERT_EQ(d.problems.size(), 1u);
  for (char c : d.problems[0]) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(c);
  }
  EXPECT_LT(d.problems[0].size(), 400u);
}

TEST(ZeroconfTxtTest, NqnIgnoredWithoutKernelTp8013) {
  Result<ZeroconfIdentity> r = Identify({"p=tcp", "nqn=nqn.1988-11.com.example:dc"}, false);
  ASSERT_TRUE(r) << Why(r);
  EXPECT_EQ(r->subsysnqn, wkdn);
  // Not even validated: a bad nqn cannot matter when it is not used (stas ignores it).
  EXPECT_TRUE(Identify({"p=tcp", "nqn=a,b"}, false));
}

TEST(ZeroconfTxtTest, TransportFromProtocol) {
  EXPECT_EQ(TransportFromProtocol("tcp"), "tcp");
  EXPECT_EQ(TransportFromProtocol(" TCP\t"), "tcp");
  EXPECT_EQ(TransportFromProtocol("RoCE"), "rdma");
  EXPECT_EQ(TransportFromProtocol("iWARP"), "rdma");
  EXPECT_EQ(TransportFromProtocol("rdma"), "rdma");
  EXPECT_EQ(TransportFromProtocol("fc"), std::nullopt);
  EXPECT_EQ(TransportFromProtocol(""), std::nullopt);
  EXPECT_EQ(TransportFromProtocol("tcp,rdma"), std::nullopt);
}

TEST(ZeroconfTxtTest, TcpIdentityHasHostIfaceRdmaHasNone) {
  Result<ZeroconfIdentity> tcp = Identify({"p=tcp"});
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->host_iface, "eth0");
  EXPECT_EQ(tcp->traddr, "192.168.1.20");
  EXPECT_EQ(tcp->trsvcid(), "8009");
  Result<ZeroconfIdentity> rdma = Identify({"p=roce"}, true, "192.168.1.21", 4420, "ib0");
  ASSERT_TRUE(rdma);
  EXPECT_EQ(rdma->host_iface, "");
  EXPECT_EQ(rdma->trsvcid(), "4420");
}

TEST(ZeroconfTxtTest, ValidatesAddress) {
  EXPECT_TRUE(Identify({"p=tcp"}, true, "10.0.0.1"));
  EXPECT_TRUE(Identify({"p=tcp"}, true, " 10.0.0.1 "));  // stas strips it
  Result<ZeroconfIdentity> v6 = Identify({"p=tcp"}, true, "FE80:0::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->traddr, "fe80::1");
  EXPECT_EQ(v6->ip.family(), 6);
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "dc1.local", "10.0.0.1,host_traddr=x",
                          "10.0.0.1 8009", "fe80::1%eth0", "[fe80::1]", "10.0.0.1/24"}) {
    Result<ZeroconfIdentity> r = Identify({"p=tcp"}, true, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(Why(r).find("Invalid address"), std::string::npos) << Why(r);
  }
}

TEST(ZeroconfTxtTest, ValidatesPort) {
  EXPECT_TRUE(Identify({"p=tcp"}, true, "10.0.0.1", 1));
  EXPECT_TRUE(Identify({"p=tcp"}, true, "10.0.0.1", 65535));
  for (int bad : {0, -1, 65536}) {
    Result<ZeroconfIdentity> r = Identify({"p=tcp"}, true, "10.0.0.1", bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(Why(r).find("Invalid port"), std::string::npos) << Why(r);
  }
}

TEST(ZeroconfTxtTest, ValidatesInterfaceName) {
  for (const char* bad : {"", "eth0,x", "a/b", "eth 0", "0123456789abcdef", "eth0=x", "e\x01"}) {
    Result<ZeroconfIdentity> r = Identify({"p=tcp"}, true, "10.0.0.1", 8009, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(Why(r).find("Invalid interface name"), std::string::npos) << Why(r);
  }
  EXPECT_FALSE(Identify({"p=roce"}, true, "10.0.0.1", 4420, "eth0,x"));  // also for rdma
}

TEST(ZeroconfTxtTest, ErrorMessageOfInvalidProtocolNamesTheService) {
  Result<ZeroconfIdentity> r = Identify({"p=foo"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "Received invalid/undefined protocol in mDNS TXT field: address=192.168.1.20, "
            "iface=eth0, TXT={p=foo}");
}

TEST(ZeroconfTxtTest, TidFieldsAndDict) {
  Result<ZeroconfIdentity> r = Identify({"p=tcp", "nqn=nqn.x:dc"});
  ASSERT_TRUE(r);
  TidFields f = r->ToTidFields();
  EXPECT_EQ(f.transport, "tcp");
  EXPECT_EQ(f.traddr, "192.168.1.20");
  EXPECT_EQ(f.trsvcid, "8009");
  EXPECT_EQ(f.subsysnqn, "nqn.x:dc");
  EXPECT_EQ(f.host_iface, "eth0");
  EXPECT_EQ(f.host_traddr, "");
  EXPECT_FALSE(f.host_nqn.has_value());  // the daemon's host NQN applies
  using Dict = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(r->AsDict(), (Dict{{"transport", "tcp"},
                               {"traddr", "192.168.1.20"},
                               {"trsvcid", "8009"},
                               {"host-iface", "eth0"},
                               {"subsysnqn", "nqn.x:dc"}}));
}

}  // namespace
}  // namespace stas::staf
