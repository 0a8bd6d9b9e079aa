// SPDX-License-Identifier: Apache-2.0
// ControllerRegistry<T>: the controllers a service manages, and the ones being disposed of
// (nvme-stas's CtrlTerminator). Removal waits for the controller's operation in flight, then
// disconnects it or not; the registry keeps the object alive until that is done, so devices
// still owned by a controller being removed are never adopted by another one.
// Loop thread only. T derives from Controller.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/controller/controller.h"
#include "common/loop/event_loop.h"
#include "common/loop/lifetime.h"

namespace stas {

template <class T>
class ControllerRegistry {
 public:
  explicit ControllerRegistry(EventLoop& loop) : loop_(loop) {}
  ControllerRegistry(const ControllerRegistry&) = delete;
  ControllerRegistry& operator=(const ControllerRegistry&) = delete;

  // The active controllers, in the order they were added.
  const std::vector<std::shared_ptr<T>>& active() const { return active_; }
  // The same, as the read-only view the services hand to their D-Bus objects.
  std::vector<const T*> ActiveView() const {
    std::vector<const T*> out;
    out.reserve(active_.size());
    for (const auto& c : active_)
      out.push_back(c.get());
    return out;
  }
  // A copy, safe to iterate while removing.
  std::vector<std::shared_ptr<T>> Snapshot() const { return active_; }

  void Add(std::shared_ptr<T> c) { active_.push_back(std::move(c)); }

  T* Find(const Tid& tid) const {
    for (const auto& c : active_) {
      if (c->tid() == tid)
        return c.get();
    }
    return nullptr;
  }

  // The active (or, with `include_disposing`, also departing) controller owning `device`.
  T* FindByDevice(const std::string& device, bool include_disposing = false) const {
    for (const auto* list : {&active_, &disposing_}) {
      if (list == &disposing_ && !include_disposing)
        break;
      for (const auto& c : *list) {
        if (!c->device().empty() && c->device() == device)
          return c.get();
      }
    }
    return nullptr;
  }

  // Every device a controller, active or departing, owns.
  std::set<std::string> OwnedDevices() const {
    std::set<std::string> out;
    for (const auto* list : {&active_, &disposing_}) {
      for (const auto& c : *list) {
        if (!c->device().empty())
          out.insert(c->device());
      }
    }
    return out;
  }

  // Takes `c` out of the active set and disposes of it (disconnecting unless `keep`); `done`,
  // if given, runs on a later loop iteration once it is gone (not at all if the registry is).
  void Remove(const std::shared_ptr<T>& c, bool keep_connection, std::function<void()> done = {}) {
    active_.erase(std::remove(active_.begin(), active_.end(), c), active_.end());
    disposing_.push_back(c);
    std::weak_ptr<T> weak = c;
    c->Dispose(keep_connection, [this, weak, done = std::move(done)](bool) {
      // Deferred: Dispose() may call back before returning.
      loop_.Post(lifetime_.Guard([this, weak, done] {
        if (auto d = weak.lock()) {
          disposing_.erase(std::remove(disposing_.begin(), disposing_.end(), d), disposing_.end());
        }
        if (done)
          done();
        MaybeFinishStop();
      }));
    });
  }

  // Removes every controller, then calls `done` (on a later loop iteration) once all are gone.
  void RemoveAll(bool keep_connection, std::function<void()> done) {
    stop_done_ = std::move(done);
    for (const auto& c : Snapshot())
      Remove(c, keep_connection);
    loop_.Post(lifetime_.Guard([this] { MaybeFinishStop(); }));
  }

 private:
  void MaybeFinishStop() {
    if (!disposing_.empty() || !stop_done_)
      return;
    auto done = std::move(stop_done_);
    stop_done_ = nullptr;
    done();
  }

  EventLoop& loop_;
  std::vector<std::shared_ptr<T>> active_;
  std::vector<std::shared_ptr<T>> disposing_;
  std::function<void()> stop_done_;
  Lifetime lifetime_;  // drops the posted steps once the registry is gone
};

}  // namespace stas
