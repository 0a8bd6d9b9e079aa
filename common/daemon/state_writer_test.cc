// SPDX-License-Identifier: Apache-2.0
#include "common/daemon/state_writer.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "common/testing/fake_event_loop.h"
#include "common/testing/file_helpers.h"

namespace stas {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr milliseconds kMaxWait{10000};

// The write behind a StateWriter under test: writes the real file, and records what it wrote,
// on which thread, and how many writes ran at once. Hold() makes writes wait for Release().
// Every wait is bounded, so a broken writer fails the test instead of hanging it.
class RecordingDisk {
 public:
  explicit RecordingDisk(std::string path) : path_(std::move(path)) {}

  StateWriter::WriteFn Fn() {
    return [this](const std::string& text) {
      return Write(text);
    };
  }

  Status Write(const std::string& text) {
    const int now = ++running_;
    int seen = max_running_.load();
    while (seen < now && !max_running_.compare_exchange_weak(seen, now)) {
    }
    std::unique_lock<std::mutex> lock(mu_);
    ++started_;
    cv_.notify_all();
    (void)cv_.wait_for(lock, kMaxWait, [this] { return !held_; });
    Status s = fail_next_ ? Status(Fail(EIO, "disk on fire")) : WriteFileAtomic(path_, text, 0600);
    fail_next_ = false;
    if (s) {
      written_.push_back(text);
      threads_.push_back(std::this_thread::get_id());
    }
    --running_;
    return s;
  }

  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = false;
    cv_.notify_all();
  }
  void FailNext() {
    std::lock_guard<std::mutex> lock(mu_);
    fail_next_ = true;
  }
  // Until `n` writes have started; false on timeout.
  bool WaitStarted(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kMaxWait, [&] { return started_ >= n; });
  }

  std::vector<std::string> written() const {
    std::lock_guard<std::mutex> lock(mu_);
    return written_;
  }
  std::vector<std::thread::id> threads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_;
  }
  int max_running() const { return max_running_.load(); }

 private:
  const std::string path_;
  std::atomic<int> running_{0};
  std::atomic<int> max_running_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;                     // guarded by mu_
  bool fail_next_ = false;                // guarded by mu_
  int started_ = 0;                       // guarded by mu_
  std::vector<std::string> written_;      // guarded by mu_
  std::vector<std::thread::id> threads_;  // guarded by mu_
};

class StateWriterTest : public ::testing::Test {
 protected:
  StateWriterTest() {
    SetLogSinkForTesting([this](LogLevel l, const std::string& s) {
      if (l >= LogLevel::kWarning)
        errors_ += s + "\n";
    });
  }
  ~StateWriterTest() override { SetLogSinkForTesting(nullptr); }

  // Runs the loop (this thread) until `writer` has nothing in flight; false on timeout.
  bool Drain(const StateWriter& writer) {
    const auto deadline = std::chrono::steady_clock::now() + kMaxWait;
    for (;;) {
      loop_.RunUntilIdle();
      if (!writer.busy())
        return true;
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      std::this_thread::sleep_for(milliseconds(1));
    }
  }

  testing::ScopedTempDir tmp_{"state-writer-test"};
  std::string path_ = tmp_.path() + "/state.json";
  RecordingDisk disk_{path_};
  FakeEventLoop loop_;
  const std::thread::id loop_thread_ = std::this_thread::get_id();
  std::string errors_;
};

