// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/udev_events.h"

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

namespace stas {
namespace {

using std::chrono::milliseconds;

std::function<const char*(const char*)> Props(const std::map<std::string, std::string>& props) {
  return [&props](const char* key) -> const char* {
    auto it = props.find(key);
    return it == props.end() ? nullptr : it->second.c_str();
  };
}

TEST(UdevTranslateTest, MapsChangeWithAenAndEvent) {
  std::map<std::string, std::string> props = {{"NVME_AEN", "0x70f002"},
                                              {"NVME_EVENT", "rediscover"},
                                              {"NVME_HOST_TRADDR", "192.0.2.1"},
                                              {"NVME_HOST_IFACE", "eth0"},
                                              {"NVME_TRADDR", "192.0.2.10"}};
  auto ev = TranslateUevent("change", "nvme3", Props(props));
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->action, KernelEvent::Action::kChange);
  EXPECT_EQ(ev->device, "nvme3");
  EXPECT_EQ(ev->aen, kAenDiscoveryLogChanged);
  EXPECT_EQ(ev->event, "rediscover");
  EXPECT_EQ(ev->host_traddr, "192.0.2.1");
  EXPECT_EQ(ev->host_iface, "eth0");
}

TEST(UdevTranslateTest, MapsAddAndRemoveAndNoneToEmpty) {
  std::map<std::string, std::string> props = {{"NVME_HOST_TRADDR", "none"},
                                              {"NVME_HOST_IFACE", "NoNe"}};
  auto add = TranslateUevent("add", "nvme0", Props(props));
  ASSERT_TRUE(add.has_value());
  EXPECT_EQ(add->action, KernelEvent::Action::kAdd);
  EXPECT_EQ(add->host_traddr, "");
  EXPECT_EQ(add->host_iface, "");
  EXPECT_EQ(add->aen, "");
  EXPECT_EQ(add->event, "");
  auto remove = TranslateUevent("remove", "nvme0", Props({}));
  ASSERT_TRUE(remove.has_value());
  EXPECT_EQ(remove->action, KernelEvent::Action::kRemove);
}

TEST(UdevTranslateTest, IgnoresOtherActions) {
  for (const char* action : {"bind", "unbind", "move", "online", "offline", ""}) {
    EXPECT_FALSE(TranslateUevent(action, "nvme0", Props({})).has_value()) << action;
  }
  EXPECT_FALSE(TranslateUevent("add", "", Props({})).has_value());
}

class UdevKernelEventsTest : public ::testing::Test {
 protected:
  UdevKernelEventsTest() : context_(g_main_context_new()), loop_(context_) {}
  ~UdevKernelEventsTest() override { g_main_context_unref(context_); }

  // Runs the loop until Quit() or `timeout`; false on timeout.
  bool RunFor(milliseconds timeout) {
    bool timed_out = false;
    auto guard = loop_.AddTimer(timeout, [&] {
      timed_out = true;
      loop_.Quit();
    });
    loop_.Run();
    loop_.CancelTimer(guard);
    return !timed_out;
  }

  GMainContext* context_;
  GlibEventLoop loop_;
};

TEST_F(UdevKernelEventsTest, StartTwiceIsEalready) {
  UdevKernelEvents events(loop_, "kernel", {"nvme"});
  Status first = events.Start([](const KernelEvent&) {});
  if (!first)
    GTEST_SKIP() << "no netlink uevent socket here: " << first.error().message;
  Status second = events.Start([](const KernelEvent&) {});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, EALREADY);
}

TEST_F(UdevKernelEventsTest, UnknownSourceIsAnError) {
  UdevKernelEvents events(loop_, "bogus", {"nvme"});
  Status s = events.Start([](const KernelEvent&) {});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().code, 0);
  EXPECT_NE(s.error().message.find("udev_monitor_new_from_netlink(bogus)"), std::string::npos);
}

// A synthetic uevent (docs/compatibility.md, "libudev: the udev source needs udevd"): writing
// "change <uuid> KEY=value" to a device's uevent
// file makes the kernel emit a change event for it, with SYNTH_ARG_KEY=value properties.
// /dev/null's device (subsystem "mem") is always there and nothing reacts to it without udevd.
TEST_F(UdevKernelEventsTest, DeliversSyntheticKernelUevent) {
  if (geteuid() != 0)
    GTEST_SKIP() << "the kernel uevent source and uevent writes need root";
  const char* uevent = "/sys/devices/virtual/mem/null/uevent";
  if (access(uevent, W_OK) != 0)
    GTEST_SKIP() << uevent << " is not writable here";

  UdevKernelEvents events(loop_, "kernel", {"block", "mem"});
  std::vector<std::string> errors;
  events.SetErrorLogger([&](const std::string& line) { errors.push_back(line); });
  std::vector<KernelEvent> got;
  ASSERT_TRUE(events.Start([&](const KernelEvent& ev) {
    got.push_back(ev);
    if (ev.device == "null")
      loop_.Quit();
  }));
  {
    std::ofstream out(uevent);
    out << "change 5b0c6c42-6f5c-4b7e-9d1e-0c2f6f1e8a11 NVMEEVENT=rediscover AEN=0x70f002\n";
    out.flush();
    ASSERT_TRUE(out.good()) << "write to " << uevent << " failed";
  }
  ASSERT_TRUE(RunFor(milliseconds(5000))) << "no uevent within 5 s";
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().device, "null");
  EXPECT_EQ(got.back().subsystem, "mem");  // one of several subsystems, and which one it was
  EXPECT_EQ(got.back().action, KernelEvent::Action::kChange);
  EXPECT_EQ(got.back().aen, "");  // the synthetic keys are SYNTH_ARG_*, not NVME_*
  EXPECT_TRUE(errors.empty());
}

}  // namespace
}  // namespace stas
