// SPDX-License-Identifier: Apache-2.0
#include "common/config/nvme_stas_conf.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/defs.h"
#include "common/testing/fake_keyrings.h"
#include "common/testing/file_helpers.h"

namespace stas {
namespace {

constexpr char kHostNqn[] = "nqn.2014-08.org.nvmexpress:uuid:4b4c8a4a-5b4e-4e8e-9e1b-6c6a3c0f1d2e";
constexpr char kHostId[] = "4b4c8a4a-5b4e-4e8e-9e1b-6c6a3c0f1d2e";
constexpr char kSub1[] = "nqn.2014-08.org.example:sub1";
constexpr char kDcNqn[] = "nqn.1988-11.com.dell:SFSS:2:20220208134025e8";
// A well-formed DH-HMAC-CHAP secret (the NVMe representation; not a real key).
constexpr char kSecret[] = "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:";

using Files = std::vector<std::pair<std::string, std::string>>;  // label, text

LoadedNvmeStasConf Parse(const Files& files) {
  std::vector<IniDocument> docs;
  for (const auto& [label, text] : files)
    docs.push_back(ParseIniText(text, label));
  return ParseNvmeStasConf(docs);
}

LoadedNvmeStasConf ParseMain(const std::string& text) {
  return Parse({{"nvme-stas.conf", text}});
}

std::string Dump(const Diagnostics& diags) {
  std::string out;
  for (const Diagnostic& d : diags)
    out += (d.severity == Severity::kError ? "E " : "W ") + d.ToString() + "\n";
  return out;
}

size_t Count(const Diagnostics& diags, Severity s) {
  size_t n = 0;
  for (const Diagnostic& d : diags)
    n += d.severity == s ? 1 : 0;
  return n;
}

// A diagnostic of severity `s` whose "file:line: message" starts with `where` and contains
// `what`.
bool Has(const Diagnostics& diags, Severity s, const std::string& where, const std::string& what) {
  for (const Diagnostic& d : diags) {
    std::string text = d.ToString();
    if (d.severity == s && text.rfind(where, 0) == 0 && text.find(what) != std::string::npos)
      return true;
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> Extras(const StasConfController& c) {
  return c.entry.extras;
}

// The shape of the example file upstream ships: a host, defaults, two DCs with two paths each,
// one subsystem with a path and options of its own.
constexpr char kExample[] =
    "# nvme-stas 3.x connectivity\n"
    "[Host]\n"
    "hostnqn = nqn.2014-08.org.nvmexpress:uuid:4b4c8a4a-5b4e-4e8e-9e1b-6c6a3c0f1d2e\n"
    "hostid = 4B4C8A4A-5B4E-4E8E-9E1B-6C6A3C0F1D2E\n"
    "hostsymname = web-01\n"
    "\n"
    "[Discovery Controller Defaults]\n"
    "keep-alive-tmo = 30\n"
    "persistent = auto\n"
    "\n"
    "[I/O Controller Defaults]\n"
    "ctrl-loss-tmo = 600\n"
    "hdr-digest = yes\n"
    "\n"
    "[Discovery Controller]\n"
    "controller = transport=tcp;traddr=192.0.2.10;trsvcid=8009\n"
    "controller = transport=tcp;traddr=192.0.2.11;trsvcid=8009;host-iface=eth1\n"
    "\n"
    "[Discovery Controller]\n"
    "nqn = nqn.1988-11.com.dell:SFSS:2:20220208134025e8\n"
    "persistent = force\n"
    "controller = transport=tcp;traddr=2001:db8::20;trsvcid=8009\n"
    "controller = transport=tcp;traddr=[2001:db8::21];keep-alive-tmo=10\n"
    "\n"
    "[Subsystem]\n"
    "nqn = nqn.2014-08.org.example:sub1\n"
    "kxchap-secret = DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:\n"
    "controller = transport=tcp ; traddr=192.0.2.30 ; trsvcid=4420 ; queue-size=64 ; "
    "data-digest=on\n";

TEST(NvmeStasConfTest, ExampleFileGivesOnePathPerControllerLine) {
  LoadedNvmeStasConf r = ParseMain(kExample);
  ASSERT_TRUE(r.conf) << Dump(r.diagnostics);
  EXPECT_TRUE(r.diagnostics.empty()) << Dump(r.diagnostics);
  const NvmeStasConf& conf = *r.conf;
  EXPECT_EQ(conf.files, std::vector<std::string>{"nvme-stas.conf"});
  ASSERT_TRUE(conf.host);
  EXPECT_EQ(conf.host->hostnqn, kHostNqn);
  EXPECT_EQ(conf.host->hostid, kHostId);  // lower-cased
  EXPECT_EQ(conf.host->hostsymname, "web-01");
  EXPECT_EQ(conf.host->line, 2);

  ASSERT_EQ(conf.discovery_controllers.size(), 4u);
  const ControllerEntry& dc0 = conf.discovery_controllers[0].entry;
  EXPECT_EQ(dc0.transport, "tcp");
  EXPECT_EQ(dc0.traddr, "192.0.2.10");
  EXPECT_EQ(dc0.trsvcid, "8009");
  EXPECT_EQ(dc0.subsysnqn, kWellKnownDiscoveryNqn);
  EXPECT_EQ(dc0.host_nqn, kHostNqn);
  EXPECT_EQ(dc0.overrides.kato, 30);
  EXPECT_EQ(dc0.persistent, DcPersistence::kAuto);
  EXPECT_EQ(dc0.line, 16);
  EXPECT_EQ(conf.discovery_controllers[0].file, "nvme-stas.conf");
  ASSERT_TRUE(conf.discovery_controllers[0].host);
  EXPECT_EQ(conf.discovery_controllers[0].host->hostid, kHostId);
  EXPECT_EQ(Extras(conf.discovery_controllers[0]),
            (std::vector<std::pair<std::string, std::string>>{
                {"kato", "30"}, {"persistent", "auto"}, {"host-nqn", kHostNqn}}));
  EXPECT_EQ(conf.discovery_controllers[1].entry.host_iface, "eth1");

  const ControllerEntry& dc2 = conf.discovery_controllers[2].entry;
  EXPECT_EQ(dc2.subsysnqn, kDcNqn);
  EXPECT_EQ(dc2.traddr, "2001:db8::20");
  EXPECT_EQ(dc2.persistent, DcPersistence::kForce);  // the section over the Defaults
  const ControllerEntry& dc3 = conf.discovery_controllers[3].entry;
  EXPECT_EQ(dc3.traddr, "2001:db8::21");  // brackets removed, as for stafd.conf
  EXPECT_EQ(dc3.trsvcid, "");             // the Tid fills in the transport's default
  EXPECT_EQ(dc3.overrides.kato, 10);      // the line over the Defaults
  EXPECT_EQ(Extras(conf.discovery_controllers[3]),
            (std::vector<std::pair<std::string, std::string>>{
                {"kato", "10"}, {"persistent", "force"}, {"host-nqn", kHostNqn}}));

  ASSERT_EQ(conf.subsystems.size(), 1u);
  const ControllerEntry& io = conf.subsystems[0].entry;
  EXPECT_EQ(io.subsysnqn, kSub1);
  EXPECT_EQ(io.traddr, "192.0.2.30");
  EXPECT_EQ(io.trsvcid, "4420");
  EXPECT_EQ(io.overrides.queue_size, 64);
  EXPECT_EQ(io.overrides.data_digest, true);
  EXPECT_EQ(io.overrides.hdr_digest, true);
  EXPECT_EQ(io.overrides.ctrl_loss_tmo, 600);
  EXPECT_EQ(io.overrides.kato, std::nullopt);  // the DC Defaults are not the I/O ones
  EXPECT_EQ(io.dhchap_secret, kSecret);
  EXPECT_EQ(io.persistent, DcPersistence::kUnset);
  // As D-Bus shows a stacd.conf entry's: the line's options as written, then the section's,
  // then the Defaults', in nvme-stas 2.x's spelling and value texts.
  EXPECT_EQ(Extras(conf.subsystems[0]),
            (std::vector<std::pair<std::string, std::string>>{{"queue-size", "64"},
                                                              {"data-digest", "True"},
                                                              {"dhchap-secret", kSecret},
                                                              {"ctrl-loss-tmo", "600"},
                                                              {"hdr-digest", "True"},
                                                              {"host-nqn", kHostNqn}}));
}

constexpr char kDropInHost[] =
    "[Host]\n"
    "hostnqn = nqn.2014-08.org.example:host-b\n"
    "hostid = 22222222-3333-4444-5555-666666666666\n";

// Each level wins over the less specific ones: the controller= line, its section, its file's
// Defaults, the main file's Defaults.
TEST(NvmeStasConfTest, TheMostSpecificLevelWins) {
  LoadedNvmeStasConf r = Parse(
      {{"main.conf",
        "[Discovery Controller Defaults]\n"
        "keep-alive-tmo = 1\n"
        "reconnect-delay = 5\n"
        "[Discovery Controller]\n"
        "controller = transport=tcp;traddr=192.0.2.9\n"},
       {"b.conf", std::string(kDropInHost) + "[Discovery Controller Defaults]\n"
                                             "keep-alive-tmo = 2\n"
                                             "[Discovery Controller]\n"
                                             "keep-alive-tmo = 3\n"
                                             "controller = transport=tcp;traddr=192.0.2.1;"
                                             "keep-alive-tmo=4\n"
                                             "controller = transport=tcp;traddr=192.0.2.2\n"
                                             "[Discovery Controller]\n"
                                             "nqn = nqn.2014-08.org.example:dc-b\n"
                                             "controller = transport=tcp;traddr=192.0.2.3\n"}});
  ASSERT_TRUE(r.conf) << Dump(r.diagnostics);
  EXPECT_TRUE(r.diagnostics.empty()) << Dump(r.diagnostics);
  const auto& dcs = r.conf->discovery_controllers;
  ASSERT_EQ(dcs.size(), 4u);
  EXPECT_EQ(dcs[0].entry.overrides.kato, 1);  // main file: its own Defaults
  EXPECT_EQ(dcs[1].entry.overrides.kato, 4);  // the line
  EXPECT_EQ(dcs[2].entry.overrides.kato, 3);  // the section
  EXPECT_EQ(dcs[3].entry.overrides.kato, 2);  // the drop-in's Defaults
  for (const auto& dc : dcs)
    EXPECT_EQ(dc.entry.overrides.reconnect_delay, 5);  // the main file's Defaults reach all
  EXPECT_EQ(dcs[3].entry.subsysnqn, "nqn.2014-08.org.example:dc-b");
  EXPECT_EQ(r.conf->files, (std::vector<std::string>{"main.conf", "b.conf"}));
}

TEST(NvmeStasConfTest, AnEmptyValueMeansTheKernelDefault) {
  LoadedNvmeStasConf r = ParseMain(
      "[I/O Controller Defaults]\n"
      "ctrl-loss-tmo = 600\n"
      "nr-io-queues = 4\n"
      "[Subsystem]\n"
      "nqn = nqn.2014-08.org.example:sub1\n"
      "ctrl-loss-tmo =\n"
      "nr-io-queues = 8\n"
      "controller = transport=tcp;traddr=192.0.2.1\n"
      "controller = transport=tcp;traddr=192.0.2.2;nr-io-queues=\n"
      "controller =\n");
  ASSERT_TRUE(r.conf) << Dump(r.diagnostics);
  EXPECT_TRUE(Has(r.diagnostics, Severity::kWarning,
                  "nvme-stas.conf:10:", "[Subsystem] controller= is empty; ignored"))
      << Dump(r.diagnostics);
  const auto& io = r.conf->subsystems;
  ASSERT_EQ(io.size(), 2u);
  EXPECT_EQ(io[0].entry.overrides.ctrl_loss_tmo, std::nullopt);  // not the Defaults' 600
  EXPECT_EQ(io[0].entry.overrides.nr_io_queues, 8);
  EXPECT_EQ(io[1].entry.overrides.nr_io_queues, std::nullopt);  // not the section's 8
  EXPECT_TRUE(Extras(io[1]).empty());
}

TEST(NvmeStasConfTest, ADropInsDefaultsApplyToThatDropInOnly) {
  LoadedNvmeStasConf r = Parse({{"main.conf",
                                 "[Subsystem]\nnqn = nqn.2014-08.org.example:m\n"
                                 "controller = transport=tcp;traddr=192.0.2.1\n"},
                                {"a.conf",
                                 "[I/O Controller Defaults]\nctrl-loss-tmo = 10\n"
                                 "[Subsystem]\nnqn = nqn.2014-08.org.example:a\n"
                                 "controller = transport=tcp;traddr=192.0.2.2\n"},
                                {"b.conf",
                                 "[Subsystem]\nnqn = nqn.2014-08.org.example:b\n"
                                 "controller = transport=tcp;traddr=192.0.2.3\n"}});
  ASSERT_TRUE(r.conf) << Dump(r.diagnostics);
  const auto& io = r.conf->subsystems;
  ASSERT_EQ(io.size(), 3u);
  EXPECT_EQ(io[0].entry.overrides.ctrl_loss_tmo, std::nullopt);
  EXPECT_EQ(io[1].entry.overrides.ctrl_loss_tmo, 10);
  EXPECT_EQ(io[1].file, "a.conf");
  EXPECT_EQ(io[2].entry.overrides.ctrl_loss_tmo, std::nullopt);
}

// A drop-in's [Host] is the identity of its paths; a drop-in without one uses the main file's.
TEST(NvmeStasConfTest, ADropInsHostIsTheIdentityOfItsPaths) {
  LoadedNvmeStasConf r =
      Parse({{"main.conf", std::string("[Host]\nhostnqn = ") + kHostNqn + "\nhostid = " + kHostId +
                               "\n[Subsystem]\nnqn = nqn.2014-08.org.example:m\n"
                               "controller = transport=tcp;traddr=192.0.2.1\n"},
             {"b.conf", std::string(kDropInHost) + "kxchap-secret = " + kSecret +
                            "\n[Subsystem]\nnqn = nqn.2014-08.org.example:b\n"
                            "controller = transport=tcp;traddr=192.0.2.2\n"},
             {"c.conf",
              "[Subsystem]\nnqn = nqn.2014-08.org.example:c\n"
              "controller = transport=tcp;traddr=192.0.2.3\n"}});
  ASSERT_TRUE(r.conf) << Dump(r.diagnostics);
  const auto& io = r.conf->subsystems;
  ASSERT_EQ(io.size(), 3u);
  EXPECT_EQ(io[0].entry.host_nqn, kHostNqn);
  EXPECT_EQ(io[1].entry.host_nqn, "nqn.2014-08.org.example:host-b");
  ASSERT_TRUE(io[1].host);
  EXPECT_EQ(io[1].host->hostid, "22222222-3333-4444-5555-666666666666");
  EXPECT_EQ(io[1].host->dhchap_secret, kSecret);
  EXPECT_EQ(io[1].entry.dhchap_secret, std::nullopt);  // the host's key stays the host's
  EXPECT_FALSE(io[2].host);                            // the daemon's identity applies
  EXPECT_EQ(io[2].entry.host_nqn, std::nullopt);
  ASSERT_TRUE(r.conf->host);
  EXPECT_EQ(r.conf->host->file, "main.conf");
}

TEST(NvmeStasConfTest, BooleansAndTimesAreWrittenAsSystemdWritesThem) {
  LoadedNvmeStasConf r = ParseMain(
      "[Subsystem]\nnqn = nqn.2014-08.org.example:sub1\n"
      "controller = transport=tcp;traddr=192.0.2.1;hdr-digest=off;data-digest=1;"
      "disable-sqflow=Y;keep-alive-tmo=2min;ctrl-loss-tmo=infinity;reconnect-delay=10\n");
  ASSERT_TRUE(r.conf) << Dump(r.diagnostics);
  const ConnectOptions& o = r.conf->subsystems.at(0).entry.overrides;
  EXPECT_EQ(o.hdr_digest, false);
  EXPECT_EQ(o.data_digest, true);
  EXPECT_EQ(o.disable_sqflow, true);
  EXPECT_EQ(o.kato, 120);
  EXPECT_EQ(o.ctrl_loss_tmo, -1);
  EXPECT_EQ(o.reconnect_delay, 10);
  EXPECT_EQ(Extras(r.conf->subsystems[0]),
            (std::vector<std::pair<std::string, std::string>>{{"hdr-digest", "False"},
                                                              {"data-digest", "True"},
                                                              {"disable-sqflow", "True"},
                                                              {"kato", "120"},
                                                              {"ctrl-loss-tmo", "-1"},
                                                              {"reconnect-delay", "10"}}));
}

// Invalid option values are ignored with a warning, as in stafd.conf: the next level applies.
TEST(NvmeStasConfTest, AnInvalidOptionValueIsAWarningAndTheNextLevelApplies) {
  LoadedNvmeStasConf r = ParseMain(
      "[Discovery Controller Defaults]\nkeep-alive-tmo = 7\npersistent = no\n"
      "[Discovery Controller]\n"
      "controller = transport=tcp;traddr=192.0.2.1;keep-alive-tmo=1.5s;queue-size=5;"
      "hdr-digest=maybe;persistent=sometimes;reconnect-delay=infinity\n");
  ASSERT_TRUE(r.conf) << Dump(r.diagnostics);
  const ControllerEntry& dc = r.conf->discovery_controllers.at(0).entry;
  EXPECT_EQ(dc.overrides.kato, 7);
  EXPECT_EQ(dc.overrides.queue_size, std::nullopt);
  EXPECT_EQ(dc.persistent, DcPersistence::kNo);
  EXPECT_EQ(Count(r.diagnostics, Severity::kWarning), 5u) << Dump(r.diagnostics);
  EXPECT_TRUE(Has(r.diagnostics, Severity::kWarning,
                  "nvme-stas.conf:5:", "keep-alive-tmo: invalid value \"1.5s\""));
  EXPECT_TRUE(Has(r.diagnostics, Severity::kWarning, "nvme-stas.conf:5:", "queue-size"));
  EXPECT_TRUE(Has(r.diagnostics, Severity::kWarning, "nvme-stas.conf:5:", "expected a boolean"));
  EXPECT_TRUE(Has(r.diagnostics, Severity::kWarning, "nvme-stas.conf:5:", "no, auto or force"));
  EXPECT_TRUE(Has(r.diagnostics, Severity::kWarning, "nvme-stas.conf:5:", "infinity is only for"));
}

TEST(NvmeStasConfTest, PersistentIsForDiscoveryControllersOnly) {
  LoadedNvmeStasConf r = ParseMain(
      "[I/O Controller Defaults]\npersistent = force\n"
      "[Subsystem]\nnqn = nqn.2014-08.org.example:sub1\n"
      "controller = transport=tcp;traddr=192.0.2.1;persistent=auto\n");
  ASSERT_TRUE(r.conf) << Dump(r.diagnostics);
  EXPECT_EQ(r.conf->subsystems.at(0).entry.persistent, DcPersistence::kUnset);
  EXPECT_TRUE(Has(r.diagnostics, Severity::kWarning,
                  "nvme-stas.conf:2:", "applies to discovery controllers only"));
  EXPECT_TRUE(Has(r.diagnostics, Severity::kWarning,
                  "nvme-stas.conf:5:", "applies to discovery controllers only"));
}

TEST(NvmeStasConfTest, NqnOnAControllerLineMustBeItsSections) {
  LoadedNvmeStasConf same = ParseMain(
      "[Subsystem]\nnqn = nqn.2014-08.org.example:sub1\n"
      "controller = transport=tcp;traddr=192.0.2.1;nqn=nqn.2014-08.org.example:sub1\n");
  ASSERT_TRUE(same.conf) << Dump(same.diagnostics);
  EXPECT_TRUE(same.diagnostics.empty()) << Dump(same.diagnostics);
  LoadedNvmeStasConf other = ParseMain(
      "[Subsystem]\nnqn = nqn.2014-08.org.example:sub1\n"
      "controller = transport=tcp;traddr=192.0.2.1;nqn=nqn.2014-08.org.example:sub2\n");
  EXPECT_FALSE(other.conf);
  EXPECT_TRUE(
      Has(other.diagnostics, Severity::kError, "nvme-stas.conf:3:", "is not its section's nqn"));
}

struct Tier1Case {
  const char* name;
  Files files;
  const char* where;  // "file:line:"
  const char* what;
};

class NvmeStasConfTier1Test : public ::testing::TestWithParam<Tier1Case> {};

// Any error rejects the whole set, so that the caller keeps its last good configuration; the
// error says where.
TEST_P(NvmeStasConfTier1Test, RejectsTheWholeSetAndSaysWhere) {
  const Tier1Case& c = GetParam();
  LoadedNvmeStasConf r = Parse(c.files);
  EXPECT_FALSE(r.conf);
  EXPECT_TRUE(Has(r.diagnostics, Severity::kError, c.where, c.what)) << Dump(r.diagnostics);
}

const std::string kPath = "[Subsystem]\nnqn = nqn.2014-08.org.example:s\n";
const std::string kGoodLine = "controller = transport=tcp;traddr=192.0.2.1\n";

INSTANTIATE_TEST_SUITE_P(
    NvmeStasConf, NvmeStasConfTier1Test,
    ::testing::Values(
        Tier1Case{"ZeroHostid",
                  {{"m",
                    "[Host]\nhostnqn = nqn.2014-08.org.example:h\n"
                    "hostid = 00000000-0000-0000-0000-000000000000\n"}},
                  "m:3:",
                  "is the zero UUID"},
        Tier1Case{"MalformedHostid",
                  {{"m", "[Host]\nhostnqn = nqn.2014-08.org.example:h\nhostid = 1234\n"}},
                  "m:3:",
                  "is not a UUID"},
        Tier1Case{"DropInHostWithoutHostnqn",
                  {{"m", ""}, {"d", "[Host]\nhostid = 11111111-2222-3333-4444-555555555555\n"}},
                  "d:1:",
                  "has no hostnqn"},
        Tier1Case{"TwoHostSections",
                  {{"m", "[Host]\nhostnqn = nqn.2014-08.org.example:h\n\n[Host]\n"}},
                  "m:4:",
                  "a file has one [Host]"},
        Tier1Case{"OneHostidTwoHostnqns",
                  {{"m",
                    "[Host]\nhostnqn = nqn.2014-08.org.example:h1\n"
                    "hostid = 11111111-2222-3333-4444-555555555555\n"},
                   {"d",
                    "[Host]\nhostnqn = nqn.2014-08.org.example:h2\n"
                    "hostid = 11111111-2222-3333-4444-555555555555\n"}},
                  "d:1:",
                  "is also the one of m:1, another hostnqn"},
        Tier1Case{"HostnqnInTwoFiles",
                  {{"m", "[Host]\nhostnqn = nqn.2014-08.org.example:h\n"},
                   {"d", "[Host]\nhostnqn = nqn.2014-08.org.example:h\n"}},
                  "d:1:",
                  "is also the one of m:1"},
        Tier1Case{"HostnqnWithoutNqnPrefix",
                  {{"m", "[Host]\nhostnqn = host-1\n"}},
                  "m:2:",
                  "does not start with \"nqn.\""},
        Tier1Case{"SubsystemNqnWithABlank",
                  {{"m", "[Subsystem]\nnqn = nqn.2014-08.org.example:a b\n" + kGoodLine}},
                  "m:2:",
                  "contains a blank"},
        Tier1Case{
            "SubsystemWithoutNqn", {{"m", "[Subsystem]\n" + kGoodLine}}, "m:1:", "has no nqn"},
        Tier1Case{"ControllerWithoutTransport",
                  {{"m", kPath + "controller = traddr=192.0.2.1\n"}},
                  "m:3:",
                  "transport is missing"},
        Tier1Case{"ControllerWithoutTraddr",
                  {{"m", kPath + "controller = transport=tcp;trsvcid=4420\n"}},
                  "m:3:",
                  "traddr is missing"},
        Tier1Case{"ControllerWithAnEmptyTransport",
                  {{"m", kPath + "controller = transport=;traddr=192.0.2.1\n"}},
                  "m:3:",
                  "transport is missing"},
        Tier1Case{"UnknownTransport",
                  {{"m", kPath + "controller = transport=udp;traddr=192.0.2.1\n"}},
                  "m:3:",
                  "is not one of tcp, rdma, fc, loop"},
        Tier1Case{"OctalLookingPort",
                  {{"m", kPath + "controller = transport=tcp;traddr=192.0.2.1;trsvcid=04420\n"}},
                  "m:3:",
                  "is not a port number"},
        Tier1Case{"BadPortInDefaults",
                  {{"m", "[I/O Controller Defaults]\ntrsvcid = 4420x\n" + kPath + kGoodLine}},
                  "m:2:",
                  "is not a port number"},
        Tier1Case{"HostTraddrOfAnotherFamily",
                  {{"m", kPath + "host-traddr = nn-0x1:pn-0x2\n" + kGoodLine}},
                  "m:4:",
                  "host-traddr"},
        Tier1Case{"MalformedSectionHeader",
                  {{"m", kPath + kGoodLine + "[Subsystem\nnqn = nqn.2014-08.org.example:t\n" +
                             kGoodLine}},
                  "m:4:",
                  "malformed section header"},
        Tier1Case{"BadHostSecret",
                  {{"m", "[Host]\nkxchap-secret = not-a-key\n"}},
                  "m:2:",
                  "is not a DH-HMAC-CHAP secret"}),
    [](const ::testing::TestParamInfo<Tier1Case>& p) { return p.param.name; });

// An injected option never reaches the connect string: ',' '=' or a blank in a value that the
// kernel would read as another option is an error.
class NvmeStasConfInjectionTest : public ::testing::TestWithParam<const char*> {};

TEST_P(NvmeStasConfInjectionTest, IsRejected) {
  LoadedNvmeStasConf r = ParseMain(std::string("[Discovery Controller]\n") + GetParam() + "\n");
  EXPECT_FALSE(r.conf) << GetParam();
  EXPECT_GE(Count(r.diagnostics, Severity::kError), 1u) << Dump(r.diagnostics);
  for (const Diagnostic& d : r.diagnostics) {
    for (char ch : d.message)
      EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << d.message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    NvmeStasConf, NvmeStasConfInjectionTest,
    ::testing::Values("controller = transport=tcp;traddr=1.2.3.4,nqn=x",
                      "controller = transport=tcp;traddr=1.2.3.4=5",
                      "controller = transport=tcp;traddr=1.2.3.4 trsvcid=4420",
                      "controller = transport=tcp;traddr=192.0.2.1;host-iface=eth0=x",
                      "controller = transport=tcp;traddr=192.0.2.1;host-iface=eth0,x",
                      "controller = transport=tcp;traddr=192.0.2.1;host-traddr=a,b",
                      "controller = transport=tcp;traddr=192.0.2.1;trsvcid=4420,hostnqn=x",
                      "controller = transport=tcp,hostnqn=x;traddr=192.0.2.1",
                      "controller = transport=tcp;traddr=\x01"
                      "192.0.2.1",
                      "host-iface = eth0,nqn=x\ncontroller = transport=tcp;traddr=192.0.2.1",
                      "nqn = nqn.x,hostnqn=y\ncontroller = transport=tcp;traddr=192.0.2.1"));

// Secrets belong to [Host] or an endpoint section: on a controller= line (which D-Bus and the
// log show with the path) it is an error, and no message quotes it.
TEST(NvmeStasConfTest, ASecretOnAControllerLineIsAnErrorAndNeverQuoted) {
  const std::vector<std::pair<std::string, std::string>> secrets = {
      {"kxchap-secret", kSecret},
      {"kxchap-ctrl-secret", "hunter2-ctrl-value"},
      {"dhchap-secret", "hunter2-dhchap-value"},
      {"tls-key", "NVMeTLSkey-1:01:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0:"},
      {"keyring", "hunter2-keyring-value"},
      {"tls", "yes"}};
  for (const auto& [key, value] : secrets) {
    LoadedNvmeStasConf r = ParseMain(
        "[Subsystem]\nnqn = nqn.2014-08.org.example:s\n"
        "controller = transport=tcp;traddr=192.0.2.1;" +
        key + "=" + value + "\n");
    EXPECT_FALSE(r.conf) << key;
    EXPECT_TRUE(Has(r.diagnostics, Severity::kError,
                    "nvme-stas.conf:3:", key + " is not allowed on a controller= line"))
        << Dump(r.diagnostics);
    if (key != "tls") {
      for (const Diagnostic& d : r.diagnostics)
        EXPECT_EQ(d.message.find(value), std::string::npos) << d.message;
    }
  }
}

TEST(NvmeStasConfTest, ASecretIsNeverQuotedWherePlaced) {
  LoadedNvmeStasConf r = ParseMain(
      "[Host]\nkxchap-ctrl-secret = hunter2-host-value\n"
      "[Discovery Controller Defaults]\nkxchap-secret = hunter2-defaults-value\n"
      "[Subsystem]\nnqn = nqn.2014-08.org.example:s\nkxchap-secret = hunter2-section-value\n"
      "tls-key = hunter2-tls-value\n" +
      kGoodLine);
  EXPECT_FALSE(r.conf);
  EXPECT_TRUE(Has(r.diagnostics, Severity::kError, "nvme-stas.conf:2:", "kxchap-ctrl-secret"));
  EXPECT_TRUE(Has(r.diagnostics, Severity::kWarning, "nvme-stas.conf:4:", "belongs in [Host]"));
  EXPECT_TRUE(Has(r.diagnostics, Severity::kError, "nvme-stas.conf:7:", "kxchap-secret"));
  EXPECT_TRUE(Has(r.diagnostics, Severity::kError, "nvme-stas.conf:8:", "tls-key"));
  for (const Diagnostic& d : r.diagnostics)
    EXPECT_EQ(d.message.find("hunter2"), std::string::npos) << d.message;
}

// TLS keys on an endpoint section are the controller= keys of the same names (docs/
// compatibility.md, "TLS"); tls-key and keyring turn tls on.
TEST(NvmeStasConfTest, TlsKeysOfAnEndpointSectionGoToItsControllers) {
  LoadedNvmeStasConf r =
      ParseMain(std::string("[Subsystem]\nnqn = nqn.2014-08.org.example:s\n") +
                "tls-key = " + kTestTlsKey + "\nkeyring = tenant-keys\n" + kGoodLine +
                "[Subsystem]\nnqn = nqn.2014-08.org.example:t\ntls = yes\n" + kGoodLine +
                "[I/O Controller Defaults]\ntls = yes\n");
  ASSERT_TRUE(r.conf) << Dump(r.diagnostics);
  ASSERT_EQ(r.conf->subsystems.size(), 2u);
  const ControllerEntry& keyed = r.conf->subsystems[0].entry;
  EXPECT_EQ(keyed.tls_key, kTestTlsKey);
  EXPECT_EQ(keyed.keyring, "tenant-keys");
  EXPECT_EQ(keyed.overrides.tls, std::optional<bool>(true));
  const ControllerEntry& plain = r.conf->subsystems[1].entry;
  EXPECT_EQ(plain.overrides.tls, std::optional<bool>(true));
  EXPECT_FALSE(plain.tls_key || plain.keyring);
  EXPECT_TRUE(Has(r.diagnostics, Severity::kWarning, "nvme-stas.conf:", "tls is supported in"))
      << Dump(r.diagnostics);
}

TEST(NvmeStasConfTest, WarningsDoNotRejectTheConfiguration) {
  LoadedNvmeStasConf r = ParseMain(
      "[Host]\n"                                             // 1
      "hostnqn = nqn.2014-08.org.example:h\n"                // 2: no hostid
      "tls = yes\n"                                          // 3: not supported yet (here)
      "[I/O Controller Defaults]\n"                          // 4
      "queue-size = 32\n"                                    // 5
      "[I/O Controller Defaults]\n"                          // 6: repeated
      "nr-io-queues = 2\n"                                   // 7
      "[Subsystem]\n"                                        // 8
      "nqn = nqn.2014-08.org.example:s\n"                    // 9
      "kato = 5\n"                                           // 10: 2.x spelling
      "colour = blue\n"                                      // 11: unknown
      "fast-io-fail-tmo = 5\n"                               // 12: not supported
      "controller = transport=tcp;traddr=192.0.2.1;tos=1\n"  // 13
      "[Global]\n"                                           // 14: unknown section
      "tron = true\n");
  ASSERT_TRUE(r.conf) << Dump(r.diagnostics);
  EXPECT_EQ(Count(r.diagnostics, Severity::kError), 0u);
  const Diagnostics& d = r.diagnostics;
  EXPECT_TRUE(Has(d, Severity::kWarning, "nvme-stas.conf:1:", "no hostid")) << Dump(d);
  EXPECT_TRUE(Has(d, Severity::kWarning, "nvme-stas.conf:3:", "tls is not supported yet"));
  EXPECT_TRUE(Has(d, Severity::kWarning, "nvme-stas.conf:6:", "the two are merged"));
  EXPECT_TRUE(Has(d, Severity::kWarning, "nvme-stas.conf:10:",
                  "[Subsystem] kato: unknown option (nvme-stas 3.x spells it keep-alive-tmo)"));
  EXPECT_TRUE(Has(d, Severity::kWarning, "nvme-stas.conf:11:", "colour: unknown option"));
  EXPECT_TRUE(Has(d, Severity::kWarning, "nvme-stas.conf:12:", "is not supported"));
  EXPECT_TRUE(Has(d, Severity::kWarning, "nvme-stas.conf:13:", "tos is not supported"));
  EXPECT_TRUE(Has(d, Severity::kWarning, "nvme-stas.conf:14:", "unknown section [Global]"));
  EXPECT_EQ(d.size(), 8u) << Dump(d);
  // The two Defaults sections are one.
  const ControllerEntry& io = r.conf->subsystems.at(0).entry;
  EXPECT_EQ(io.overrides.queue_size, 32);
  EXPECT_EQ(io.overrides.nr_io_queues, 2);
  EXPECT_EQ(io.overrides.kato, std::nullopt);
}

TEST(NvmeStasConfTest, NothingToReadIsAnEmptyConfiguration) {
  LoadedNvmeStasConf r = Parse({{"nvme-stas.conf", ""}});
  ASSERT_TRUE(r.conf);
  EXPECT_TRUE(r.diagnostics.empty());
  EXPECT_FALSE(r.conf->host);
  EXPECT_TRUE(r.conf->discovery_controllers.empty());
  EXPECT_TRUE(r.conf->subsystems.empty());
  EXPECT_TRUE(ParseNvmeStasConf({}).conf);
}

// LoadNvmeStasConf(): the files on disk.
class NvmeStasConfLoadTest : public ::testing::Test {
 protected:
  std::string Main() const { return tmp_.path() + "/nvme-stas.conf"; }
  std::string DropIn(const std::string& name) const { return Main() + ".d/" + name; }
  static std::string Subsystem(const std::string& tag) {
    return "[Subsystem]\nnqn = nqn.2014-08.org.example:" + tag +
           "\ncontroller = transport=tcp;traddr=192.0.2.1\n";
  }

  testing::ScopedTempDir tmp_{"nvme-stas-conf-test"};
};

TEST_F(NvmeStasConfLoadTest, MissingFilesAreAnEmptyConfiguration) {
  LoadedNvmeStasConf r = LoadNvmeStasConf(Main());
  ASSERT_TRUE(r.conf);
  EXPECT_TRUE(r.diagnostics.empty()) << Dump(r.diagnostics);
  EXPECT_TRUE(r.conf->files.empty());
  EXPECT_TRUE(r.conf->subsystems.empty());
}

TEST_F(NvmeStasConfLoadTest, ReadsTheMainFileThenItsDropInsInNameOrder) {
  testing::WriteFileText(Main(), Subsystem("main"));
  testing::WriteFileText(DropIn("20-b.conf"), Subsystem("b"));
  testing::WriteFileText(DropIn("10-a.conf"), Subsystem("a"));
  testing::WriteFileText(DropIn("30-c.conf.disabled"), Subsystem("c"));
  testing::WriteFileText(DropIn("README"), "not INI at all: [");
  LoadedNvmeStasConf r = LoadNvmeStasConf(Main());
  ASSERT_TRUE(r.conf) << Dump(r.diagnostics);
  EXPECT_EQ(r.conf->files,
            (std::vector<std::string>{Main(), DropIn("10-a.conf"), DropIn("20-b.conf")}));
  ASSERT_EQ(r.conf->subsystems.size(), 3u);
  EXPECT_EQ(r.conf->subsystems[1].entry.subsysnqn, "nqn.2014-08.org.example:a");
  EXPECT_EQ(r.conf->subsystems[1].file, DropIn("10-a.conf"));
}

TEST_F(NvmeStasConfLoadTest, DropInsWithoutAMainFile) {
  testing::WriteFileText(DropIn("a.conf"), Subsystem("a"));
  LoadedNvmeStasConf r = LoadNvmeStasConf(Main());
  ASSERT_TRUE(r.conf) << Dump(r.diagnostics);
  EXPECT_EQ(r.conf->files, std::vector<std::string>{DropIn("a.conf")});
  EXPECT_EQ(r.conf->subsystems.size(), 1u);
}

TEST_F(NvmeStasConfLoadTest, AtMostTheCapOfDropInsAreReadTheFirstInNameOrder) {
  const size_t n = kMaxNvmeStasConfDropIns + 2;
  for (size_t i = 0; i < n; ++i) {
    std::string name = std::to_string(i);
    name = std::string(4 - name.size(), '0') + name + ".conf";  // 0000.conf ... 0257.conf
    testing::WriteFileText(DropIn(name), Subsystem("s" + std::to_string(i)));
  }
  LoadedNvmeStasConf r = LoadNvmeStasConf(Main());
  ASSERT_TRUE(r.conf) << Dump(r.diagnostics);
  EXPECT_EQ(r.conf->subsystems.size(), kMaxNvmeStasConfDropIns);
  EXPECT_EQ(r.conf->subsystems.back().entry.subsysnqn,
            "nqn.2014-08.org.example:s" + std::to_string(kMaxNvmeStasConfDropIns - 1));
  ASSERT_EQ(r.diagnostics.size(), 1u) << Dump(r.diagnostics);
  EXPECT_TRUE(Has(r.diagnostics, Severity::kWarning, Main() + ".d: ",
                  "258 drop-ins; only the first 256 in name order are read (from 0256.conf on"));
}

// A FIFO is refused without being opened for reading, so the reload never waits on it.
TEST_F(NvmeStasConfLoadTest, AFifoIsAnErrorAndNeverWaitedOn) {
  testing::WriteFileText(Main(), Subsystem("main"));
  std::filesystem::create_directories(Main() + ".d");
  ASSERT_EQ(::mkfifo(DropIn("fifo.conf").c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  LoadedNvmeStasConf r = LoadNvmeStasConf(Main());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_FALSE(r.conf);
  EXPECT_TRUE(
      Has(r.diagnostics, Severity::kError, DropIn("fifo.conf") + ": ", "not a regular file"))
      << Dump(r.diagnostics);
}

TEST_F(NvmeStasConfLoadTest, AFileThatExistsButCannotBeReadIsAnError) {
  testing::WriteFileText(Main(), Subsystem("main") + std::string(kMaxNvmeStasConfFileBytes, '#'));
  LoadedNvmeStasConf r = LoadNvmeStasConf(Main());
  EXPECT_FALSE(r.conf);
  EXPECT_TRUE(Has(r.diagnostics, Severity::kError, Main() + ": ", "larger than"))
      << Dump(r.diagnostics);
  // A directory where a drop-in is expected.
  testing::WriteFileText(Main(), Subsystem("main"));
  std::filesystem::create_directories(DropIn("dir.conf"));
  r = LoadNvmeStasConf(Main());
  EXPECT_FALSE(r.conf);
  EXPECT_EQ(Count(r.diagnostics, Severity::kError), 1u) << Dump(r.diagnostics);
}

}  // namespace
}  // namespace stas