// The race of a writer per call: a worker still writing an older snapshot while a newer one is
// written elsewhere, the older landing last. Here a write is held while A, B and C come in.
TEST_F(StateWriterTest, AHeldWriteMakesTheNewestWaitAndDropsTheOnesBetween) {
  ThreadPoolRunner runner(loop_, 0, 4);
  StateWriter writer(runner, disk_.Fn(), {.what = "test state"});
  disk_.Hold();
  writer.Save("A");
  ASSERT_TRUE(disk_.WaitStarted(1));
  writer.Save("B");
  writer.Save("C");
  loop_.RunUntilIdle();
  EXPECT_TRUE(writer.busy());
  disk_.Release();
  ASSERT_TRUE(Drain(writer));

  EXPECT_THAT(disk_.written(), ElementsAre("A", "C"));  // B is never written, so never after C
  EXPECT_EQ(testing::ReadFileText(path_), "C");
  EXPECT_EQ(disk_.max_running(), 1);
  for (std::thread::id t : disk_.threads())
    EXPECT_NE(t, loop_thread_);
  EXPECT_EQ(errors_, "");
  runner.Shutdown();
}

// Snapshots in a burst while writes are slow: one write at a time, the file only moves forward.
TEST_F(StateWriterTest, ABurstIsWrittenInOrderOneAtATime) {
  ThreadPoolRunner runner(loop_, 0, 8);
  StateWriter writer(runner, disk_.Fn(), {.what = "test state"});
  constexpr int kSnapshots = 200;
  for (int i = 0; i < kSnapshots; ++i) {
    writer.Save(std::to_string(1000 + i));  // same width: string order is number order
    loop_.RunUntilIdle();
  }
  ASSERT_TRUE(Drain(writer));

  std::vector<std::string> written = disk_.written();
  ASSERT_FALSE(written.empty());
  EXPECT_TRUE(std::is_sorted(written.begin(), written.end()));
  EXPECT_EQ(std::adjacent_find(written.begin(), written.end()), written.end());
  EXPECT_EQ(written.back(), std::to_string(1000 + kSnapshots - 1));
  EXPECT_EQ(testing::ReadFileText(path_), written.back());
  EXPECT_EQ(disk_.max_running(), 1);
  for (std::thread::id t : disk_.threads())
    EXPECT_NE(t, loop_thread_);
  runner.Shutdown();
}

// Stop(): the newest state is on disk when Flush() returns, after the write in flight.
TEST_F(StateWriterTest, FlushWaitsForTheWriteInFlightThenWritesTheNewest) {
  ThreadPoolRunner runner(loop_, 0, 4);
  StateWriter writer(runner, disk_.Fn(), {.what = "test state"});
  disk_.Hold();
  writer.Save("A");
  ASSERT_TRUE(disk_.WaitStarted(1));
  writer.Save("B");
  std::thread releaser([this] {
    std::this_thread::sleep_for(milliseconds(20));
    disk_.Release();
  });
  writer.Flush();
  releaser.join();
  EXPECT_THAT(disk_.written(), ElementsAre("A", "B"));
  EXPECT_EQ(testing::ReadFileText(path_), "B");
  ASSERT_TRUE(Drain(writer));
  EXPECT_THAT(disk_.written(), ElementsAre("A", "B"));  // B was not waiting any more
  EXPECT_EQ(disk_.max_running(), 1);
  runner.Shutdown();
}

// A write that was queued behind other work starts only after Flush() wrote a newer snapshot:
// it must not put its older one back.
TEST_F(StateWriterTest, AWriteThatStartsAfterFlushDoesNothing) {
  ThreadPoolRunner runner(loop_, 0, 1);
  Lifetime owner;
  std::mutex mu;
  std::condition_variable cv;
  bool busy_started = false;
  bool busy_release = false;
  runner.RunBlocking<int>(
      owner,
      [&] {
        std::unique_lock<std::mutex> lock(mu);
        busy_started = true;
        cv.notify_all();
        (void)cv.wait_for(lock, kMaxWait, [&] { return busy_release; });
        return 0;
      },
      nullptr);
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kMaxWait, [&] { return busy_started; }));
  }
  StateWriter writer(runner, disk_.Fn(), {.what = "test state"});
  writer.Save("A");  // queued: the pool's one thread is busy
  writer.Save("B");
  writer.Flush();  // writes B, here
  {
    std::lock_guard<std::mutex> lock(mu);
    busy_release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(Drain(writer));
  EXPECT_THAT(disk_.written(), ElementsAre("B"));
  EXPECT_EQ(testing::ReadFileText(path_), "B");
  runner.Shutdown();
}

