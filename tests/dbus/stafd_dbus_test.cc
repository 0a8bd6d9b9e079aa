// SPDX-License-Identifier: Apache-2.0
// stafd's D-Bus API and stafctl (docs/compatibility.md, "D-Bus API", "Command-line tools"),
// tested the way users reach them:
// busctl, gdbus, stafctl and an sdbus-c++ client, against stafd-sim on a private bus.
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <signal.h>
#include <sstream>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/config/host_identity.h"
#include "common/defs.h"
#include "tests/dbus/dbus_fixture.h"
#include "tests/dbus/dbus_test_util.h"

namespace stas::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string>& IdKeys() {
  static const std::vector<std::string> keys = {"traddr",    "trsvcid",    "transport",
                                                "subsysnqn", "host-iface", "host-traddr",
                                                "host-nqn",  "device"};
  return keys;
}
const std::vector<std::string>& DlpeKeys() {
  static const std::vector<std::string> keys = {"trtype", "adrfam",  "traddr", "trsvcid",
                                                "subnqn", "subtype", "treq",   "portid",
                                                "cntlid", "asqsz",   "eflags"};
  return keys;
}
const std::vector<std::string>& SysfsKeys() {
  static const std::vector<std::string> keys = {"hostid", "hostnqn",   "model",    "serial",
                                                "dctype", "cntrltype", "connected"};
  return keys;
}
const std::vector<std::string>& ProcessInfoKeys() {
  static const std::vector<std::string> keys = {"tron",
                                                "log-level",
                                                "hostnqn",
                                                "hostid",
                                                "hostkey",
                                                "symname",
                                                "last known config file",
                                                "config soak timer",
                                                "kernel support.TP8013",
                                                "kernel support.host_iface",
                                                "kernel support.DH-HMAC-CHAP",
                                                "kernel support.TLS",
                                                "kernel support.options"};
  return keys;
}

constexpr const char* kStafIface = "org.nvmexpress.staf";
constexpr const char* kDebugIface = "org.nvmexpress.staf.debug";
// busctl's "<service> <object>" arguments.
std::string Obj() {
  return std::string(kStafdBusName) + " " + kStafdObjectPath;
}

TEST_F(StafdDbusTest, IntrospectionListsExactlyTheApi) {
  ProgramOutput r = Busctl("introspect " + Obj());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto api = Introspection(r.out);
  EXPECT_TRUE(api.count("org.freedesktop.DBus.Introspectable"));
  EXPECT_TRUE(api.count("org.freedesktop.DBus.Properties"));
  EXPECT_TRUE(api.count("org.freedesktop.DBus.Peer"));

  const auto& staf = api[kStafIface];
  ASSERT_EQ(staf.size(), 5u) << r.out;
  EXPECT_THAT(staf.at("get_all_log_pages"),
              ElementsAreArray({".get_all_log_pages", "method", "b", "s", "-"}));
  EXPECT_THAT(staf.at("get_log_pages"),
              ElementsAreArray({".get_log_pages", "method", "sssssss", "aa{ss}", "-"}));
  EXPECT_THAT(staf.at("list_controllers"),
              ElementsAreArray({".list_controllers", "method", "b", "aa{ss}", "-"}));
  EXPECT_THAT(staf.at("dc_removed"), ElementsAreArray({".dc_removed", "signal", "-", "-", "-"}));
  EXPECT_THAT(staf.at("log_pages_changed"),
              ElementsAreArray({".log_pages_changed", "signal", "ssssssss", "-", "-"}));

  const auto& debug = api[kDebugIface];
  ASSERT_EQ(debug.size(), 4u) << r.out;
  EXPECT_THAT(debug.at("controller_info"),
              ElementsAreArray({".controller_info", "method", "sssssss", "s", "-"}));
  EXPECT_THAT(debug.at("process_info"),
              ElementsAreArray({".process_info", "method", "-", "s", "-"}));
  const auto& log_level = debug.at("log_level");
  ASSERT_GE(log_level.size(), 4u);
  EXPECT_EQ(log_level[1], "property");
  EXPECT_EQ(log_level[2], "s");
  EXPECT_EQ(log_level[3], "\"INFO\"");
  EXPECT_THAT(log_level, Not(::testing::Contains("writable")));
  const auto& tron = debug.at("tron");
  ASSERT_GE(tron.size(), 5u);
  EXPECT_EQ(tron[1], "property");
  EXPECT_EQ(tron[2], "b");
  EXPECT_EQ(tron[3], "false");
  EXPECT_THAT(tron, ::testing::Contains("writable"));

  // Ours, beside the nvme-stas API.
  const auto& discovery = api[kStafdDiscoveryInterface];
  ASSERT_EQ(discovery.size(), 2u) << r.out;
  EXPECT_THAT(discovery.at("SetVolumeDiscoveryControllers"),
              ElementsAreArray({".SetVolumeDiscoveryControllers", "method", "aa{ss}", "-", "-"}));
  const auto& done = discovery.at("InitialDiscoveryDone");
  ASSERT_GE(done.size(), 5u);
  EXPECT_EQ(done[1], "property");
  EXPECT_EQ(done[2], "b");
  EXPECT_THAT(done, ::testing::Contains("emits-change"));
  EXPECT_THAT(done, Not(::testing::Contains("writable")));
}

