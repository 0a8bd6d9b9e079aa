// SPDX-License-Identifier: Apache-2.0
// BoundedRunner: a lane over another BlockingRunner that lets at most `limit` of its jobs run
// at once; the others wait in FIFO order on the loop thread until one of them finishes.
//
// Why: every blocking call shares one pool (ThreadPoolRunner, up to 128 workers). A discovery
// controller that answers each log-page chunk just under the admin timeout holds a worker for
// minutes; enough of them (referrals, mDNS) would take every worker, and the connects and
// disconnects of healthy controllers would wait behind them (#13, finding 6). stafd sends its
// discovery-side reads (log page, supported log pages, DIM registration) through a lane of
// `[Limits] discovery-read-workers` workers, so the rest of the pool stays free for connects.
//
// A held job whose owner (the Lifetime given to RunBlocking) has ended is dropped unrun: its
// `done` would be dropped anyway. Loop thread only (RunBlocking included); the inner runner
// must outlive the lane.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <string>

#include "common/loop/blocking_runner.h"
#include "common/loop/lifetime.h"

namespace stas {

class BoundedRunner final : public BlockingRunner {
 public:
  // `what` names the lane in log messages ("discovery reads"). `limit` is raised to 1.
  BoundedRunner(EventLoop& loop, BlockingRunner& inner, std::size_t limit, std::string what);
  ~BoundedRunner() override = default;
  BoundedRunner(const BoundedRunner&) = delete;
  BoundedRunner& operator=(const BoundedRunner&) = delete;
  BoundedRunner(BoundedRunner&&) = delete;
  BoundedRunner& operator=(BoundedRunner&&) = delete;

  // A new limit (SIGHUP); raised to 1. Jobs in flight are not interrupted; a higher limit
  // starts waiting jobs at once.
  void set_limit(std::size_t limit);
  std::size_t limit() const { return limit_; }
  // Jobs of this lane running on the inner runner now.
  std::size_t in_flight() const { return in_flight_; }
  // Jobs waiting for a place whose owner still exists.
  std::size_t queued() const;
  // The most jobs that waited at once since construction.
  std::size_t peak_queued() const { return peak_queued_; }

  // Drops the waiting jobs and ignores later ones. Jobs in flight belong to the inner runner,
  // which its own Shutdown() waits for.
  void Shutdown() override;

 protected:
  // A job without an owner (Submit() is not called by RunBlocking): never dropped.
  void Submit(std::function<void()> job) override;
  void SubmitFor(const Lifetime& owner, std::function<void()> job) override;

 private:
  struct Held {
    Lifetime::Watch owner;
    std::function<void()> job;
  };

  void Enqueue(Held held);
  // Starts waiting jobs while there is room, dropping those whose owner ended.
  void StartWaiting();
  void StartNow(std::function<void()> job);
  void OnFinished();

  BlockingRunner& inner_;
  const std::string what_;
  std::size_t limit_;
  std::size_t in_flight_ = 0;
  std::size_t peak_queued_ = 0;
  std::deque<Held> waiting_;
  bool stopped_ = false;
  Lifetime always_;    // the owner of Submit()'s jobs: as long as the lane
  Lifetime lifetime_;  // drops the completions of inner jobs once the lane is gone
};

}  // namespace stas
