// SPDX-License-Identifier: Apache-2.0
// ZeroconfRegistry: the discovery controllers stafd learns about through mDNS, as stas
// avahi.py's Avahi and Service classes do without the D-Bus plumbing (docs/compatibility.md,
// "mDNS discovery").
//
// It observes a ServiceBrowser and keeps one entry per service instance, keyed as stas keys
// them: (interface, protocol, name, type, domain). A resolved instance is validated
// (zeroconf_txt.h) and, for tcp, checked for TCP reachability (zeroconf_reachability.h); only
// reachable instances are candidates. `on_change` runs whenever the candidate list may have
// changed (an instance became reachable or unreachable, changed, or went away), so that
// StafService can start its soak timer; it never runs inline from a call made by the owner
// except from Configure(). AvahiInfo() is the `avahi` object of process_info.
//
// Loop thread only. The loop, browser and prober must outlive the registry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/loop/event_loop.h"
#include "common/tid.h"
#include "staf/zeroconf/zeroconf_browser.h"
#include "staf/zeroconf/zeroconf_reachability.h"
#include "staf/zeroconf/zeroconf_txt.h"

namespace stas::staf {

// What one tracked instance looks like, for tests and diagnostics.
struct ZeroconfServiceInfo {
  ServiceKey key;
  std::string ifname;
  std::string key_str;  // the process_info key, "(eth0, IPv4, DC 1.local, _nvme-disc._tcp)"
  std::optional<ZeroconfIdentity> identity;  // set once resolved with valid data
  bool reachable = false;
};

class ZeroconfRegistry final : public ServiceBrowserObserver {
 public:
  // A host on the link can announce any number of instances, each costing a resolver and
  // TCP probes; past this many, new ones are ignored (with a warning). Real fabrics have a
  // handful of DCs per interface. Below avahi-daemon's default limit of 1024 objects per
  // client, which counts the two browsers too.
  static constexpr std::size_t kMaxServices = 1000;
  // The TXT problems of one resolution that are logged; the rest are counted.
  static constexpr std::size_t kMaxTxtProblemsLogged = 5;

  // `kernel_tp8013`: the kernel accepts the `discovery` connect option, so a TXT `nqn=` is
  // honoured (stas NvmeOptions().discovery_supp). Registers itself as the browser's observer.
  ZeroconfRegistry(EventLoop& loop, ServiceBrowser& browser, TcpProber& prober, bool kernel_tp8013,
                   std::function<void()> on_change);
  ~ZeroconfRegistry() override;
  ZeroconfRegistry(const ZeroconfRegistry&) = delete;
  ZeroconfRegistry& operator=(const ZeroconfRegistry&) = delete;
  ZeroconfRegistry(ZeroconfRegistry&&) = delete;
  ZeroconfRegistry& operator=(ZeroconfRegistry&&) = delete;

  // zeroconf=enabled/disabled, at start-up and on SIGHUP (stas config_stypes): browse
  // _nvme-disc._tcp and _nvme-disc._udp, or nothing. Instances of types no longer browsed
  // are dropped at once.
  void Configure(bool enabled);
  // SIGHUP (stas kick_start()): if Avahi is being waited for, try again now.
  void KickStart();

  // The reachable DCs, in discovery order, each once (stas get_controllers()). No host-nqn
  // and no host-traddr: Tid::Make() fills in the daemon's defaults.
  std::vector<TidFields> Candidates() const;

  // process_info's "avahi" object, keys in stas's order:
  //   {"avahi wake up timer": "60.0s [off]",
  //    "service types": ["_nvme-disc._tcp", "_nvme-disc._udp"],
  //    "services": {"(eth0, IPv4, DC 1.local, _nvme-disc._tcp)":
  //                   {"transport": "tcp", "traddr": "192.168.1.20", "trsvcid": "8009",
  //                    "host-iface": "eth0", "subsysnqn": "nqn...", "reachable": "True"}}}
  // An instance not (validly) resolved yet shows {"reachable": "False"}. Every string is
  // valid UTF-8, so the object always serialises.
  nlohmann::ordered_json AvahiInfo() const;

  // IPs that instances on more than one interface resolved to, with those interfaces (the
  // misconfiguration stas reports after every resolution).
  std::vector<std::pair<std::string, std::vector<std::string>>> DuplicateIps() const;

  // Every tracked instance, in discovery order.
  std::vector<ZeroconfServiceInfo> services() const;

  // ServiceBrowserObserver.
  bool OnServiceNew(const ServiceKey& key, const std::string& ifname, unsigned flags) override;
  void OnServiceResolved(const ResolvedService& service) override;
  void OnServiceRemoved(const ServiceKey& key) override;
  void OnBrowserState(BrowserState state, const std::string& detail) override;

 private:
  struct Service {
    std::uint64_t seq = 0;  // discovery order
    ServiceKey key;
    std::string ifname;
    std::string key_str;
    std::optional<ZeroconfIdentity> identity;
    bool reachable = false;
    std::unique_ptr<ReachabilityCheck> check;
    // What the last resolution had to say about its TXT record: the same again (an announcer
    // may re-announce every second) is logged at debug level only.
    std::vector<std::string> last_report;
  };

  std::vector<const Service*> Ordered() const;
  void OnReachability(const ServiceKey& key, bool reachable);
  void DropIf(const std::function<bool(const Service&)>& pred);
  void LogDuplicateIps() const;
  // Calls on_change_ if Candidates() differs from `before`.
  void NotifyIfChanged(const std::vector<TidFields>& before);

  EventLoop& loop_;
  ServiceBrowser& browser_;
  TcpProber& prober_;
  bool kernel_tp8013_;
  std::function<void()> on_change_;
  std::map<ServiceKey, std::unique_ptr<Service>> services_;
  std::uint64_t next_seq_ = 0;
  bool over_limit_warned_ = false;
};

}  // namespace stas::staf
