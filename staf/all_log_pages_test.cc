// SPDX-License-Identifier: Apache-2.0
#include "staf/all_log_pages.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/daemon/process_info.h"
#include "common/defs.h"
#include "common/python_compat.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/simulated_kernel.h"

namespace stas::staf {
namespace {

LogEntry Entry(const std::string& subnqn) {
  LogEntry e;
  e.trtype = 3;
  e.adrfam = 1;
  e.subtype = kSubtypeNvme;
  e.transport = "tcp";
  e.traddr = "192.0.2.20";
  e.trsvcid = "4420";
  e.subnqn = subnqn;
  return e;
}

class AllLogPagesTest : public ::testing::Test {
 protected:
  std::shared_ptr<Dc> MakeDc(const std::string& traddr, int entries) {
    ConnectRequest req;
    req.tid = Tid::Make({.transport = "tcp", .traddr = traddr, .subsysnqn = kWellKnownDiscoveryNqn},
                        TidDefaults{false, "nqn.2014-08.org.nvmexpress:uuid:host"});
    req.discovery = true;
    auto dc = std::make_shared<Dc>(ctx_, req, Origin::kConfigured);
    std::vector<LogEntry> log;
    for (int i = 0; i < entries; ++i)
      log.push_back(Entry("nqn.io:" + traddr + ":" + std::to_string(i)));
    dc->SetCachedLog(std::move(log));
    dcs_.push_back(dc);
    return dc;
  }
  std::vector<const Dc*> View() const {
    std::vector<const Dc*> out;
    for (const auto& dc : dcs_)
      out.push_back(dc.get());
    return out;
  }
  // The document as stafd wrote it before the cache: the whole JSON tree, dumped at once.
  std::string Reference(bool detailed) const {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const auto& dc : dcs_) {
      nlohmann::ordered_json pages = nlohmann::ordered_json::array();
      for (const LogEntry& e : dc->log_pages())
        pages.push_back(DictJson(e.AsDict()));
      all.push_back({{"discovery-controller", DictJson(detailed ? dc->Details() : dc->IdDict())},
                     {"log-pages", std::move(pages)}});
    }
    return PythonJsonDumps(all);
  }

  FakeEventLoop loop_;
  InlineRunner runner_{loop_};
  testing::SimulatedKernel kernel_{loop_};
  KernelIndex index_{kernel_};
  DcContext ctx_{
      .controller = {.loop = loop_, .runner = runner_, .kernel = kernel_, .index = index_}};
  std::vector<std::shared_ptr<Dc>> dcs_;
  AllLogPages all_;
};

TEST_F(AllLogPagesTest, SameDocumentAsOneJsonDump) {
  EXPECT_EQ(all_.Build(View(), true, SIZE_MAX).text, "[]");
  MakeDc("192.0.2.10", 3);
  MakeDc("192.0.2.11", 0);
  MakeDc("192.0.2.12", 2);
  for (bool detailed : {false, true}) {
    AllLogPages::Answer a = all_.Build(View(), detailed, SIZE_MAX);
    EXPECT_EQ(a.text, Reference(detailed));
    EXPECT_EQ(a.size, a.text.size());
  }
}

TEST_F(AllLogPagesTest, TooLargeIsMeasuredNotBuilt) {
  MakeDc("192.0.2.10", 50);
  MakeDc("192.0.2.11", 50);
  const std::string full = Reference(true);
  AllLogPages::Answer a = all_.Build(View(), true, full.size() - 1);
  EXPECT_EQ(a.size, full.size());
  EXPECT_EQ(a.text, "");
  EXPECT_EQ(all_.Build(View(), true, full.size()).text, full);
}

TEST_F(AllLogPagesTest, UnchangedPagesAreNotSerialisedAgain) {
  MakeDc("192.0.2.10", 20);
  std::shared_ptr<Dc> second = MakeDc("192.0.2.11", 20);
  (void)all_.Build(View(), true, SIZE_MAX);
  EXPECT_EQ(all_.page_builds(), 2u);
  for (int i = 0; i < 5; ++i) {
    (void)all_.Build(View(), i % 2 == 0, SIZE_MAX);
  }
  EXPECT_EQ(all_.page_builds(), 2u);  // neither page changed

  // A new page for one DC: that one only is serialised again, and the answer has it.
  second->SetCachedLog({Entry("nqn.io:new")});
  AllLogPages::Answer a = all_.Build(View(), true, SIZE_MAX);
  EXPECT_EQ(all_.page_builds(), 3u);
  EXPECT_EQ(a.text, Reference(true));
  EXPECT_NE(a.text.find("nqn.io:new"), std::string::npos);

  // A DC removed and another added (same address, so same identity): never the old page.
  dcs_.pop_back();
  MakeDc("192.0.2.11", 1);
  a = all_.Build(View(), false, SIZE_MAX);
  EXPECT_EQ(all_.page_builds(), 4u);
  EXPECT_EQ(a.text, Reference(false));
  EXPECT_EQ(a.text.find("nqn.io:new"), std::string::npos);
}

}  // namespace
}  // namespace stas::staf
