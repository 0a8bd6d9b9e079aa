// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/disc_log_read.h"

#include <cstring>
#include <endian.h>

#include <gtest/gtest.h>
#include <nvme/types.h>

namespace stas {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;

// A DC's discovery log page in memory, served command by command as the kernel would; each
// command "takes" `per_command` on a fake clock, so the deadline is tested without waiting.
class FakeDc {
 public:
  explicit FakeDc(uint64_t numrec) : numrec_(numrec) {}

  LogChunkReader Reader() {
    return [this](uint64_t offset, void* buf, uint32_t len, bool rae) -> Status {
      ++commands;
      max_end = std::max<uint64_t>(max_end, offset + len);
      if (!rae)
        ++rae_cleared;
      now += per_command;
      std::memset(buf, 0, len);
      // The header, or entries whose subnqn is their index.
      for (uint64_t at = offset; at < offset + len;) {
        if (at < sizeof(nvmf_discovery_log)) {
          nvmf_discovery_log h{};
          h.genctr = htole64(7);
          h.numrec = htole64(numrec_);
          size_t n = std::min<uint64_t>(sizeof(h) - at, offset + len - at);
          std::memcpy(static_cast<char*>(buf) + (at - offset), reinterpret_cast<char*>(&h) + at, n);
          at += n;
          continue;
        }
        uint64_t i = (at - sizeof(nvmf_discovery_log)) / sizeof(nvmf_disc_log_entry);
        nvmf_disc_log_entry e{};
        e.trtype = NVMF_TRTYPE_TCP;
        std::snprintf(e.subnqn, sizeof(e.subnqn), "nqn.io:%llu",
                      static_cast<unsigned long long>(i));
        uint64_t start = sizeof(nvmf_discovery_log) + i * sizeof(e);
        size_t n = std::min<uint64_t>(start + sizeof(e) - at, offset + len - at);
        std::memcpy(static_cast<char*>(buf) + (at - offset),
                    reinterpret_cast<char*>(&e) + (at - start), n);
        at += n;
      }
      return {};
    };
  }
  SteadyNow Clock() {
    return [this] {
      return now;
    };
  }

  int commands = 0;
  int rae_cleared = 0;
  uint64_t max_end = 0;
  steady_clock::time_point now{};
  steady_clock::duration per_command = std::chrono::milliseconds(1);

 private:
  uint64_t numrec_;
};

TEST(DiscLogReadTest, ReadsTheWholePageAndClearsRaeOnce) {
  FakeDc dc(10);
  Result<DiscoveryLogPage> page = ReadDiscoveryLog(dc.Reader(), {}, dc.Clock());
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->numrec, 10u);
  ASSERT_EQ(page->entries.size(), 10u);
  EXPECT_FALSE(page->truncated());
  EXPECT_EQ(page->entries[9].subnqn, "nqn.io:9");
  EXPECT_EQ(dc.rae_cleared, 1);
}

// #13, finding 3: the DC chooses numrec; only max_entries get a buffer and are read.
TEST(DiscLogReadTest, APageLongerThanMaxEntriesIsReadOnlyUpToIt) {
  FakeDc dc(65536);
  Result<DiscoveryLogPage> page =
      ReadDiscoveryLog(dc.Reader(), {.max_entries = 100, .deadline = seconds(60)}, dc.Clock());
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->numrec, 65536u);
  ASSERT_EQ(page->entries.size(), 100u);
  EXPECT_TRUE(page->truncated());
  EXPECT_EQ(page->entries[99].subnqn, "nqn.io:99");
  EXPECT_EQ(dc.max_end, sizeof(nvmf_discovery_log) + 100 * sizeof(nvmf_disc_log_entry));
  EXPECT_EQ(dc.rae_cleared, 1);  // the retained event is still cleared
}

// #13, finding 6: a DC that answers each 4 KiB piece slowly cannot hold a worker for longer
// than the deadline (plus the command under way).
TEST(DiscLogReadTest, ASlowReadFailsAtTheDeadline) {
  FakeDc dc(1000);  // 1 header + 251 pieces + 1 header
  dc.per_command = seconds(1);
  Result<DiscoveryLogPage> page =
      ReadDiscoveryLog(dc.Reader(), {.max_entries = 4096, .deadline = seconds(10)}, dc.Clock());
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, kErrLogReadDeadline);
  EXPECT_EQ(dc.commands, 11);  // the 11th command ended past 10 s; no 12th was sent
  EXPECT_NE(page.error().message.find("11000 ms"), std::string::npos) << page.error().message;
  EXPECT_NE(page.error().message.find("after 11 Get Log Page commands"), std::string::npos)
      << page.error().message;
}

TEST(DiscLogReadTest, AFailedCommandEndsTheRead) {
  int calls = 0;
  LogChunkReader broken = [&calls](uint64_t, void*, uint32_t, bool) -> Status {
    ++calls;
    return Fail(EIO, "nvme_get_log(discovery): broken");
  };
  Result<DiscoveryLogPage> page = ReadDiscoveryLog(broken, {});
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, EIO);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace stas
