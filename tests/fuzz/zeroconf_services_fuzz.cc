// SPDX-License-Identifier: Apache-2.0
// Fuzz target: what any host on the link can make stafd's mDNS side do, through the service
// registry (staf/zeroconf/zeroconf_registry.h) as Avahi reports it: announce instances with any
// name, type, domain and interface, resolve them to any address, port and TXT record, withdraw
// them, answer the reachability probes and let time pass. The input is a sequence of such
// events read with FuzzedDataProvider; instance names are drawn from a small pool half of the
// time so that the same instance is announced, resolved and removed again.
// Invariants, after every event: at most kMaxServices instances are tracked; process_info's
// "avahi" object serialises as strict UTF-8 JSON (a name that is not UTF-8 is escaped, never
// thrown on); every log line is one line of UTF-8 without control characters (LogSafe()); each
// candidate DC makes a Tid that keeps the connect-string contract (fuzz_invariants.h).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/str_util.h"
#include "common/testing/fake_event_loop.h"
#include "staf/zeroconf/zeroconf_fakes.h"
#include "staf/zeroconf/zeroconf_registry.h"
#include "tests/fuzz/fuzz_invariants.h"

namespace fz = stas::fuzz;
namespace zc = stas::staf;

namespace {

constexpr int kMaxEvents = 64;

std::string Pick(FuzzedDataProvider& in, const std::vector<std::string>& pool, size_t max_len) {
  if (in.ConsumeBool())
    return pool[in.ConsumeIntegralInRange<size_t>(0, pool.size() - 1)];
  return in.ConsumeRandomLengthString(max_len);
}

zc::ServiceKey ConsumeKey(FuzzedDataProvider& in) {
  static const std::vector<std::string> kNames = {"DC 1", "DC 2", "Baie \xc3\xa9", "evil\nline",
                                                  "\xff\xfe"};
  static const std::vector<std::string> kTypes = {zc::kNvmeDiscTcp, zc::kNvmeDiscUdp};
  static const std::vector<std::string> kDomains = {"local"};
  zc::ServiceKey key;
  key.interface = in.ConsumeIntegralInRange<int>(-1, 3);
  key.protocol = in.ConsumeIntegralInRange<int>(zc::kProtoUnspec, zc::kProtoInet6);
  key.name = Pick(in, kNames, 80);
  key.type = Pick(in, kTypes, 32);
  key.domain = Pick(in, kDomains, 32);
  return key;
}

std::string ConsumeIfname(FuzzedDataProvider& in) {
  static const std::vector<std::string> kIfnames = {"eth0", "eth1", "lo"};
  return Pick(in, kIfnames, 24);
}

void CheckState(const zc::ZeroconfRegistry& registry) {
  fz::Require(registry.services().size() <= zc::ZeroconfRegistry::kMaxServices,
              "more mDNS instances tracked than kMaxServices");
  std::string info;
  try {
    info = registry.AvahiInfo().dump();  // strict: throws on bad UTF-8
  } catch (const std::exception& e) {
    fz::Violated("process_info's avahi object does not serialise", e.what());
  }
  for (const zc::ZeroconfServiceInfo& s : registry.services())
    fz::Require(stas::IsUtf8(s.key_str), "instance key is not UTF-8", s.key_str);
  for (const stas::TidFields& f : registry.Candidates())
    fz::CheckTid(stas::Tid::Make(f, stas::TidDefaults{}));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  stas::SetLogDebug(true);  // debug lines reach the journal too, with tron on
  stas::SetLogSinkForTesting([](stas::LogLevel, const std::string& line) {
    fz::Require(stas::LogSafe(line) == line, "a log line with control or non-UTF-8 bytes", line);
  });
  {
    stas::FakeEventLoop loop;
    zc::FakeServiceBrowser browser;
    zc::FakeTcpProber prober;
    zc::ZeroconfRegistry registry(loop, browser, prober, in.ConsumeBool(), [] {});
    registry.Configure(true);
    for (int n = 0; n < kMaxEvents && in.remaining_bytes() > 0; ++n) {
      switch (in.ConsumeIntegralInRange<int>(0, 6)) {
        case 0:
          browser.New(ConsumeKey(in), ConsumeIfname(in));
          break;
        case 1: {
          zc::ResolvedService s;
          s.key = ConsumeKey(in);
          s.ifname = ConsumeIfname(in);
          s.host = in.ConsumeRandomLengthString(64);
          s.aprotocol = in.ConsumeIntegralInRange<int>(zc::kProtoUnspec, zc::kProtoInet6);
          static const std::vector<std::string> kAddrs = {"192.168.1.20", "fe80::1", "10.0.0.1"};
          s.address = Pick(in, kAddrs, 64);
          s.port = in.ConsumeIntegralInRange<int>(-2, 70000);
          const size_t count = in.ConsumeIntegralInRange<size_t>(0, 12);
          for (size_t i = 0; i < count && in.remaining_bytes() > 0; ++i)
            s.txt.push_back(in.ConsumeRandomLengthString(120));
          browser.Resolve(s);
          break;
        }
        case 2:
          browser.Remove(ConsumeKey(in));
          break;
        case 3:
          (void)(in.ConsumeBool() ? prober.Succeed() : prober.Refuse());
          break;
        case 4:
          loop.AdvanceBy(std::chrono::seconds(in.ConsumeIntegralInRange<int>(0, 7200)));
          break;
        case 5:
          registry.Configure(in.ConsumeBool());
          break;
        default:
          browser.SetState(static_cast<zc::BrowserState>(in.ConsumeIntegralInRange<int>(0, 2)),
                           in.ConsumeRandomLengthString(40));
          break;
      }
      CheckState(registry);
    }
  }
  stas::SetLogSinkForTesting(nullptr);
  return 0;
}