// The daemon exits without Stop() (lost D-Bus): what was waiting is written on the way out.
TEST_F(StateWriterTest, TheDestructorWritesWhatWasWaiting) {
  InlineRunner runner(loop_);
  {
    StateWriter writer(runner, disk_.Fn(), {.what = "test state"});
    writer.Save("A");  // written at once; its completion is not delivered
    writer.Save("B");  // waits for it
    EXPECT_THAT(disk_.written(), ElementsAre("A"));
  }
  EXPECT_THAT(disk_.written(), ElementsAre("A", "B"));
  loop_.RunUntilIdle();  // A's completion finds the writer gone
}

TEST_F(StateWriterTest, ErrorsAreLoggedAndTheNextSnapshotIsWritten) {
  InlineRunner runner(loop_);
  StateWriter writer(runner, disk_.Fn(), {.what = "test state"});
  disk_.FailNext();
  writer.Save("A");
  loop_.RunUntilIdle();
  EXPECT_EQ(errors_, "Unable to save test state: disk on fire\n");
  writer.Save("B");
  loop_.RunUntilIdle();
  EXPECT_THAT(disk_.written(), ElementsAre("B"));
}

TEST_F(StateWriterTest, SkipUnchangedWritesOnlyChanges) {
  InlineRunner runner(loop_);
  StateWriter writer(runner, disk_.Fn(), {.what = "test state", .skip_unchanged = true});
  for (const char* text : {"A", "A", "B", "B", "A"}) {
    writer.Save(text);
    loop_.RunUntilIdle();
  }
  EXPECT_THAT(disk_.written(), ElementsAre("A", "B", "A"));
  // A failed write is not "on disk": the same snapshot is tried again.
  disk_.FailNext();
  writer.Save("C");
  loop_.RunUntilIdle();
  writer.Save("C");
  loop_.RunUntilIdle();
  EXPECT_THAT(disk_.written(), ElementsAre("A", "B", "A", "C"));
  writer.Flush();  // C is on disk: nothing to do
  EXPECT_THAT(disk_.written(), ElementsAre("A", "B", "A", "C"));
}

TEST_F(StateWriterTest, WritesTheFileWithTheGivenMode) {
  InlineRunner runner(loop_);
  StateWriter writer(runner, path_, 0640, {.what = "test state"});
  writer.Save("{}\n");
  loop_.RunUntilIdle();
  EXPECT_EQ(testing::ReadFileText(path_), "{}\n");
  EXPECT_EQ(testing::FileMode(path_), 0640u);
}

TEST_F(StateWriterTest, WriteErrorsNameTheFile) {
  InlineRunner runner(loop_);
  std::string path = tmp_.path() + "/missing/state.json";
  StateWriter writer(runner, path, 0600, {.what = "test state"});
  writer.Save("x");
  loop_.RunUntilIdle();
  EXPECT_THAT(errors_, HasSubstr("Unable to save test state: cannot write " + path));
}

TEST(RuntimeStatePathTest, UsesTheFirstRuntimeDirectory) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): tests set the environment on one thread
  ASSERT_EQ(::setenv("RUNTIME_DIRECTORY", "/run/a:/run/b", 1), 0);
  EXPECT_EQ(RuntimeStatePath("stafd", "x.json"), "/run/a/x.json");
  // NOLINTNEXTLINE(concurrency-mt-unsafe): as above
  ASSERT_EQ(::unsetenv("RUNTIME_DIRECTORY"), 0);
  EXPECT_EQ(RuntimeStatePath("stafd", "x.json"), "/run/stafd/x.json");
}

}  // namespace
}  // namespace stas
