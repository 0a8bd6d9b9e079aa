// SPDX-License-Identifier: Apache-2.0
// ServiceBrowser: the mDNS edge of stafd. It browses DNS-SD service types (TP8009:
// _nvme-disc._tcp and _nvme-disc._udp), resolves every instance it sees and reports what
// happens; the bookkeeping (ZeroconfRegistry) sits above it and never sees Avahi.
//
// AvahiBrowser is the production implementation, on avahi-client driven by avahi-glib on the
// daemon's GMainContext. It survives avahi-daemon being absent, stopping and restarting:
// a 60 s "kick" timer (stas's "avahi wake up timer") asks D-Bus to activate avahi-daemon and
// re-creates the client until the daemon answers, as stas's Avahi class does.
// Tests use a fake ServiceBrowser that plays events.
#pragma once

#include <chrono>
#include <compare>
#include <memory>
#include <string>
#include <vector>

#include "common/loop/event_loop.h"

// NOLINTNEXTLINE(bugprone-reserved-identifier,modernize-use-using): GLib's own declaration
typedef struct _GMainContext GMainContext;

namespace stas {
class GlibEventLoop;
}

namespace stas::staf {

// TP8009 service types: NVMe/TCP DCs, and NVMe/RDMA (RoCE, iWARP) DCs.
inline constexpr const char* kNvmeDiscTcp = "_nvme-disc._tcp";
inline constexpr const char* kNvmeDiscUdp = "_nvme-disc._udp";

// Avahi's AVAHI_PROTO_* numbers, so that users need not include the Avahi headers.
inline constexpr int kProtoInet = 0;
inline constexpr int kProtoInet6 = 1;
inline constexpr int kProtoUnspec = -1;

// "IPv4", "IPv6", "uspecified" (sic, stas's spelling for PROTO_UNSPEC) or "unknown".
const char* ProtocolName(int protocol);

// One service instance, keyed as stas keys it: (interface, protocol, name, type, domain).
struct ServiceKey {
  int interface = -1;  // interface index
  int protocol = kProtoUnspec;
  std::string name;    // instance name, any UTF-8 the announcer chose
  std::string type;    // "_nvme-disc._tcp"
  std::string domain;  // "local"

