// SPDX-License-Identifier: Apache-2.0
#include "common/loop/bounded_runner.h"

#include <algorithm>
#include <utility>

#include "common/log.h"
#include "common/result.h"

namespace stas {

BoundedRunner::BoundedRunner(EventLoop& loop, BlockingRunner& inner, std::size_t limit,
                             std::string what)
    : BlockingRunner(loop),
      inner_(inner),
      what_(std::move(what)),
      limit_(std::max<std::size_t>(limit, 1)) {}

void BoundedRunner::set_limit(std::size_t limit) {
  limit_ = std::max<std::size_t>(limit, 1);
  StartWaiting();
}

std::size_t BoundedRunner::queued() const {
  return static_cast<std::size_t>(std::count_if(waiting_.begin(), waiting_.end(),
                                                [](const Held& h) { return h.owner.alive(); }));
}

void BoundedRunner::Shutdown() {
  stopped_ = true;
  waiting_.clear();
}

void BoundedRunner::Submit(std::function<void()> job) {
  Enqueue({always_.watch(), std::move(job)});
}

void BoundedRunner::SubmitFor(const Lifetime& owner, std::function<void()> job) {
  Enqueue({owner.watch(), std::move(job)});
}

void BoundedRunner::Enqueue(Held held) {
  if (stopped_)
    return;
  if (in_flight_ < limit_ && waiting_.empty()) {
    StartNow(std::move(held.job));
    return;
  }
  if (waiting_.empty()) {
    // Once per congestion, not per job: a slow fabric must not flood the journal either.
    LOG_INFO("All %zu workers for %s are busy: further %s wait their turn", limit_, what_.c_str(),
             what_.c_str());
  }
  waiting_.push_back(std::move(held));
  peak_queued_ = std::max(peak_queued_, waiting_.size());
}

void BoundedRunner::StartWaiting() {
  const bool had_waiting = !waiting_.empty();
  while (!stopped_ && in_flight_ < limit_ && !waiting_.empty()) {
    Held held = std::move(waiting_.front());
    waiting_.pop_front();
    if (held.owner.alive())
      StartNow(std::move(held.job));
  }
  if (had_waiting && waiting_.empty())
    LOG_INFO("No more %s wait for a worker", what_.c_str());
}

void BoundedRunner::StartNow(std::function<void()> job) {
  ++in_flight_;
  // The job posts its own `done`; this completion is posted after it, so the next waiting job
  // starts once the previous one's result has been handled.
  inner_.RunBlocking<Status>(
      lifetime_,
      [job = std::move(job)]() {
        job();
        return Status{};
      },
      [this](const Status&) { OnFinished(); });
}

void BoundedRunner::OnFinished() {
  --in_flight_;
  StartWaiting();
}

}  // namespace stas
