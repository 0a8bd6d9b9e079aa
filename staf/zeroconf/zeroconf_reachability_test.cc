// SPDX-License-Identifier: Apache-2.0
#include "staf/zeroconf/zeroconf_reachability.h"

#include <arpa/inet.h>
#include <chrono>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "common/log.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/glib_loop_fixture.h"
#include "staf/zeroconf/zeroconf_fakes.h"

namespace stas::staf {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

IpAddress Ip(const char* text) {
  return *IpAddress::Parse(text);
}

class ZeroconfReachabilityTest : public ::testing::Test {
 protected:
  ZeroconfReachabilityTest()
      : check_(loop_, prober_, [this](bool reachable) { changes_.push_back(reachable); }) {}

  void TearDown() override { SetLogSinkForTesting(nullptr); }

  void CaptureLog() {
    SetLogSinkForTesting(
        [this](LogLevel level, const std::string& line) { lines_.emplace_back(level, line); });
  }

  FakeEventLoop loop_;
  FakeTcpProber prober_;
  std::vector<bool> changes_;
  std::vector<std::pair<LogLevel, std::string>> lines_;
  ReachabilityCheck check_;
};

TEST_F(ZeroconfReachabilityTest, BackoffSequence) {
  const std::vector<long> expected = {2, 5, 10, 30, 60, 300, 600, 600, 600, 600};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(ReachabilityCheck::BackoffAfter(i + 1).count(), expected[i]) << "failure " << i + 1;
  }
}

TEST_F(ZeroconfReachabilityTest, FirstAttemptIsImmediateAndBoundToTheInterface) {
  check_.Start(Ip("192.168.1.20"), 8009, "eth0");
  ASSERT_EQ(prober_.attempts().size(), 1u);
  EXPECT_EQ(prober_.attempts()[0]->ip.ToString(), "192.168.1.20");
  EXPECT_EQ(prober_.attempts()[0]->port, 8009);
  EXPECT_EQ(prober_.attempts()[0]->host_iface, "eth0");
  EXPECT_TRUE(check_.probing());
  EXPECT_FALSE(check_.reachable());
}

TEST_F(ZeroconfReachabilityTest, RetriesWithTheStasBackoffThenEvery600s) {
  check_.Start(Ip("192.168.1.20"), 8009, "eth0");
  const std::vector<long> delays = {2, 5, 10, 30, 60, 300, 600, 600, 600};
  for (std::size_t i = 0; i < delays.size(); ++i) {
    ASSERT_EQ(prober_.attempts().size(), i + 1);
    ASSERT_TRUE(prober_.Refuse());
    EXPECT_FALSE(check_.probing());
    ASSERT_TRUE(check_.retry_timer().running());
    EXPECT_EQ(loop_.next_timer_delay(), seconds(delays[i])) << "after failure " << i + 1;
    // Nothing happens a millisecond early; the retry starts exactly on time.
    loop_.AdvanceBy(seconds(delays[i]) - milliseconds(1));
    EXPECT_EQ(prober_.attempts().size(), i + 1);
    loop_.AdvanceBy(milliseconds(1));
    EXPECT_EQ(prober_.attempts().size(), i + 2);
  }
  EXPECT_EQ(check_.failures(), delays.size());
  EXPECT_TRUE(changes_.empty());  // never reachable, never was
}

TEST_F(ZeroconfReachabilityTest, SuccessAfterRetriesMakesItReachableOnce) {
  check_.Start(Ip("10.0.0.1"), 8009, "eth0");
  ASSERT_TRUE(prober_.Refuse());
  loop_.AdvanceBy(seconds(2));
  ASSERT_TRUE(prober_.Refuse());
  loop_.AdvanceBy(seconds(5));
  ASSERT_TRUE(prober_.Succeed());
  EXPECT_TRUE(check_.reachable());
  EXPECT_EQ(changes_, std::vector<bool>{true});
  EXPECT_FALSE(check_.retry_timer().running());
  EXPECT_EQ(loop_.pending_timers(), 0u);
  loop_.AdvanceBy(seconds(3600));
  EXPECT_EQ(prober_.attempts().size(), 3u);  // no more probing once reachable
}