// #14: stafd says when it has read its DCs (stacd waits for it, not for a fixed 10 s): the
// property, and PropertiesChanged when it becomes true after a restart.
TEST_F(StafdDbusTest, InitialDiscoveryDoneBecomesTrueWithPropertiesChanged) {
  const std::string get =
      "get-property " + Obj() + " " + kStafdDiscoveryInterface + " InitialDiscoveryDone";
  ASSERT_TRUE(WaitUntil([&] { return Busctl(get).out == "b true\n"; }, milliseconds(10000)))
      << Busctl(get).out << Busctl(get).err;
  ASSERT_EQ(StopStafd(), 0);
  auto conn = sdbus::createSessionBusConnectionWithAddress(bus_address());
  auto proxy = sdbus::createProxy(*conn, kStafdBusName, kStafdObjectPath);
  std::vector<bool> changes;
  proxy->uponSignal("PropertiesChanged")
      .onInterface("org.freedesktop.DBus.Properties")
      .call([&](const std::string& iface, const std::map<std::string, sdbus::Variant>& changed,
                const std::vector<std::string>&) {
        auto it = changed.find("InitialDiscoveryDone");
        if (iface == kStafdDiscoveryInterface && it != changed.end())
          changes.push_back(it->second.get<bool>());
      });
  proxy->finishRegistration();
  ASSERT_TRUE(RestartStafd()) << LogText();
  ASSERT_TRUE(PumpUntil(
      *conn, [&] { return !changes.empty(); }, milliseconds(10000)))
      << "no PropertiesChanged within 10 s";
  EXPECT_EQ(changes, std::vector<bool>{true});
  EXPECT_EQ(Busctl(get).out, "b true\n");
  EXPECT_THAT(LogText(), HasSubstr("Initial discovery done: 1 discovery controllers read"));
}

// #15: the DCs stacd's volumes need; every dict is checked as a controller= entry, and a bad
// one changes nothing.
TEST_F(StafdDbusTest, SetVolumeDiscoveryControllersChecksEveryDcAndShowsConnectVolumes) {
  const std::string set =
      "call " + Obj() + " " + kStafdDiscoveryInterface + " SetVolumeDiscoveryControllers aa{ss} ";
  for (const char* bad :
       {"1 3 transport tcp traddr 192.0.2.99,hostnqn=x trsvcid 8009",
        "1 2 transport tcp traddr dc.example", "1 3 transport tcp traddr 192.0.2.99 colour blue",
        "1 3 transport tcp traddr 192.0.2.99 trsvcid 80a9",
        "1 4 transport tcp traddr 192.0.2.99 trsvcid 8009 nqn nqn.a,b"}) {
    ProgramOutput r = Busctl(set + bad);
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_THAT(r.err, HasSubstr("controllers[0]: ")) << bad << ": " << r.err;
  }
  // The error's name (busctl prints only its message).
  ProgramOutput named =
      GdbusCall(std::string(kStafdDiscoveryInterface) + ".SetVolumeDiscoveryControllers",
                "\"[{'transport': 'tcp', 'traddr': '192.0.2.99', 'x': 'y'}]\"");
  EXPECT_THAT(named.err, HasSubstr("org.nvmexpress.staf.Error.InvalidArgs")) << named.err;
  auto traddrs = [this] {
    std::vector<std::string> out;
    const json dcs = GdbusData(GdbusCall("org.nvmexpress.staf.list_controllers", "false"));
    for (const json& dc : dcs.at(0))
      out.push_back(dc["traddr"].get<std::string>() + " " + dc.value("connect", "-"));
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(traddrs(), std::vector<std::string>{std::string(kDcTraddr) + " -"});
  ProgramOutput r = Busctl(set + "1 3 transport tcp traddr 192.0.2.99 trsvcid 8009");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> held = {std::string(kDcTraddr) + " -", "192.0.2.99 volumes"};
  EXPECT_TRUE(WaitUntil([&] { return traddrs() == held; }, milliseconds(5000)))
      << ::testing::PrintToString(traddrs());
  r = Busctl(set + "0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(WaitUntil(
      [&] { return traddrs() == std::vector<std::string>{std::string(kDcTraddr) + " -"}; },
      milliseconds(5000)))
      << ::testing::PrintToString(traddrs());
}

TEST_F(StafdDbusTest, ListControllersWithBusctlAndGdbus) {
  json by_busctl = BusctlData(
      Busctl("--json=short call " + Obj() + " " + kStafIface + " list_controllers b false"));
  json by_gdbus = GdbusData(GdbusCall("org.nvmexpress.staf.list_controllers", "false"));
  ASSERT_EQ(by_busctl.size(), 1u);
  ASSERT_EQ(by_gdbus.size(), 1u);
  EXPECT_EQ(Unordered(by_busctl[0]), Unordered(by_gdbus[0]));
  ASSERT_EQ(by_gdbus[0].size(), 1u);  // one DC
  const json& dc = by_gdbus[0][0];
  EXPECT_EQ(KeySet(dc), SetOf(IdKeys()));
  EXPECT_EQ(dc["transport"], "tcp");
  EXPECT_EQ(dc["traddr"], kDcTraddr);
  EXPECT_EQ(dc["trsvcid"], "8009");
  EXPECT_EQ(dc["subsysnqn"], kWellKnownDiscoveryNqn);
  EXPECT_EQ(dc["host-traddr"], "");
  EXPECT_EQ(dc["host-iface"], "");
  EXPECT_EQ(dc["host-nqn"], kTestHostNqn);
  EXPECT_THAT(dc["device"].get<std::string>(), ::testing::MatchesRegex("nvme[0-9]+"));
  EXPECT_EQ(Unordered(by_gdbus[0]), Unordered(DictListToJson(staf().list_controllers(false))));

  json detailed_busctl = BusctlData(
      Busctl("--json=short call " + Obj() + " " + kStafIface + " list_controllers b true"));
  json detailed = GdbusData(GdbusCall("org.nvmexpress.staf.list_controllers", "true"));
  ASSERT_EQ(detailed.size(), 1u);
  ASSERT_EQ(detailed[0].size(), 1u);
  EXPECT_EQ(Unordered(detailed_busctl), Unordered(detailed));
  const json& d = detailed[0][0];
  for (const std::string& key : IdKeys())
    EXPECT_EQ(d[key], dc[key]) << key;
  for (const char* key : {"connect attempts", "retry connect timer", "origin"}) {
    EXPECT_TRUE(d.contains(key)) << key;
  }
  for (const std::string& key : SysfsKeys())
    EXPECT_TRUE(d.contains(key)) << key;
  EXPECT_EQ(d["origin"], "configured");
  EXPECT_EQ(d["connected"], "True");
  EXPECT_EQ(d["hostnqn"], kTestHostNqn);
  EXPECT_EQ(d["hostid"], kTestHostId);
  for (const auto& [k, v] : d.items())
    EXPECT_TRUE(v.is_string()) << k;
}

