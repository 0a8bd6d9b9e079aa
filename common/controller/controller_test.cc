// SPDX-License-Identifier: Apache-2.0
#include "common/controller/controller.h"

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/loop/blocking_runner.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/simulated_kernel.h"

namespace stas {
namespace {

// Runs jobs at once, or keeps them until RunHeld() while `hold` is set: an operation can then
// stay in flight while the clock moves.
class HeldRunner final : public BlockingRunner {
 public:
  using BlockingRunner::BlockingRunner;
  void Shutdown() override {}
  void RunHeld() {
    std::vector<std::function<void()>> jobs;
    jobs.swap(held_);
    for (auto& job : jobs)
      job();
  }
  bool hold = false;

 protected:
  void Submit(std::function<void()> job) override {
    if (hold)
      held_.push_back(std::move(job));
    else
      job();
  }

 private:
  std::vector<std::function<void()>> held_;
};

// A controller with one more operation: a stand-in for a Dc's log page fetch.
class TestController : public Controller {
 public:
  using Controller::Controller;
  void StartOperation() {
    RunOp<Status>([] { return Status{}; }, [](Status) {});
  }
};

class ControllerTest : public ::testing::Test {
 protected:
  ControllerTest() {
    testing::SimPort port;
    port.traddr = "192.0.2.20";
    port.trsvcid = "4420";
    port.subsystems = {"nqn.io:1"};
    kernel_.AddPort(port);
    EXPECT_TRUE(kernel_.Start([this](const KernelEvent& ev) { ctrl_.OnKernelEvent(ev); }));
  }

  static ConnectRequest Request() {
    ConnectRequest req;
    req.tid = Tid::Make({.transport = "tcp",
                         .traddr = "192.0.2.20",
                         .trsvcid = "4420",
                         .subsysnqn = "nqn.io:1",
                         .host_nqn = "nqn.host"},
                        TidDefaults{false, "nqn.host"});
    return req;
  }

  FakeEventLoop loop_;
  HeldRunner runner_{loop_};
  testing::SimulatedKernel kernel_{loop_};
  KernelIndex index_{kernel_};
  ControllerContext ctx_{.loop = loop_, .runner = runner_, .kernel = kernel_, .index = index_};
  TestController ctrl_{ctx_, Request(), {}};
};

TEST_F(ControllerTest, RemovalDuringAnOperationStillReconnects) {
  ctrl_.Start();
  loop_.RunUntilIdle();
  ASSERT_EQ(ctrl_.device(), "nvme0");
  runner_.hold = true;
  ctrl_.StartOperation();  // e.g. a log page fetch blocked on a controller being deleted
  kernel_.RemoveDevice("nvme0");
  loop_.RunUntilIdle();
  EXPECT_FALSE(ctrl_.connected());
  loop_.AdvanceBy(Controller::kFastConnectRetry);  // the retry comes while it is still busy
  EXPECT_FALSE(ctrl_.connected());
  runner_.hold = false;
  runner_.RunHeld();
  loop_.RunUntilIdle();
  EXPECT_EQ(ctrl_.device(), "nvme1");  // connected as soon as the operation ended
}

}  // namespace
}  // namespace stas
