// SPDX-License-Identifier: Apache-2.0
// A daemon's state files (stafd's last-known configuration, stacd's owned controllers): where
// they live, and StateWriter, the one writer of each.
//
// StateWriter takes snapshots (the file's whole text) from the loop thread and writes them on
// the worker pool with WriteFileAtomic(), one write at a time. A snapshot handed over while a
// write runs waits behind it, and a newer one replaces it: the file only ever moves forward
// (an older snapshot is never written after a newer one), a burst of changes costs at most two
// writes, and the loop thread never waits on the disk. Write errors are logged on the loop
// thread. The one exception to "off the loop thread" is Flush(), at shutdown. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>

#include "common/loop/blocking_runner.h"
#include "common/loop/lifetime.h"
#include "common/result.h"

namespace stas {

// Where a daemon keeps `file` across restarts: $RUNTIME_DIRECTORY/<file> (systemd's
// RuntimeDirectory=), or /run/<prog>/<file> when it is not set.
std::string RuntimeStatePath(const char* prog, const char* file);
// The same for state that outlives a reboot: $STATE_DIRECTORY (systemd's StateDirectory=, the
// first of several) or /var/lib/<prog>.
std::string PersistentStatePath(const char* prog, const char* file);

class StateWriter {
 public:
  // Writes one snapshot. Runs on a worker (or in Flush()), never twice at once.
  using WriteFn = std::function<Status(const std::string& text)>;

  struct Options {
    // Names the file in the error log: "Unable to save <what>: <error>".
    std::string what;
    // A snapshot equal to the last one written successfully is not written again.
    bool skip_unchanged = false;
  };

  // Writes `path` with WriteFileAtomic(path, text, mode).
  StateWriter(BlockingRunner& runner, std::string path, mode_t mode, Options options);
  // Writes with `write` instead (tests hold a write or count them with it).
  StateWriter(BlockingRunner& runner, WriteFn write, Options options);
  // Flush(): the daemon is exiting, and a snapshot still waiting would be lost.
  ~StateWriter();
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;
  StateWriter(StateWriter&&) = delete;
  StateWriter& operator=(StateWriter&&) = delete;

  // Hands over the newest state. Written on a worker now, or after the write in flight (then
  // it replaces a snapshot that was waiting).
  void Save(std::string text);

  // At shutdown only: writes the newest snapshot now, on the calling (loop) thread, unless it
  // is on disk already, after waiting for the write in flight. The worker pool drops waiting
  // work when it stops, so this is how a stopping daemon's last state reaches the disk. A write
  // in flight that finishes later sees a newer snapshot on disk and does nothing.
  void Flush();

  // A write is in flight or a snapshot waits for one.
  bool busy() const { return in_flight_; }

 private:
  struct Snapshot {
    std::uint64_t generation = 0;  // grows with each Save()
    std::shared_ptr<const std::string> text;
  };
  // What the writes share, on whatever thread they run; a job in flight keeps it alive.
  struct Disk {
    Disk(WriteFn w, bool skip) : write(std::move(w)), skip_unchanged(skip) {}
    // Writes `snap` unless a newer or equal generation is on disk. Serialised by `mu`.
    Status WriteIfNewer(const Snapshot& snap);

    const WriteFn write;
    const bool skip_unchanged;
    std::mutex mu;
    std::uint64_t written = 0;                   // guarded by mu: newest generation on disk
    std::shared_ptr<const std::string> on_disk;  // guarded by mu: its text (skip_unchanged)
  };

  void Start(Snapshot snap);
  void OnWritten(const Status& s);
  void LogError(const Status& s) const;

  BlockingRunner& runner_;
  const std::string what_;
  std::shared_ptr<Disk> disk_;
  std::uint64_t generation_ = 0;
  std::optional<Snapshot> newest_;   // the last snapshot handed over
  std::optional<Snapshot> waiting_;  // to write once the write in flight is done
  bool in_flight_ = false;
  Lifetime lifetime_;  // last: completions that arrive after we are gone are dropped
};

}  // namespace stas
