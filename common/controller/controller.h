// SPDX-License-Identifier: Apache-2.0
// Controller: what stafd's discovery controllers (Dc) and stacd's I/O controllers (Ioc) have
// in common: connecting (or adopting an existing kernel controller), retrying failed connects
// after 3 s and then every 60 s, reconnecting when the kernel removes the device, the
// operations in flight, disposal, and the D-Bus views, as nvme-stas shows them
// (docs/compatibility.md, "Controller identity dicts", "Controller info and details").
//
// Loop thread only. Owned through a shared_ptr: blocking work runs on the BlockingRunner and
// its result is dropped if the controller is gone by then (its Lifetime).
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/controller/connect_or_adopt.h"
#include "common/kernel/nvme_kernel.h"
#include "common/loop/blocking_runner.h"
#include "common/loop/event_loop.h"
#include "common/loop/lifetime.h"
#include "common/loop/timer.h"
#include "common/result.h"
#include "common/tid.h"

namespace stas {

// What all controllers of one daemon share. Owned by the service (inside its DcContext or
// IocContext); outlives every controller.
struct ControllerContext {
  EventLoop& loop;
  BlockingRunner& runner;
  NvmeKernel& kernel;
  // The kernel's controllers by subsystem, where connects look for one to adopt. The service
  // invalidates it when it starts a reconciliation pass.
  KernelIndex& index;
  // Where RunRead() sends a controller's reads (stafd: the bounded lane of discovery reads, so
  // that slow DCs cannot take every worker from connects and disconnects); null: `runner`.
  BlockingRunner* reads = nullptr;
  // The devices that other controllers already own: never adopt one of those. Asked on the
  // loop thread before each connect; empty: none.
  std::function<std::set<std::string>()> owned_devices{};
  // The exclusion list and the ownership registry (connect_or_adopt.h), read before every
  // connect and before every disconnect.
  SharedHostFiles shared_files{};
  // What the kernel supports, read by the service once at start-up: a controller that needs
  // what it lacks is not connected (TryConnect()).
  KernelFeatures features{};
};

using Dict = std::vector<std::pair<std::string, std::string>>;

class Controller {
 public:
  static constexpr std::chrono::seconds kFastConnectRetry{3};
  static constexpr std::chrono::seconds kConnectRetry{60};
  // Connects in a row refused for their keys (DH-HMAC-CHAP refused, no TLS PSK) before the
  // retries stop (until a reload or new secrets): a wrong key does not right itself, and a
  // target may take repeated failures for an attack.
  static constexpr int kAuthenticationAttempts = 3;

  // `extras` are the controller= keys shown on D-Bus after the identity
  // (docs/compatibility.md, "Controller identity dicts").
  Controller(ControllerContext& ctx, ConnectRequest request, Dict extras);
  virtual ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Schedules the first connection attempt (on the next loop iteration).
  void Start();
  // A kernel event about device(): removal is handled here, the rest by subclasses.
  void OnKernelEvent(const KernelEvent& ev);
  // Stops all activity; once no operation is in flight, disconnects unless `keep_connection`
  // (or if not connected, or LeftToItsMaker()), then calls `done(success)`. The controller is
  // inert afterwards.
  void Dispose(bool keep_connection, std::function<void(bool)> done);

  const Tid& tid() const { return request_.tid; }
  const ConnectRequest& request() const { return request_; }
  const std::string& device() const { return device_; }
  bool connected() const { return !device_.empty(); }
  // Its owner in the ownership registry (ConnectOutcome::owner); "" when none is known.
  const std::string& owner() const { return owner_; }
  bool busy() const { return ops_in_flight_ > 0; }
  // Why it is not connected and not retried: what it needs that the kernel lacks
  // (MissingKernelFeature()); "" otherwise.
  const std::string& unsupported() const { return unsupported_; }
  int connect_attempts() const { return connect_attempts_; }
  const Dict& extras() const { return extras_; }
  // The DH-HMAC-CHAP secrets of a reloaded configuration (`fresh`: the same controller's new
  // request). Nothing when they did not change. Otherwise the next connect uses them, and a
  // connected controller is re-authenticated with them (NvmeKernel::Reauthenticate()), or,
  // when the kernel cannot take them in place of the old ones (a secret added or removed),
  // disconnected and connected again with them. An unconnected one is tried again at once.
  // Also where a reload's retry of a controller whose keys were refused happens (below).
  // New TLS keys (tls-key=, keyring=) are used from the next connect: an unconnected
  // controller is tried again at once, a connected one keeps its TLS session.
  void UpdateSecrets(const ConnectRequest& fresh);
  // For a reload, before its pass: whether the controller may be retried now. Not when its last
  // connects were refused for their keys: the pass brings the reloaded keys (UpdateSecrets()),
  // and the retry waits for them, so that the old key is not tried once more.
  bool RetryOnReload();
  // Sets (or, with nullopt, removes) one extra: a choice that may change while the controller
  // lives, such as a DC's connect= (staf/dc.h). A new key goes last.
  void SetExtra(const std::string& key, const std::optional<std::string>& value);

  Dict IdDict() const;
  virtual Dict Info() const;
  virtual Dict Details() const;