TEST_F(StafdDbusTest, GetLogPagesWithBusctlAndGdbus) {
  std::vector<std::string> id = DcId();
  json by_busctl = BusctlData(Busctl("--json=short call " + Obj() + " " + kStafIface +
                                     " get_log_pages " + BusctlArgs7(id)));
  json by_gdbus = GdbusData(GdbusCall("org.nvmexpress.staf.get_log_pages", Args7(id)));
  ASSERT_EQ(by_gdbus.size(), 1u);
  ASSERT_EQ(by_busctl.size(), 1u);
  EXPECT_EQ(Unordered(by_busctl), Unordered(by_gdbus));
  const json& pages = by_gdbus[0];
  ASSERT_EQ(pages.size(), 2u);
  for (const json& e : pages)
    EXPECT_EQ(KeySet(e), SetOf(DlpeKeys()));
  // The simulated port serves them in scenario order.
  EXPECT_EQ(pages[0]["trtype"], "tcp");
  EXPECT_EQ(pages[0]["adrfam"], "ipv4");
  EXPECT_EQ(pages[0]["traddr"], "192.0.2.20");
  EXPECT_EQ(pages[0]["trsvcid"], "4420");
  EXPECT_EQ(pages[0]["subnqn"], "nqn.2014-08.io.example:subsys1");
  EXPECT_EQ(pages[0]["subtype"], "nvme");
  EXPECT_EQ(pages[0]["eflags"], "0");
  EXPECT_EQ(pages[1]["traddr"], "192.0.2.21");
  EXPECT_EQ(pages[1]["trsvcid"], "4421");
  EXPECT_EQ(pages[1]["subnqn"], "nqn.2014-08.io.example:subsys2");

  // An empty trsvcid is the tcp default 8009 (docs/compatibility.md, "Controller lookup on
  // D-Bus").
  std::vector<std::string> no_port = id;
  no_port[2] = "";
  EXPECT_EQ(staf()
                .get_log_pages(no_port[0], no_port[1], no_port[2], no_port[3], no_port[4],
                               no_port[5], no_port[6])
                .size(),
            2u);
}

TEST_F(StafdDbusTest, GetAllLogPagesKeepsKeyOrder) {
  json by_busctl = BusctlData(
      Busctl("--json=short call " + Obj() + " " + kStafIface + " get_all_log_pages b false"));
  json by_gdbus = GdbusData(GdbusCall("org.nvmexpress.staf.get_all_log_pages", "false"));
  ASSERT_EQ(by_busctl.size(), 1u);
  ASSERT_EQ(by_gdbus.size(), 1u);
  EXPECT_EQ(by_busctl[0], by_gdbus[0]);
  json all = json::parse(by_gdbus[0].get<std::string>());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_THAT(Keys(all[0]), ElementsAreArray({"discovery-controller", "log-pages"}));
  // A JSON string keeps the daemon's insertion order: TID.as_dict() then device
  // (docs/compatibility.md, "Controller identity dicts").
  EXPECT_THAT(Keys(all[0]["discovery-controller"]), ElementsAreArray(IdKeys()));
  EXPECT_EQ(all[0]["discovery-controller"]["host-nqn"], kTestHostNqn);
  ASSERT_EQ(all[0]["log-pages"].size(), 2u);
  for (const json& e : all[0]["log-pages"])
    EXPECT_THAT(Keys(e), ElementsAreArray(DlpeKeys()));
  EXPECT_EQ(all[0]["log-pages"][1]["traddr"], "192.0.2.21");

  json detailed = json::parse(staf().get_all_log_pages(true));
  ASSERT_EQ(detailed.size(), 1u);
  std::vector<std::string> keys = Keys(detailed[0]["discovery-controller"]);
  ASSERT_GT(keys.size(), IdKeys().size() + SysfsKeys().size() + 1);
  EXPECT_EQ(std::vector<std::string>(keys.begin(), keys.begin() + 8), IdKeys());
  // Then, after nvme-stas's keys, the owner in the ownership registry (ours).
  EXPECT_EQ(std::vector<std::string>(keys.end() - 8, keys.end() - 1), SysfsKeys());
  EXPECT_EQ(keys.back(), "owner");
  EXPECT_EQ(keys[8], "connect attempts");
  EXPECT_EQ(keys[9], "retry connect timer");
}

TEST_F(StafdDbusTest, ControllerInfoWithBusctlAndGdbus) {
  std::vector<std::string> id = DcId();
  json by_busctl = BusctlData(Busctl("--json=short call " + Obj() + " " + kDebugIface +
                                     " controller_info " + BusctlArgs7(id)));
  json by_gdbus = GdbusData(GdbusCall("org.nvmexpress.staf.debug.controller_info", Args7(id)));
  ASSERT_EQ(by_gdbus.size(), 1u);
  ASSERT_EQ(by_busctl.size(), 1u);
  json info = json::parse(by_gdbus[0].get<std::string>());
  json info2 = json::parse(by_busctl[0].get<std::string>());
  EXPECT_EQ(Keys(info), Keys(info2));
  std::vector<std::string> keys = Keys(info);
  ASSERT_GE(keys.size(), 11u);
  EXPECT_EQ(std::vector<std::string>(keys.begin(), keys.begin() + 8), IdKeys());
  EXPECT_EQ(keys[8], "connect attempts");
  EXPECT_EQ(keys[9], "retry connect timer");
  EXPECT_TRUE(info.contains("origin"));
  EXPECT_EQ(info["origin"], "configured");
  EXPECT_EQ(info["traddr"], kDcTraddr);
  EXPECT_EQ(info["host-nqn"], kTestHostNqn);
  for (const auto& [k, v] : info.items())
    EXPECT_TRUE(v.is_string()) << k;
  for (const std::string& key : SysfsKeys())
    EXPECT_FALSE(info.contains(key)) << key;
}

