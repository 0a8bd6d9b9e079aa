// SPDX-License-Identifier: Apache-2.0
#include "common/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/config/config_json.h"
#include "common/config/config_options.h"
#include "common/testing/fake_keyrings.h"

namespace stas {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

LoadedConfig Parse(Daemon d, const std::string& text) {
  return ParseServiceConfig(d, ParseIniText(text, "test.conf"));
}

// The text of every diagnostic, one per line, for substring assertions.
std::string AllText(const Diagnostics& diags) {
  std::string out;
  for (const Diagnostic& d : diags)
    out += d.ToString() + "\n";
  return out;
}

TEST(ConfigTest, DefaultsOfStafd) {
  LoadedConfig l = Parse(Daemon::kStafd, "");
  const ServiceConfig& c = l.config;
  EXPECT_TRUE(l.diagnostics.empty());
  EXPECT_FALSE(c.tron);
  EXPECT_EQ(c.connect.hdr_digest, false);
  EXPECT_EQ(c.connect.data_digest, false);
  EXPECT_EQ(c.connect.kato, 30);
  EXPECT_FALSE(c.connect.queue_size);
  EXPECT_FALSE(c.connect.reconnect_delay);
  EXPECT_FALSE(c.connect.ctrl_loss_tmo);
  EXPECT_FALSE(c.connect.disable_sqflow);
  EXPECT_FALSE(c.ignore_iface);
  EXPECT_EQ(c.ip_family, (IpFamilies{true, true}));
  EXPECT_TRUE(c.pleo);
  EXPECT_TRUE(c.zeroconf);
  EXPECT_TRUE(c.persistent_connections);
  EXPECT_EQ(c.zeroconf_persistence_sec, 259200);
  EXPECT_TRUE(c.controllers.empty());
  EXPECT_TRUE(c.excludes.empty());
}

TEST(ConfigTest, DefaultsOfStacd) {
  const ServiceConfig c = Parse(Daemon::kStacd, "").config;
  EXPECT_FALSE(c.connect.kato);  // the kernel decides for I/O controllers
  EXPECT_FALSE(c.connect.nr_io_queues);
  EXPECT_EQ(c.disconnect_scope, DisconnectScope::kOnlyStasConnections);
  EXPECT_EQ(c.disconnect_trtypes, std::vector<std::string>{"tcp"});
  EXPECT_EQ(c.connect_attempts_on_ncc, 0);
}

TEST(ConfigTest, EveryGlobalOptionIsRead) {
  const ServiceConfig c = Parse(Daemon::kStacd,
                                "[Global]\n"
                                "tron=TRUE\n"
                                "hdr-digest=true\n"
                                "data-digest=True\n"
                                "kato=120\n"
                                "nr-io-queues=8\n"
                                "nr-write-queues=2\n"
                                "nr-poll-queues=1\n"
                                "queue-size=1024\n"
                                "reconnect-delay=10\n"
                                "ctrl-loss-tmo=-1\n"
                                "disable-sqflow=true\n"
                                "ignore-iface=true\n"
                                "ip-family=ipv6\n")
                              .config;
  EXPECT_TRUE(c.tron);
  EXPECT_EQ(c.connect.hdr_digest, true);
  EXPECT_EQ(c.connect.data_digest, true);
  EXPECT_EQ(c.connect.kato, 120);
  EXPECT_EQ(c.connect.nr_io_queues, 8);
  EXPECT_EQ(c.connect.nr_write_queues, 2);
  EXPECT_EQ(c.connect.nr_poll_queues, 1);
  EXPECT_EQ(c.connect.queue_size, 1024);
  EXPECT_EQ(c.connect.reconnect_delay, 10);
  EXPECT_EQ(c.connect.ctrl_loss_tmo, -1);
  EXPECT_EQ(c.connect.disable_sqflow, true);
  EXPECT_TRUE(c.ignore_iface);
  EXPECT_EQ(c.ip_family, (IpFamilies{false, true}));
}

TEST(ConfigTest, IpFamilySpellings) {
  EXPECT_EQ(Parse(Daemon::kStafd, "[Global]\nip-family=ipv4\n").config.ip_family,
            (IpFamilies{true, false}));
  EXPECT_EQ(Parse(Daemon::kStafd, "[Global]\nip-family=ipv6+ipv4\n").config.ip_family,
            (IpFamilies{true, true}));
  LoadedConfig bad = Parse(Daemon::kStafd, "[Global]\nip-family=ipv5\n");
  EXPECT_EQ(bad.config.ip_family, (IpFamilies{true, true}));
  EXPECT_THAT(AllText(bad.diagnostics),
              HasSubstr("test.conf:2: [Global] ip-family: invalid value \"ipv5\""));
}

TEST(ConfigTest, StafdSections) {
  const ServiceConfig c =
      Parse(Daemon::kStafd,
            "[Global]\npleo=Disabled\n"
            "[Service Discovery]\nzeroconf=disabled\n"
            "[Discovery controller connection management]\n"
            "persistent-connections=false\nzeroconf-connections-persistence=3 days 5 hours\n")
          .config;
  EXPECT_FALSE(c.pleo);
  EXPECT_FALSE(c.zeroconf);
  EXPECT_FALSE(c.persistent_connections);
  EXPECT_EQ(c.zeroconf_persistence_sec, 3 * 86400 + 5 * 3600);
}

TEST(ConfigTest, ZeroconfPersistenceSpellings) {
  auto persistence = [](const std::string& v) {
    return Parse(Daemon::kStafd,
                 "[Discovery controller connection management]\n"
                 "zeroconf-connections-persistence=" +
                     v + "\n")
        .config.zeroconf_persistence_sec;
  };
  EXPECT_EQ(persistence("72hours"), 259200);
  EXPECT_EQ(persistence("10"), 10);
  EXPECT_EQ(persistence("0"), 0);
  EXPECT_EQ(persistence("-1"), -1);
  EXPECT_EQ(persistence("1:30"), 90);
  EXPECT_EQ(persistence("forever"), 259200);  // invalid: default
  // Beyond long long (undefined to convert, as UBSan reports) or beyond a century: a century.
  EXPECT_EQ(persistence("1e300"), kMaxPersistenceSec);
  EXPECT_EQ(persistence("99999999999 days"), kMaxPersistenceSec);
  EXPECT_EQ(persistence("3153600000"), kMaxPersistenceSec);
}

TEST(ConfigTest, StacdConnectionManagement) {
  const ServiceConfig c = Parse(Daemon::kStacd,
                                "[I/O controller connection management]\n"
                                "disconnect-scope=all-connections-matching-disconnect-trtypes\n"
                                "disconnect-trtypes=tcp+rdma+tcp\n"
                                "connect-attempts-on-ncc=5\n")
                              .config;
  EXPECT_EQ(c.disconnect_scope, DisconnectScope::kAllConnectionsMatchingDisconnectTrtypes);
  EXPECT_EQ(c.disconnect_trtypes, (std::vector<std::string>{"tcp", "rdma"}));
  EXPECT_EQ(c.connect_attempts_on_ncc, 5);
  EXPECT_EQ(Parse(Daemon::kStacd,
                  "[I/O controller connection management]\n"
                  "disconnect-scope=no-disconnect\n")
                .config.disconnect_scope,
            DisconnectScope::kNoDisconnect);
}

TEST(ConfigTest, DisconnectScopeIsCaseSensitive) {
  LoadedConfig l = Parse(
      Daemon::kStacd, "[I/O controller connection management]\ndisconnect-scope=No-Disconnect\n");
  EXPECT_EQ(l.config.disconnect_scope, DisconnectScope::kOnlyStasConnections);
  EXPECT_THAT(AllText(l.diagnostics),
              HasSubstr("disconnect-scope: invalid value \"No-Disconnect\""));
}

TEST(ConfigTest, DisconnectTrtypesDropsInvalidItems) {
  LoadedConfig l =
      Parse(Daemon::kStacd, "[I/O controller connection management]\ndisconnect-trtypes=fc+loop\n");
  EXPECT_EQ(l.config.disconnect_trtypes, std::vector<std::string>{"fc"});
  EXPECT_THAT(AllText(l.diagnostics), HasSubstr("\"loop\" is not one of tcp, rdma, fc; dropped"));
  LoadedConfig none =
      Parse(Daemon::kStacd, "[I/O controller connection management]\ndisconnect-trtypes=pcie\n");
  EXPECT_EQ(none.config.disconnect_trtypes, std::vector<std::string>{"tcp"});
  EXPECT_THAT(AllText(none.diagnostics), HasSubstr("using the default tcp"));
}

TEST(ConfigTest, ConnectAttemptsOnNcc) {
  auto attempts = [](const std::string& v) {
    return Parse(Daemon::kStacd,
                 "[I/O controller connection management]\nconnect-attempts-on-ncc=" + v + "\n")
        .config.connect_attempts_on_ncc;
  };
  EXPECT_EQ(attempts("1"), 2);  // one attempt would never reach the fast retry
  EXPECT_EQ(attempts("0"), 0);
  EXPECT_EQ(attempts("3"), 3);
  EXPECT_EQ(attempts("many"), 0);
  EXPECT_EQ(attempts("-4"), 0);
}

// #13, finding 3.
TEST(ConfigTest, LimitsDefaultsAndValues) {
  const Limits f = Parse(Daemon::kStafd, "").config.limits;
  EXPECT_EQ(f.max_discovery_controllers, 256);
  EXPECT_EQ(f.max_referrals_per_dc, 64);
  EXPECT_EQ(f.max_log_page_entries, 4096);
  EXPECT_EQ(f.log_page_read_timeout_sec, 60);
  EXPECT_FALSE(f.follow_cross_transport);
  EXPECT_EQ(Parse(Daemon::kStacd, "").config.limits.max_iocs_per_dc, 1024);

  LoadedConfig l = Parse(Daemon::kStafd,
                         "[Limits]\nmax-discovery-controllers=8\nmax-referrals-per-dc=0\n"
                         "max-log-page-entries=65536\nlog-page-read-timeout=5\n"
                         "cross-transport-entries=Follow\n");
  EXPECT_TRUE(l.diagnostics.empty()) << AllText(l.diagnostics);
  EXPECT_EQ(l.config.limits.max_discovery_controllers, 8);
  EXPECT_EQ(l.config.limits.max_referrals_per_dc, 0);
  EXPECT_EQ(l.config.limits.max_log_page_entries, 65536);
  EXPECT_EQ(l.config.limits.log_page_read_timeout_sec, 5);
  EXPECT_TRUE(l.config.limits.follow_cross_transport);
  nlohmann::ordered_json j = ConfigToJson(l.config);
  EXPECT_EQ(j["Limits"]["max-discovery-controllers"], 8);
  EXPECT_EQ(j["Limits"]["cross-transport-entries"], "follow");
  EXPECT_FALSE(j["Limits"].contains("max-iocs-per-dc"));  // stacd's

  LoadedConfig c = Parse(Daemon::kStacd, "[Limits]\nmax-iocs-per-dc=3\n");
  EXPECT_EQ(c.config.limits.max_iocs_per_dc, 3);
}

TEST(ConfigTest, LimitsOutOfRangeKeepTheirDefaults) {
  LoadedConfig l = Parse(Daemon::kStafd,
                         "[Limits]\nmax-discovery-controllers=0\nmax-referrals-per-dc=-1\n"
                         "max-log-page-entries=65537\nlog-page-read-timeout=0\n"
                         "cross-transport-entries=maybe\nmax-iocs-per-dc=5\n");
  EXPECT_EQ(l.config.limits, ServiceConfig::Defaults(Daemon::kStafd).limits);
  std::string text = AllText(l.diagnostics);
  EXPECT_THAT(text, HasSubstr("test.conf:2: [Limits] max-discovery-controllers: invalid value "
                              "\"0\" (out of range 1..65536); using the default 256"));
  EXPECT_THAT(text, HasSubstr("[Limits] max-referrals-per-dc: invalid value \"-1\""));
  EXPECT_THAT(text, HasSubstr("(out of range 1..65536); using the default 4096"));
  EXPECT_THAT(text, HasSubstr("(out of range 1..3600); using the default 60"));
  EXPECT_THAT(text, HasSubstr("(expected ignore or follow); using the default ignore"));
  EXPECT_THAT(text, HasSubstr("max-iocs-per-dc"));  // not a stafd option
  EXPECT_EQ(l.diagnostics.size(), 6u);
}

TEST(ConfigTest, BadValuesKeepDefaultsAndNameFileLineOptionAndValue) {
  LoadedConfig l = Parse(Daemon::kStafd,
                         "[Global]\n"
                         "tron=yes\n"
                         "kato=thirty\n"
                         "queue-size=8\n"
                         "ctrl-loss-tmo=-2\n"
                         "reconnect-delay=0\n");
  EXPECT_FALSE(l.config.tron);
  EXPECT_EQ(l.config.connect.kato, 30);
  EXPECT_FALSE(l.config.connect.queue_size);
  EXPECT_FALSE(l.config.connect.ctrl_loss_tmo);
  EXPECT_FALSE(l.config.connect.reconnect_delay);
  std::string text = AllText(l.diagnostics);
  EXPECT_THAT(text, HasSubstr("test.conf:2: [Global] tron: invalid value \"yes\" (expected true or "
                              "false); using the default false"));
  EXPECT_THAT(text, HasSubstr("test.conf:3: [Global] kato: invalid value \"thirty\" (expected an "
                              "integer); using the default 30"));
  EXPECT_THAT(text, HasSubstr("test.conf:4: [Global] queue-size: invalid value \"8\" (out of range "
                              "16..1024); leaving it unset"));
  EXPECT_THAT(text, HasSubstr("test.conf:5: [Global] ctrl-loss-tmo"));
  EXPECT_THAT(text, HasSubstr("test.conf:6: [Global] reconnect-delay"));
  EXPECT_EQ(l.diagnostics.size(), 5u);
}

TEST(ConfigTest, IntegerOverflowIsInvalid) {
  LoadedConfig l = Parse(Daemon::kStafd, "[Global]\nkato=99999999999999999999\n");
  EXPECT_EQ(l.config.connect.kato, 30);
  EXPECT_EQ(l.diagnostics.size(), 1u);
}

TEST(ConfigTest, LastOccurrenceWins) {
  EXPECT_EQ(Parse(Daemon::kStafd, "[Global]\nkato=10\n[Global]\nkato=20\n").config.connect.kato,
            20);
}

TEST(ConfigTest, OptionNamesAreCaseInsensitive) {
  EXPECT_TRUE(Parse(Daemon::kStafd, "[Global]\nTRON=true\n").config.tron);
}

TEST(ConfigTest, UnknownSectionsAndOptionsAreReported) {
  LoadedConfig l =
      Parse(Daemon::kStafd,
            "[Global]\nnr-io-queues=4\nfoo=bar\n"
            "[global]\ntron=true\n"
            "[I/O controller connection management]\ndisconnect-scope=no-disconnect\n");
  std::string text = AllText(l.diagnostics);
  // nr-io-queues is a stacd option: stafd ignores it (nvme-stas passed it on anyway).
  EXPECT_THAT(text, HasSubstr("test.conf:2: [Global] nr-io-queues: unknown option; ignored"));
  EXPECT_THAT(text, HasSubstr("test.conf:3: [Global] foo: unknown option; ignored"));
  EXPECT_THAT(text, HasSubstr("test.conf:4: unknown section [global]"));
  EXPECT_THAT(text,
              HasSubstr("test.conf:6: unknown section [I/O controller connection management]"));
  EXPECT_FALSE(l.config.tron);
  EXPECT_FALSE(l.config.connect.nr_io_queues);
}

TEST(ConfigTest, BareOptionWithoutValueKeepsDefault) {
  LoadedConfig l = Parse(Daemon::kStafd, "[Global]\nkato\n");
  EXPECT_EQ(l.config.connect.kato, 30);
  EXPECT_THAT(AllText(l.diagnostics), HasSubstr("test.conf:2: [Global] kato has no value"));
}

TEST(ConfigTest, LegacyPersistentConnectionsIsHonouredWithAWarning) {
  LoadedConfig l = Parse(Daemon::kStafd, "[Global]\npersistent-connections=false\n");
  EXPECT_FALSE(l.config.persistent_connections);
  EXPECT_THAT(AllText(l.diagnostics),
              HasSubstr("test.conf:2: [Global] persistent-connections is deprecated"));
}

TEST(ConfigTest, NewPersistentConnectionsLocationWinsOverLegacy) {
  LoadedConfig l =
      Parse(Daemon::kStafd,
            "[Global]\npersistent-connections=false\n"
            "[Discovery controller connection management]\npersistent-connections=true\n");
  EXPECT_TRUE(l.config.persistent_connections);
  EXPECT_THAT(AllText(l.diagnostics), HasSubstr("overridden"));
}

TEST(ConfigTest, ObsoleteStacdOptionsAreIgnoredWithAWarning) {
  LoadedConfig l =
      Parse(Daemon::kStacd, "[Global]\nsticky-connections=enabled\nudev-rule=disabled\n");
  std::string text = AllText(l.diagnostics);
  EXPECT_THAT(text, HasSubstr("test.conf:2: [Global] sticky-connections: obsolete option"));
  EXPECT_THAT(text, HasSubstr("test.conf:3: [Global] udev-rule: obsolete option"));
}

TEST(ConfigTest, ControllerEntriesWithEveryKey) {
  LoadedConfig l = Parse(
      Daemon::kStacd,
      "[Controllers]\n"
      "controller = transport=tcp ; traddr=192.0.2.10 ;trsvcid=4420; "
      "nqn=nqn.2014-08.com.example:s1;"
      "host-traddr=192.0.2.1;host-iface=eth0;host-nqn=nqn.2014-08.org.nvmexpress:uuid:1;"
      "dhchap-secret=DHHC-1:00:YWJjZA==:;dhchap-ctrl-secret=DHHC-1:01:ZWZnaA==:;hdr-digest=true;"
      "data-digest=false;nr-io-queues=4;nr-write-queues=2;nr-poll-queues=1;queue-size=64;kato=5;"
      "reconnect-delay=3;ctrl-loss-tmo=60;disable-sqflow=true\n");
  EXPECT_TRUE(l.diagnostics.empty()) << AllText(l.diagnostics);
  ASSERT_EQ(l.config.controllers.size(), 1u);
  const ControllerEntry& c = l.config.controllers[0];
  EXPECT_EQ(c.transport, "tcp");
  EXPECT_EQ(c.traddr, "192.0.2.10");
  EXPECT_EQ(c.trsvcid, "4420");
  EXPECT_EQ(c.subsysnqn, "nqn.2014-08.com.example:s1");
  EXPECT_EQ(c.host_traddr, "192.0.2.1");
  EXPECT_EQ(c.host_iface, "eth0");
  EXPECT_EQ(c.host_nqn, "nqn.2014-08.org.nvmexpress:uuid:1");
  // Base64 padding '=' survives: the value is split from the key on the first '=' only.
  EXPECT_EQ(c.dhchap_secret, "DHHC-1:00:YWJjZA==:");
  EXPECT_EQ(c.dhchap_ctrl_secret, "DHHC-1:01:ZWZnaA==:");
  EXPECT_EQ(c.overrides.hdr_digest, true);
  EXPECT_EQ(c.overrides.data_digest, false);
  EXPECT_EQ(c.overrides.nr_io_queues, 4);
  EXPECT_EQ(c.overrides.nr_write_queues, 2);
  EXPECT_EQ(c.overrides.nr_poll_queues, 1);
  EXPECT_EQ(c.overrides.queue_size, 64);
  EXPECT_EQ(c.overrides.kato, 5);
  EXPECT_EQ(c.overrides.reconnect_delay, 3);
  EXPECT_EQ(c.overrides.ctrl_loss_tmo, 60);
  EXPECT_EQ(c.overrides.disable_sqflow, true);
  EXPECT_EQ(c.line, 2);
  ASSERT_EQ(c.extras.size(), 13u);
  EXPECT_EQ(c.extras[0],
            (std::pair<std::string, std::string>{"host-nqn", "nqn.2014-08.org.nvmexpress:uuid:1"}));
  EXPECT_EQ(c.extras[3], (std::pair<std::string, std::string>{"hdr-digest", "True"}));
  EXPECT_EQ(c.extras[6], (std::pair<std::string, std::string>{"nr-write-queues", "2"}));
}

TEST(ConfigTest, PersistentIsAStafdChoicePerDcAndGlobal) {
  LoadedConfig l = Parse(Daemon::kStafd,
                         "[Discovery controller connection management]\n"
                         "persistent = auto\n"
                         "epcsd-poll-interval-minutes = 5\n"
                         "[Controllers]\n"
                         "controller = transport=tcp;traddr=192.0.2.10;persistent=force\n"
                         "controller = transport=tcp;traddr=192.0.2.11;persistent=sometimes\n"
                         "controller = transport=tcp;traddr=192.0.2.12\n");
  EXPECT_EQ(l.config.dc_persistence, DcPersistence::kAuto);
  EXPECT_EQ(l.config.epcsd_poll_minutes, 5);
  ASSERT_EQ(l.config.controllers.size(), 3u);
  EXPECT_EQ(l.config.controllers[0].persistent, DcPersistence::kForce);
  EXPECT_EQ(l.config.controllers[0].extras,
            (std::vector<std::pair<std::string, std::string>>{{"persistent", "force"}}));
  EXPECT_EQ(l.config.controllers[1].persistent, DcPersistence::kUnset);
  EXPECT_EQ(l.config.controllers[2].persistent, DcPersistence::kUnset);
  EXPECT_THAT(AllText(l.diagnostics), HasSubstr("persistent \"sometimes\" is not one of no, "
                                                "auto, force"));
  EXPECT_EQ(ConfigToJson(l.config)["Discovery controller connection management"]["persistent"],
            "auto");

  // Unset by default (nvme-stas 2.x: always held); bad values keep the defaults.
  LoadedConfig d = Parse(Daemon::kStafd,
                         "[Discovery controller connection management]\n"
                         "persistent = sometimes\nepcsd-poll-interval-minutes = 0\n");
  EXPECT_EQ(d.config.dc_persistence, DcPersistence::kUnset);
  EXPECT_EQ(d.config.epcsd_poll_minutes, kDefaultEpcsdPollMinutes);
  EXPECT_THAT(AllText(d.diagnostics), HasSubstr("epcsd-poll-interval-minutes: invalid value"));
  EXPECT_THAT(AllText(d.diagnostics), HasSubstr("persistent: invalid value"));
}

// nvme-stas 3.x's spellings of two options are honoured, and win over the 2.x ones.
TEST(ConfigTest, ThreeXSpellingsAreAliases) {
  LoadedConfig f = Parse(Daemon::kStafd,
                         "[Discovery controller connection management]\n"
                         "zeroconf-connections-persistence = 1 hour\n"
                         "dc-giveup-timeout = 1M\n");
  EXPECT_EQ(f.config.zeroconf_persistence_sec, 2629800);  // a month, not a minute
  EXPECT_THAT(AllText(f.diagnostics), HasSubstr("are two spellings of one option"));
  LoadedConfig inf = Parse(Daemon::kStafd,
                           "[Discovery controller connection management]\n"
                           "dc-giveup-timeout = infinity\n");
  EXPECT_EQ(inf.config.zeroconf_persistence_sec, -1);
  EXPECT_TRUE(inf.diagnostics.empty()) << AllText(inf.diagnostics);
  // Shown once, under the 2.x name.
  EXPECT_FALSE(ConfigToJson(inf.config)["Discovery controller connection management"].contains(
      "dc-giveup-timeout"));

  LoadedConfig no =
      Parse(Daemon::kStacd, "[I/O controller connection management]\nhonor-fabric-zoning = no\n");
  EXPECT_EQ(no.config.disconnect_scope, DisconnectScope::kNoDisconnect);
  LoadedConfig yes = Parse(Daemon::kStacd,
                           "[I/O controller connection management]\n"
                           "disconnect-scope = no-disconnect\nhonor-fabric-zoning = yes\n");
  EXPECT_EQ(yes.config.disconnect_scope, DisconnectScope::kOnlyStasConnections);
  LoadedConfig bad =
      Parse(Daemon::kStacd, "[I/O controller connection management]\nhonor-fabric-zoning = 2\n");
  EXPECT_EQ(bad.config.disconnect_scope, DisconnectScope::kOnlyStasConnections);
  EXPECT_THAT(AllText(bad.diagnostics), HasSubstr("honor-fabric-zoning: invalid value \"2\""));
  // stafd does not take stacd's option.
  LoadedConfig wrong =
      Parse(Daemon::kStafd, "[I/O controller connection management]\nhonor-fabric-zoning=no\n");
  EXPECT_FALSE(wrong.diagnostics.empty());
}

TEST(ConfigTest, ConnectVolumesIsAStafdChoiceShownAmongTheExtras) {
  LoadedConfig l = Parse(Daemon::kStafd,
                         "[Controllers]\n"
                         "controller = transport=tcp;traddr=192.0.2.10;connect=volumes\n"
                         "controller = transport=tcp;traddr=192.0.2.11;connect=all\n"
                         "controller = transport=tcp;traddr=192.0.2.12;connect=some\n"
                         "controller = transport=tcp;traddr=192.0.2.13\n");
  ASSERT_EQ(l.config.controllers.size(), 4u);
  EXPECT_TRUE(l.config.controllers[0].connect_volumes_only);
  EXPECT_EQ(l.config.controllers[0].extras,
            (std::vector<std::pair<std::string, std::string>>{{"connect", "volumes"}}));
  EXPECT_FALSE(l.config.controllers[1].connect_volumes_only);
  EXPECT_FALSE(l.config.controllers[2].connect_volumes_only);
  EXPECT_TRUE(l.config.controllers[2].extras.empty());
  EXPECT_FALSE(l.config.controllers[3].connect_volumes_only);
  EXPECT_THAT(AllText(l.diagnostics),
              HasSubstr("connect \"some\" is neither \"all\" nor \"volumes\"; \"all\" is used"));

  // stacd connects what it is told to: the key means nothing to it.
  LoadedConfig c = Parse(Daemon::kStacd,
                         "[Controllers]\n"
                         "controller = transport=tcp;traddr=192.0.2.10;nqn=nqn.2014-08.com.example:"
                         "s1;connect=volumes\n");
  ASSERT_EQ(c.config.controllers.size(), 1u);
  EXPECT_FALSE(c.config.controllers[0].connect_volumes_only);
  EXPECT_THAT(AllText(c.diagnostics),
              HasSubstr("connect= applies to stafd's discovery controllers"));
}

TEST(ConfigTest, RepeatedControllerEntriesAreAllKept) {
  LoadedConfig l = Parse(Daemon::kStafd,
                         "[Controllers]\n"
                         "controller=transport=tcp;traddr=192.0.2.1\n"
                         "controller=transport=tcp;traddr=192.0.2.2;;;\n"
                         "controller=transport=tcp;traddr=localhost\n");
  ASSERT_EQ(l.config.controllers.size(), 3u);
  EXPECT_EQ(l.config.controllers[1].traddr, "192.0.2.2");
  // stafd fills in the well-known discovery NQN; the TID fills in the port later.
  EXPECT_EQ(l.config.controllers[0].subsysnqn, "nqn.2014-08.org.nvmexpress.discovery");
  EXPECT_EQ(l.config.controllers[0].trsvcid, "");
  EXPECT_EQ(l.config.controllers[2].traddr, "localhost");
}

TEST(ConfigTest, GlobalValuesApplyUnlessOverridden) {
  const ServiceConfig c = Parse(Daemon::kStacd,
                                "[Global]\nkato=10\nqueue-size=32\n[Controllers]\n"
                                "controller=transport=tcp;traddr=192.0.2.1;nqn=nqn.x;kato=4\n")
                              .config;
  ConnectOptions eff = c.connect.MergedWith(c.controllers[0].overrides);
  EXPECT_EQ(eff.kato, 4);
  EXPECT_EQ(eff.queue_size, 32);
  EXPECT_EQ(eff.hdr_digest, false);
  EXPECT_FALSE(eff.ctrl_loss_tmo);
}

TEST(ConfigTest, InvalidOverrideFallsBackToGlobal) {
  LoadedConfig l = Parse(Daemon::kStacd,
                         "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.1;nqn=nqn.x;"
                         "queue-size=9999;kato=abc\n");
  ASSERT_EQ(l.config.controllers.size(), 1u);
  EXPECT_FALSE(l.config.controllers[0].overrides.queue_size);
  EXPECT_FALSE(l.config.controllers[0].overrides.kato);
  EXPECT_TRUE(l.config.controllers[0].extras.empty());
  std::string text = AllText(l.diagnostics);
  EXPECT_THAT(text, HasSubstr("test.conf:2: [Controllers] controller="));
  EXPECT_THAT(
      text,
      HasSubstr(
          "queue-size \"9999\" is invalid (out of range 16..1024); the [Global] value is used"));
  EXPECT_THAT(text, HasSubstr("kato \"abc\" is invalid"));
}

TEST(ConfigTest, MalformedControllerTokens) {
  LoadedConfig l = Parse(Daemon::kStafd,
                         "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.1;junk;=x;"
                         "color=blue;traddr=192.0.2.9\n");
  ASSERT_EQ(l.config.controllers.size(), 1u);
  EXPECT_EQ(l.config.controllers[0].traddr, "192.0.2.9");
  std::string text = AllText(l.diagnostics);
  EXPECT_THAT(text, HasSubstr("field \"junk\" is not key=value"));
  EXPECT_THAT(text, HasSubstr("field \"=x\" is not key=value"));
  EXPECT_THAT(text, HasSubstr("unknown key \"color\"; ignored"));
  EXPECT_THAT(text, HasSubstr("traddr given twice"));
}

TEST(ConfigTest, MessagesAboutAnEntryNeverQuoteItsSecrets) {
  // Each message quotes the whole entry; the journal must not get the secrets in it.
  const std::string secret = "DHHC-1:00:ia6zGodOr2SGAaxX/1nZD5ytvqD6UR5ltdQFgEb0vIn0pkoP:";
  const std::string file =
      "[Controllers]\n"
      "controller=transport=tcp;traddr=192.0.2.1;nqn=nqn.a;dhchap-secret=" +
      secret + ";dhchap-ctrl-secret=not-a-secret-form;color=blue;dhchap-secert:" + secret +
      "\ncontroller=transport=tcp;traddr=bad address;nqn=nqn.b;" + "dhchap-secret=" + secret +
      "\nthis line has no equals sign " + secret + "\n";
  LoadedConfig l = Parse(Daemon::kStacd, file);
  std::string text = AllText(l.diagnostics);
  EXPECT_THAT(text, HasSubstr("unknown key \"color\""));
  EXPECT_THAT(text, HasSubstr("dhchap-secret=<redacted>"));
  EXPECT_THAT(text, HasSubstr("dhchap-secert:<redacted>"));
  EXPECT_THAT(text, HasSubstr("traddr \"bad address\""));
  for (const std::string& leak :
       {std::string("ia6zGodOr2SGAaxX"), std::string("not-a-secret-form")})
    EXPECT_THAT(text, Not(HasSubstr(leak))) << text;
}

// stafd used to die at start-up (std::bad_function_call) on an invalid value of the deprecated
// [Global] persistent-connections: the warning names the default it keeps, and that option
// had no way to show it. Found by tests/fuzz/config_fuzz.cc.
TEST(ConfigTest, InvalidLegacyPersistentConnectionsKeepsTheDefault) {
  LoadedConfig l = Parse(Daemon::kStafd, "[Global]\npersistent-connections=maybe\n");
  EXPECT_TRUE(l.config.persistent_connections);
  EXPECT_THAT(AllText(l.diagnostics),
              HasSubstr("[Global] persistent-connections: invalid value \"maybe\""));
  EXPECT_THAT(AllText(l.diagnostics), HasSubstr("using the default true"));
}

// A diagnostic is one printable line whatever bytes the file holds. Found by
// tests/fuzz/controller_entry_fuzz.cc: a repeated key was quoted raw.
TEST(ConfigTest, RepeatedKeyIsShownPrintable) {
  Diagnostics diag;
  (void)ParseControllerEntry(Daemon::kStafd,
                             "k\x1b[2Jx=1;k\x1b[2Jx=2;transport=tcp;traddr=192.0.2.1", "test.conf",
                             3, &diag);
  std::string text = AllText(diag);
  EXPECT_THAT(text, HasSubstr("k\\x1b[2Jx given twice"));
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
}

TEST(ConfigTest, ControllerEntriesThatAreRejected) {
  struct Case {
    Daemon daemon;
    std::string entry;
    std::string why;
  };
  const std::vector<Case> cases = {
      {Daemon::kStafd, "traddr=192.0.2.1", "transport is missing"},
      {Daemon::kStafd, "transport=tcp", "traddr is missing"},
      {Daemon::kStafd, "transport=udp;traddr=192.0.2.1", "is not one of tcp, rdma, fc, loop"},
      {Daemon::kStafd, "transport=TCP;traddr=192.0.2.1", "is not one of tcp, rdma, fc, loop"},
      {Daemon::kStacd, "transport=tcp;traddr=192.0.2.1", "nqn is missing"},
      {Daemon::kStafd, "transport=tcp;traddr=192.0.2.1,host_iface=eth9", "contains ','"},
      {Daemon::kStafd, "transport=tcp;traddr=192.0.2.1;nqn=nqn.a,hostnqn=x", "contains ','"},
      {Daemon::kStafd, "transport=tcp;traddr=bad_host!", "is not a valid host name"},
      {Daemon::kStafd, "transport=tcp;traddr=192.0.2.1;trsvcid=70000", "is not a port number"},
      {Daemon::kStafd, "transport=tcp;traddr=192.0.2.1;trsvcid=http", "is not a port number"},
      {Daemon::kStafd, "transport=tcp;traddr=192.0.2.1;host-iface=a-very-long-interface-name",
       "longer than 15"},
      {Daemon::kStafd, "transport=tcp;traddr=192.0.2.1;host-nqn=host1",
       "does not start with \"nqn.\""},
      {Daemon::kStafd, "transport=tcp;traddr=192.0.2.1;dhchap-secret=secret",
       "is not a DH-HMAC-CHAP secret"},
      {Daemon::kStafd, "transport=fc;traddr=192.0.2.1", "is not a Fibre Channel address"},
      {Daemon::kStafd, "transport=tcp;traddr=[not-ipv6]", "is not an IPv6 address"},
      {Daemon::kStafd, std::string("transport=tcp;traddr=192.0.2.1;nqn=nqn.a\x01"),
       "control character"},
      {Daemon::kStacd, "transport=tcp;traddr=192.0.2.1;nqn=nqn." + std::string(230, 'x'),
       "at most 223"},
  };
  for (const Case& c : cases) {
    LoadedConfig l = Parse(c.daemon, "[Controllers]\ncontroller=" + c.entry + "\n");
    EXPECT_TRUE(l.config.controllers.empty()) << c.entry;
    std::string text = AllText(l.diagnostics);
    EXPECT_THAT(text, HasSubstr(c.why)) << c.entry;
    EXPECT_THAT(text, HasSubstr("test.conf:2:")) << c.entry;
    ASSERT_FALSE(l.diagnostics.empty());
    EXPECT_EQ(l.diagnostics.back().severity, Severity::kError) << c.entry;
  }
}

TEST(ConfigTest, FcAndLoopControllersAreKept) {
  // nvme-stas dropped them because their trsvcid is empty; we keep them on purpose.
  LoadedConfig l =
      Parse(Daemon::kStacd,
            "[Controllers]\n"
            "controller=transport=fc;traddr=nn-0x204600a098cbcac6:pn-0x204700a098cbcac6;"
            "host-traddr=nn-0x200000109b579ef6:pn-0x100000109b579ef6;nqn=nqn.fc\n"
            "controller=transport=loop;nqn=nqn.loop;trsvcid=4420\n");
  ASSERT_EQ(l.config.controllers.size(), 2u);
  EXPECT_EQ(l.config.controllers[0].transport, "fc");
  EXPECT_EQ(l.config.controllers[1].transport, "loop");
  EXPECT_EQ(l.config.controllers[1].trsvcid, "");
  EXPECT_THAT(AllText(l.diagnostics), HasSubstr("trsvcid does not apply to loop; ignored"));
}

TEST(ConfigTest, BracketedIpv6IsAccepted) {
  LoadedConfig l =
      Parse(Daemon::kStafd, "[Controllers]\ncontroller=transport=tcp;traddr=[2001:db8::1]\n");
  ASSERT_EQ(l.config.controllers.size(), 1u);
  EXPECT_EQ(l.config.controllers[0].traddr, "2001:db8::1");
}

TEST(ConfigTest, EmptyControllerIsIgnored) {
  LoadedConfig l = Parse(Daemon::kStafd, "[Controllers]\ncontroller=\ncontroller= ; ;\n");
  EXPECT_TRUE(l.config.controllers.empty());
  EXPECT_EQ(l.diagnostics.size(), 2u);
}

TEST(ConfigTest, ExcludeEntries) {
  LoadedConfig l = Parse(Daemon::kStafd,
                         "[Controllers]\n"
                         "exclude = host-iface=enp0s8   # everything on this interface\n"
                         "exclude=transport=tcp;traddr=fe80::1;nqn=nqn.x;host-traddr=10.0.0.1\n"
                         "blacklist=traddr=192.0.2.99\n");
  ASSERT_EQ(l.config.excludes.size(), 3u);
  EXPECT_EQ(l.config.excludes[0].fields,
            (std::vector<std::pair<std::string, std::string>>{{"host-iface", "enp0s8"}}));
  EXPECT_EQ(l.config.excludes[1].fields,
            (std::vector<std::pair<std::string, std::string>>{
                {"transport", "tcp"}, {"traddr", "fe80::1"}, {"subsysnqn", "nqn.x"}}));
  EXPECT_EQ(l.config.excludes[2].fields,
            (std::vector<std::pair<std::string, std::string>>{{"traddr", "192.0.2.99"}}));
  std::string text = AllText(l.diagnostics);
  EXPECT_THAT(text, HasSubstr("test.conf:3: [Controllers] "
                              "exclude=\"transport=tcp;traddr=fe80::1;nqn=nqn.x;host-traddr=10.0.0."
                              "1\": host-traddr does not apply"));
  EXPECT_THAT(text, HasSubstr("test.conf:4: [Controllers] blacklist= is deprecated"));
}

TEST(ConfigTest, EmptyExcludeDoesNotExcludeEverything) {
  LoadedConfig l = Parse(Daemon::kStafd, "[Controllers]\nexclude=\nexclude=color=red\n");
  EXPECT_TRUE(l.config.excludes.empty());
  EXPECT_THAT(AllText(l.diagnostics), HasSubstr("it does NOT exclude everything"));
}

TEST(ConfigTest, MissingFileMeansDefaults) {
  Result<LoadedConfig> l = LoadServiceConfig(Daemon::kStafd, "/nonexistent/stafd.conf", false);
  ASSERT_TRUE(l);
  EXPECT_EQ(ConfigToJson(l->config), ConfigToJson(ServiceConfig::Defaults(Daemon::kStafd)));
  Result<LoadedConfig> strict = LoadServiceConfig(Daemon::kStafd, "/nonexistent/stafd.conf", true);
  ASSERT_FALSE(strict);
  EXPECT_THAT(strict.error().message, HasSubstr("/nonexistent/stafd.conf: No such file"));
}

TEST(ConfigTest, UnreadableFileIsAnError) {
  Result<LoadedConfig> l = LoadServiceConfig(Daemon::kStafd, "/", false);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code, EISDIR);
}

