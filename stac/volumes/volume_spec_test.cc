// SPDX-License-Identifier: Apache-2.0
#include "stac/volumes/volume_spec.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace stas::stac {
namespace {

using Dicts = std::vector<std::map<std::string, std::string>>;

const char* kSub = "nqn.2014-08.org.example:sub1";
const char* kUuid = "7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b";

Dicts OnePortal() {
  return {{{"transport", "tcp"}, {"traddr", "192.0.2.10"}, {"trsvcid", "4420"}}};
}

VariantMap GoodSpec() {
  return {{"subsysnqn", sdbus::Variant(std::string(kSub))},
          {"uuid", sdbus::Variant(std::string("7E0C1A2B-3C4D-4E5F-8A9B-0C1D2E3F4A5B"))},
          {"portals", sdbus::Variant(OnePortal())}};
}

// The error code of a refused spec, and that its message says something.
int Refused(const VariantMap& spec) {
  Result<VolumeSpec> r = ParseVolumeSpec(spec);
  if (r)
    return 0;
  EXPECT_FALSE(r.error().message.empty());
  return r.error().code;
}

TEST(ParseVolumeSpec, TypedAndNormalised) {
  Result<VolumeSpec> r = ParseVolumeSpec(GoodSpec());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->subsysnqn, kSub);
  EXPECT_EQ(r->ns.uuid, kUuid);  // lowercase
  ASSERT_EQ(r->portals.size(), 1U);
  EXPECT_EQ(r->portals[0].traddr, "192.0.2.10");
  EXPECT_EQ(r->portals[0].nqn, "");
  EXPECT_TRUE(r->discovery.empty());

  VariantMap by_ids = {
      {"nguid", sdbus::Variant(std::string("00112233-4455-6677-8899-AABBCCDDEEFF"))},
      {"eui64", sdbus::Variant(std::string("00:11:22:33:44:55:66:77"))},
      {"nsid", sdbus::Variant(uint32_t{3})},
      {"portals",
       sdbus::Variant(Dicts{
           {{"transport", "tcp"}, {"traddr", "192.0.2.10"}, {"trsvcid", "4420"}, {"nqn", kSub}}})}};
  r = ParseVolumeSpec(by_ids);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->subsysnqn, kSub);  // from the portal
  EXPECT_EQ(r->ns.nguid, "00112233445566778899aabbccddeeff");
  EXPECT_EQ(r->ns.eui64, "0011223344556677");
  EXPECT_EQ(r->ns.nsid, 3U);
  EXPECT_EQ(r->ns.ToString(),
            "nguid 00112233445566778899aabbccddeeff, eui64 0011223344556677, nsid 3");
}

// Every argument a caller can get wrong is refused as an invalid argument, with a message.
TEST(ParseVolumeSpec, RefusesBadInputAsInvalidArgument) {
  std::vector<std::pair<std::string, VariantMap>> bad;
  auto with = [](const std::string& key, sdbus::Variant v) {
    VariantMap m = GoodSpec();
    m[key] = std::move(v);
    return m;
  };
  auto without = [](const std::string& key) {
    VariantMap m = GoodSpec();
    m.erase(key);
    return m;
  };
  bad.emplace_back("empty", VariantMap{});
  bad.emplace_back("unknown key", with("colour", sdbus::Variant(std::string("blue"))));
  bad.emplace_back("uuid of wrong type", with("uuid", sdbus::Variant(uint32_t{1})));
  bad.emplace_back("uuid garbage", with("uuid", sdbus::Variant(std::string("not-a-uuid"))));
  bad.emplace_back("huge string", with("uuid", sdbus::Variant(std::string(100000, 'a'))));
  bad.emplace_back("control char", with("subsysnqn", sdbus::Variant(std::string("nqn.x\n"))));
  bad.emplace_back("non-ASCII", with("subsysnqn", sdbus::Variant(std::string("nqn.\xc3\xa9"))));
  bad.emplace_back("no namespace", without("uuid"));
  bad.emplace_back("nowhere", without("portals"));
  bad.emplace_back("nsid 0", with("nsid", sdbus::Variant(uint32_t{0})));
  bad.emplace_back("nsid broadcast", with("nsid", sdbus::Variant(uint32_t{0xffffffff})));
  bad.emplace_back("nsid as string", with("nsid", sdbus::Variant(std::string("1"))));
  bad.emplace_back("nguid short", with("nguid", sdbus::Variant(std::string("0011"))));
  bad.emplace_back("portals of wrong type", with("portals", sdbus::Variant(std::string("tcp"))));
  bad.emplace_back("no portals", with("portals", sdbus::Variant(Dicts{})));
  bad.emplace_back("too many portals", with("portals", sdbus::Variant(Dicts(17, OnePortal()[0]))));
  bad.emplace_back("repeated portal", with("portals", sdbus::Variant(Dicts(2, OnePortal()[0]))));
  bad.emplace_back("portal unknown key",
                   with("portals", sdbus::Variant(Dicts{{{"transport", "tcp"},
                                                         {"traddr", "192.0.2.10"},
                                                         {"trsvcid", "4420"},
                                                         {"colour", "blue"}}})));
  // An option pushed into the connect string through an address.
  bad.emplace_back("injected option",
                   with("portals", sdbus::Variant(Dicts{{{"transport", "tcp"},
                                                         {"traddr", "192.0.2.10,hostnqn=evil"},
                                                         {"trsvcid", "4420"}}})));
  bad.emplace_back("bad transport", with("portals", sdbus::Variant(Dicts{{{"transport", "pigeon"},
                                                                          {"traddr", "192.0.2.10"},
                                                                          {"trsvcid", "4420"}}})));
  bad.emplace_back(
      "no trsvcid",
      with("portals", sdbus::Variant(Dicts{{{"transport", "tcp"}, {"traddr", "192.0.2.10"}}})));
  bad.emplace_back("host name", with("portals", sdbus::Variant(Dicts{{{"transport", "tcp"},
                                                                      {"traddr", "target.example"},
                                                                      {"trsvcid", "4420"}}})));
  bad.emplace_back("bad port", with("portals", sdbus::Variant(Dicts{{{"transport", "tcp"},
                                                                     {"traddr", "192.0.2.10"},
                                                                     {"trsvcid", "99999"}}})));
  bad.emplace_back(
      "portal nqn differs",
      with("portals", sdbus::Variant(Dicts{{{"transport", "tcp"},
                                            {"traddr", "192.0.2.10"},
                                            {"trsvcid", "4420"},
                                            {"nqn", "nqn.2014-08.org.example:other"}}})));
  bad.emplace_back("portals without subsystem", without("subsysnqn"));
  bad.emplace_back("hostnqn garbage", with("hostnqn", sdbus::Variant(std::string("host"))));
  bad.emplace_back("hostid garbage", with("hostid", sdbus::Variant(std::string("1234"))));
  for (const auto& [what, spec] : bad)
    EXPECT_EQ(Refused(spec), EINVAL) << what;
}

