// SPDX-License-Identifier: Apache-2.0
#include "stac/staf_client.h"

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/config/config.h"
#include "common/defs.h"
#include "common/log.h"
#include "common/str_util.h"

namespace stas::stac {
namespace {

using DictList = std::vector<std::map<std::string, std::string>>;

constexpr const char* kPropertiesInterface = "org.freedesktop.DBus.Properties";
constexpr const char* kInitialDiscoveryDone = "InitialDiscoveryDone";

std::string Value(const std::map<std::string, std::string>& d, const char* key) {
  auto it = d.find(key);
  return it == d.end() ? std::string() : it->second;
}

}  // namespace

std::optional<DcLogPage> DcLogPageFromDicts(const std::map<std::string, std::string>& dc,
                                            const DictList& entries) {
  // The DC's host-* fields go into the connect strings of its I/O controllers: checked by the
  // rules of any identity that does not come from the configuration.
  TidFields host{.host_traddr = Value(dc, "host-traddr"),
                 .host_iface = Value(dc, "host-iface"),
                 .host_nqn = Value(dc, "host-nqn")};
  std::string transport = dc.count("transport") ? dc.at("transport") : std::string("tcp");
  if (auto why = CheckHostFields(transport, host)) {
    LOG_WARNING("Ignoring the log pages stafd sent for a discovery controller with %s",
                why->c_str());
    return std::nullopt;
  }
  DcLogPage page;
  // Only for comparison with the entries' transport and for messages.
  page.transport = transport;
  page.dc = Printable("(" + transport + ", " + Value(dc, "traddr") + ", " + Value(dc, "trsvcid") +
                      ", " + Value(dc, "subsysnqn") + ")");
  page.host_traddr = std::move(host.host_traddr);
  page.host_iface = std::move(host.host_iface);
  page.host_nqn = std::move(*host.host_nqn);
  page.volumes_only = Value(dc, kDcConnectKey) == kDcConnectVolumes;
  std::vector<RawLogEntry> raw;
  for (const std::map<std::string, std::string>& e : entries) {
    std::optional<RawLogEntry> r = RawEntryFromDict(e);
    if (!r) {
      LOG_WARNING(
          "stafd sent a log page entry stacd cannot read: %s",
          nlohmann::json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      continue;
    }
    raw.push_back(std::move(*r));
  }
  ValidatedLog v = ValidateLogEntries(raw);
  for (const std::string& line : RejectedSummary(v.rejected))
    LOG_WARNING("Rejected log page entry from stafd %s", line.c_str());
  page.entries = std::move(v.entries);
  return page;
}

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
      std::map<std::string, std::string> id_dict;
      for (const char* key : {"transport", "traddr", "trsvcid", "subsysnqn", "host-traddr",
                              "host-iface", "host-nqn", kDcConnectKey}) {
        if (id.contains(key))
          id_dict[key] = id.at(key).get<std::string>();
      }
      DictList entries;
      for (const nlohmann::json& e : dc.at("log-pages"))
        entries.push_back(e.get<std::map<std::string, std::string>>());
      if (std::optional<DcLogPage> page = DcLogPageFromDicts(id_dict, entries))
        out.push_back(std::move(*page));
    }
    return out;
  } catch (const nlohmann::json::exception& e) {
    LOG_ERROR("Cannot read stafd's log pages: %s", e.what());
    return std::nullopt;
  }
}