TEST(ConfigTest, NvmeStasShippedFilesGiveOurDefaults) {
  for (Daemon d : {Daemon::kStafd, Daemon::kStacd}) {
    std::string name = std::string(STAS_TESTDATA_DIR) + "/nvme-stas-2.x-" + DaemonName(d) + ".conf";
    Result<LoadedConfig> l = LoadServiceConfig(d, name, true);
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_TRUE(l->diagnostics.empty()) << AllText(l->diagnostics);
    EXPECT_EQ(ConfigToJson(l->config), ConfigToJson(ServiceConfig::Defaults(d))) << name;
  }
}

TEST(ConfigTest, OurShippedFilesGiveOurDefaults) {
  for (Daemon d : {Daemon::kStafd, Daemon::kStacd}) {
    std::string name = std::string(STAS_SOURCE_DIR) + "/etc/stas/" + DaemonName(d) + ".conf";
    Result<LoadedConfig> l = LoadServiceConfig(d, name, true);
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_TRUE(l->diagnostics.empty()) << AllText(l->diagnostics);
    EXPECT_EQ(ConfigToJson(l->config), ConfigToJson(ServiceConfig::Defaults(d))) << name;
  }
}

TEST(ConfigTest, OurShippedFilesUncommentedStillGiveOurDefaults) {
  // Every "#name=value" line of the shipped files shows the default: uncommenting all of them
  // must change nothing (and every option of the daemon must be there).
  for (Daemon d : {Daemon::kStafd, Daemon::kStacd}) {
    std::string name = std::string(STAS_SOURCE_DIR) + "/etc/stas/" + DaemonName(d) + ".conf";
    Result<IniDocument> raw = ParseIniFile(name);
    ASSERT_TRUE(raw);
    std::FILE* f = std::fopen(name.c_str(), "r");
    ASSERT_NE(f, nullptr);
    std::string text;
    char line[4096];
    std::vector<std::string> seen;
    while (std::fgets(line, sizeof(line), f)) {
      std::string l(line);
      if (l.size() > 1 && l[0] == '#' && l[1] >= 'a' && l[1] <= 'z' &&
          l.find('=') != std::string::npos) {
        l.erase(0, 1);
        seen.push_back(l.substr(0, l.find('=')));
      }
      text += l;
    }
    std::fclose(f);
    LoadedConfig l = ParseServiceConfig(d, ParseIniText(text, name));
    EXPECT_TRUE(l.diagnostics.empty()) << AllText(l.diagnostics);
    EXPECT_EQ(ConfigToJson(l.config), ConfigToJson(ServiceConfig::Defaults(d))) << name;
    for (const OptionSpec& o : AllOptions()) {
      if (!o.AppliesTo(d) || o.status != OptionStatus::kCurrent || o.multi)
        continue;
      nlohmann::ordered_json def = o.show(ServiceConfig::Defaults(d));
      bool listed = std::find(seen.begin(), seen.end(), o.name) != seen.end();
      EXPECT_EQ(listed, !def.is_null()) << DaemonName(d) << " option " << o.name;
    }
  }
}

