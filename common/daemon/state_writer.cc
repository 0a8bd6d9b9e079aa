// SPDX-License-Identifier: Apache-2.0
#include "common/daemon/state_writer.h"

#include <cstdlib>
#include <utility>

#include "common/atomic_file.h"
#include "common/log.h"

namespace stas {

namespace {

std::string DirectoryPath(const char* env, const std::string& fallback, const char* file) {
  const char* dir = std::getenv(env);  // NOLINT(concurrency-mt-unsafe): start-up
  std::string base = (dir && *dir) ? std::string(dir) : fallback;
  // systemd may pass several directories separated by ':'; ours is the first.
  base = base.substr(0, base.find(':'));
  return base + "/" + file;
}

}  // namespace

std::string RuntimeStatePath(const char* prog, const char* file) {
  return DirectoryPath("RUNTIME_DIRECTORY", std::string("/run/") + prog, file);
}

std::string PersistentStatePath(const char* prog, const char* file) {
  return DirectoryPath("STATE_DIRECTORY", std::string("/var/lib/") + prog, file);
}

StateWriter::StateWriter(BlockingRunner& runner, std::string path, mode_t mode, Options options)
    : StateWriter(
          runner,
          [path = std::move(path), mode](const std::string& text) {
            return WriteFileAtomic(path, text, mode);
          },
          std::move(options)) {}

StateWriter::StateWriter(BlockingRunner& runner, WriteFn write, Options options)
    : runner_(runner),
      what_(std::move(options.what)),
      disk_(std::make_shared<Disk>(std::move(write), options.skip_unchanged)) {}

StateWriter::~StateWriter() {
  Flush();
}

void StateWriter::Save(std::string text) {
  Snapshot snap{++generation_, std::make_shared<const std::string>(std::move(text))};
  newest_ = snap;
  if (in_flight_) {
    waiting_ = std::move(snap);  // an older snapshot still waiting is never written
    return;
  }
  Start(std::move(snap));
}

void StateWriter::Flush() {
  waiting_.reset();
  if (!newest_)
    return;
  // Blocks the loop thread on the disk, and on the write in flight: acceptable at shutdown
  // only, when nothing else is left for the loop to do.
  LogError(disk_->WriteIfNewer(*newest_));
}

void StateWriter::Start(Snapshot snap) {
  in_flight_ = true;
  runner_.RunBlocking<Status>(
      lifetime_, [disk = disk_, snap = std::move(snap)] { return disk->WriteIfNewer(snap); },
      [this](Status s) { OnWritten(s); });
}

void StateWriter::OnWritten(const Status& s) {
  in_flight_ = false;
  LogError(s);
  if (waiting_) {
    Snapshot next = std::move(*waiting_);
    waiting_.reset();
    Start(std::move(next));
  }
}

void StateWriter::LogError(const Status& s) const {
  if (!s)
    LOG_ERROR("Unable to save %s: %s", what_.c_str(), s.error().message.c_str());
}

Status StateWriter::Disk::WriteIfNewer(const Snapshot& snap) {
  std::lock_guard<std::mutex> lock(mu);
  if (snap.generation <= written)
    return {};  // Flush() already wrote a newer snapshot
  if (skip_unchanged && on_disk && *on_disk == *snap.text) {
    written = snap.generation;
    return {};
  }
  Status s = write(*snap.text);
  if (s) {
    written = snap.generation;
    on_disk = snap.text;
  }
  return s;
}

}  // namespace stas
