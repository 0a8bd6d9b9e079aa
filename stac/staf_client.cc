// SPDX-License-Identifier: Apache-2.0
#include "stac/staf_client.h"

#include <nlohmann/json.hpp>

#include "common/defs.h"
#include "common/log.h"
#include "common/nvme_names.h"

namespace stas::stac {
namespace {

// What the DC's host side may be: empty, or what stafd's own validators let through (an
// address or host name, an interface name, an NQN), at least safe in the connect string.
std::optional<std::string> CheckHostSide(const DcLogPage& page) {
  if (!page.host_traddr.empty()) {
    if (auto why = CheckSafeToken(page.host_traddr))
      return "host-traddr " + *why;
  }
  if (!page.host_iface.empty()) {
    if (auto why = CheckInterfaceName(page.host_iface))
      return "host-iface " + *why;
  }
  if (!page.host_nqn.empty()) {
    if (auto why = CheckNqn(page.host_nqn, /*require_nqn_prefix=*/false))
      return "host-nqn " + *why;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<DcLogPage>> ParseAllLogPages(const std::string& json) {
  try {
    nlohmann::json doc = nlohmann::json::parse(json);
    if (!doc.is_array()) {
      LOG_ERROR("Cannot read stafd's log pages: not a JSON array");
      return std::nullopt;
    }
    std::vector<DcLogPage> out;
    for (const nlohmann::json& dc : doc) {
      const nlohmann::json& id = dc.at("discovery-controller");
      DcLogPage page;
      page.host_traddr = id.value("host-traddr", "");
      page.host_iface = id.value("host-iface", "");
      page.host_nqn = id.value("host-nqn", "");
      // The host side goes into the Tid of every candidate from this page, and so into the
      // connect string: refuse the page rather than let a value add an option to it.
      if (auto why = CheckHostSide(page)) {
        LOG_WARNING("stafd sent a discovery controller stacd cannot use (%s): %s", why->c_str(),
                    id.dump().c_str());
        continue;
      }
      std::vector<RawLogEntry> raw;
      for (const nlohmann::json& e : dc.at("log-pages")) {
        std::optional<RawLogEntry> r =
            RawEntryFromDict(e.get<std::map<std::string, std::string>>());
        if (!r) {
          LOG_WARNING("stafd sent a log page entry stacd cannot read: %s", e.dump().c_str());
          continue;
        }
        raw.push_back(std::move(*r));
      }
      ValidatedLog v = ValidateLogEntries(raw);
      for (const LogEntryProblem& p : v.rejected) {
        LOG_WARNING("Rejected log page entry from stafd (%s): %s", p.reason.c_str(),
                    p.shown.c_str());
      }
      page.entries = std::move(v.entries);
      out.push_back(std::move(page));
    }
    return out;
  } catch (const nlohmann::json::exception& e) {
    LOG_ERROR("Cannot read stafd's log pages: %s", e.what());
    return std::nullopt;
  }
}

StafClient::StafClient(sdbus::IConnection& conn)
    : staf_(sdbus::createProxy(conn, kStafdBusName, kStafdObjectPath)),
      bus_(sdbus::createProxy(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus")) {
  staf_->uponSignal("log_pages_changed")
      .onInterface(kStafdBusName)
      .call([this](const std::string& transport, const std::string& traddr,
                   const std::string& trsvcid, const std::string&, const std::string&,
                   const std::string&, const std::string&, const std::string& device) {
        LOG_DEBUG("stafd: log pages changed (%s, %s, %s) %s", transport.c_str(), traddr.c_str(),
                  trsvcid.c_str(), device.c_str());
        Notify(Event::kChanged);
      });
  staf_->uponSignal("dc_removed").onInterface(kStafdBusName).call([this]() {
    LOG_DEBUG("stafd: a discovery controller was removed");
    Notify(Event::kChanged);
  });
  staf_->finishRegistration();
  bus_->uponSignal("NameOwnerChanged")
      .onInterface("org.freedesktop.DBus")
      .call([this](const std::string& name, const std::string&, const std::string& new_owner) {
        if (name != kStafdBusName)
          return;
        Notify(new_owner.empty() ? Event::kVanished : Event::kAppeared);
      });
  bus_->finishRegistration();
}

StafClient::~StafClient() = default;

void StafClient::Subscribe(std::function<void(Event)> handler) {
  handler_ = std::move(handler);
}

void StafClient::Notify(Event ev) {
  if (handler_)
    handler_(ev);
}

void StafClient::GetAll(std::function<void(std::optional<std::vector<DcLogPage>>)> done) {
  try {
    staf_->callMethodAsync("get_all_log_pages")
        .onInterface(kStafdBusName)
        .withTimeout(kCallTimeout)
        .withArguments(true)
        .uponReplyInvoke(lifetime_.Guard([done](const sdbus::Error* err, std::string json) {
          if (err != nullptr) {
            LOG_INFO("stafd did not give its log pages: %s", err->what());
            return done(std::nullopt);
          }
          done(ParseAllLogPages(json));
        }));
  } catch (const sdbus::Error& e) {
    LOG_INFO("Cannot ask stafd for its log pages: %s", e.what());
    done(std::nullopt);
  }
}

}  // namespace stas::stac