TEST_F(ZeroconfReachabilityTest, StartOverResetsTheBackoff) {
  check_.Start(Ip("10.0.0.1"), 8009, "eth0");
  for (long d : {2, 5, 10}) {
    ASSERT_TRUE(prober_.Refuse());
    loop_.AdvanceBy(seconds(d));
  }
  ASSERT_TRUE(prober_.Refuse());
  EXPECT_EQ(loop_.next_timer_delay(), seconds(30));
  check_.Start(Ip("10.0.0.2"), 8009, "eth0");
  EXPECT_EQ(check_.failures(), 0u);
  ASSERT_EQ(prober_.attempts().size(), 5u);  // immediate, not after 30 s
  EXPECT_EQ(prober_.attempts()[4]->ip.ToString(), "10.0.0.2");
  ASSERT_TRUE(prober_.Refuse());
  EXPECT_EQ(loop_.next_timer_delay(), seconds(2));
}

TEST_F(ZeroconfReachabilityTest, RestartWhileProbingCancelsTheOldProbe) {
  check_.Start(Ip("10.0.0.1"), 8009, "eth0");
  check_.Start(Ip("10.0.0.1"), 8010, "eth0");
  ASSERT_EQ(prober_.attempts().size(), 2u);
  EXPECT_TRUE(prober_.attempts()[0]->cancelled);
  EXPECT_FALSE(prober_.attempts()[1]->cancelled);
  EXPECT_EQ(prober_.pending(), 1u);
}

TEST_F(ZeroconfReachabilityTest, StopCancelsProbeAndRetry) {
  check_.Start(Ip("10.0.0.1"), 8009, "eth0");
  check_.Stop();
  EXPECT_TRUE(prober_.attempts()[0]->cancelled);
  check_.Start(Ip("10.0.0.1"), 8009, "eth0");
  ASSERT_TRUE(prober_.Refuse());
  check_.Stop();
  EXPECT_EQ(loop_.pending_timers(), 0u);
  loop_.AdvanceBy(seconds(3600));
  EXPECT_EQ(prober_.attempts().size(), 2u);
}

TEST_F(ZeroconfReachabilityTest, DestroyingTheCheckCancelsItsProbe) {
  FakeTcpProber prober;
  int calls = 0;
  {
    ReachabilityCheck check(loop_, prober, [&](bool) { ++calls; });
    check.Start(Ip("10.0.0.1"), 8009, "eth0");
  }
  ASSERT_EQ(prober.attempts().size(), 1u);
  EXPECT_TRUE(prober.attempts()[0]->cancelled);
  EXPECT_FALSE(prober.Succeed());  // nothing left to complete
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(loop_.pending_timers(), 0u);
}

TEST_F(ZeroconfReachabilityTest, ProbesTheUnmappedIpv4Address) {
  check_.Start(Ip("::ffff:10.1.2.3"), 8009, "eth0");
  ASSERT_EQ(prober_.attempts().size(), 1u);
  EXPECT_EQ(prober_.attempts()[0]->ip.family(), 4);
  EXPECT_EQ(prober_.attempts()[0]->ip.ToString(), "10.1.2.3");
}

TEST_F(ZeroconfReachabilityTest, OnlyTheFirstFailureIsLoggedAtInfo) {
  SetLogDebug(false);
  CaptureLog();
  check_.Start(Ip("10.0.0.1"), 8009, "eth0");
  ASSERT_TRUE(prober_.Refuse());
  loop_.AdvanceBy(seconds(2));
  ASSERT_TRUE(prober_.Refuse());
  loop_.AdvanceBy(seconds(5));
  ASSERT_TRUE(prober_.Refuse());
  std::vector<std::string> infos;
  for (const auto& [level, line] : lines_) {
    if (level == LogLevel::kInfo)
      infos.push_back(line);
  }
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_NE(infos[0].find("Unable to verify TCP connectivity  - (eth0,      10.0.0.1,      8009): "
                          "Connection refused"),
            std::string::npos)
      << infos[0];
}

