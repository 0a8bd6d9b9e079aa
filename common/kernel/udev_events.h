// SPDX-License-Identifier: Apache-2.0
// UdevKernelEvents: the real KernelEvents, a libudev netlink monitor on the GLib loop.
//
// By default it listens to the "kernel" netlink source: raw uevents, which need no udevd (there
// is none in containers and small VMs) but root to receive. The "udev" source (what pyudev and
// nvme-stas use) only sees events after udevd has processed them; pass it on hosts with udevd.
// Events of the subsystems given (default "nvme"; stacd adds "block" for its volumes' disks) are
// translated into KernelEvent values and
// handed to the handler on the loop thread; every wakeup drains all pending events.
// Receive errors are logged through the error logger, at most one line per 2 s.
//
// Loop thread only. Owned by the daemon's main(); must not outlive the loop. The destructor
// removes the fd watch and closes the monitor. The handler may destroy this object.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/kernel/nvme_kernel.h"
#include "common/loop/event_loop.h"
#include "common/loop/glib_event_loop.h"
#include "common/result.h"

struct udev;          // NOLINT(readability-identifier-naming): libudev's type
struct udev_monitor;  // NOLINT(readability-identifier-naming): libudev's type

namespace stas {

// Maps one uevent to a KernelEvent: action add/remove/change (any other action -> nullopt),
// `sysname` ("nvme3") as the device, NVME_AEN, NVME_EVENT, NVME_HOST_TRADDR and
// NVME_HOST_IFACE from `property` (which returns nullptr when absent), "none" in any case
// -> "". Pure; thread-safe.
std::optional<KernelEvent> TranslateUevent(std::string_view action, std::string_view sysname,
                                           const std::function<const char*(const char*)>& property);

class UdevKernelEvents : public KernelEvents {
 public:
  using ErrorLogger = std::function<void(const std::string& line)>;

  // `source`: "kernel" or "udev". `subsystems`: "nvme" (and "block") in production; tests
  // use "mem".
  explicit UdevKernelEvents(GlibEventLoop& loop, std::string source = "kernel",
                            std::vector<std::string> subsystems = {"nvme"});
  ~UdevKernelEvents() override;
  UdevKernelEvents(const UdevKernelEvents&) = delete;
  UdevKernelEvents& operator=(const UdevKernelEvents&) = delete;
  UdevKernelEvents(UdevKernelEvents&&) = delete;
  UdevKernelEvents& operator=(UdevKernelEvents&&) = delete;

  // Creates the monitor and starts watching its fd. EALREADY if already started.
  Status Start(Handler handler) override;

  // Where receive errors go; stderr until set. Loop thread only.
  void SetErrorLogger(ErrorLogger logger);

 private:
  void OnReadable();
  void LogError(const std::string& line);

  GlibEventLoop& loop_;
  std::string source_;
  std::vector<std::string> subsystems_;
  Handler handler_;
  ErrorLogger logger_;
  struct udev* udev_ = nullptr;
  struct udev_monitor* monitor_ = nullptr;
  GlibEventLoop::FdWatchId watch_ = 0;
  EventLoop::Clock::time_point last_log_{};
  bool logged_once_ = false;
  uint64_t suppressed_ = 0;  // errors not logged since the last line
};

}  // namespace stas