TEST(ConfigTest, DumpShowsEveryOptionAndRedactsSecrets) {
  LoadedConfig l = Parse(Daemon::kStacd,
                         "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.1;nqn=nqn.x;"
                         "dhchap-secret=DHHC-1:00:YWJjZA==:;kato=7\nexclude=traddr=192.0.2.2\n");
  nlohmann::ordered_json j = ConfigToJson(l.config);
  EXPECT_EQ(j["Global"]["kato"], nullptr);
  EXPECT_EQ(j["Global"]["ip-family"], "ipv4+ipv6");
  EXPECT_EQ(j["I/O controller connection management"]["disconnect-trtypes"], "tcp");
  const auto& c = j["Controllers"]["controller"][0];
  EXPECT_EQ(c["dhchap-secret"], "<redacted>");
  EXPECT_EQ(c["kato"], "7");
  EXPECT_EQ(c["trsvcid"], "");
  EXPECT_EQ(j["Controllers"]["exclude"][0]["traddr"], "192.0.2.2");
  EXPECT_EQ(j.dump().find("YWJjZA"), std::string::npos);
  for (const OptionSpec& o : AllOptions()) {
    if (!o.AppliesTo(Daemon::kStacd) || o.status != OptionStatus::kCurrent)
      continue;
    EXPECT_TRUE(j[o.section].contains(o.name)) << o.name;
  }
}

