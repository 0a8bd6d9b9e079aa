// SPDX-License-Identifier: Apache-2.0
#include "staf/zeroconf/zeroconf_browser.h"

#include <map>
#include <net/if.h>
#include <set>
#include <utility>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/address.h>
#include <avahi-common/error.h>
#include <avahi-common/strlst.h>
#include <avahi-glib/glib-watch.h>
#include <gio/gio.h>
#include <glib.h>

#include "common/log.h"
#include "common/loop/glib_event_loop.h"
#include "common/loop/lifetime.h"
#include "common/loop/timer.h"
#include "common/str_util.h"

namespace stas::staf {

const char* ProtocolName(int protocol) {
  switch (protocol) {
    case kProtoInet:
      return "IPv4";
    case kProtoInet6:
      return "IPv6";
    case kProtoUnspec:
      return "uspecified";  // sic: stas's Avahi.protos
    default:
      return "unknown";
  }
}

const char* BrowserStateName(BrowserState s) {
  switch (s) {
    case BrowserState::kRunning:
      return "running";
    case BrowserState::kDisconnected:
      return "disconnected";
    case BrowserState::kFailure:
      return "failure";
  }
  return "?";
}

namespace {

std::string IfName(AvahiIfIndex index) {
  char buf[IF_NAMESIZE] = {};
  if (index < 0 || if_indextoname(static_cast<unsigned>(index), buf) == nullptr)
    return "";
  return buf;
}

std::string KeyText(const ServiceKey& k, const std::string& ifname) {
  return "interface=" + std::to_string(k.interface) + ":" + ifname +
         ", protocol=" + ProtocolName(k.protocol) + ", stype=" + Printable(k.type) +
         ", domain=" + Printable(k.domain) + ", name=" + Printable(k.name);
}

bool IsRunningState(AvahiClientState s) {
  return s == AVAHI_CLIENT_S_RUNNING || s == AVAHI_CLIENT_S_REGISTERING ||
         s == AVAHI_CLIENT_S_COLLISION;
}

// Asks the system bus to start avahi-daemon (D-Bus activation), the way stas's kick timer does
// with a GetVersionString() call. Fire and forget: a private, short-lived connection (never
// g_bus_get(): its shared connection exits the process when the bus goes away), whose result
// is only logged. Callbacks run on `context`.
void RequestAvahiActivation(GMainContext* context) {
  GError* error = nullptr;
  gchar* address = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, nullptr, &error);
  if (address == nullptr) {
    LOG_DEBUG("Avahi kick: no system bus address: %s", error ? error->message : "?");
    g_clear_error(&error);
    return;
  }
  g_main_context_push_thread_default(context);
  g_dbus_connection_new_for_address(
      address,
      static_cast<GDBusConnectionFlags>(G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION),
      nullptr, nullptr,
      [](GObject* /*source*/, GAsyncResult* res, gpointer data) noexcept {
        auto* ctx = static_cast<GMainContext*>(data);
        GError* err = nullptr;
        GDBusConnection* conn = g_dbus_connection_new_for_address_finish(res, &err);
        if (conn == nullptr) {
          LOG_DEBUG("Avahi kick: cannot connect to the system bus: %s", err->message);
          g_clear_error(&err);
          g_main_context_unref(ctx);
          return;
        }
        g_main_context_push_thread_default(ctx);
        g_dbus_connection_call(
            conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            "StartServiceByName", g_variant_new("(su)", "org.freedesktop.Avahi", 0U),
            G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, 25000, nullptr,
            [](GObject* source, GAsyncResult* call_res, gpointer /*unused*/) noexcept {
              auto* c = G_DBUS_CONNECTION(source);
              GError* call_err = nullptr;
              GVariant* reply = g_dbus_connection_call_finish(c, call_res, &call_err);
              if (reply == nullptr) {
                LOG_DEBUG("Avahi kick: StartServiceByName: %s", call_err->message);
                g_clear_error(&call_err);
              } else {
                LOG_DEBUG("Avahi kick: StartServiceByName succeeded");
                g_variant_unref(reply);
              }
              g_dbus_connection_close(c, nullptr, nullptr, nullptr);
              g_object_unref(c);
            },
            nullptr);
        g_main_context_pop_thread_default(ctx);
        g_main_context_unref(ctx);
      },
      g_main_context_ref(context));
  g_main_context_pop_thread_default(context);
  g_free(address);
}

}  // namespace

struct AvahiBrowser::Impl {
  Impl(EventLoop& l, GMainContext* ctx)
      : loop(l), context(ctx), kick_timer(l, kKickInterval, [this] { OnKick(); }) {
    poll = avahi_glib_poll_new(context, G_PRIORITY_DEFAULT);
  }

