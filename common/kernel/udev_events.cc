// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/udev_events.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <system_error>
#include <utility>
#include <vector>

#include <libudev.h>

#include "common/str_util.h"

namespace stas {
namespace {

// nvme-stas udev.py logs monitor errors at most once per 2 s: a flood of ENOBUFS would
// otherwise fill the journal.
constexpr std::chrono::seconds kErrorLogInterval(2);

// A netlink receive error that is not "drained" rarely repeats: after ENOBUFS the socket
// works again. Bounded anyway, so that a persistent error cannot spin the loop thread.
constexpr int kMaxErrorsPerWakeup = 16;

// Large enough for a burst of uevents (many controllers reconnecting at once). Without
// CAP_NET_ADMIN libudev falls back to the capped SO_RCVBUF; a failure is not fatal.
constexpr int kReceiveBufferSize = 4 * 1024 * 1024;

std::string PropertyValue(const std::function<const char*(const char*)>& property,
                          const char* key) {
  const char* value = property(key);
  if (value == nullptr)
    return "";
  std::string s(value);
  if (ToLower(s) == "none")
    return "";
  return s;
}

void LogToStderr(const std::string& line) {
  (void)std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace

std::optional<KernelEvent> TranslateUevent(
    std::string_view action, std::string_view sysname,
    const std::function<const char*(const char*)>& property) {
  KernelEvent ev;
  if (action == "add") {
    ev.action = KernelEvent::Action::kAdd;
  } else if (action == "remove") {
    ev.action = KernelEvent::Action::kRemove;
  } else if (action == "change") {
    ev.action = KernelEvent::Action::kChange;
  } else {
    return std::nullopt;  // bind, unbind, move, online, offline: nothing stas reacts to
  }
  if (sysname.empty())
    return std::nullopt;
  ev.device = std::string(sysname);
  ev.aen = PropertyValue(property, "NVME_AEN");
  ev.event = PropertyValue(property, "NVME_EVENT");
  ev.host_traddr = PropertyValue(property, "NVME_HOST_TRADDR");
  ev.host_iface = PropertyValue(property, "NVME_HOST_IFACE");
  return ev;
}

UdevKernelEvents::UdevKernelEvents(GlibEventLoop& loop, std::string source,
                                   std::vector<std::string> subsystems)
    : loop_(loop),
      source_(std::move(source)),
      subsystems_(std::move(subsystems)),
      logger_(LogToStderr) {}

UdevKernelEvents::~UdevKernelEvents() {
  if (watch_ != 0)
    loop_.RemoveFdWatch(watch_);
  if (monitor_ != nullptr)
    udev_monitor_unref(monitor_);
  if (udev_ != nullptr)
    udev_unref(udev_);
}

void UdevKernelEvents::SetErrorLogger(ErrorLogger logger) {
  logger_ = std::move(logger);
}

Status UdevKernelEvents::Start(Handler handler) {
  if (monitor_ != nullptr)
    return Fail(EALREADY, "udev monitor already started");
  errno = 0;
  udev_ = udev_new();
  if (udev_ == nullptr) {
    int code = errno != 0 ? errno : ENOMEM;
    return Fail(code, "udev_new: " + std::generic_category().message(code));
  }
  errno = 0;
  monitor_ = udev_monitor_new_from_netlink(udev_, source_.c_str());
  if (monitor_ == nullptr) {
    int code = errno != 0 ? errno : EINVAL;
    return Fail(code, "udev_monitor_new_from_netlink(" + source_ +
                          "): " + std::generic_category().message(code));
  }
  int rc = 0;
  for (const std::string& subsystem : subsystems_) {
    // Of "block", only whole disks: a namespace is one, a partition is not.
    const char* devtype = subsystem == "block" ? "disk" : nullptr;
    rc = udev_monitor_filter_add_match_subsystem_devtype(monitor_, subsystem.c_str(), devtype);
    if (rc < 0) {
      return Fail(-rc, "udev_monitor_filter_add_match_subsystem_devtype: " +
                           std::generic_category().message(-rc));
    }
  }
  (void)udev_monitor_set_receive_buffer_size(monitor_, kReceiveBufferSize);
  rc = udev_monitor_enable_receiving(monitor_);
  if (rc < 0) {
    return Fail(-rc, "udev_monitor_enable_receiving: " + std::generic_category().message(-rc));
  }
  handler_ = std::move(handler);
  watch_ = loop_.AddFdWatch(udev_monitor_get_fd(monitor_), [this] { OnReadable(); });
  return {};
}

// The monitor fd is non-blocking: udev_monitor_receive_device() returns NULL with EAGAIN once
// drained. Events are collected first and delivered after, so that a handler that destroys
// this object does not cut the drain short in the middle of libudev state.
void UdevKernelEvents::OnReadable() {
  std::vector<KernelEvent> events;
  int errors = 0;
  while (errors < kMaxErrorsPerWakeup) {
    errno = 0;
    struct udev_device* d = udev_monitor_receive_device(monitor_);
    if (d == nullptr) {
      int code = errno;
      if (code == EAGAIN || code == EWOULDBLOCK || code == 0)
        break;
      ++errors;
      LogError("udev monitor: receive failed: " + std::generic_category().message(code));
      continue;
    }
    const char* action = udev_device_get_action(d);
    const char* sysname = udev_device_get_sysname(d);
    const char* subsystem = udev_device_get_subsystem(d);
    auto ev =
        TranslateUevent(action != nullptr ? action : "", sysname != nullptr ? sysname : "",
                        [d](const char* key) { return udev_device_get_property_value(d, key); });
    if (ev && subsystem != nullptr)
      ev->subsystem = subsystem;
    udev_device_unref(d);
    if (ev)
      events.push_back(std::move(*ev));
  }
  if (events.empty() || !handler_)
    return;
  Handler handler = handler_;  // a local copy: the handler may destroy `this`
  for (const KernelEvent& ev : events)
    handler(ev);
}

void UdevKernelEvents::LogError(const std::string& line) {
  EventLoop::Clock::time_point now = loop_.Now();
  if (logged_once_ && now - last_log_ < kErrorLogInterval) {
    ++suppressed_;
    return;
  }
  logged_once_ = true;
  last_log_ = now;
  std::string text = line;
  if (suppressed_ > 0)
    text += " (" + std::to_string(suppressed_) + " similar errors suppressed)";
  suppressed_ = 0;
  if (logger_)
    logger_(text);
}

}  // namespace stas