  // clang-tidy 14 flags the 0 in the synthesised `<=> 0` comparisons.
  friend auto operator<=>(const ServiceKey&,
                          const ServiceKey&) = default;  // NOLINT(modernize-use-nullptr)
};

// A resolved instance. Strings are as Avahi reports them: untrusted, unvalidated.
struct ResolvedService {
  ServiceKey key;
  std::string ifname;  // name of key.interface, "" if it has none (any more)
  std::string host;    // host name, "dc1.local"
  int aprotocol = kProtoUnspec;
  std::string address;  // "192.168.1.20", "fe80::1"
  int port = 0;
  std::vector<std::string> txt;  // raw TXT strings, "key=value", in Avahi's order
  unsigned flags = 0;            // AvahiLookupResultFlags
};

enum class BrowserState {
  kRunning,       // avahi-daemon answers; browsing
  kDisconnected,  // avahi-daemon is not on the bus, or went away
  kFailure,       // the client could not be created (no system bus, protocol error)
};
const char* BrowserStateName(BrowserState s);

// Events of a ServiceBrowser, on the loop thread. When the state leaves kRunning, every
// service seen so far is gone without OnServiceRemoved() calls.
// An interface rather than callbacks, because the four events are one conversation with one
// listener (ZeroconfRegistry), one of them with an answer; the fake browser plays them.
class ServiceBrowserObserver {
 public:
  ServiceBrowserObserver() = default;
  virtual ~ServiceBrowserObserver() = default;
  ServiceBrowserObserver(const ServiceBrowserObserver&) = delete;
  ServiceBrowserObserver& operator=(const ServiceBrowserObserver&) = delete;
  ServiceBrowserObserver(ServiceBrowserObserver&&) = delete;
  ServiceBrowserObserver& operator=(ServiceBrowserObserver&&) = delete;
  // ItemNew: an instance appeared. `ifname` as in ResolvedService. Returns whether the
  // instance is tracked: only those are resolved (a resolver costs memory here and in
  // avahi-daemon, and any host on the link may announce).
  virtual bool OnServiceNew(const ServiceKey& key, const std::string& ifname, unsigned flags) = 0;
  // Found: an instance was resolved (again: Avahi re-reports changes).
  virtual void OnServiceResolved(const ResolvedService& service) = 0;
  // ItemRemove: an instance went away (goodbye packet or TTL expiry).
  virtual void OnServiceRemoved(const ServiceKey& key) = 0;
  virtual void OnBrowserState(BrowserState state, const std::string& detail) = 0;
};

// Loop thread only.
class ServiceBrowser {
 public:
  ServiceBrowser() = default;
  virtual ~ServiceBrowser() = default;
  ServiceBrowser(const ServiceBrowser&) = delete;
  ServiceBrowser& operator=(const ServiceBrowser&) = delete;
  ServiceBrowser(ServiceBrowser&&) = delete;
  ServiceBrowser& operator=(ServiceBrowser&&) = delete;
  // The one listener from now on; null: none. The browser exists before its listener and may
  // outlive it: the listener registers itself when built and unregisters when destroyed.
  virtual void SetObserver(ServiceBrowserObserver* observer) = 0;
  // Browses exactly `types` from now on (stas config_stypes). Browsers of types no longer
  // listed are freed with their resolvers, without OnServiceRemoved() for their instances.
  // The first non-empty call starts the browser; an empty list stops talking to Avahi.
  virtual void SetServiceTypes(const std::vector<std::string>& types) = 0;
  // SIGHUP: if the kick timer is running, make it fire now (stas kick_start()).
  virtual void KickStart() = 0;

  // Sorted.
  virtual std::vector<std::string> service_types() const = 0;
  virtual BrowserState state() const = 0;
  // The kick timer as a GTimer string, "60.0s [off]" (process_info "avahi wake up timer").
  virtual std::string wake_up_timer() const = 0;
};

// avahi-client + avahi-glib. Blocking note: avahi-client makes synchronous D-Bus calls to
// avahi-daemon when the client connects and when a browser or resolver is created (a local
// round trip, normally well under a millisecond; bounded by D-Bus's 25 s default timeout).
// Loop thread only. The loop and the context must outlive the browser.
class AvahiBrowser final : public ServiceBrowser {
 public:
  // stas avahi.py: GTimer(60, self._on_kick_avahi).
  static constexpr std::chrono::milliseconds kKickInterval{60000};

  // Timers and deferred work run on `loop`; avahi-glib attaches to `context`, which `loop`
  // must iterate (GlibEventLoop::context()).
  AvahiBrowser(EventLoop& loop, GMainContext* context);
  explicit AvahiBrowser(GlibEventLoop& loop);
  ~AvahiBrowser() override;
  AvahiBrowser(const AvahiBrowser&) = delete;
  AvahiBrowser& operator=(const AvahiBrowser&) = delete;
  AvahiBrowser(AvahiBrowser&&) = delete;
  AvahiBrowser& operator=(AvahiBrowser&&) = delete;

  void SetObserver(ServiceBrowserObserver* observer) override;
  void SetServiceTypes(const std::vector<std::string>& types) override;
  void KickStart() override;
  std::vector<std::string> service_types() const override;
  BrowserState state() const override;
  std::string wake_up_timer() const override;

  // For tests: how many Avahi clients were created so far (first start plus re-creations),
  // and the AvahiClientState of the current client (-1 when there is none).
  int clients_created_for_testing() const;
  int client_state_for_testing() const;

 private:
  struct Impl;  // the Avahi handles and callbacks, in the .cc
  std::unique_ptr<Impl> impl_;
};

}  // namespace stas::staf
