// SPDX-License-Identifier: Apache-2.0
#include "staf/dc.h"

#include <algorithm>
#include <cerrno>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/defs.h"
#include "common/log.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/held_runner.h"
#include "common/testing/simulated_kernel.h"

namespace stas::staf {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::SimEntry;
using testing::SimPort;

class DcTest : public ::testing::Test {
 protected:
  DcTest() {
    host_.hostnqn = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";
    host_.hostid = "11111111-2222-3333-4444-555555555555";
    SimPort port;
    port.traddr = "192.0.2.10";
    port.trsvcid = "8009";
    port.log = {SimEntry("nqn.io:1", "192.0.2.20", "4420"),
                SimEntry("nqn.io:2", "192.0.2.21", "4420")};
    kernel_.AddPort(port);
    EXPECT_TRUE(kernel_.Start([this](const KernelEvent& ev) {
      if (dc_)
        dc_->OnKernelEvent(ev);
    }));
    SetLogSinkForTesting([this](LogLevel l, const std::string& s) {
      if (l >= LogLevel::kWarning)
        warnings_ += s + "\n";
    });
  }
  ~DcTest() override { SetLogSinkForTesting(nullptr); }

  std::shared_ptr<Dc> MakeDc(const std::string& traddr = "192.0.2.10", Dict extras = {}) {
    ConnectRequest req;
    req.tid = Tid::Make({.transport = "tcp", .traddr = traddr, .subsysnqn = kWellKnownDiscoveryNqn},
                        TidDefaults{false, host_.hostnqn});
    req.discovery = true;
    req.options.kato = 30;
    req.host = host_;
    dc_ = std::make_shared<Dc>(ctx_, req, Origin::kConfigured, std::move(extras));
    return dc_;
  }