 protected:
  // Runs `work` on a worker thread, then `done` on the loop thread, counting it as an
  // operation in flight (disposal waits for it). After `done`, AfterOp() runs.
  template <class T>
  void RunOp(std::function<T()> work, std::function<void(T)> done) {
    RunOpOn(ctx_.runner, std::move(work), std::move(done));
  }
  // RunOp() for a read of the controller's own data (log pages, DIM registration): it runs on
  // ctx.reads, where it may wait for a place; it counts as in flight while it waits.
  // Once Dispose() has begun, a read that has not started yet does not reach the kernel: its
  // `done` gets an ECANCELED error (the read's work must return a Result).
  template <class T>
  void RunRead(std::function<T()> work, std::function<void(T)> done) {
    RunOpOn<T>(
        ctx_.reads != nullptr ? *ctx_.reads : ctx_.runner,
        [cancelled = reads_cancelled_, work = std::move(work)]() -> T {
          if (cancelled->load())
            return Fail(ECANCELED, "not read: the controller is being removed");
          return work();
        },
        std::move(done));
  }

  void TryConnect();
  // Hooks for subclasses.
  virtual void OnConnected(bool adopted) { (void)adopted; }
  // A connection attempt failed (not called while disposing); the retry is already scheduled.
  virtual void OnConnectFailed() {}
  virtual void OnChangeEvent(const KernelEvent& ev) { (void)ev; }
  virtual void OnDeviceGone() {}
  // False stops the connect retries (stacd's NCC limit).
  virtual bool ShouldRetryConnect() const { return true; }
  // Called when no operation is in flight any more (and not disposing): pending work.
  virtual void OnIdle() {}
  // Asked by a disposal that would disconnect, once the operation in flight has ended: true
  // leaves the connection as it is (stacd never disconnects, for a volume, the connection of
  // someone else that a connect still in flight at the disposal adopted).
  virtual bool LeftToItsMaker() const { return false; }
  // Whether the connection held was adopted (it existed in the kernel before our connect).
  bool adopted() const { return adopted_; }
  // Disconnects the connection held, as Dispose() does (never another owner's), but the
  // controller lives on, unconnected, until TryConnect() (stafd parks a DC this way). The
  // kernel events of this disconnect are not taken for the kernel removing the device. Only
  // when connected and idle; `done(true)` once disconnected.
  void Release(std::function<void(bool)> done);

  std::string Prefix() const;  // "(tid) | nvmeX - "
  bool disposing() const { return disposing_; }
  const std::optional<KernelDevice>& kernel_device() const { return kdev_; }
  void reset_connect_attempts() {
    connect_attempts_ = 0;
    auth_failures_ = 0;
  }
  Timer& connect_timer() { return connect_timer_; }
  // Python's str(AsyncTask.as_dict()) as nvme-stas shows operations on D-Bus.
  struct OpStats {
    int fail_count = 0;
    bool completed = false;
    bool exists = false;
    std::string ToString() const;
  };

  ControllerContext& ctx_;

 private:
  template <class T>
  void RunOpOn(BlockingRunner& runner, std::function<T()> work, std::function<void(T)> done);
  void OnConnectDone(ConnectOutcome outcome);
  // UpdateSecrets() for a connected controller, once it is idle.
  void ApplySecrets();
  // True (and unsupported() set, the error logged when it is new) when the request needs an
  // option the kernel lacks.
  bool NeedsWhatTheKernelLacks();
  // The disconnect of Dispose() and Release().
  enum class Disconnected { kYes, kLeftToOwner, kFailed };
  void DisconnectHeld(std::function<void(Disconnected)> done);
  // What a disposal's disconnect did: disconnected (or why not), or left the controller to the
  // other owner the registry names.
  struct Released {
    Status status;
    std::string other_owner;
    static Released Failed(const std::string& why) { return {Fail(EIO, why), ""}; }
  };
  void AfterOp();
  virtual void StopTimers() {}

  ConnectRequest request_;
  Dict extras_;
  std::string device_;
  std::optional<KernelDevice> kdev_;
  std::string owner_;        // ConnectOutcome::owner of the connection held
  std::string unsupported_;  // unsupported()
  int connect_attempts_ = 0;
  int auth_failures_ = 0;  // connects refused for their keys in a row (kAuthenticationAttempts)
  int ops_in_flight_ = 0;
  bool adopted_ = false;  // adopted()
  bool disposing_ = false;
  bool releasing_ = false;          // Release() in flight: the removal is ours
  bool connect_when_idle_ = false;  // a connect was due while an operation was in flight
  bool secrets_when_idle_ = false;  // new secrets came while an operation was in flight
  bool retry_in_pass_ = false;      // RetryOnReload() left the retry to UpdateSecrets()
  std::function<void()> on_idle_;   // disposal waiting for the operation in flight
  OpStats connect_stats_;
  Timer connect_timer_;
  // Set by Dispose(); read by RunRead()'s work on a worker.
  std::shared_ptr<std::atomic<bool>> reads_cancelled_ = std::make_shared<std::atomic<bool>>(false);
  Lifetime lifetime_;  // drops the results of work that outlives the controller
};

template <class T>
void Controller::RunOpOn(BlockingRunner& runner, std::function<T()> work,
                         std::function<void(T)> done) {
  ++ops_in_flight_;
  runner.RunBlocking<T>(lifetime_, std::move(work), [this, done = std::move(done)](T result) {
    --ops_in_flight_;
    done(std::move(result));
    AfterOp();
  });
}

}  // namespace stas
