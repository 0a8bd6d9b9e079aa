// SPDX-License-Identifier: Apache-2.0
// Lifetime: how work that runs later (a posted closure, the `done` of blocking work, a reply
// from D-Bus, an event from a source that outlives us) learns that the object it was meant for
// is gone. The object holds a Lifetime as a member; Guard(fn) wraps a callback so that it runs
// fn only while that member exists, and does nothing once the object has been destroyed.
//
//   loop.Post(lifetime_.Guard([this] { Retry(); }));  // dropped if `this` is gone by then
//
// Guarded callables are copyable and may be destroyed on any thread; they must be called on the
// thread that destroys the owner (the loop thread), so that the owner cannot go away while fn
// runs. BlockingRunner::RunBlocking() takes a Lifetime and guards its `done` itself.
#pragma once

#include <functional>
#include <memory>
#include <utility>

namespace stas {

class Lifetime {
 public:
  Lifetime() = default;
  // Tied to one object: a copy would outlive it, and a move would leave it unguarded.
  Lifetime(const Lifetime&) = delete;
  Lifetime& operator=(const Lifetime&) = delete;
  Lifetime(Lifetime&&) = delete;
  Lifetime& operator=(Lifetime&&) = delete;

  // A callable with fn's parameters that calls fn while this Lifetime exists and otherwise
  // does nothing. fn returns void (its result could not be given when it is dropped) and is
  // copyable. The callable has a concrete signature, so libraries that deduce it from the
  // callable (sdbus-c++'s uponReplyInvoke) accept it.
  template <class Fn>
  auto Guard(Fn fn) const {
    return GuardFunction(std::function(std::move(fn)));
  }

  // Tells later whether the Lifetime still exists, without running anything: for code that
  // holds work back on behalf of an owner (BoundedRunner) and drops it once the owner is gone.
  // Copyable; alive() may be asked on any thread, but is only final on the loop thread.
  class Watch {
   public:
    bool alive() const { return !token_.expired(); }

   private:
    friend class Lifetime;
    explicit Watch(std::weak_ptr<const int> token) : token_(std::move(token)) {}
    std::weak_ptr<const int> token_;
  };
  Watch watch() const { return Watch(token_); }

 private:
  template <class... Args>
  auto GuardFunction(std::function<void(Args...)> fn) const {
    return [token = std::weak_ptr<const int>(token_), fn = std::move(fn)](Args... args) {
      if (!token.expired())
        fn(std::forward<Args>(args)...);
    };
  }

  std::shared_ptr<const int> token_ = std::make_shared<const int>(0);
};

}  // namespace stas