TEST_F(ZeroconfReachabilityTest, LosingReachabilityOnRestartIsNotReportedAsAChange) {
  check_.Start(Ip("10.0.0.1"), 8009, "eth0");
  ASSERT_TRUE(prober_.Succeed());
  ASSERT_EQ(changes_, std::vector<bool>{true});
  check_.Start(Ip("10.0.0.1"), 8009, "eth0");  // the owner knows it reset the state
  EXPECT_FALSE(check_.reachable());
  ASSERT_TRUE(prober_.Refuse());
  EXPECT_EQ(changes_, std::vector<bool>{true});
  loop_.AdvanceBy(seconds(2));
  ASSERT_TRUE(prober_.Succeed());
  EXPECT_EQ(changes_, (std::vector<bool>{true, true}));
}

// The real prober, against sockets on 127.0.0.1 (no network, no privileges needed).
class ZeroconfGlibTcpProberTest : public GlibLoopTest {
 protected:
  // A TCP socket bound to 127.0.0.1 on a free port, listening or not.
  int BoundSocket(bool listening, std::uint16_t* port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
    socklen_t len = sizeof(sin);
    EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len), 0);
    if (listening) {
      EXPECT_EQ(listen(fd, 4), 0);
    }
    *port = ntohs(sin.sin_port);
    fds_.push_back(fd);
    return fd;
  }

  void TearDown() override {
    for (int fd : fds_)
      close(fd);
  }

  // Runs one probe to completion (bounded by 10 s).
  std::optional<Status> Probe(std::uint16_t port, const std::string& iface) {
    GlibTcpProber prober(loop_);
    std::optional<Status> result;
    auto probe = prober.Start(Ip("127.0.0.1"), port, iface, [&](Status s) {
      result = std::move(s);
      loop_.Quit();
    });
    EXPECT_FALSE(result.has_value());  // never inline
    EXPECT_TRUE(RunFor(milliseconds(10000)));
    return result;
  }

  std::vector<int> fds_;
};

TEST_F(ZeroconfGlibTcpProberTest, ConnectsToAListeningPort) {
  std::uint16_t port = 0;
  BoundSocket(true, &port);
  std::optional<Status> r = Probe(port, "");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(*r) << r->error().message;
}

TEST_F(ZeroconfGlibTcpProberTest, BindsToTheInterfaceOrGoesUnboundWithoutPrivilege) {
  std::uint16_t port = 0;
  BoundSocket(true, &port);
  std::optional<Status> r = Probe(port, "lo");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(*r) << r->error().message;
}

TEST_F(ZeroconfGlibTcpProberTest, RefusedWhenNobodyListens) {
  std::uint16_t port = 0;
  BoundSocket(false, &port);  // bound, so the port stays ours, but not listening: RST
  std::optional<Status> r = Probe(port, "");
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code, ECONNREFUSED);
  EXPECT_EQ(r->error().message, "Connection refused");
}

TEST_F(ZeroconfGlibTcpProberTest, DestroyedProbeNeverCallsBack) {
  std::uint16_t port = 0;
  BoundSocket(true, &port);
  GlibTcpProber prober(loop_);
  bool called = false;
  auto probe = prober.Start(Ip("127.0.0.1"), port, "", [&](const Status&) { called = true; });
  probe.reset();
  // Let the loop run whatever is left, then stop: nothing may call back.
  loop_.AddTimer(milliseconds(50), [&] { loop_.Quit(); });
  EXPECT_TRUE(RunFor(milliseconds(10000)));
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace stas::staf