TEST(ConfigTest, ControllerEntriesMayAskForTls) {
  Diagnostics diag;
  std::optional<ControllerEntry> e = ParseControllerEntry(
      Daemon::kStacd, "transport=tcp;traddr=192.0.2.1;nqn=nqn.io:1;tls=true", "t.conf", 2, &diag);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->overrides.tls, std::optional<bool>(true));
  EXPECT_THAT(e->extras,
              ::testing::Contains(std::make_pair(std::string("tls"), std::string("true"))));
  e = ParseControllerEntry(Daemon::kStafd, "transport=tcp;traddr=192.0.2.1;tls=maybe", "t.conf", 3,
                           &diag);
  ASSERT_TRUE(e.has_value());
  EXPECT_FALSE(e->overrides.tls.has_value());
  EXPECT_THAT(AllText(diag), HasSubstr("t.conf:3: "));
  EXPECT_THAT(AllText(diag), HasSubstr("tls \"maybe\" is invalid"));
}

TEST(ConfigTest, ATlsKeyOrKeyringTurnsTlsOnAndABadOneDropsTheEntry) {
  const std::string key = kTestTlsKey;
  const std::string base = "transport=tcp;traddr=192.0.2.1;nqn=nqn.io:1;";
  Diagnostics diag;
  std::optional<ControllerEntry> e = ParseControllerEntry(
      Daemon::kStacd, base + "tls-key=" + key + ";keyring=tenant-keys", "t.conf", 2, &diag);
  ASSERT_TRUE(e.has_value()) << AllText(diag);
  EXPECT_EQ(e->tls_key, key);
  EXPECT_EQ(e->keyring, "tenant-keys");
  EXPECT_EQ(e->overrides.tls, std::optional<bool>(true));
  EXPECT_TRUE(diag.empty()) << AllText(diag);
  EXPECT_THAT(e->extras, ::testing::Contains(std::make_pair(std::string("tls-key"), key)));

  // A key with a wrong CRC (its last base64 character changed): not a key; never quoted.
  std::string bad = key;
  bad[bad.size() - 2] = 'a';
  e = ParseControllerEntry(Daemon::kStacd, base + "tls-key=" + bad, "t.conf", 3, &diag);
  EXPECT_FALSE(e.has_value());
  EXPECT_THAT(AllText(diag), HasSubstr("t.conf:3: "));
  EXPECT_THAT(AllText(diag), HasSubstr("tls-key"));
  EXPECT_THAT(AllText(diag), HasSubstr("entry ignored"));
  EXPECT_THAT(AllText(diag), Not(HasSubstr("VRLbtnN9")));

  e = ParseControllerEntry(Daemon::kStacd, base + "keyring=a,b", "t.conf", 4, &diag);
  EXPECT_FALSE(e.has_value());
  EXPECT_THAT(AllText(diag), HasSubstr("keyring \"a,b\" contains ','"));

  // Not NVMe/TCP: no TLS to take keys for.
  e = ParseControllerEntry(Daemon::kStacd,
                           "transport=rdma;traddr=192.0.2.1;nqn=nqn.io:1;keyring=k;tls-key=" + key,
                           "t.conf", 6, &diag);
  ASSERT_TRUE(e.has_value());
  EXPECT_FALSE(e->keyring || e->tls_key);
  EXPECT_FALSE(e->overrides.tls.has_value());
  EXPECT_TRUE(e->extras.empty());
  EXPECT_THAT(AllText(diag), HasSubstr("t.conf:6: "));
  EXPECT_THAT(AllText(diag), HasSubstr("apply to NVMe/TCP only; ignored"));

  // tls=false beside a key: which was meant cannot be told.
  e = ParseControllerEntry(Daemon::kStacd, base + "tls=false;keyring=k", "t.conf", 5, &diag);
  EXPECT_FALSE(e.has_value());
  EXPECT_THAT(AllText(diag), HasSubstr("keyring needs TLS, and tls is false"));
}

}  // namespace
}  // namespace stas
