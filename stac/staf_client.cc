// SPDX-License-Identifier: Apache-2.0
#include "stac/staf_client.h"

#include <nlohmann/json.hpp>

#include "common/defs.h"
#include "common/log.h"
#include "common/str_util.h"

namespace stas::stac {

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
      // The DC's host-* fields go into the connect strings of its I/O controllers: checked by
      // the rules of any identity that does not come from the configuration.
      TidFields host{.host_traddr = id.value("host-traddr", ""),
                     .host_iface = id.value("host-iface", ""),
                     .host_nqn = id.value("host-nqn", "")};
      if (auto why = CheckHostFields(id.value("transport", "tcp"), host)) {
        LOG_WARNING("Ignoring the log pages stafd sent for a discovery controller with %s",
                    why->c_str());
        continue;
      }
      DcLogPage page;
      // Only for comparison with the entries' transport and for messages.
      page.transport = id.value("transport", "tcp");
      page.dc = Printable("(" + page.transport + ", " + id.value("traddr", "") + ", " +
                          id.value("trsvcid", "") + ", " + id.value("subsysnqn", "") + ")");
      page.host_traddr = std::move(host.host_traddr);
      page.host_iface = std::move(host.host_iface);
      page.host_nqn = std::move(*host.host_nqn);
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
      for (const std::string& line : RejectedSummary(v.rejected))
        LOG_WARNING("Rejected log page entry from stafd %s", line.c_str());
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