TEST_F(StafdDbusTest, UnknownControllerGivesEmptyResults) {
  std::vector<std::string> id = DcId();
  id[1] = "192.0.2.99";
  json pages = GdbusData(GdbusCall("org.nvmexpress.staf.get_log_pages", Args7(id)));
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(pages[0], json::array());
  json pages2 = BusctlData(Busctl("--json=short call " + Obj() + " " + kStafIface +
                                  " get_log_pages " + BusctlArgs7(id)));
  EXPECT_EQ(pages2, json::array({json::array()}));
  json info = GdbusData(GdbusCall("org.nvmexpress.staf.debug.controller_info", Args7(id)));
  EXPECT_EQ(info, json::array({"{}"}));
  json info2 = BusctlData(Busctl("--json=short call " + Obj() + " " + kDebugIface +
                                 " controller_info " + BusctlArgs7(id)));
  EXPECT_EQ(info2, json::array({"{}"}));
}

TEST_F(StafdDbusTest, EmptyHostNqnDoesNotMatch) {
  std::vector<std::string> id = DcId();
  ASSERT_EQ(id[6], kTestHostNqn);
  id[6] = "";  // taken verbatim, no fallback to the sys.conf host NQN (as nvme-stas)
  EXPECT_TRUE(staf().get_log_pages(id[0], id[1], id[2], id[3], id[4], id[5], id[6]).empty());
  EXPECT_EQ(staf().controller_info(id[0], id[1], id[2], id[3], id[4], id[5], id[6]), "{}");
  json by_gdbus = GdbusData(GdbusCall("org.nvmexpress.staf.get_log_pages", Args7(id)));
  EXPECT_EQ(by_gdbus, json::array({json::array()}));
}

// nvme-stas looks an unknown transport up like any other identity and finds nothing: an empty
// answer, not an error.
TEST_F(StafdDbusTest, UnknownTransportFindsNothing) {
  std::vector<std::string> id = DcId();
  id[0] = "xyz";
  json by_gdbus = GdbusData(GdbusCall("org.nvmexpress.staf.get_log_pages", Args7(id)));
  EXPECT_EQ(by_gdbus, json::array({json::array()}));
  EXPECT_TRUE(staf().get_log_pages(id[0], id[1], id[2], id[3], id[4], id[5], id[6]).empty());
  EXPECT_EQ(staf().controller_info(id[0], id[1], id[2], id[3], id[4], id[5], id[6]), "{}");
  ProgramOutput b =
      Busctl("call " + Obj() + " " + kDebugIface + " controller_info " + BusctlArgs7(id));
  EXPECT_EQ(b.exit_code, 0) << b.err;
  EXPECT_THAT(b.out, HasSubstr("\"{}\""));
  // Text that is not printable ASCII is still refused.
  id[0] = "tcp\x01";
  try {
    (void)staf().get_log_pages(id[0], id[1], id[2], id[3], id[4], id[5], id[6]);
    ADD_FAILURE() << "no error for a control character";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.nvmexpress.staf.Error.InvalidArgs");
  }
  EXPECT_EQ(staf().list_controllers(false).size(), 1u);
}

TEST_F(StafdDbusTest, ProcessInfoWithBusctlAndGdbus) {
  json by_busctl =
      BusctlData(Busctl("--json=short call " + Obj() + " " + kDebugIface + " process_info"));
  json by_gdbus = GdbusData(GdbusCall("org.nvmexpress.staf.debug.process_info", ""));
  ASSERT_EQ(by_busctl.size(), 1u);
  ASSERT_EQ(by_gdbus.size(), 1u);
  json info = json::parse(by_gdbus[0].get<std::string>());
  json info2 = json::parse(by_busctl[0].get<std::string>());
  EXPECT_EQ(Keys(info), Keys(info2));
  std::vector<std::string> keys = Keys(info);
  ASSERT_GE(keys.size(), ProcessInfoKeys().size());
  EXPECT_EQ(std::vector<std::string>(keys.begin(), keys.begin() + ProcessInfoKeys().size()),
            ProcessInfoKeys());
  EXPECT_EQ(info["tron"], false);
  EXPECT_EQ(info["log-level"], "INFO");
  EXPECT_EQ(info["hostnqn"], kTestHostNqn);
  EXPECT_EQ(info["hostid"], kTestHostId);
  EXPECT_TRUE(info["hostkey"].is_null());  // no hostkey file
  EXPECT_TRUE(info["symname"].is_null());
  // nvme-stas: <runtime dir>/last-known-config.pickle; the file format is ours (JSON).
  EXPECT_THAT(info["last known config file"].get<std::string>(),
              ::testing::StartsWith(dir() + "/run/last-known-config."));
  EXPECT_THAT(info["config soak timer"].get<std::string>(), HasSubstr("1.5s"));
  EXPECT_THAT(info["kernel support.TP8013"].get<std::string>(), ::testing::AnyOf("True", "False"));
}

// json.dumps() with its default separators (", ", ": "), as stafd now sends it,
// so clients comparing text see what nvme-stas sent.
TEST_F(StafdDbusTest, JsonTextUsesPythonSeparators) {
  EXPECT_THAT(staf().process_info(), ::testing::StartsWith("{\"tron\": false, \"log-level\": "));
  EXPECT_THAT(staf().get_all_log_pages(false),
              ::testing::StartsWith("[{\"discovery-controller\": {\"traddr\": "));
}

