// SPDX-License-Identifier: Apache-2.0
#include "staf/zeroconf/zeroconf_reachability.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>
#include <utility>

#include <glib-unix.h>
#include <glib.h>

#include "common/log.h"
#include "common/loop/glib_event_loop.h"

namespace stas::staf {
namespace {

std::string ErrnoText(int code) {
  return std::generic_category().message(code);
}

// One connect attempt on the GLib loop. Owned by GlibProbe through a shared_ptr, so that work
// posted for an immediate result can tell whether the probe still exists.
class ProbeState {
 public:
  ProbeState(GlibEventLoop& loop, TcpProber::Done done) : loop_(loop), done_(std::move(done)) {}
  ~ProbeState() { Cancel(); }
  ProbeState(const ProbeState&) = delete;
  ProbeState& operator=(const ProbeState&) = delete;
  ProbeState(ProbeState&&) = delete;
  ProbeState& operator=(ProbeState&&) = delete;

  // Opens the socket and starts the connect. Any outcome known now is posted, never inline.
  void Begin(const std::shared_ptr<ProbeState>& self, const IpAddress& ip, std::uint16_t port,
             const std::string& host_iface, std::chrono::milliseconds timeout) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    const std::string text = ip.ToString();
    if (ip.family() == 4) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
      sin->sin_family = AF_INET;
      sin->sin_port = htons(port);
      (void)inet_pton(AF_INET, text.c_str(), &sin->sin_addr);
      len = sizeof(sockaddr_in);
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons(port);
      (void)inet_pton(AF_INET6, text.c_str(), &sin6->sin6_addr);
      len = sizeof(sockaddr_in6);
    }
    fd_ = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd_ < 0)
      return PostResult(self, Fail(errno, "socket: " + ErrnoText(errno)));
    if (!host_iface.empty() && !BindToDevice(host_iface)) {
      const int err = errno;
      return PostResult(self, Fail(err, "SO_BINDTODEVICE " + host_iface + ": " + ErrnoText(err)));
    }
    if (connect(fd_, reinterpret_cast<const sockaddr*>(&ss), len) == 0) {
      return PostResult(self, Status());
    }
    if (errno != EINPROGRESS) {
      const int err = errno;
      return PostResult(self, Fail(err, ErrnoText(err)));
    }
    source_ = g_unix_fd_source_new(fd_, static_cast<GIOCondition>(G_IO_OUT | G_IO_ERR | G_IO_HUP));
    // The cast through void(*)() is GLib's own G_SOURCE_FUNC(), which keeps -Wcast-function-type
    // quiet: a unix fd source calls its callback as a GUnixFDSourceFunc.
    g_source_set_callback(
        source_,
        reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(&ProbeState::OnWritable)), this,
        nullptr);
    g_source_attach(source_, loop_.context());
    std::weak_ptr<ProbeState> weak = self;
    timer_ = loop_.AddTimer(timeout, [weak] {
      if (auto s = weak.lock()) {
        s->timer_ = EventLoop::kNoTimer;
        s->Finish(Fail(ETIMEDOUT, ErrnoText(ETIMEDOUT)));
      }
    });
  }

 private:
  // SO_BINDTODEVICE needs CAP_NET_RAW; without it the probe goes unbound (said once).
  bool BindToDevice(const std::string& host_iface) {
    if (setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, host_iface.c_str(),
                   static_cast<socklen_t>(host_iface.size())) == 0) {
      return true;
    }
    if (errno != EPERM)
      return false;
    static bool said = false;
    if (!said) {
      said = true;
      LOG_DEBUG(
          "Reachability checks are not bound to their interface: SO_BINDTODEVICE needs "
          "CAP_NET_RAW");
    }
    return true;
  }

  void PostResult(const std::shared_ptr<ProbeState>& self, Status status) {
    std::weak_ptr<ProbeState> weak = self;
    loop_.Post([weak, status = std::move(status)]() mutable {
      if (auto s = weak.lock())
        s->Finish(std::move(status));
    });
  }

  static gboolean OnWritable(gint fd, GIOCondition /*condition*/, gpointer data) noexcept {
    auto* self = static_cast<ProbeState*>(data);
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
      err = errno;
    self->Finish(err == 0 ? Status() : Status(Fail(err, ErrnoText(err))));
    return G_SOURCE_REMOVE;  // already destroyed by Finish(); `self` may be gone
  }

  // Releases everything, then calls `done` last: it may destroy this object.
  void Finish(Status status) {
    Cancel();
    TcpProber::Done done = std::move(done_);
    done_ = nullptr;
    if (done)
      done(std::move(status));
  }

  void Cancel() {
    if (source_ != nullptr) {
      g_source_destroy(source_);
      g_source_unref(source_);
      source_ = nullptr;
    }
    if (timer_ != EventLoop::kNoTimer) {
      loop_.CancelTimer(timer_);
      timer_ = EventLoop::kNoTimer;
    }
    if (fd_ >= 0) {
      (void)close(fd_);
      fd_ = -1;
    }
  }

  GlibEventLoop& loop_;
  TcpProber::Done done_;
  int fd_ = -1;
  GSource* source_ = nullptr;
  EventLoop::TimerId timer_ = EventLoop::kNoTimer;
};