TEST(ParseAttachOptions, TimeoutTunablesAndMultipath) {
  Result<AttachOptions> r = ParseAttachOptions({});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->timeout, AttachOptions::kDefaultTimeout);
  r = ParseAttachOptions({{"timeout-ms", sdbus::Variant(uint32_t{5000})},
                          {"nr-io-queues", sdbus::Variant(uint32_t{1})},
                          {"ctrl-loss-tmo", sdbus::Variant(std::string("60"))},
                          {"hdr-digest", sdbus::Variant(true)},
                          {"multipath", sdbus::Variant(true)},
                          {"persistent", sdbus::Variant(true)}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->timeout.count(), 5000);
  EXPECT_EQ(r->connect.nr_io_queues, 1);
  EXPECT_EQ(r->connect.ctrl_loss_tmo, 60);
  EXPECT_EQ(r->connect.hdr_digest, true);
  EXPECT_EQ(r->multipath, true);
  EXPECT_TRUE(r->persistent);

  for (const VariantMap& bad :
       std::vector<VariantMap>{{{"timeout-ms", sdbus::Variant(uint32_t{0})}},
                               {{"timeout-ms", sdbus::Variant(uint32_t{600001})}},
                               {{"timeout-ms", sdbus::Variant(std::string("5"))}},
                               {{"nr-io-queues", sdbus::Variant(std::string("many"))}},
                               {{"nr-io-queues", sdbus::Variant(1.5)}},
                               {{"multipath", sdbus::Variant(uint32_t{1})}},
                               {{"persistent", sdbus::Variant(std::string("yes"))}},
                               {{"dhchap-secret", sdbus::Variant(std::string("DHHC-1:00:x:"))}},
                               {{"colour", sdbus::Variant(std::string("blue"))}}}) {
    Result<AttachOptions> o = ParseAttachOptions(bad);
    ASSERT_FALSE(o) << bad.begin()->first;
    EXPECT_EQ(o.error().code, EINVAL);
  }
}

TEST(CheckVolumeId, PrintableBoundedNoBlanks) {
  EXPECT_TRUE(CheckVolumeId("pvc-7e0c1a2b"));
  EXPECT_TRUE(CheckVolumeId(std::string(256, 'v')));
  for (const std::string& bad : {std::string(), std::string(257, 'v'), std::string("a b"),
                                 std::string("a\tb"), std::string("\xc3\xa9")}) {
    EXPECT_EQ(CheckVolumeId(bad).error().code, EINVAL) << bad;
  }
  EXPECT_TRUE(CheckDetachOptions({}));
  EXPECT_EQ(CheckDetachOptions({{"force", sdbus::Variant(true)}}).error().code, EINVAL);
}

TEST(VolumeErrorName, OneNamePerKind) {
  EXPECT_EQ(VolumeErrorName(EINVAL), "org.nvmexpress.stac.Volumes1.Error.InvalidArgument");
  EXPECT_EQ(VolumeErrorName(ENOENT), "org.nvmexpress.stac.Volumes1.Error.NotFound");
  EXPECT_EQ(VolumeErrorName(ETIMEDOUT), "org.nvmexpress.stac.Volumes1.Error.Timeout");
  EXPECT_EQ(VolumeErrorName(EEXIST), "org.nvmexpress.stac.Volumes1.Error.Mismatch");
  EXPECT_EQ(VolumeErrorName(EACCES), "org.nvmexpress.stac.Volumes1.Error.Excluded");
  EXPECT_EQ(VolumeErrorName(ENOTSUP), "org.nvmexpress.stac.Volumes1.Error.Unsupported");
  EXPECT_EQ(VolumeErrorName(EIO), "org.nvmexpress.stac.Volumes1.Error.Failed");
}

}  // namespace
}  // namespace stas::stac