TEST_F(StafdDbusTest, PropertiesWithBusctlAndGdbus) {
  ProgramOutput level = Busctl("get-property " + Obj() + " " + kDebugIface + " log_level");
  EXPECT_EQ(level.out, "s \"INFO\"\n");
  ProgramOutput tron = Busctl("get-property " + Obj() + " " + kDebugIface + " tron");
  EXPECT_EQ(tron.out, "b false\n");
  json g = GdbusData(
      GdbusCall("org.freedesktop.DBus.Properties.Get", "org.nvmexpress.staf.debug log_level"));
  EXPECT_EQ(g, json::array({"INFO"}));
  json all =
      GdbusData(GdbusCall("org.freedesktop.DBus.Properties.GetAll", "org.nvmexpress.staf.debug"));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(Unordered(all[0]), nlohmann::json({{"tron", false}, {"log_level", "INFO"}}));
  // log_level is read-only.
  ProgramOutput set = Busctl("set-property " + Obj() + " " + kDebugIface + " log_level s DEBUG");
  EXPECT_NE(set.exit_code, 0);
  EXPECT_EQ(staf().log_level(), "INFO");
}

TEST_F(StafdDbusTest, TronWithBusctlSetsLogLevel) {
  ProgramOutput on = Busctl("set-property " + Obj() + " " + kDebugIface + " tron b true");
  ASSERT_EQ(on.exit_code, 0) << on.err;
  EXPECT_EQ(Busctl("get-property " + Obj() + " " + kDebugIface + " tron").out, "b true\n");
  EXPECT_EQ(Busctl("get-property " + Obj() + " " + kDebugIface + " log_level").out,
            "s \"DEBUG\"\n");
  EXPECT_EQ(json::parse(staf().process_info())["log-level"], "DEBUG");
  EXPECT_EQ(json::parse(staf().process_info())["tron"], true);

  ProgramOutput off =
      GdbusCall("org.freedesktop.DBus.Properties.Set", "org.nvmexpress.staf.debug tron '<false>'");
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_FALSE(staf().tron());
  EXPECT_EQ(staf().log_level(), "INFO");
}

TEST_F(StafdDbusTest, StafctlTronAndTroff) {
  ProgramOutput on = Stafctl("tron");
  EXPECT_EQ(on.exit_code, 0) << on.err;
  EXPECT_EQ(on.out, "tron = True\n");
  EXPECT_EQ(on.err, "");
  EXPECT_TRUE(staf().tron());
  EXPECT_EQ(staf().log_level(), "DEBUG");
  EXPECT_EQ(Busctl("get-property " + Obj() + " " + kDebugIface + " log_level").out,
            "s \"DEBUG\"\n");

  ProgramOutput off = Stafctl("troff");
  EXPECT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(off.out, "tron = False\n");
  EXPECT_FALSE(staf().tron());
  EXPECT_EQ(staf().log_level(), "INFO");

  ProgramOutput as_json = Stafctl("--json tron");
  EXPECT_EQ(as_json.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(as_json.out), nlohmann::json({{"tron", true}}));
}

TEST_F(StafdDbusTest, LogPagesChangedAfterTheLogChanges) {
  auto conn = sdbus::createSessionBusConnectionWithAddress(bus_address());
  StafClient listener(*conn, true);
  std::vector<std::string> id = DcId();
  std::string device = staf().list_controllers(false).at(0).at("device");

  WriteFile(ScenarioPath(), R"({"ports": [{"traddr": "192.0.2.10", "trsvcid": "8009", "log": [
      {"subnqn": "nqn.2014-08.io.example:subsys1", "traddr": "192.0.2.20"},
      {"subnqn": "nqn.2014-08.io.example:subsys2", "traddr": "192.0.2.21", "trsvcid": "4421"},
      {"subnqn": "nqn.2014-08.io.example:subsys3", "traddr": "192.0.2.22"}]}]})");
  Signal(SIGUSR1);
  ASSERT_TRUE(PumpUntil(
      *conn, [&] { return !listener.log_pages_changed().empty(); }, milliseconds(10000)))
      << "no log_pages_changed within 10 s";
  std::vector<std::string> expected = id;
  expected.push_back(device);
  EXPECT_EQ(listener.log_pages_changed().back().args, expected);
  EXPECT_EQ(expected[0], "tcp");
  EXPECT_EQ(expected[1], kDcTraddr);
  EXPECT_EQ(expected[2], "8009");
  EXPECT_EQ(expected[3], kWellKnownDiscoveryNqn);
  EXPECT_EQ(expected[6], kTestHostNqn);
  // The signal follows the new log page.
  EXPECT_EQ(staf().get_log_pages(id[0], id[1], id[2], id[3], id[4], id[5], id[6]).size(), 3u);
}

TEST_F(StafdDbusTest, DcRemovedAfterTheConfigDropsTheDc) {
  ASSERT_TRUE(
      WaitUntil([&] { return SimKernelDevices(StafdRuntime()).size() == 1; }, milliseconds(10000)))
      << SimKernelDevices(StafdRuntime());
  EXPECT_EQ(SimKernelDevices(StafdRuntime())[0]["traddr"], kDcTraddr);
  auto conn = sdbus::createSessionBusConnectionWithAddress(bus_address());
  StafClient listener(*conn, true);
  WriteFile(ConfPath(), "[Controllers]\n");
  Signal(SIGHUP);
  ASSERT_TRUE(PumpUntil(
      *conn, [&] { return listener.dc_removed() > 0; }, milliseconds(10000)))
      << "no dc_removed within 10 s";
  EXPECT_EQ(listener.dc_removed(), 1);
  // A DC dropped from the configuration is disconnected, not only forgotten.
  EXPECT_TRUE(WaitUntil([&] { return SimKernelDevices(StafdRuntime()) == nlohmann::json::array(); },
                        milliseconds(10000)))
      << "the DC was still in stafd's kernel after 10 s: " << SimKernelDevices(StafdRuntime());
  EXPECT_TRUE(staf().list_controllers(false).empty());
  EXPECT_EQ(json::parse(staf().get_all_log_pages(false)), json::array());
  // Once per reconciliation pass: nothing more comes.
  PumpUntil(
      *conn, [] { return false; }, milliseconds(300));
  EXPECT_EQ(listener.dc_removed(), 1);
}

