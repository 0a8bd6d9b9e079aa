// SPDX-License-Identifier: Apache-2.0
#include "common/tid.h"

#include <map>
#include <unordered_set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/defs.h"

namespace stas {
namespace {

constexpr const char* kTidHostNqn = "nqn.2014-08.org.nvmexpress:uuid:host";

TidDefaults Defaults() {
  return {.ignore_iface = false, .host_nqn = kTidHostNqn};
}

TEST(TidTest, KeepsGivenFields) {
  Tid tid = Tid::Make({.transport = "tcp",
                       .traddr = "192.168.1.10",
                       .trsvcid = "4420",
                       .subsysnqn = "nqn.io",
                       .host_traddr = "192.168.1.5",
                       .host_iface = "eth0",
                       .host_nqn = "nqn.other-host"},
                      Defaults());
  EXPECT_EQ(tid.transport(), "tcp");
  EXPECT_EQ(tid.traddr(), "192.168.1.10");
  EXPECT_EQ(tid.trsvcid(), "4420");
  EXPECT_EQ(tid.subsysnqn(), "nqn.io");
  EXPECT_EQ(tid.host_traddr(), "192.168.1.5");
  EXPECT_EQ(tid.host_iface(), "eth0");
  EXPECT_EQ(tid.host_nqn(), "nqn.other-host");
}

TEST(TidTest, TcpDefaultsToDiscoveryPortEvenForIoControllers) {
  Tid tid =
      Tid::Make({.transport = "tcp", .traddr = "10.0.0.1", .subsysnqn = "nqn.io"}, Defaults());
  EXPECT_EQ(tid.trsvcid(), "8009");
}

TEST(TidTest, RdmaDefaultsTo4420) {
  Tid tid = Tid::Make({.transport = "rdma", .traddr = "10.0.0.1"}, Defaults());
  EXPECT_EQ(tid.trsvcid(), "4420");
  Tid given = Tid::Make({.transport = "rdma", .traddr = "10.0.0.1", .trsvcid = "4421"}, Defaults());
  EXPECT_EQ(given.trsvcid(), "4421");
}

TEST(TidTest, OtherTransportsDropTrsvcid) {
  for (const char* transport : {"fc", "loop", "TCP", ""}) {
    Tid tid = Tid::Make({.transport = transport, .traddr = "x", .trsvcid = "4420"}, Defaults());
    EXPECT_EQ(tid.trsvcid(), "") << transport;
  }
}

TEST(TidTest, IgnoreIfaceClearsHostIface) {
  TidFields fields{.transport = "tcp", .traddr = "10.0.0.1", .host_iface = "eth0"};
  EXPECT_EQ(Tid::Make(fields, Defaults()).host_iface(), "eth0");
  TidDefaults ignore = Defaults();
  ignore.ignore_iface = true;
  EXPECT_EQ(Tid::Make(fields, ignore).host_iface(), "");
}

TEST(TidTest, HostNqnFallsBackOnlyWhenAbsent) {
  TidFields fields{.transport = "tcp", .traddr = "10.0.0.1"};
  EXPECT_EQ(Tid::Make(fields, Defaults()).host_nqn(), kTidHostNqn);
  fields.host_nqn = "";
  EXPECT_EQ(Tid::Make(fields, Defaults()).host_nqn(), "");
}

TEST(TidTest, EqualityIsExactOnEveryField) {
  TidFields base{.transport = "tcp",
                 .traddr = "10.0.0.1",
                 .trsvcid = "8009",
                 .subsysnqn = kWellKnownDiscoveryNqn,
                 .host_traddr = "10.0.0.5",
                 .host_iface = "eth1",
                 .host_nqn = "nqn.h"};
  Tid a = Tid::Make(base, Defaults());
  EXPECT_EQ(a, Tid::Make(base, Defaults()));
  std::vector<TidFields> variants(7, base);
  variants[0].transport = "rdma";
  variants[1].traddr = "10.0.0.2";
  variants[2].trsvcid = "8010";
  variants[3].subsysnqn = "nqn.unique";
  variants[4].host_traddr = "10.0.0.6";
  variants[5].host_iface = "eth0";
  variants[6].host_nqn = "nqn.H";
  for (size_t i = 0; i < variants.size(); ++i) {
    EXPECT_NE(a, Tid::Make(variants[i], Defaults())) << "field " << i;
  }
  // No address normalisation: identity is the text.
  base.traddr = "::ffff:10.0.0.1";
  EXPECT_NE(a, Tid::Make(base, Defaults()));
}

TEST(TidTest, EmptyTrsvcidEqualsExplicitDefault) {
  Tid implicit = Tid::Make({.transport = "tcp", .traddr = "10.0.0.1"}, Defaults());
  Tid explicit_port =
      Tid::Make({.transport = "tcp", .traddr = "10.0.0.1", .trsvcid = "8009"}, Defaults());
  EXPECT_EQ(implicit, explicit_port);
  EXPECT_EQ(implicit.StableHash(), explicit_port.StableHash());
}

TEST(TidTest, StableHashHasFixedValues) {
  // Golden values: FNV-1a 64 computed independently. A change here breaks persisted keys.
  Tid tid = Tid::Make({.transport = "tcp",
                       .traddr = "192.168.1.10",
                       .subsysnqn = kWellKnownDiscoveryNqn,
                       .host_iface = "eth0",
                       .host_nqn = "nqn.host"},
                      Defaults());
  EXPECT_EQ(tid.StableHash(), 0x564f4474c9db7c44ULL);
  EXPECT_EQ(Tid().StableHash(), 0x778b1a14b6876aa7ULL);
  EXPECT_EQ(std::hash<Tid>{}(tid), static_cast<size_t>(0x564f4474c9db7c44ULL));
}

TEST(TidTest, StableHashSeparatesFields) {
  Tid ab = Tid::Make({.transport = "fc", .traddr = "ab", .subsysnqn = "c"}, Defaults());
  Tid a = Tid::Make({.transport = "fc", .traddr = "a", .subsysnqn = "bc"}, Defaults());
  EXPECT_NE(ab, a);
  EXPECT_NE(ab.StableHash(), a.StableHash());
}

TEST(TidTest, WorksAsUnorderedAndOrderedKey) {
  Tid one = Tid::Make({.transport = "tcp", .traddr = "10.0.0.1"}, Defaults());
  Tid two = Tid::Make({.transport = "tcp", .traddr = "10.0.0.2"}, Defaults());
  std::unordered_set<Tid> set{one, two, one};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_TRUE(one < two);
  EXPECT_FALSE(two < one);
  EXPECT_FALSE(one < one);
  std::map<Tid, int> map{{two, 2}, {one, 1}};
  EXPECT_EQ(map.begin()->first, one);
}

TEST(TidTest, ToStringShowsOptionalPartsOnlyWhenSet) {
  Tid bare = Tid::Make({.transport = "tcp", .traddr = "10.0.0.1"}, Defaults());
  EXPECT_EQ(bare.ToString(), "(tcp, 10.0.0.1, 8009)");
  Tid full = Tid::Make({.transport = "tcp",
                        .traddr = "10.0.0.1",
                        .trsvcid = "4420",
                        .subsysnqn = "nqn.io",
                        .host_traddr = "10.0.0.5",
                        .host_iface = "eth1"},
                       Defaults());
  EXPECT_EQ(full.ToString(), "(tcp, 10.0.0.1, 4420, nqn.io, eth1, 10.0.0.5)");
  Tid fc = Tid::Make({.transport = "fc", .traddr = "nn-0x1:pn-0x2", .host_traddr = "nn-0x3:pn-0x4"},
                     Defaults());
  EXPECT_EQ(fc.ToString(), "(fc, nn-0x1:pn-0x2, , nn-0x3:pn-0x4)");
}

TEST(TidTest, CoreFieldsInDbusOrder) {
  Tid tid = Tid::Make({.transport = "tcp",
                       .traddr = "10.0.0.1",
                       .subsysnqn = "nqn.io",
                       .host_traddr = "10.0.0.5",
                       .host_iface = "eth1"},
                      Defaults());
  using Fields = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(tid.CoreFields(), (Fields{{"traddr", "10.0.0.1"},
                                      {"trsvcid", "8009"},
                                      {"transport", "tcp"},
                                      {"subsysnqn", "nqn.io"},
                                      {"host-iface", "eth1"},
                                      {"host-traddr", "10.0.0.5"},
                                      {"host-nqn", kTidHostNqn}}));
}

TEST(TidTest, FieldLooksUpDashedKeys) {
  Tid tid = Tid::Make({.transport = "tcp",
                       .traddr = "10.0.0.1",
                       .subsysnqn = "nqn.io",
                       .host_traddr = "10.0.0.5",
                       .host_iface = "eth1"},
                      Defaults());
  EXPECT_EQ(tid.Field("transport"), "tcp");
  EXPECT_EQ(tid.Field("traddr"), "10.0.0.1");
  EXPECT_EQ(tid.Field("trsvcid"), "8009");
  EXPECT_EQ(tid.Field("subsysnqn"), "nqn.io");
  EXPECT_EQ(tid.Field("host-traddr"), "10.0.0.5");
  EXPECT_EQ(tid.Field("host-iface"), "eth1");
  EXPECT_EQ(tid.Field("host-nqn"), kTidHostNqn);
  EXPECT_EQ(tid.Field("host_iface"), std::nullopt);  // underscore spelling is not a key
  EXPECT_EQ(tid.Field("nqn"), std::nullopt);
  EXPECT_EQ(tid.Field(""), std::nullopt);
}

TEST(TidFieldsFromDictTest, ReadsTheDashedKeysAndTakesMissingAsEmpty) {
  Tid tid = Tid::Make({.transport = "tcp",
                       .traddr = "10.0.0.1",
                       .subsysnqn = "nqn.io",
                       .host_traddr = "10.0.0.5",
                       .host_iface = "eth1"},
                      Defaults());
  std::vector<std::pair<std::string, std::string>> core = tid.CoreFields();
  std::map<std::string, std::string> dict(core.begin(), core.end());
  dict["device"] = "nvme3";  // other keys of the dict are ignored
  EXPECT_EQ(Tid::Make(TidFieldsFromDict(dict), {}), tid);
  TidFields none = TidFieldsFromDict({});
  EXPECT_EQ(none.transport, "");
  EXPECT_EQ(none.host_iface, "");
  EXPECT_EQ(none.host_nqn, std::optional<std::string>(""));
}

using ::testing::HasSubstr;
using ::testing::Optional;

TEST(CheckTidFieldsTest, AcceptsWhatTheDaemonsWrite) {
  EXPECT_FALSE(CheckTidFields({.transport = "tcp",
                               .traddr = "192.0.2.1",
                               .trsvcid = "4420",
                               .subsysnqn = "nqn.2014-08.org.example:sub1",
                               .host_traddr = "fe80::1",
                               .host_iface = "eth0",
                               .host_nqn = "nqn.2014-08.org.nvmexpress:uuid:x"}));
  EXPECT_FALSE(CheckTidFields({.transport = "tcp", .traddr = "dc.example", .subsysnqn = "nqn.d"}));
  EXPECT_FALSE(CheckTidFields({.transport = "loop", .subsysnqn = "nqn.d", .host_nqn = ""}));
  EXPECT_FALSE(CheckTidFields({.transport = "fc",
                               .traddr = "nn-0x1000000044001123:pn-0x2000000055001123",
                               .subsysnqn = "nqn.d"}));
}

TEST(CheckTidFieldsTest, RefusesWhatCouldAddAnOptionOrMisdirectAConnect) {
  const TidFields ok{
      .transport = "tcp", .traddr = "192.0.2.1", .trsvcid = "4420", .subsysnqn = "nqn.d"};
  auto with = [&ok](auto edit) {
    TidFields f = ok;
    edit(f);
    return CheckTidFields(f);
  };
  EXPECT_THAT(with([](TidFields& f) { f.transport = "tcp,x"; }), Optional(HasSubstr("transport")));
  EXPECT_THAT(with([](TidFields& f) { f.traddr = "1.2.3.4,hostnqn=nqn.evil"; }),
              Optional(HasSubstr("traddr '1.2.3.4,hostnqn=nqn.evil'")));
  EXPECT_THAT(with([](TidFields& f) { f.traddr = "[::1]"; }), Optional(HasSubstr("in brackets")));
  EXPECT_THAT(with([](TidFields& f) { f.trsvcid = "04420"; }), Optional(HasSubstr("leading zero")));
  EXPECT_THAT(with([](TidFields& f) { f.subsysnqn = "nqn.a\nhostnqn=x"; }),
              Optional(HasSubstr("subsysnqn")));
  EXPECT_THAT(with([](TidFields& f) { f.host_traddr = "a b"; }),
              Optional(HasSubstr("host-traddr")));
  EXPECT_THAT(with([](TidFields& f) { f.host_iface = "eth0,x"; }),
              Optional(HasSubstr("host-iface")));
  EXPECT_THAT(with([](TidFields& f) { f.host_nqn = "nqn.h,x=y"; }),
              Optional(HasSubstr("host-nqn")));
  EXPECT_THAT(with([](TidFields& f) { f.host_nqn = "uuid:no-prefix"; }),
              Optional(HasSubstr("host-nqn")));
}

}  // namespace
}  // namespace stas
