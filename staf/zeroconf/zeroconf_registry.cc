// SPDX-License-Identifier: Apache-2.0
#include "staf/zeroconf/zeroconf_registry.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "common/log.h"
#include "common/nvme_names.h"
#include "common/python_compat.h"
#include "common/str_util.h"

namespace stas::staf {
namespace {

auto FieldsTuple(const TidFields& f) {
  return std::tie(f.transport, f.traddr, f.trsvcid, f.subsysnqn, f.host_traddr, f.host_iface,
                  f.host_nqn);
}

bool SameCandidates(const std::vector<TidFields>& a, const std::vector<TidFields>& b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(),
      [](const TidFields& x, const TidFields& y) { return FieldsTuple(x) == FieldsTuple(y); });
}

// Instance names are any UTF-8 the announcer chose (and a fake browser may pass anything):
// keep valid UTF-8 as it is, so that the JSON shows the name as stas shows it, else escape.
std::string JsonSafe(std::string_view s) {
  return IsUtf8(s) ? std::string(s) : Printable(s);
}

std::string KeyStr(const ServiceKey& k, const std::string& ifname) {
  // stas Service.key_str: f'({ifname}, {protocol}, {name}.{domain}, {stype})'
  return "(" + JsonSafe(ifname) + ", " + ProtocolName(k.protocol) + ", " + JsonSafe(k.name) + "." +
         JsonSafe(k.domain) + ", " + JsonSafe(k.type) + ")";
}

}  // namespace

ZeroconfRegistry::ZeroconfRegistry(EventLoop& loop, ServiceBrowser& browser, TcpProber& prober,
                                   bool kernel_tp8013, std::function<void()> on_change)
    : loop_(loop),
      browser_(browser),
      prober_(prober),
      kernel_tp8013_(kernel_tp8013),
      on_change_(std::move(on_change)) {
  browser_.SetObserver(this);
}

ZeroconfRegistry::~ZeroconfRegistry() {
  browser_.SetObserver(nullptr);
}

void ZeroconfRegistry::Configure(bool enabled) {
  std::vector<std::string> types;
  if (enabled)
    types = {kNvmeDiscTcp, kNvmeDiscUdp};
  const std::vector<TidFields> before = Candidates();
  const std::set<std::string> wanted(types.begin(), types.end());
  DropIf([&](const Service& s) { return !wanted.count(s.key.type); });
  browser_.SetServiceTypes(types);
  NotifyIfChanged(before);
}

void ZeroconfRegistry::KickStart() {
  browser_.KickStart();
}

std::vector<const ZeroconfRegistry::Service*> ZeroconfRegistry::Ordered() const {
  std::vector<const Service*> out;
  out.reserve(services_.size());
  for (const auto& [key, s] : services_)
    out.push_back(s.get());
  std::sort(out.begin(), out.end(),
            [](const Service* a, const Service* b) { return a->seq < b->seq; });
  return out;
}

std::vector<TidFields> ZeroconfRegistry::Candidates() const {
  std::vector<TidFields> out;
  for (const Service* s : Ordered()) {
    if (!s->reachable || !s->identity)
      continue;
    TidFields f = s->identity->ToTidFields();
    const bool dup = std::any_of(out.begin(), out.end(), [&](const TidFields& o) {
      return FieldsTuple(o) == FieldsTuple(f);
    });
    if (!dup)
      out.push_back(std::move(f));
  }
  return out;
}

nlohmann::ordered_json ZeroconfRegistry::AvahiInfo() const {
  nlohmann::ordered_json services = nlohmann::ordered_json::object();
  for (const Service* s : Ordered()) {
    nlohmann::ordered_json data = nlohmann::ordered_json::object();
    if (s->identity) {
      for (const auto& [k, v] : s->identity->AsDict())
        data[k] = v;
    }
    data["reachable"] = PythonBool(s->reachable);
    services[s->key_str] = std::move(data);
  }
  nlohmann::ordered_json info = nlohmann::ordered_json::object();
  info["avahi wake up timer"] = browser_.wake_up_timer();
  nlohmann::ordered_json types = nlohmann::ordered_json::array();
  for (const std::string& t : browser_.service_types())
    types.push_back(JsonSafe(t));
  info["service types"] = std::move(types);
  info["services"] = std::move(services);
  return info;
}

std::vector<std::pair<std::string, std::vector<std::string>>> ZeroconfRegistry::DuplicateIps()
    const {
  std::map<std::string, std::vector<std::string>> by_ip;
  for (const Service* s : Ordered()) {
    if (!s->identity)
      continue;
    std::vector<std::string>& ifaces = by_ip[s->identity->ip.Unmapped().ToString()];
    // Distinct interfaces: one DC announcing _tcp and _udp on one link is not a problem
    // (stas counts it twice and reports "eth0,eth0").
    if (std::find(ifaces.begin(), ifaces.end(), s->ifname) == ifaces.end()) {
      ifaces.push_back(s->ifname);
    }
  }
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (auto& [ip, ifaces] : by_ip) {
    if (ifaces.size() > 1)
      out.emplace_back(ip, std::move(ifaces));
  }
  return out;
}

std::vector<ZeroconfServiceInfo> ZeroconfRegistry::services() const {
  std::vector<ZeroconfServiceInfo> out;
  for (const Service* s : Ordered()) {
    out.push_back(ZeroconfServiceInfo{s->key, s->ifname, s->key_str, s->identity, s->reachable});
  }
  return out;
}