TEST_F(StafdDbusTest, StafctlLsPrintsPythonPprint) {
  ProgramOutput r = Stafctl("ls");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // nvme-stas's layout: one key per line, sorted, aligned after "[{". The DC is the only
  // controller of stafd's kernel, so always nvme0.
  EXPECT_EQ(r.out, Golden("stafctl-ls.txt"));
  ProgramOutput j = Stafctl("--json ls");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json by_gdbus = GdbusData(GdbusCall("org.nvmexpress.staf.list_controllers", "false"));
  EXPECT_EQ(Unordered(json::parse(j.out)), Unordered(by_gdbus[0]));
  EXPECT_THAT(j.out, HasSubstr("\n    \"device\": \""));  // indented by 2 per level
  // --json may also follow the subcommand.
  EXPECT_EQ(Stafctl("ls --json").out, j.out);
}

TEST_F(StafdDbusTest, StafctlLsDetailed) {
  ProgramOutput r = Stafctl("ls -d");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, Golden("stafctl-ls-detailed.txt"));
  ProgramOutput j = Stafctl("--json ls --detailed");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json by_gdbus = GdbusData(GdbusCall("org.nvmexpress.staf.list_controllers", "true"));
  EXPECT_EQ(Unordered(json::parse(j.out)), Unordered(by_gdbus[0]));
}

TEST_F(StafdDbusTest, StafctlStatus) {
  ProgramOutput j = Stafctl("--json status");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json status = json::parse(j.out);
  std::vector<std::string> keys = Keys(status);
  ASSERT_FALSE(keys.empty());
  EXPECT_EQ(keys.back(), "controllers");
  EXPECT_EQ(std::vector<std::string>(keys.begin(), keys.begin() + ProcessInfoKeys().size()),
            ProcessInfoKeys());
  EXPECT_EQ(status["hostnqn"], kTestHostNqn);
  ASSERT_EQ(status["controllers"].size(), 1u);
  const json& c = status["controllers"][0];
  std::vector<std::string> id = DcId();
  // list_controllers(True) + log_pages + controller_info merged in.
  json log_pages = GdbusData(GdbusCall("org.nvmexpress.staf.get_log_pages", Args7(id)));
  EXPECT_EQ(Unordered(c["log_pages"]), Unordered(log_pages[0]));
  EXPECT_EQ(c["log_pages"].size(), 2u);
  for (const std::string& key : SysfsKeys())
    EXPECT_TRUE(c.contains(key)) << key;
  json info = json::parse(staf().controller_info(id[0], id[1], id[2], id[3], id[4], id[5], id[6]));
  for (const auto& [k, v] : info.items())
    EXPECT_EQ(c[k], v) << k;
  EXPECT_EQ(c["connected"], "True");

  ProgramOutput r = Stafctl("status");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Without avahi-daemon on the private bus the 60 s kick timer runs, and its time left varies.
  // Its line stands alone however long the value (the avahi dict never fits on one line), so
  // the golden's stand-in may be of another length.
  const std::regex kick(R"('avahi wake up timer': '60\.0s \[[0-9.]+s\]')");
  const std::string kicked = "'avahi wake up timer': '60.0s [REMAINING]'";
  EXPECT_EQ(WithoutLimits(std::regex_replace(WithGoldenTempDir(r.out, dir()), kick, kicked)),
            Golden("stafctl-status.txt"));
}

TEST_F(StafdDbusTest, StafctlDlp) {
  std::string q = std::string(" -q ") + kTestHostNqn;
  ProgramOutput r = Stafctl("dlp -a 192.0.2.10 -s 8009" + q);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> id = DcId();
  json by_gdbus = GdbusData(GdbusCall("org.nvmexpress.staf.get_log_pages", Args7(id)));
  EXPECT_EQ(r.out, Golden("stafctl-dlp.txt"));
  ProgramOutput j = Stafctl(
      "--json dlp --transport tcp --traddr 192.0.2.10 --trsvcid 8009 "
      "--host-traddr '' --host-iface '' --nqn "
      "nqn.2014-08.org.nvmexpress.discovery --host-nqn " +
      std::string(kTestHostNqn));
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(Unordered(json::parse(j.out)), Unordered(by_gdbus[0]));
  // Another port, or another host NQN, is another DC: nothing.
  EXPECT_EQ(Stafctl("dlp -a 192.0.2.10 -s 8010" + q).out, "[]\n");
  EXPECT_EQ(Stafctl("dlp -a 192.0.2.10 -s 8009 -q nqn.2014-08.io.other:host").out, "[]\n");
}

// Without -q, dlp asks for the host NQN of this machine's sys.conf (not the daemon's), and only
// dlp needs one.
TEST_F(StafdDbusTest, StafctlDlpDefaultsToTheSysConfHostNqn) {
  Result<HostIdentity> host = LoadHostIdentity(SysConfPaths::Default(), nullptr);
  ProgramOutput r = Stafctl("dlp -a 192.0.2.10 -s 8009");
  if (host) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // stafd's DC has the test's host NQN: another one gets nothing.
    EXPECT_EQ(r.out, host->hostnqn == kTestHostNqn ? Golden("stafctl-dlp.txt") : "[]\n");
  } else {
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, host.error().message + "\n");
    EXPECT_THAT(r.err, ::testing::StartsWith("Error reading mandatory Host NQN"));
  }
}

TEST_F(StafdDbusTest, StafctlAdlp) {
  json by_gdbus = GdbusData(GdbusCall("org.nvmexpress.staf.get_all_log_pages", "false"));
  json all = json::parse(by_gdbus[0].get<std::string>());
  ProgramOutput r = Stafctl("adlp");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, Golden("stafctl-adlp.txt"));
  ProgramOutput j = Stafctl("--json adlp");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(json::parse(j.out), all);  // same order too: the JSON came as a string

  json detailed = json::parse(
      GdbusData(GdbusCall("org.nvmexpress.staf.get_all_log_pages", "true"))[0].get<std::string>());
  ProgramOutput d = Stafctl("--json adlp -d");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(json::parse(d.out), detailed);
  ProgramOutput dp = Stafctl("adlp --detailed");
  ASSERT_EQ(dp.exit_code, 0) << dp.err;
  EXPECT_EQ(dp.out, Golden("stafctl-adlp-detailed.txt"));
}