bool IsReplyTooLarge(const sdbus::Error& e) {
  // Ours, and the bus's own name for a message over its limits.
  return e.getName() == std::string(kStafdBusName) + ".Error.ReplyTooLarge" ||
         e.getName() == "org.freedesktop.DBus.Error.LimitsExceeded";
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
  staf_->uponSignal("PropertiesChanged")
      .onInterface(kPropertiesInterface)
      .call([this](const std::string& iface, const std::map<std::string, sdbus::Variant>& changed,
                   const std::vector<std::string>&) {
        if (iface != kStafdDiscoveryInterface)
          return;
        auto it = changed.find(kInitialDiscoveryDone);
        // Only a boolean true means anything; stafd never sets it back to false.
        if (it != changed.end() && it->second.containsValueOfType<bool>() && it->second.get<bool>())
          Notify(Event::kInitialDiscoveryDone);
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
        .uponReplyInvoke(lifetime_.Guard([this, done](const sdbus::Error* err, std::string json) {
          if (err != nullptr && IsReplyTooLarge(*err)) {
            if (!dc_by_dc_logged_) {
              LOG_WARNING(
                  "stafd's log pages do not fit in one D-Bus reply (%s); reading them "
                  "discovery controller by discovery controller",
                  err->getMessage().c_str());
              dc_by_dc_logged_ = true;
            }
            return ReadDcByDc(done);
          }
          if (err != nullptr) {
            LOG_INFO("stafd did not give its log pages: %s", err->what());
            return done(std::nullopt);
          }
          dc_by_dc_logged_ = false;  // fits again: say so again if it stops fitting
          done(ParseAllLogPages(json));
        }));
  } catch (const sdbus::Error& e) {
    LOG_INFO("Cannot ask stafd for its log pages: %s", e.what());
    done(std::nullopt);
  }
}

void StafClient::GetInitialDiscoveryDone(std::function<void(std::optional<bool>)> done) {
  try {
    staf_->callMethodAsync("Get")
        .onInterface(kPropertiesInterface)
        .withTimeout(kCallTimeout)
        .withArguments(std::string(kStafdDiscoveryInterface), std::string(kInitialDiscoveryDone))
        .uponReplyInvoke(lifetime_.Guard([done](const sdbus::Error* err, sdbus::Variant value) {
          if (err != nullptr) {
            LOG_INFO("stafd does not say whether it has read its discovery controllers: %s",
                     err->what());
            return done(std::nullopt);
          }
          if (!value.containsValueOfType<bool>()) {
            LOG_WARNING("stafd's %s is not a boolean", kInitialDiscoveryDone);
            return done(std::nullopt);
          }
          done(value.get<bool>());
        }));
  } catch (const sdbus::Error& e) {
    LOG_INFO("Cannot ask stafd whether it has read its discovery controllers: %s", e.what());
    done(std::nullopt);
  }
}

void StafClient::SetVolumeDcs(std::vector<std::map<std::string, std::string>> dcs,
                              std::function<void(Status)> done) {
  try {
    staf_->callMethodAsync("SetVolumeDiscoveryControllers")
        .onInterface(kStafdDiscoveryInterface)
        .withTimeout(kCallTimeout)
        .withArguments(dcs)
        .uponReplyInvoke(lifetime_.Guard([done](const sdbus::Error* err) {
          if (err != nullptr)
            return done(Fail(EIO, err->getName() + ": " + err->getMessage()));
          done({});
        }));
  } catch (const sdbus::Error& e) {
    done(Fail(EIO, e.getName() + ": " + e.getMessage()));
  }
}

// One DC-by-DC reading: what list_controllers answered and the pages read so far.
struct StafClient::DcByDcRead {
  std::function<void(std::optional<std::vector<DcLogPage>>)> done;
  std::chrono::steady_clock::time_point deadline;
  DictList dcs;
  std::size_t next = 0;
  std::vector<DcLogPage> pages;
};

void StafClient::ReadDcByDc(std::function<void(std::optional<std::vector<DcLogPage>>)> done) {
  auto read = std::make_shared<DcByDcRead>();
  read->done = std::move(done);
  read->deadline = std::chrono::steady_clock::now() + kDcByDcDeadline;
  try {
    staf_->callMethodAsync("list_controllers")
        .onInterface(kStafdBusName)
        .withTimeout(kCallTimeout)
        .withArguments(false)
        .uponReplyInvoke(lifetime_.Guard([this, read](const sdbus::Error* err, DictList dcs) {
          if (err != nullptr) {
            LOG_INFO("stafd did not list its discovery controllers: %s", err->what());
            return read->done(std::nullopt);
          }
          if (dcs.size() > kMaxDcsByDc) {
            LOG_ERROR(
                "stafd lists %zu discovery controllers, more than the %zu stacd reads one "
                "by one; keeping the I/O controllers it has",
                dcs.size(), kMaxDcsByDc);
            return read->done(std::nullopt);
          }
          read->dcs = std::move(dcs);
          ReadNextDc(read);
        }));
  } catch (const sdbus::Error& e) {
    LOG_INFO("Cannot ask stafd for its discovery controllers: %s", e.what());
    read->done(std::nullopt);
  }
}

void StafClient::ReadNextDc(std::shared_ptr<DcByDcRead> read) {
  if (read->next == read->dcs.size())
    return read->done(std::move(read->pages));
  if (std::chrono::steady_clock::now() > read->deadline) {
    LOG_ERROR(
        "Reading stafd's log pages one by one took more than %llds; keeping the I/O "
        "controllers stacd has",
        static_cast<long long>(kDcByDcDeadline.count()));
    return read->done(std::nullopt);
  }
  const std::map<std::string, std::string>& dc = read->dcs[read->next];
  try {
    staf_->callMethodAsync("get_log_pages")
        .onInterface(kStafdBusName)
        .withTimeout(kCallTimeout)
        .withArguments(Value(dc, "transport"), Value(dc, "traddr"), Value(dc, "trsvcid"),
                       Value(dc, "subsysnqn"), Value(dc, "host-traddr"), Value(dc, "host-iface"),
                       Value(dc, "host-nqn"))
        .uponReplyInvoke(lifetime_.Guard([this, read](const sdbus::Error* err, DictList entries) {
          const std::map<std::string, std::string>& asked = read->dcs[read->next];
          if (err != nullptr) {
            LOG_INFO("stafd did not give the log page of %s %s %s: %s",
                     Value(asked, "transport").c_str(), Value(asked, "traddr").c_str(),
                     Value(asked, "trsvcid").c_str(), err->what());
            return read->done(std::nullopt);
          }
          if (std::optional<DcLogPage> page = DcLogPageFromDicts(asked, entries))
            read->pages.push_back(std::move(*page));
          ++read->next;
          ReadNextDc(read);
        }));
  } catch (const sdbus::Error& e) {
    LOG_INFO("Cannot ask stafd for a log page: %s", e.what());
    read->done(std::nullopt);
  }
}

}  // namespace stas::stac