bool ZeroconfRegistry::OnServiceNew(const ServiceKey& key, const std::string& ifname,
                                    unsigned /*flags*/) {
  if (services_.count(key))
    return true;
  if (auto why = CheckInterfaceName(ifname)) {
    // stas: socket.if_indextoname() raises and the instance is not tracked.
    LOG_WARNING("mDNS service %s on interface %d ignored: interface name %s %s",
                Printable(key.name).c_str(), key.interface, Printable(ifname).c_str(),
                why->c_str());
    return false;
  }
  if (services_.size() >= kMaxServices) {
    if (!over_limit_warned_) {
      over_limit_warned_ = true;
      LOG_WARNING("More than %zu mDNS services announced; ignoring new ones", kMaxServices);
    }
    return false;
  }
  auto s = std::make_unique<Service>();
  s->seq = next_seq_++;
  s->key = key;
  s->ifname = ifname;
  s->key_str = KeyStr(key, ifname);
  s->check = std::make_unique<ReachabilityCheck>(
      loop_, prober_, [this, key](bool reachable) { OnReachability(key, reachable); });
  services_.emplace(key, std::move(s));
  return true;
}

void ZeroconfRegistry::OnServiceResolved(const ResolvedService& service) {
  auto it = services_.find(service.key);
  if (it == services_.end())
    return;  // not browsed (any more), or over the limit
  Service& s = *it->second;
  const std::vector<TidFields> before = Candidates();

  TxtDict txt = ParseTxt(service.txt);
  Result<ZeroconfIdentity> id =
      ParseIdentity(s.ifname, service.address, service.port, txt, kernel_tp8013_);
  // At most kMaxTxtProblemsLogged problems, at their level only when what this resolution has
  // to say differs from the last one's: an announcer may re-announce every second.
  std::vector<std::string> report;
  for (size_t i = 0; i < txt.problems.size() && i < kMaxTxtProblemsLogged; ++i)
    report.push_back("mDNS TXT of " + s.key_str + ": " + txt.problems[i]);
  if (txt.problems.size() > kMaxTxtProblemsLogged) {
    report.push_back("mDNS TXT of " + s.key_str + ": ... and " +
                     std::to_string(txt.problems.size() - kMaxTxtProblemsLogged) +
                     " more problems");
  }
  const size_t txt_lines = report.size();
  if (!id)
    report.push_back(id.error().message);
  const bool repeated = report == s.last_report;
  for (size_t i = 0; i < report.size(); ++i) {
    const char* line = report[i].c_str();
    if (repeated) {
      LOG_DEBUG("%s (as before)", line);
    } else if (i == txt_lines) {
      LOG_ERROR("%s", line);
    } else if (txt.important_problem) {
      LOG_WARNING("%s", line);
    } else {
      LOG_DEBUG("%s", line);
    }
  }
  s.last_report = std::move(report);
  if (!id) {
    s.check->Stop();
    s.identity.reset();
    s.reachable = false;
  } else if (s.identity == *id && s.reachable) {
    // Re-announced unchanged and already verified: nothing to redo.
  } else {
    s.identity = std::move(*id);
    s.check->Stop();
    if (s.identity->transport != "tcp") {
      s.reachable = true;  // rdma: no TCP check (stas)
    } else {
      s.reachable = false;
      s.check->Start(s.identity->ip, s.identity->port, s.identity->host_iface);
    }
  }
  LogDuplicateIps();
  NotifyIfChanged(before);
}

void ZeroconfRegistry::OnServiceRemoved(const ServiceKey& key) {
  auto it = services_.find(key);
  if (it == services_.end())
    return;
  services_.erase(it);
  // stas calls its change callback on every removal of a known instance.
  if (on_change_)
    on_change_();
}

void ZeroconfRegistry::OnBrowserState(BrowserState state, const std::string& /*detail*/) {
  if (state == BrowserState::kRunning)
    return;
  // stas _avahi_unavailable(): everything learnt from that daemon is forgotten.
  const std::vector<TidFields> before = Candidates();
  DropIf([](const Service&) { return true; });
  NotifyIfChanged(before);
}

void ZeroconfRegistry::OnReachability(const ServiceKey& key, bool reachable) {
  auto it = services_.find(key);
  if (it == services_.end())
    return;
  const std::vector<TidFields> before = Candidates();
  it->second->reachable = reachable;
  NotifyIfChanged(before);
}

void ZeroconfRegistry::DropIf(const std::function<bool(const Service&)>& pred) {
  for (auto it = services_.begin(); it != services_.end();) {
    if (pred(*it->second)) {
      it = services_.erase(it);
    } else {
      ++it;
    }
  }
  if (services_.size() < kMaxServices)
    over_limit_warned_ = false;
}

void ZeroconfRegistry::LogDuplicateIps() const {
  for (const auto& [ip, ifaces] : DuplicateIps()) {
    std::string list;
    for (const std::string& i : ifaces)
      list += (list.empty() ? "" : ",") + i;
    LOG_ERROR("IP address %s was found on multiple interfaces: %s", ip.c_str(), list.c_str());
  }
}

void ZeroconfRegistry::NotifyIfChanged(const std::vector<TidFields>& before) {
  if (!SameCandidates(before, Candidates()) && on_change_)
    on_change_();
}

}  // namespace stas::staf