// A second stafd (an admin starting one by hand next to the service) cannot own the name; it
// must exit without touching the running daemon's nvme-cli udev rule override.
TEST_F(StafdDbusTest, SecondStafdLeavesTheRunningOnesUdevOverride) {
  std::string rule = dir() + "/run/70-nvmf-autoconnect.rules";
  ASSERT_TRUE(std::filesystem::exists(rule));
  SimDaemon second;
  second.Start(STAFD_SIM_BIN, ConfPath(), dir() + "/second.log", SimEnvironment(dir() + "/run"));
  ASSERT_TRUE(WaitUntil([&] { return second.Exited(); }, milliseconds(10000)))
      << "the second stafd did not exit";
  EXPECT_THAT(second.LogText(), HasSubstr("Cannot publish org.nvmexpress.staf"));
  EXPECT_TRUE(std::filesystem::exists(rule)) << "the running stafd's override was removed";
  // The first stafd, not the second, still owns the name and answers.
  EXPECT_EQ(NameOwnerPid(kStafdBusName), stafd_pid());
  EXPECT_EQ(Stafctl("ls").exit_code, 0);
}

TEST_F(StafdDbusTest, StafctlWithStafdStoppedFails) {
  EXPECT_EQ(StopStafd(), 0);
  for (const char* cmd : {"ls", "ls -d", "status", "adlp", "tron", "troff",
                          "dlp -a 192.0.2.10 -s 8009 -q nqn.2014-08.io.x:h"}) {
    ProgramOutput r = Stafctl(cmd);
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_EQ(r.out, "") << cmd;
    EXPECT_EQ(r.err, "Unable to communicate with stafd over D-Bus. Is stafd running?\n") << cmd;
  }
}

class StafdDbusDeniedSetTest : public StafdDbusTest {
 protected:
  StafdDbusDeniedSetTest() { deny_property_set_ = true; }
};

TEST_F(StafdDbusDeniedSetTest, TronRefusedByPolicyExplainsWhy) {
  ProgramOutput r = Stafctl("tron");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  std::istringstream lines(r.err);
  std::string first, second, third;
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_FALSE(std::getline(lines, third)) << r.err;
  EXPECT_EQ(first, "Unable to communicate with stafd over D-Bus. Is stafd running?");
  EXPECT_THAT(second, ::testing::StartsWith("org.freedesktop.DBus.Error.AccessDenied: "));
  EXPECT_FALSE(staf().tron());
  // Reading still works.
  EXPECT_EQ(Stafctl("ls").exit_code, 0);
}

// The shipped policy files on a bus that denies by default, as Debian's system bus does. stafd
// (root) owns its name; an unprivileged user may list and read but not set tron; root may.
class StafdDbusShippedPolicyTest : public StafdDbusTest {
 protected:
  StafdDbusShippedPolicyTest() { shipped_policy_ = true; }
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root: only root may own org.nvmexpress.staf";
    StafdDbusTest::SetUp();
  }
  ProgramOutput AsNobody(const std::string& command) const {
    return RunOnBus("setpriv --reuid=65534 --regid=65534 --clear-groups " + command);
  }
};

TEST_F(StafdDbusShippedPolicyTest, AnyoneMayReadOnlyRootMaySetTron) {
  ProgramOutput ls = AsNobody(std::string(STAFCTL_BIN) + " --json ls");
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_THAT(ls.out, HasSubstr(kDcTraddr));
  ProgramOutput call = AsNobody("busctl --address=" + ShellQuote(bus_address()) +
                                " call org.nvmexpress.staf /org/nvmexpress/staf"
                                " org.nvmexpress.staf list_controllers b false");
  EXPECT_EQ(call.exit_code, 0) << call.err;
  EXPECT_THAT(call.out, HasSubstr(kDcTraddr));
  ProgramOutput get = AsNobody("busctl --address=" + ShellQuote(bus_address()) +
                               " get-property org.nvmexpress.staf /org/nvmexpress/staf"
                               " org.nvmexpress.staf.debug tron");
  EXPECT_EQ(get.out, "b false\n") << get.err;

  ProgramOutput tron = AsNobody(std::string(STAFCTL_BIN) + " tron");
  EXPECT_EQ(tron.exit_code, 1);
  EXPECT_THAT(tron.err, HasSubstr("org.freedesktop.DBus.Error.AccessDenied"));
  EXPECT_FALSE(staf().tron());

  // Nobody else may own the name, even while stafd does not.
  ProgramOutput own = AsNobody(
      "gdbus call --system --dest org.freedesktop.DBus"
      " --object-path /org/freedesktop/DBus"
      " --method org.freedesktop.DBus.RequestName org.nvmexpress.staf 4");
  EXPECT_NE(own.exit_code, 0) << own.out;
  EXPECT_THAT(own.err, HasSubstr("AccessDenied"));

  ProgramOutput root_tron = Stafctl("tron");
  EXPECT_EQ(root_tron.exit_code, 0) << root_tron.err;
  EXPECT_TRUE(staf().tron());
}

class StafdDbusSecretTest : public StafdDbusTest {
 protected:
  static constexpr const char* kHostSecret = "SG9zdEtleVNlY3JldFRleHQwMTIzNDU2Nzg5MDEyMzQ1Njc4OQ==";
  static constexpr const char* kCtrlSecret = "Q3RybFNlY3JldFRleHQwMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMg==";
  StafdDbusSecretTest() {
    hostkey_ = std::string("DHHC-1:00:") + kHostSecret + ":";
    stafd_conf_ = std::string("[Controllers]\ncontroller=transport=tcp;traddr=") + kDcTraddr +
                  ";dhchap-secret=DHHC-1:00:" + kCtrlSecret + ":\n";
  }
};