class GlibProbe final : public TcpProber::Probe {
 public:
  explicit GlibProbe(std::shared_ptr<ProbeState> state) : state_(std::move(state)) {}

 private:
  std::shared_ptr<ProbeState> state_;
};

}  // namespace

GlibTcpProber::GlibTcpProber(GlibEventLoop& loop, std::chrono::milliseconds timeout)
    : loop_(loop), timeout_(timeout) {}

std::unique_ptr<TcpProber::Probe> GlibTcpProber::Start(const IpAddress& ip, std::uint16_t port,
                                                       const std::string& host_iface, Done done) {
  auto state = std::make_shared<ProbeState>(loop_, std::move(done));
  state->Begin(state, ip, port, host_iface, timeout_);
  return std::make_unique<GlibProbe>(std::move(state));
}

std::chrono::seconds ReachabilityCheck::BackoffAfter(std::size_t failures) {
  if (failures == 0)
    return kBackoff.front();
  return kBackoff[std::min(failures, kBackoff.size()) - 1];
}

ReachabilityCheck::ReachabilityCheck(EventLoop& loop, TcpProber& prober,
                                     std::function<void(bool)> on_change)
    : prober_(prober),
      on_change_(std::move(on_change)),
      retry_timer_(loop, kBackoff.front(), [this] { Attempt(); }) {}

ReachabilityCheck::~ReachabilityCheck() {
  Stop();
}

void ReachabilityCheck::Start(const IpAddress& ip, std::uint16_t port,
                              const std::string& host_iface) {
  Stop();
  ip_ = ip.Unmapped();  // stas: ipv4_mapped_convert=True
  port_ = port;
  host_iface_ = host_iface;
  failures_ = 0;
  reachable_ = false;
  Attempt();
}

void ReachabilityCheck::Stop() {
  retry_timer_.Stop();
  probe_.reset();
}

void ReachabilityCheck::Attempt() {
  if (!ip_)
    return;
  probe_.reset();
  probe_ = prober_.Start(*ip_, port_, host_iface_, [this](const Status& s) { OnProbeDone(s); });
}

void ReachabilityCheck::OnProbeDone(const Status& status) {
  probe_.reset();
  const bool was = reachable_;
  if (status) {
    reachable_ = true;
    LOG_DEBUG("TCP connectivity verified - (%s, %s, %u)", host_iface_.c_str(),
              ip_->ToString().c_str(), static_cast<unsigned>(port_));
  } else {
    reachable_ = false;
    ++failures_;
    const std::string iface = host_iface_ + ",";
    const std::string addr = ip_->ToString() + ",";
    // Only the first failure after Start() is worth an info line (stas: verbose=True once).
    if (failures_ == 1) {
      LOG_INFO("Unable to verify TCP connectivity  - (%-10s %-14s %u): %s", iface.c_str(),
               addr.c_str(), static_cast<unsigned>(port_), status.error().message.c_str());
    } else {
      LOG_DEBUG("Unable to verify TCP connectivity  - (%-10s %-14s %u): %s (attempt %zu)",
                iface.c_str(), addr.c_str(), static_cast<unsigned>(port_),
                status.error().message.c_str(), failures_);
    }
    retry_timer_.Start(BackoffAfter(failures_));
  }
  if (reachable_ != was && on_change_)
    on_change_(reachable_);
}

}  // namespace stas::staf
