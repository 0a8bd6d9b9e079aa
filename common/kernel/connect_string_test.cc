// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/connect_string.h"

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "common/defs.h"

namespace stas {
namespace {

constexpr const char* kConnectHostNqn =
    "nqn.2014-08.org.nvmexpress:uuid:7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
constexpr const char* kConnectHostId = "7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b";

ConnectRequest Io(const std::string& nqn) {
  ConnectRequest req;
  req.tid =
      Tid::Make({.transport = "tcp", .traddr = "192.0.2.10", .trsvcid = "4420", .subsysnqn = nqn},
                TidDefaults{false, kConnectHostNqn});
  req.host.hostnqn = kConnectHostNqn;
  req.host.hostid = kConnectHostId;
  return req;
}

std::string Built(const ConnectRequest& req) {
  Result<std::string> s = BuildConnectString(req);
  EXPECT_TRUE(s) << s.error().message;
  return s ? *s : "";
}

const std::string kIdentity =
    std::string(",hostnqn=") + kConnectHostNqn + ",hostid=" + kConnectHostId;

// The strings below are the ones libnvme 1.3's nvmf_add_ctrl() wrote for the same requests.
TEST(ConnectStringTest, AnIoControllerWithEveryOptionInTheKernelsOrder) {
  ConnectRequest req = Io("nqn.io:1");
  req.tid = Tid::Make({.transport = "tcp",
                       .traddr = "192.0.2.10",
                       .trsvcid = "4420",
                       .subsysnqn = "nqn.io:1",
                       .host_traddr = "192.0.2.1",
                       .host_iface = "eth0"},
                      TidDefaults{false, kConnectHostNqn});
  req.options.hdr_digest = true;
  req.options.data_digest = true;
  req.options.disable_sqflow = true;
  req.options.kato = 5;
  req.options.queue_size = 128;
  req.options.reconnect_delay = 10;
  req.options.ctrl_loss_tmo = -1;
  req.options.nr_io_queues = 8;
  req.options.nr_write_queues = 2;
  req.options.nr_poll_queues = 1;
  req.dhchap_secret = "DHHC-1:00:host-secret:";
  req.dhchap_ctrl_secret = "DHHC-1:00:ctrl-secret:";
  EXPECT_EQ(Built(req),
            "nqn=nqn.io:1,transport=tcp,traddr=192.0.2.10,host_traddr=192.0.2.1,host_iface=eth0,"
            "trsvcid=4420" +
                kIdentity +
                ",dhchap_secret=DHHC-1:00:host-secret:,dhchap_ctrl_secret=DHHC-1:00:ctrl-secret:,"
                "nr_io_queues=8,nr_write_queues=2,nr_poll_queues=1,queue_size=128,"
                "keep_alive_tmo=5,reconnect_delay=10,ctrl_loss_tmo=-1,disable_sqflow,hdr_digest,"
                "data_digest");
}

TEST(ConnectStringTest, OnlyWhatIsSetIsSentAndCtrlLossTmoDefaultsTo600) {
  EXPECT_EQ(Built(Io("nqn.io:1")), "nqn=nqn.io:1,transport=tcp,traddr=192.0.2.10,trsvcid=4420" +
                                       kIdentity + ",ctrl_loss_tmo=600");
  // Zero and negative counts are the kernel's defaults: not sent; ctrl_loss_tmo below -1 neither.
  ConnectRequest req = Io("nqn.io:1");
  req.options.kato = 0;
  req.options.nr_io_queues = 0;
  req.options.queue_size = -3;
  req.options.ctrl_loss_tmo = -2;
  req.options.hdr_digest = false;
  EXPECT_EQ(Built(req), "nqn=nqn.io:1,transport=tcp,traddr=192.0.2.10,trsvcid=4420" + kIdentity);
}

TEST(ConnectStringTest, TheHostNqnOfTheTidWinsOverTheHosts) {
  ConnectRequest req = Io("nqn.io:1");
  req.tid = Tid::Make({.transport = "tcp",
                       .traddr = "192.0.2.10",
                       .trsvcid = "4420",
                       .subsysnqn = "nqn.io:1",
                       .host_nqn = "nqn.2014-08.com.example:other-host"},
                      TidDefaults{false, kConnectHostNqn});
  EXPECT_NE(Built(req).find(",hostnqn=nqn.2014-08.com.example:other-host,"), std::string::npos);
}

TEST(ConnectStringTest, DiscoveryControllersGetTheirOwnSecretsOnlyAndNoQueueOptions) {
  ConnectRequest req = Io(kWellKnownDiscoveryNqn);
  req.tid =
      Tid::Make({.transport = "tcp", .traddr = "192.0.2.10", .subsysnqn = kWellKnownDiscoveryNqn},
                TidDefaults{false, kConnectHostNqn});
  req.discovery = true;
  req.options.kato = 30;
  req.options.nr_io_queues = 4;
  req.host.hostkey = "DHHC-1:00:host-key:";
  EXPECT_EQ(Built(req), std::string("nqn=") + kWellKnownDiscoveryNqn +
                            ",transport=tcp,traddr=192.0.2.10,trsvcid=8009" + kIdentity +
                            ",keep_alive_tmo=30,ctrl_loss_tmo=600");
  // The host's key (sys.conf) is never sent to a DC; a DC's own keys (its controller= entry) are.
  req.dhchap_secret = "DHHC-1:00:dc-key:";
  req.dhchap_ctrl_secret = "DHHC-1:00:dc-ctrl-key:";
  EXPECT_EQ(Built(req),
            std::string("nqn=") + kWellKnownDiscoveryNqn +
                ",transport=tcp,traddr=192.0.2.10,trsvcid=8009" + kIdentity +
                ",dhchap_secret=DHHC-1:00:dc-key:,dhchap_ctrl_secret=DHHC-1:00:dc-ctrl-key:"
                ",keep_alive_tmo=30,ctrl_loss_tmo=600");
  EXPECT_EQ(HostSecretOf(req), "DHHC-1:00:dc-key:");
  req.dhchap_secret.reset();
  req.dhchap_ctrl_secret.reset();
  // A unique discovery NQN (TP8013) says that it is a DC.
  req.tid = Tid::Make({.transport = "tcp", .traddr = "192.0.2.10", .subsysnqn = "nqn.dc:unique"},
                      TidDefaults{false, kConnectHostNqn});
  EXPECT_EQ(Built(req), "nqn=nqn.dc:unique,transport=tcp,traddr=192.0.2.10,trsvcid=8009" +
                            kIdentity + ",discovery,keep_alive_tmo=30,ctrl_loss_tmo=600");
  EXPECT_EQ(HostSecretOf(req), "");
}

// A discovery connection always has a keep-alive: 30 s when none, or 0, is configured; an I/O
// controller's is left to the kernel.
TEST(ConnectStringTest, EveryDiscoveryConnectionHasAnExplicitKeepAlive) {
  ConnectRequest req = Io(kWellKnownDiscoveryNqn);
  req.tid = Tid::Make({.transport = "tcp", .traddr = "192.0.2.10", .subsysnqn = "nqn.dc:unique"},
                      TidDefaults{false, kConnectHostNqn});
  req.discovery = true;
  for (std::optional<int> kato : {std::optional<int>(), std::optional<int>(0)}) {
    req.options.kato = kato;
    EXPECT_NE(Built(req).find(",discovery,keep_alive_tmo=30,"), std::string::npos) << Built(req);
  }
  req.options.kato = 5;
  EXPECT_NE(Built(req).find(",keep_alive_tmo=5,"), std::string::npos) << Built(req);
  req = Io("nqn.io:1");
  req.options.kato = std::nullopt;
  EXPECT_EQ(Built(req).find("keep_alive_tmo"), std::string::npos) << Built(req);
}

TEST(ConnectStringTest, TheHostKeyWinsOverTheControllersOwn) {
  ConnectRequest req = Io("nqn.io:1");
  req.dhchap_secret = "DHHC-1:00:ctrl-host-secret:";
  req.host.hostkey = "DHHC-1:00:sys-conf-key:";
  EXPECT_EQ(Built(req), "nqn=nqn.io:1,transport=tcp,traddr=192.0.2.10,trsvcid=4420" + kIdentity +
                            ",dhchap_secret=DHHC-1:00:sys-conf-key:,ctrl_loss_tmo=600");
  EXPECT_EQ(HostSecretOf(req), "DHHC-1:00:sys-conf-key:");
}

TEST(ConnectStringTest, DigestsAreTcpOnlyAndLoopHasNoCtrlLossTmo) {
  ConnectRequest req = Io("nqn.io:1");
  req.tid = Tid::Make({.transport = "loop", .subsysnqn = "nqn.io:1"},
                      TidDefaults{false, kConnectHostNqn});
  req.options.hdr_digest = true;
  req.options.ctrl_loss_tmo = 5;
  EXPECT_EQ(Built(req), "nqn=nqn.io:1,transport=loop" + kIdentity);
}

// Whatever reaches here was validated at its edge; still, a value that would make the kernel
// read another option (a ',') or a control character is never written.
TEST(ConnectStringTest, AValueTheKernelWouldMisreadIsRefused) {
  auto refused = [](const ConnectRequest& req, const std::string& name) {
    Result<std::string> s = BuildConnectString(req);
    ASSERT_FALSE(s) << *s;
    EXPECT_EQ(s.error().code, EINVAL);
    EXPECT_NE(s.error().message.find(name), std::string::npos) << s.error().message;
    EXPECT_EQ(s.error().message.find("evil"), std::string::npos) << "the value is not quoted";
  };
  ConnectRequest req = Io("nqn.io:1");
  req.host.hostid = "x,duplicate_connect,evil";
  refused(req, "hostid");
  req = Io("nqn.io:1");
  req.dhchap_secret = "DHHC-1:00:evil,hostnqn=x:";
  refused(req, "dhchap_secret");
  req = Io("nqn.io:1");
  req.host.hostnqn = "nqn.evil\nline";
  req.tid = Tid::Make({.transport = "tcp", .traddr = "192.0.2.10", .subsysnqn = "nqn.io:1"},
                      TidDefaults{false, ""});
  refused(req, "hostnqn");
  req = Io("nqn.io:1,evil");
  refused(req, "nqn");
  req = Io("nqn.io:1");
  req.host.hostnqn = "";
  req.tid = Tid::Make({.transport = "tcp", .traddr = "192.0.2.10", .subsysnqn = "nqn.io:1"},
                      TidDefaults{false, ""});
  Result<std::string> none = BuildConnectString(req);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "connect: no host NQN");
}

TEST(ConnectStringTest, TheAnswerGivesTheInstance) {
  EXPECT_EQ(*ParseConnectAnswer("instance=5,cntlid=1\n"), 5);
  EXPECT_EQ(*ParseConnectAnswer("cntlid=65535,instance=123\n"), 123);
  for (const char* bad :
       {"", "\n", "cntlid=1\n", "instance=\n", "instance=x,cntlid=1", "instance=-1,cntlid=-1",
        "instance=99999999999999999999", "instance=5x"}) {
    Result<int> r = ParseConnectAnswer(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, EPROTO) << bad;
  }
}

// TLS (TP8011) is a flag of NVMe/TCP connections only; the kernel finds the PSK in its keyring.
TEST(ConnectStringTest, TlsIsAnNvmeTcpFlag) {
  ConnectRequest req = Io("nqn.io:1");
  req.options.tls = true;
  EXPECT_EQ(Built(req), "nqn=nqn.io:1,transport=tcp,traddr=192.0.2.10,trsvcid=4420" + kIdentity +
                            ",ctrl_loss_tmo=600,tls");
  req.options.tls = false;
  EXPECT_EQ(Built(req).find("tls"), std::string::npos);
  req.options.tls = true;
  req.tid = Tid::Make({.transport = "rdma", .traddr = "192.0.2.10", .subsysnqn = "nqn.io:1"},
                      TidDefaults{false, kConnectHostNqn});
  EXPECT_EQ(Built(req).find("tls"), std::string::npos) << Built(req);
}

// keyring= and tls_key= name keys by serial, found just before the connect; only with tls.
TEST(ConnectStringTest, TheKeySerialsComeAfterTls) {
  ConnectRequest req = Io("nqn.io:1");
  req.options.tls = true;
  Result<std::string> s = BuildConnectString(req, TlsKeySerials{.keyring = 12, .tls_key = 34});
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, "nqn=nqn.io:1,transport=tcp,traddr=192.0.2.10,trsvcid=4420" + kIdentity +
                    ",ctrl_loss_tmo=600,tls,keyring=12,tls_key=34");
  s = BuildConnectString(req, TlsKeySerials{.keyring = std::nullopt, .tls_key = 34});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->substr(s->find(",tls")), ",tls,tls_key=34");
  req.options.tls = false;
  s = BuildConnectString(req, TlsKeySerials{.keyring = 12, .tls_key = 34});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->find("tls"), std::string::npos) << *s;
  EXPECT_EQ(s->find("keyring"), std::string::npos) << *s;
}

}  // namespace
}  // namespace stas
