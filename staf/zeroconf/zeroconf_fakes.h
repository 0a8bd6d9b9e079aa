// SPDX-License-Identifier: Apache-2.0
// Fakes of the zeroconf edges, for unit tests (and a future D-Bus test harness):
// FakeTcpProber records connect attempts and lets the test complete them; FakeServiceBrowser
// records what it was told and plays browser events into its observer. Header-only.
// Test thread (= loop thread) only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "staf/zeroconf/zeroconf_browser.h"
#include "staf/zeroconf/zeroconf_reachability.h"

namespace stas::staf {

class FakeTcpProber final : public TcpProber {
 public:
  struct Attempt {
    IpAddress ip;
    std::uint16_t port = 0;
    std::string host_iface;
    Done done;
    bool cancelled = false;  // the Probe handle was destroyed
    bool finished = false;   // Complete() ran its `done`
  };

  std::unique_ptr<Probe> Start(const IpAddress& ip, std::uint16_t port,
                               const std::string& host_iface, Done done) override {
    auto a = std::make_shared<Attempt>(Attempt{ip, port, host_iface, std::move(done)});
    attempts_.push_back(a);
    return std::make_unique<Handle>(a);
  }

  // Every attempt so far, oldest first.
  const std::vector<std::shared_ptr<Attempt>>& attempts() const { return attempts_; }
  // Attempts neither cancelled nor finished.
  std::size_t pending() const {
    std::size_t n = 0;
    for (const auto& a : attempts_)
      n += (!a->cancelled && !a->finished) ? 1 : 0;
    return n;
  }
  // Completes the oldest pending attempt with `status`; false if there is none.
  bool Complete(Status status) {
    for (const auto& a : attempts_) {
      if (a->cancelled || a->finished)
        continue;
      a->finished = true;
      Done done = std::move(a->done);
      if (done)
        done(std::move(status));
      return true;
    }
    return false;
  }
  bool Succeed() { return Complete(Status()); }
  bool Refuse() { return Complete(Fail(111, "Connection refused")); }

 private:
  class Handle final : public Probe {
   public:
    explicit Handle(std::shared_ptr<Attempt> a) : a_(std::move(a)) {}
    ~Handle() override { a_->cancelled = !a_->finished; }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    Handle(Handle&&) = delete;
    Handle& operator=(Handle&&) = delete;

   private:
    std::shared_ptr<Attempt> a_;
  };

  std::vector<std::shared_ptr<Attempt>> attempts_;
};

class FakeServiceBrowser final : public ServiceBrowser {
 public:
  void SetObserver(ServiceBrowserObserver* observer) override { observer_ = observer; }
  void SetServiceTypes(const std::vector<std::string>& types) override {
    types_ = types;
    ++set_types_calls_;
  }
  void KickStart() override { ++kicks_; }
  std::vector<std::string> service_types() const override { return types_; }
  BrowserState state() const override { return state_; }
  std::string wake_up_timer() const override { return wake_up_timer_; }

  // Plays events into the observer. New() returns what the observer answered (whether the
  // instance would be resolved).
  bool New(const ServiceKey& key, const std::string& ifname) {
    return observer_ == nullptr || observer_->OnServiceNew(key, ifname, 0);
  }
  void Resolve(const ResolvedService& s) {
    if (observer_)
      observer_->OnServiceResolved(s);
  }
  void Remove(const ServiceKey& key) {
    if (observer_)
      observer_->OnServiceRemoved(key);
  }
  void SetState(BrowserState s, const std::string& detail = "") {
    state_ = s;
    if (observer_)
      observer_->OnBrowserState(s, detail);
  }

  ServiceBrowserObserver* observer() const { return observer_; }
  int kicks() const { return kicks_; }
  int set_types_calls() const { return set_types_calls_; }
  void set_wake_up_timer(std::string s) { wake_up_timer_ = std::move(s); }

 private:
  ServiceBrowserObserver* observer_ = nullptr;
  std::vector<std::string> types_;
  BrowserState state_ = BrowserState::kRunning;
  std::string wake_up_timer_ = "60.0s [off]";
  int kicks_ = 0;
  int set_types_calls_ = 0;
};

}  // namespace stas::staf