  ~Impl() {
    FreeClient();
    if (poll != nullptr)
      avahi_glib_poll_free(poll);
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  Impl(Impl&&) = delete;
  Impl& operator=(Impl&&) = delete;

  // Runs `fn` later on the loop, unless this object is gone by then.
  void Defer(std::function<void()> fn) { loop.Post(lifetime.Guard(std::move(fn))); }

  void SetTypes(const std::vector<std::string>& wanted) {
    types = std::set<std::string>(wanted.begin(), wanted.end());
    if (types.empty()) {
      // zeroconf=disabled: stop talking to Avahi altogether.
      FreeClient();
      kick_timer.Stop();
      return;
    }
    if (client == nullptr) {
      CreateClient();
    } else if (running) {
      ConfigureBrowsers();
    }
    ArmKickIfNeeded();
  }

  void CreateClient() {
    int error = 0;
    ++clients_created;
    // The first state callback runs inside avahi_client_new(), before it returns
    // (docs/compatibility.md, "Avahi 0.8: the first client callback runs inside
    // avahi_client_new").
    AvahiClient* c = avahi_client_new(avahi_glib_poll_get(poll), AVAHI_CLIENT_NO_FAIL,
                                      &Impl::OnClientEvent, this, &error);
    if (c == nullptr) {
      // The system bus itself is unreachable (NO_FAIL covers only a missing avahi-daemon).
      ForgetClient();
      SetState(BrowserState::kFailure, avahi_strerror(error));
      return;
    }
    client = c;
  }

  // Frees the client and, with it, every browser and resolver.
  void FreeClient() {
    AvahiClient* c = client;
    ForgetClient();
    if (c != nullptr)
      avahi_client_free(c);
  }

  void ForgetClient() {
    browsers.clear();
    resolvers.clear();
    resolver_keys.clear();
    client = nullptr;
    running = false;
  }

  // The kick repeats every kKickInterval while Avahi is not fully usable.
  void ArmKickIfNeeded() {
    const bool complete = running && browsers.size() == types.size();
    if (types.empty() || complete) {
      kick_timer.Stop();
    } else if (!kick_timer.running()) {
      kick_timer.Start();
    }
  }

  void OnKick() {
    if (types.empty())
      return;
    if (client == nullptr || avahi_client_get_state(client) == AVAHI_CLIENT_FAILURE) {
      LOG_DEBUG("Avahi kick: creating a new client");
      FreeClient();
      CreateClient();
    } else if (!running) {
      // Connected to the bus, but avahi-daemon does not own its name: wake it up.
      RequestAvahiActivation(context);
    } else {
      ConfigureBrowsers();  // a browser failed earlier
    }
    ArmKickIfNeeded();
  }

  void SetState(BrowserState s, const std::string& detail) {
    if (reported && s == state)
      return;  // e.g. CONNECTING again after a re-created client
    state = s;
    reported = true;
    if (s == BrowserState::kRunning) {
      LOG_INFO("avahi-daemon service available, zeroconf supported.");
    } else {
      LOG_WARNING("avahi-daemon not available, zeroconf not supported (%s).", detail.c_str());
    }
    if (observer != nullptr)
      observer->OnBrowserState(s, detail);
  }

  static void OnClientEvent(AvahiClient* c, AvahiClientState s, void* data) noexcept {
    auto* self = static_cast<Impl*>(data);
    if (self->client == nullptr)
      self->client = c;  // called from inside avahi_client_new()
    if (IsRunningState(s)) {
      if (self->running)
        return;
      self->running = true;
      self->SetState(BrowserState::kRunning, "");
      self->ConfigureBrowsers();
      self->ArmKickIfNeeded();
    } else if (s == AVAHI_CLIENT_CONNECTING) {
      self->running = false;
      self->SetState(BrowserState::kDisconnected, "avahi-daemon is not on the system bus");
      self->ArmKickIfNeeded();
    } else if (s == AVAHI_CLIENT_FAILURE) {
      const int err = avahi_client_errno(c);
      const bool was_running = self->running;
      self->running = false;
      self->SetState(
          err == AVAHI_ERR_DISCONNECTED ? BrowserState::kDisconnected : BrowserState::kFailure,
          avahi_strerror(err));
      // The client is dead and must be freed outside its own callback. If avahi-daemon went
      // away (stopped, restarted), a new client waits for it at once; anything else waits
      // for the kick timer, so that a client failing at birth cannot spin.
      if (was_running && err == AVAHI_ERR_DISCONNECTED) {
        self->Defer([self] {
          if (self->types.empty())
            return;
          self->FreeClient();
          self->CreateClient();
          self->ArmKickIfNeeded();
        });
      } else {
        self->ArmKickIfNeeded();
      }
    }
  }

  void ConfigureBrowsers() {
    if (client == nullptr || !running)
      return;
    for (auto it = browsers.begin(); it != browsers.end();) {
      if (types.count(it->first)) {
        ++it;
        continue;
      }
      LOG_DEBUG("Avahi: no longer browsing %s", it->first.c_str());
      avahi_service_browser_free(it->second);
      FreeResolversOfType(it->first);
      it = browsers.erase(it);
    }
    for (const std::string& type : types) {
      if (browsers.count(type))
        continue;
      AvahiServiceBrowser* b = avahi_service_browser_new(
          client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, type.c_str(), "local",
          AVAHI_LOOKUP_USE_MULTICAST, &Impl::OnBrowserEvent, this);
      if (b == nullptr) {
        LOG_DEBUG("Avahi: cannot browse %s: %s", type.c_str(),
                  avahi_strerror(avahi_client_errno(client)));
        LOG_WARNING("avahi-daemon not available, operating w/o mDNS discovery.");
        return;  // the kick timer retries
      }
      LOG_DEBUG("Avahi: browsing %s", type.c_str());
      browsers.emplace(type, b);
    }
  }

  void FreeResolversOfType(const std::string& type) {
    for (auto it = resolvers.begin(); it != resolvers.end();) {
      if (it->first.type != type) {
        ++it;
        continue;
      }
      resolver_keys.erase(it->second);
      avahi_service_resolver_free(it->second);
      it = resolvers.erase(it);
    }
  }

  static void OnBrowserEvent(AvahiServiceBrowser* b, AvahiIfIndex interface, AvahiProtocol protocol,
                             AvahiBrowserEvent event, const char* name, const char* type,
                             const char* domain, AvahiLookupResultFlags flags,
                             void* data) noexcept {
    auto* self = static_cast<Impl*>(data);
    if (event == AVAHI_BROWSER_FAILURE) {
      const int err = self->client ? avahi_client_errno(self->client) : AVAHI_ERR_FAILURE;
      LOG_ERROR("Avahi browser failure: %s", avahi_strerror(err));
      // Dead browser: free it (not from inside its own callback); the kick re-creates it.
      self->Defer([self, b] {
        for (auto it = self->browsers.begin(); it != self->browsers.end(); ++it) {
          if (it->second != b)
            continue;
          avahi_service_browser_free(b);
          self->FreeResolversOfType(it->first);
          self->browsers.erase(it);
          break;
        }
        self->ArmKickIfNeeded();
      });
      return;
    }
    if (event == AVAHI_BROWSER_ALL_FOR_NOW || event == AVAHI_BROWSER_CACHE_EXHAUSTED) {
      LOG_DEBUG("Avahi: %s",
                event == AVAHI_BROWSER_ALL_FOR_NOW ? "all for now" : "cache exhausted");
      return;
    }
    ServiceKey key{interface, protocol, name ? name : "", type ? type : "", domain ? domain : ""};
    const std::string ifname = IfName(interface);
    if (event == AVAHI_BROWSER_NEW) {
      LOG_DEBUG("Avahi: service discovered - %s, flags=%d", KeyText(key, ifname).c_str(),
                static_cast<int>(flags));
      if (self->observer == nullptr ||
          self->observer->OnServiceNew(key, ifname, static_cast<unsigned>(flags))) {
        // A service that cannot be resolved (avahi-daemon's limits) is not kept half-known.
        if (!self->AddResolver(key) && self->observer)
          self->observer->OnServiceRemoved(key);
      }
    } else if (event == AVAHI_BROWSER_REMOVE) {
      LOG_DEBUG("Avahi: service removed - %s", KeyText(key, ifname).c_str());
      auto it = self->resolvers.find(key);
      if (it != self->resolvers.end()) {
        self->resolver_keys.erase(it->second);
        avahi_service_resolver_free(it->second);
        self->resolvers.erase(it);
      }
      if (self->observer)
        self->observer->OnServiceRemoved(key);
    }
  }

  // One resolver per key, kept until REMOVE (stas keeps its resolver too): Avahi reports
  // changes of the records through it. The address asked for is of the family the service was
  // seen on: stas asks for any (AVAHI_PROTO_UNSPEC), and Avahi then returns whichever of the
  // host's A and AAAA records comes first, so a service seen over IPv4 could get the host's
  // IPv6 link-local address, where the DC may not listen, and keep it. False if there is no
  // resolver for `key` (Avahi refused one).
  bool AddResolver(const ServiceKey& key) {
    if (resolvers.count(key))
      return true;
    if (client == nullptr)
      return false;
    AvahiServiceResolver* r = avahi_service_resolver_new(
        client, key.interface, key.protocol, key.name.c_str(), key.type.c_str(), key.domain.c_str(),
        key.protocol, AVAHI_LOOKUP_USE_MULTICAST, &Impl::OnResolverEvent, this);
    if (r == nullptr) {
      LOG_WARNING("Failed to create resolver - %s: %s", KeyText(key, IfName(key.interface)).c_str(),
                  avahi_strerror(avahi_client_errno(client)));
      return false;
    }
    resolvers.emplace(key, r);
    resolver_keys.emplace(r, key);
    return true;
  }

  static void OnResolverEvent(AvahiServiceResolver* r, AvahiIfIndex /*interface*/,
                              AvahiProtocol /*protocol*/, AvahiResolverEvent event,
                              const char* /*name*/, const char* /*type*/, const char* /*domain*/,
                              const char* host_name, const AvahiAddress* a, uint16_t port,
                              AvahiStringList* txt, AvahiLookupResultFlags flags,
                              void* data) noexcept {
    auto* self = static_cast<Impl*>(data);
    auto kit = self->resolver_keys.find(r);
    if (kit == self->resolver_keys.end())
      return;  // freed meanwhile
    const ServiceKey key = kit->second;
    if (event == AVAHI_RESOLVER_FAILURE) {
      const int err = self->client ? avahi_client_errno(self->client) : AVAHI_ERR_FAILURE;
      // stas ignores resolver time-outs: a resolver may time out after the service left.
      if (err == AVAHI_ERR_TIMEOUT) {
        LOG_DEBUG("Avahi resolver timeout - %s", KeyText(key, IfName(key.interface)).c_str());
      } else {
        LOG_ERROR("Avahi resolver failure - %s: %s", KeyText(key, IfName(key.interface)).c_str(),
                  avahi_strerror(err));
      }
      return;
    }
    ResolvedService s;
    s.key = key;
    s.ifname = IfName(key.interface);
    s.host = host_name ? host_name : "";
    if (a != nullptr) {
      char buf[AVAHI_ADDRESS_STR_MAX] = {};
      if (avahi_address_snprint(buf, sizeof(buf), a) != nullptr)
        s.address = buf;
      s.aprotocol = a->proto;
    }
    s.port = port;
    for (AvahiStringList* l = txt; l != nullptr; l = avahi_string_list_get_next(l)) {
      s.txt.emplace_back(reinterpret_cast<const char*>(avahi_string_list_get_text(l)),
                         avahi_string_list_get_size(l));
    }
    s.flags = static_cast<unsigned>(flags);
    LOG_DEBUG("Avahi: service resolved - %s, host=%s, address=%s, port=%d",
              KeyText(key, s.ifname).c_str(), Printable(s.host).c_str(),
              Printable(s.address).c_str(), s.port);
    if (self->observer)
      self->observer->OnServiceResolved(s);
  }

  EventLoop& loop;
  GMainContext* context;
  AvahiGLibPoll* poll = nullptr;
  AvahiClient* client = nullptr;
  bool running = false;   // client in a S_* state
  bool reported = false;  // a state was reported at least once
  BrowserState state = BrowserState::kDisconnected;
  std::set<std::string> types;
  std::map<std::string, AvahiServiceBrowser*> browsers;
  std::map<ServiceKey, AvahiServiceResolver*> resolvers;
  std::map<AvahiServiceResolver*, ServiceKey> resolver_keys;
  ServiceBrowserObserver* observer = nullptr;
  Timer kick_timer;
  int clients_created = 0;
  Lifetime lifetime;  // drops deferred work once the browser is gone
};

AvahiBrowser::AvahiBrowser(EventLoop& loop, GMainContext* context)
    : impl_(std::make_unique<Impl>(loop, context)) {}

AvahiBrowser::AvahiBrowser(GlibEventLoop& loop) : AvahiBrowser(loop, loop.context()) {}

AvahiBrowser::~AvahiBrowser() = default;

void AvahiBrowser::SetObserver(ServiceBrowserObserver* observer) {
  impl_->observer = observer;
}

void AvahiBrowser::SetServiceTypes(const std::vector<std::string>& types) {
  impl_->SetTypes(types);
}

void AvahiBrowser::KickStart() {
  if (impl_->kick_timer.running())
    impl_->kick_timer.Clear();
}

std::vector<std::string> AvahiBrowser::service_types() const {
  return {impl_->types.begin(), impl_->types.end()};
}

BrowserState AvahiBrowser::state() const {
  return impl_->state;
}

std::string AvahiBrowser::wake_up_timer() const {
  return impl_->kick_timer.ToString();
}

int AvahiBrowser::clients_created_for_testing() const {
  return impl_->clients_created;
}

int AvahiBrowser::client_state_for_testing() const {
  return impl_->client ? static_cast<int>(avahi_client_get_state(impl_->client)) : -1;
}

}  // namespace stas::staf