TEST_F(StafdDbusSecretTest, SecretsNeverLeaveTheDaemon) {
  json info = json::parse(staf().process_info());
  ASSERT_TRUE(info.contains("hostkey"));
  EXPECT_FALSE(info["hostkey"].is_null());  // says there is one...
  EXPECT_THAT(info["hostkey"].get<std::string>(), Not(HasSubstr("DHHC-1")));  // ...not what
  std::vector<std::string> id = DcId();
  std::vector<std::string> texts = {
      staf().process_info(),
      DictListToJson(staf().list_controllers(true)).dump(),
      DictListToJson(staf().list_controllers(false)).dump(),
      staf().get_all_log_pages(true),
      staf().get_all_log_pages(false),
      staf().controller_info(id[0], id[1], id[2], id[3], id[4], id[5], id[6]),
      GdbusCall("org.nvmexpress.staf.debug.process_info", "").out,
      GdbusCall("org.nvmexpress.staf.list_controllers", "true").out,
      GdbusCall("org.nvmexpress.staf.get_all_log_pages", "true").out,
      Stafctl("status").out,
      Stafctl("--json status").out,
      Stafctl("ls -d").out,
      Stafctl("adlp -d").out,
  };
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_THAT(texts[i], Not(HasSubstr(kHostSecret))) << i;
    EXPECT_THAT(texts[i], Not(HasSubstr(kCtrlSecret))) << i;
    EXPECT_THAT(texts[i], Not(HasSubstr("SG9zdEtleVNl"))) << i;  // not even a prefix
    EXPECT_THAT(texts[i], Not(HasSubstr("Q3RybFNlY3Jl"))) << i;
  }
  EXPECT_THAT(Stafctl("status").out, HasSubstr("'hostkey': '"));
  EXPECT_THAT(LogText(), Not(HasSubstr(kHostSecret)));
  EXPECT_THAT(LogText(), Not(HasSubstr(kCtrlSecret)));
}

class StafdDbusBigLogTest : public StafdDbusTest {
 protected:
  static constexpr int kEntries = 1000;
  StafdDbusBigLogTest() {
    json log = json::array();
    for (int i = 0; i < kEntries; ++i) {
      log.push_back(
          {{"subnqn", "nqn.2014-08.io.example:subsys" + std::to_string(i)},
           {"traddr", "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1)}});
    }
    scenario_json_ =
        json({{"ports", json::array({{{"traddr", kDcTraddr}, {"trsvcid", "8009"}, {"log", log}}})}})
            .dump();
    expected_log_entries_ = kEntries;
  }
};

TEST_F(StafdDbusBigLogTest, AllThousandEntriesComeBack) {
  json all = json::parse(staf().get_all_log_pages(false));
  ASSERT_EQ(all.size(), 1u);
  const json& pages = all[0]["log-pages"];
  ASSERT_EQ(pages.size(), static_cast<size_t>(kEntries));
  std::set<std::string> subnqns;
  for (const json& e : pages)
    subnqns.insert(e["subnqn"].get<std::string>());
  EXPECT_EQ(subnqns.size(), static_cast<size_t>(kEntries));
  EXPECT_EQ(pages[999]["traddr"], "10.0.3.250");

  json by_gdbus = GdbusData(GdbusCall("org.nvmexpress.staf.get_all_log_pages", "true"));
  EXPECT_EQ(json::parse(by_gdbus[0].get<std::string>())[0]["log-pages"].size(),
            static_cast<size_t>(kEntries));
  std::vector<std::string> id = DcId();
  json by_busctl = BusctlData(Busctl("--json=short call " + Obj() + " " + kStafIface +
                                     " get_log_pages " + BusctlArgs7(id)));
  ASSERT_EQ(by_busctl.size(), 1u);
  EXPECT_EQ(by_busctl[0].size(), static_cast<size_t>(kEntries));
  ProgramOutput r = Stafctl("--json adlp");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)[0]["log-pages"].size(), static_cast<size_t>(kEntries));
}

// stafctl's command line, with no daemon.
TEST(StafctlCliTest, NoSubcommandPrintsUsageAndExitsOne) {
  ProgramOutput r = RunProgram(STAFCTL_BIN);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("Usage: stafctl"));
  for (const char* cmd : {"tron", "troff", "status", "ls", "dlp", "adlp"}) {
    EXPECT_THAT(r.out, HasSubstr(cmd));
  }
  EXPECT_EQ(r.err, "");
}

TEST(StafctlCliTest, VersionAndHelp) {
  ProgramOutput v = RunProgram(std::string(STAFCTL_BIN) + " --version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_THAT(v.out, ::testing::MatchesRegex("nvme-stas [0-9]+\\.[0-9]+(\\.[0-9]+)?\n"));
  EXPECT_EQ(RunProgram(std::string(STAFCTL_BIN) + " -v").out, v.out);
  ProgramOutput h = RunProgram(std::string(STAFCTL_BIN) + " dlp --help");
  EXPECT_EQ(h.exit_code, 0);
  for (const char* opt : {"--transport", "--traddr", "--trsvcid", "--host-traddr", "--host-iface",
                          "--host-nqn", "--nqn"}) {
    EXPECT_THAT(h.out, HasSubstr(opt));
  }
}

TEST(StafctlCliTest, UsageErrorsExitTwo) {
  for (const char* args : {"nosuch", "--nosuch", "dlp -s 8009", "dlp -a 192.0.2.10",
                           "dlp -t xyz -a 192.0.2.10 -s 8009", "ls extra", "ls -x"}) {
    ProgramOutput r = RunProgram(std::string(STAFCTL_BIN) + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_NE(r.err, "") << args;
  }
}

TEST(StafctlCliTest, NoBusIsTheSameError) {
  ProgramOutput r = RunProgram("env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/stas-test-bus " +
                               std::string(STAFCTL_BIN) + " ls");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Unable to communicate with stafd over D-Bus. Is stafd running?\n");
}

}  // namespace
}  // namespace stas::testing