  FakeEventLoop loop_;
  InlineRunner runner_{loop_};
  testing::SimulatedKernel kernel_{loop_};
  HostInfo host_;
  int log_page_calls_ = 0;
  int referral_calls_ = 0;
  int connected_calls_ = 0;
  int connect_failed_calls_ = 0;
  std::set<std::string> owned_by_others_;  // devices other DCs of the service own
  KernelIndex index_{kernel_};
  DcContext ctx_{.controller = {.loop = loop_,
                                .runner = runner_,
                                .kernel = kernel_,
                                .index = index_,
                                .owned_devices =
                                    [this] {
                                      return owned_by_others_;
                                    }},
                 .host = host_,
                 .pleo = true,
                 .on_log_pages = [this](Dc&) { ++log_page_calls_; },
                 .on_referrals_changed = [this](Dc&) { ++referral_calls_; },
                 .on_connected = [this](Dc&) { ++connected_calls_; },
                 .on_connect_failed =
                     [this](Dc&) {
                       ++connect_failed_calls_;
                     }};
  std::shared_ptr<Dc> dc_;
  std::string warnings_;
};

TEST_F(DcTest, ConnectsRegistersAndFetchesTheLogPage) {
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  ASSERT_TRUE(dc->connected());
  EXPECT_EQ(dc->device(), "nvme0");
  EXPECT_EQ(kernel_.registrations(), std::vector<std::string>{"nvme0"});
  ASSERT_EQ(dc->log_pages().size(), 2u);
  EXPECT_EQ(dc->log_pages()[0].subnqn, "nqn.io:1");
  EXPECT_EQ(log_page_calls_, 1);
  ASSERT_EQ(kernel_.connect_requests().size(), 1u);
  EXPECT_TRUE(kernel_.connect_requests()[0].discovery);
  EXPECT_EQ(kernel_.connect_requests()[0].options.kato, 30);
}

// #13, finding 6: a DC's reads go to the service's bounded lane of discovery reads, so that slow
// DCs cannot take the workers that connects and disconnects need; those stay on the pool.
TEST_F(DcTest, ReadsGoThroughTheReadLaneAndConnectsDoNot) {
  InlineRunner reads{loop_};
  ctx_.controller.reads = &reads;
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  ASSERT_EQ(dc->log_pages().size(), 2u);
  EXPECT_EQ(runner_.jobs_run(), 1u);  // the connect
  EXPECT_EQ(reads.jobs_run(), 3u);    // DIM registration, supported log pages, log page

  kernel_.SetLog("192.0.2.10", "8009", {SimEntry("nqn.io:3", "192.0.2.22", "4420")});  // an AEN
  loop_.RunUntilIdle();
  EXPECT_EQ(reads.jobs_run(), 4u);

  bool disposed = false;
  dc->Dispose(false, [&](bool ok) { disposed = ok; });
  loop_.RunUntilIdle();
  EXPECT_TRUE(disposed);
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  EXPECT_EQ(runner_.jobs_run(), 2u);  // and the disconnect
  EXPECT_EQ(reads.jobs_run(), 4u);
}

// Disposal waits for the operation in flight; a read still waiting behind slow DCs must not make
// it wait for a slow read of its own, nor reach the kernel for a DC that is going away.
TEST_F(DcTest, AReadThatWaitsWhenDisposalBeginsNeverReachesTheKernel) {
  // Keeps every job until RunHeld(): a read that waits for a place in its lane.
  testing::HeldRunner reads{loop_, /*hold_jobs=*/true};
  ctx_.controller.reads = &reads;
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  ASSERT_TRUE(dc->connected());
  ASSERT_EQ(reads.held(), 1u);  // the DIM registration waits for a place

  bool disposed = false;
  dc->Dispose(false, [&](bool ok) { disposed = ok; });
  loop_.RunUntilIdle();
  EXPECT_FALSE(disposed);  // the read is in flight
  reads.RunHeld();
  loop_.RunUntilIdle();
  EXPECT_TRUE(disposed);
  EXPECT_TRUE(kernel_.registrations().empty());
  EXPECT_EQ(log_page_calls_, 0);
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  EXPECT_EQ(reads.held(), 0u);
}

TEST_F(DcTest, RetriesAfter3sThen60sAndLogsTheSecondFailure) {
  kernel_.FailNext("connect", 3, ETIMEDOUT);
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_EQ(kernel_.connect_calls(), 1);
  EXPECT_EQ(warnings_, "");  // the first failure is not worth an error yet
  loop_.AdvanceBy(std::chrono::milliseconds(2999));
  EXPECT_EQ(kernel_.connect_calls(), 1);
  loop_.AdvanceBy(std::chrono::milliseconds(1));
  EXPECT_EQ(kernel_.connect_calls(), 2);
  EXPECT_THAT(warnings_, HasSubstr("Failed to connect to controller."));
  loop_.AdvanceBy(std::chrono::seconds(59));
  EXPECT_EQ(kernel_.connect_calls(), 2);
  loop_.AdvanceBy(std::chrono::seconds(1));
  EXPECT_EQ(kernel_.connect_calls(), 3);
  loop_.AdvanceBy(std::chrono::seconds(60));
  EXPECT_EQ(kernel_.connect_calls(), 4);
  EXPECT_TRUE(dc->connected());
  EXPECT_EQ(dc->log_pages().size(), 2u);
  // The service hears of each failure and of the success (mDNS aging).
  EXPECT_EQ(connect_failed_calls_, 3);
  EXPECT_EQ(connected_calls_, 1);
}

// TP8014: the DC's own entry (subtype 3) that names this connection's address and port.
RawLogEntry SelfEntry(const std::string& trsvcid, uint16_t eflags) {
  return SimEntry(kWellKnownDiscoveryNqn, "192.0.2.10", trsvcid, kSubtypeCurrentDc, eflags);
}

// persistent=auto and no EPCSD: the DC is read, then disconnected; its page stays; the
// removal that follows is ours (no reconnect 3 s later); it is read again at each poll.
TEST_F(DcTest, AutoParksADcWithoutEpcsdAndPollsIt) {
  ctx_.persistence = DcPersistence::kAuto;
  ctx_.epcsd_poll = std::chrono::minutes(15);
  std::string info;
  SetLogSinkForTesting([&](LogLevel, const std::string& s) { info += s + "\n"; });
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_FALSE(dc->connected());
  EXPECT_TRUE(dc->parked());
  EXPECT_EQ(dc->log_pages().size(), 2u);
  EXPECT_EQ(log_page_calls_, 1);
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  EXPECT_EQ(kernel_.device_count(), 0u);
  EXPECT_THAT(info, HasSubstr("Parking: the DC does not set EPCSD"));
  EXPECT_THAT(info, Not(HasSubstr("Device removed by the kernel")));
  const Dict info_dict = dc->Info();
  EXPECT_NE(std::find_if(info_dict.begin(), info_dict.end(),
                         [](const auto& kv) { return kv.first == "parked, next read"; }),
            info_dict.end());

  loop_.AdvanceBy(std::chrono::minutes(15) - std::chrono::seconds(1));
  EXPECT_EQ(kernel_.connect_calls(), 1);
  dc->Resync();  // a reload does not read a parked DC
  loop_.RunUntilIdle();
  EXPECT_EQ(kernel_.connect_calls(), 1);
  kernel_.SetLog("192.0.2.10", "8009", {SimEntry("nqn.io:3", "192.0.2.22", "4420")});
  loop_.AdvanceBy(std::chrono::seconds(1));
  EXPECT_EQ(kernel_.connect_calls(), 2);
  ASSERT_EQ(dc->log_pages().size(), 1u);  // read at the poll
  EXPECT_EQ(dc->log_pages()[0].subnqn, "nqn.io:3");
  EXPECT_TRUE(dc->parked());  // and parked again
  EXPECT_EQ(kernel_.disconnect_calls(), 2);
  SetLogSinkForTesting(nullptr);
}

// A poll that cannot connect waits for the next poll, not for the 60 s retry.
TEST_F(DcTest, AParkedDcThatCannotBeReachedIsTriedAtTheNextPoll) {
  ctx_.persistence = DcPersistence::kNo;
  ctx_.epcsd_poll = std::chrono::minutes(5);
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  ASSERT_TRUE(dc->parked());
  kernel_.FailNext("connect", 1, ETIMEDOUT);
  EXPECT_TRUE(dc->parked_reachable());
  loop_.AdvanceBy(std::chrono::minutes(5));
  EXPECT_EQ(kernel_.connect_calls(), 2);
  EXPECT_TRUE(dc->parked());
  EXPECT_FALSE(dc->parked_reachable());  // mDNS aging may now count it as gone
  loop_.AdvanceBy(std::chrono::minutes(4));
  EXPECT_EQ(kernel_.connect_calls(), 2);
  loop_.AdvanceBy(std::chrono::minutes(1));
  EXPECT_EQ(kernel_.connect_calls(), 3);
  EXPECT_EQ(dc->log_pages().size(), 2u);
}

TEST_F(DcTest, AutoHoldsADcWhoseOwnEntrySetsEpcsd) {
  ctx_.persistence = DcPersistence::kAuto;
  kernel_.SetLog("192.0.2.10", "8009",
                 {SimEntry("nqn.io:1", "192.0.2.20", "4420"), SelfEntry("8009", kEflagsEpcsd)});
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_TRUE(dc->connected());
  EXPECT_FALSE(dc->parked());
  EXPECT_EQ(kernel_.disconnect_calls(), 0);
}

// Only the entry of this connection counts: EPCSD on the DC's other port does not hold it.
TEST_F(DcTest, AutoReadsEpcsdFromTheEntryOfThisConnectionOnly) {
  ctx_.persistence = DcPersistence::kAuto;
  kernel_.SetLog("192.0.2.10", "8009", {SelfEntry("8010", kEflagsEpcsd), SelfEntry("8009", 0)});
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_TRUE(dc->parked());
}

// force holds it without EPCSD, and says so once; a DC's own persistent= overrides the
// service's; no parks it even with EPCSD.
TEST_F(DcTest, ForceHoldsAndNoParksWhateverEpcsdSays) {
  ctx_.persistence = DcPersistence::kNo;
  std::string info;
  SetLogSinkForTesting([&](LogLevel, const std::string& s) { info += s + "\n"; });
  auto dc = MakeDc("192.0.2.10", {{"persistent", "force"}});
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_TRUE(dc->connected());
  EXPECT_FALSE(dc->parked());
  kernel_.SetLog("192.0.2.10", "8009", {SimEntry("nqn.io:3", "192.0.2.22", "4420")});  // an AEN
  loop_.RunUntilIdle();
  EXPECT_EQ(log_page_calls_, 2);
  size_t first = info.find("held anyway (persistent=force)");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(info.find("held anyway", first + 1), std::string::npos);  // once

  // Set to no (a reload changed the entry): parked after the next read.
  dc->set_own_persistence(DcPersistence::kNo);
  kernel_.SetLog("192.0.2.10", "8009", {SelfEntry("8009", kEflagsEpcsd)});
  loop_.RunUntilIdle();
  EXPECT_TRUE(dc->parked());
  // And back to force: connected at once, not at the next poll.
  dc->set_own_persistence(DcPersistence::kForce);
  loop_.RunUntilIdle();
  EXPECT_TRUE(dc->connected());
  EXPECT_FALSE(dc->parked());
  SetLogSinkForTesting(nullptr);
}

// A reload changes the choice: the service's becoming force connects a parked DC at once
// (and retries it as any DC); a DC's own becoming no parks a held one without waiting for an
// AEN; a new poll interval applies to the DC already parked.
TEST_F(DcTest, AReloadedChoiceAppliesAtOnce) {
  ctx_.persistence = DcPersistence::kNo;
  ctx_.epcsd_poll = std::chrono::minutes(15);
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  ASSERT_TRUE(dc->parked());
  ctx_.epcsd_poll = std::chrono::minutes(2);
  dc->ApplyPersistence();
  loop_.AdvanceBy(std::chrono::minutes(2));
  EXPECT_EQ(kernel_.connect_calls(), 2);  // polled at the new interval
  ASSERT_TRUE(dc->parked());

  ctx_.persistence = DcPersistence::kForce;
  kernel_.FailNext("connect", 1, ETIMEDOUT);
  dc->ApplyPersistence();
  loop_.RunUntilIdle();
  EXPECT_FALSE(dc->parked());
  EXPECT_EQ(kernel_.connect_calls(), 3);
  loop_.AdvanceBy(std::chrono::seconds(3));  // the fast retry, not the next poll
  EXPECT_EQ(kernel_.connect_calls(), 4);
  EXPECT_TRUE(dc->connected());

  dc->set_own_persistence(DcPersistence::kNo);
  loop_.RunUntilIdle();
  EXPECT_TRUE(dc->parked());
  EXPECT_FALSE(dc->connected());
}

// The kernel removed the controller while it was being parked: parked all the same, not left
// on a device that is gone.
TEST_F(DcTest, AControllerGoneDuringTheParkIsParked) {
  ctx_.persistence = DcPersistence::kNo;
  kernel_.FailNext("disconnect", 1, ENODEV);
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_TRUE(dc->parked());
  EXPECT_FALSE(dc->connected());
}

TEST_F(DcTest, AenRefetchesTheLogPage) {
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  kernel_.SetLog("192.0.2.10", "8009", {SimEntry("nqn.io:3", "192.0.2.22", "4420")});
  loop_.RunUntilIdle();
  ASSERT_EQ(dc->log_pages().size(), 1u);
  EXPECT_EQ(dc->log_pages()[0].subnqn, "nqn.io:3");
  EXPECT_EQ(log_page_calls_, 2);
}

TEST_F(DcTest, OtherAensAreOnlyLogged) {
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  dc->OnKernelEvent(KernelEvent{KernelEvent::Action::kChange, "nvme0", "0x000001", "", "", ""});
  loop_.RunUntilIdle();
  EXPECT_EQ(log_page_calls_, 1);
}

TEST_F(DcTest, RediscoverEventRegistersAndFetchesAgain) {
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  kernel_.SendEvent("nvme0", "rediscover");
  loop_.RunUntilIdle();
  EXPECT_EQ(kernel_.registrations().size(), 2u);
  EXPECT_EQ(log_page_calls_, 2);
}

TEST_F(DcTest, DeviceRemovalReconnectsAfter3sAndKeepsTheCache) {
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  kernel_.RemoveDevice("nvme0");
  loop_.RunUntilIdle();
  EXPECT_FALSE(dc->connected());
  EXPECT_EQ(dc->log_pages().size(), 2u);  // stacd keeps its connections meanwhile
  loop_.AdvanceBy(std::chrono::seconds(3));
  EXPECT_TRUE(dc->connected());
  EXPECT_EQ(dc->device(), "nvme1");
}

TEST_F(DcTest, HostileLogEntriesAreRejectedAndLogged) {
  kernel_.SetLog("192.0.2.10", "8009",
                 {SimEntry("nqn.evil,hostnqn=nqn.attacker", "192.0.2.30", "4420"),
                  SimEntry("nqn.io:ok", "192.0.2.31", "4420"),
                  SimEntry("nqn.io:inject", "10.0.0.1,host_iface=eth0", "4420")});
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  ASSERT_EQ(dc->log_pages().size(), 1u);
  EXPECT_EQ(dc->log_pages()[0].subnqn, "nqn.io:ok");
  EXPECT_THAT(warnings_, HasSubstr("(tcp, 192.0.2.10, 8009, nqn.2014-08.org.nvmexpress.discovery) "
                                   "| nvme0 - Rejected discovery log entry #0"));
  EXPECT_THAT(warnings_, HasSubstr("Rejected discovery log entry #2"));
}

TEST_F(DcTest, RefusedEntriesAreSummarisedAndNotRepeatedOnEachFetch) {
  // A hostile DC sends thousands of bad entries, and the same page again after every AEN.
  auto bad_page = [](const std::string& tag) {
    std::vector<RawLogEntry> page;
    for (int i = 0; i < 1000; ++i)
      page.push_back(SimEntry("nqn.bad," + tag + std::to_string(i), "192.0.2.30", "4420"));
    page.push_back(SimEntry("nqn.io:ok", "192.0.2.31", "4420"));
    return page;
  };
  auto lines = [this] {
    return std::count(warnings_.begin(), warnings_.end(), '\n');
  };
  kernel_.SetLog("192.0.2.10", "8009", bad_page("a"));
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  ASSERT_EQ(dc->log_pages().size(), 1u);
  EXPECT_EQ(lines(), 6) << warnings_;
  EXPECT_THAT(warnings_, HasSubstr("Rejected discovery log entry #0 (subnqn contains ','"));
  EXPECT_THAT(warnings_, HasSubstr("Rejected discovery log entry #4 "));
  EXPECT_THAT(warnings_, HasSubstr("... and 995 more refused entries (1000 in all)"));
  warnings_.clear();
  kernel_.SetLog("192.0.2.10", "8009", bad_page("a"));  // an AEN, the same refusals
  loop_.RunUntilIdle();
  EXPECT_EQ(log_page_calls_, 2);
  EXPECT_EQ(warnings_, "");
  kernel_.SetLog("192.0.2.10", "8009", bad_page("b"));  // different ones: reported again
  loop_.RunUntilIdle();
  EXPECT_EQ(lines(), 6) << warnings_;
}

TEST_F(DcTest, AdoptsAnExistingConnectionInsteadOfConnecting) {
  KernelDevice existing;
  existing.transport = "tcp";
  existing.traddr = "192.0.2.10";
  existing.trsvcid = "8009";
  existing.subsysnqn = kWellKnownDiscoveryNqn;
  existing.hostnqn = host_.hostnqn;
  existing.cntrltype = "discovery";
  existing.dctype = "ddc";
  std::string name = kernel_.AddExistingDevice(existing);
  loop_.RunUntilIdle();
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_EQ(dc->device(), name);
  EXPECT_EQ(kernel_.connect_calls(), 0);
  EXPECT_EQ(dc->log_pages().size(), 2u);
}

TEST_F(DcTest, DoesNotAdoptADeviceOwnedByAnotherDc) {
  KernelDevice existing;
  existing.transport = "tcp";
  existing.traddr = "192.0.2.10";
  existing.trsvcid = "8009";
  existing.subsysnqn = kWellKnownDiscoveryNqn;
  existing.hostnqn = host_.hostnqn;
  existing.cntrltype = "discovery";
  std::string name = kernel_.AddExistingDevice(existing);
  owned_by_others_ = {name};
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_EQ(kernel_.connect_calls(), 1);
  EXPECT_NE(dc->device(), name);
}

TEST_F(DcTest, RegistrationFailureRetriesAfter5s) {
  kernel_.FailNext("register", 1, EIO);
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_EQ(log_page_calls_, 0);
  EXPECT_THAT(warnings_, HasSubstr("Failed to register with Discovery Controller."));
  loop_.AdvanceBy(std::chrono::seconds(5));
  EXPECT_EQ(kernel_.registrations().size(), 1u);
  EXPECT_EQ(log_page_calls_, 1);
}

TEST_F(DcTest, NoRegistrationWhenTheDcDoesNotSupportIt) {
  SimPort port;
  port.traddr = "192.0.2.11";
  port.trsvcid = "8009";
  port.dctype = "none";
  port.log = {SimEntry("nqn.io:9", "192.0.2.29", "4420")};
  kernel_.AddPort(port);
  auto dc = MakeDc("192.0.2.11");
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_TRUE(kernel_.registrations().empty());
  EXPECT_EQ(dc->log_pages().size(), 1u);
}

TEST_F(DcTest, LogFetchFailureRetriesAfter20s) {
  kernel_.FailNext("log", 1, EAGAIN);
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_EQ(log_page_calls_, 0);
  EXPECT_THAT(warnings_, HasSubstr("Failed to retrieve log pages."));
  loop_.AdvanceBy(std::chrono::seconds(19));
  EXPECT_EQ(log_page_calls_, 0);
  loop_.AdvanceBy(std::chrono::seconds(1));
  EXPECT_EQ(log_page_calls_, 1);
}

TEST_F(DcTest, SupportQueryFailureRetriesAfter5s) {
  kernel_.FailNext("support", 1, EIO);
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_EQ(log_page_calls_, 0);
  loop_.AdvanceBy(std::chrono::seconds(5));
  EXPECT_EQ(log_page_calls_, 1);
}

TEST_F(DcTest, ADcThatRefusesTheSupportQueryIsStillRead) {
  kernel_.FailNext("support", 1, EINVAL);  // an NVMe "Invalid Field" status, as nvmet answers
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_EQ(log_page_calls_, 1);
  EXPECT_EQ(warnings_, "");
}

TEST_F(DcTest, ReferralChangesAreReported) {
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  EXPECT_EQ(referral_calls_, 0);
  kernel_.SetLog("192.0.2.10", "8009",
                 {SimEntry(kWellKnownDiscoveryNqn, "192.0.2.40", "8009", /*subtype=*/1)});
  loop_.RunUntilIdle();
  EXPECT_EQ(referral_calls_, 1);
  ASSERT_EQ(dc->Referrals().size(), 1u);
  EXPECT_EQ(dc->Referrals()[0].traddr, "192.0.2.40");
}

TEST_F(DcTest, DisposeDisconnectsUnlessKept) {
  auto dc = MakeDc();
  dc->Start();
  loop_.RunUntilIdle();
  bool done = false;
  dc->Dispose(false, [&](bool ok) { done = ok; });
  loop_.RunUntilIdle();
  EXPECT_TRUE(done);
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  EXPECT_EQ(kernel_.device_count(), 0u);

  auto kept = MakeDc();
  kept->Start();
  loop_.RunUntilIdle();
  bool kept_done = false;
  kept->Dispose(true, [&](bool ok) { kept_done = ok; });
  loop_.RunUntilIdle();
  EXPECT_TRUE(kept_done);
  EXPECT_EQ(kernel_.disconnect_calls(), 1);
  EXPECT_EQ(kernel_.device_count(), 1u);
}

TEST_F(DcTest, DBusViewsHaveTheReferenceKeysAndNoSecrets) {
  ConnectRequest req;
  req.tid =
      Tid::Make({.transport = "tcp", .traddr = "192.0.2.10", .subsysnqn = kWellKnownDiscoveryNqn},
                TidDefaults{false, host_.hostnqn});
  req.host = host_;
  Dc dc(ctx_, req, Origin::kReferral,
        {{"dhchap-secret", "DHHC-1:00:c2VjcmV0:"}, {"host-nqn", "x"}, {"kato", "5"}});
  std::vector<std::string> keys;
  for (const auto& [k, v] : dc.IdDict()) {
    keys.push_back(k);
    EXPECT_EQ(v.find("c2VjcmV0"), std::string::npos);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"traddr", "trsvcid", "transport", "subsysnqn",
                                            "host-iface", "host-traddr", "dhchap-secret",
                                            "host-nqn", "kato", "device"}));
  auto info = dc.Info();
  EXPECT_EQ(info[10], (std::pair<std::string, std::string>{"connect attempts", "0"}));
  EXPECT_EQ(info[11].first, "retry connect timer");
  EXPECT_EQ(info[12], (std::pair<std::string, std::string>{"origin", "referral"}));
  auto details = dc.Details();
  EXPECT_EQ(details.back(), (std::pair<std::string, std::string>{"connected", "False"}));
}

}  // namespace
}  // namespace stas::staf
