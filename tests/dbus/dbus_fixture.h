// SPDX-License-Identifier: Apache-2.0
// StafdDbusTest: a private dbus-daemon with stafd-sim (stafd on the simulated kernel) on it, for
// tests that talk to stafd through D-Bus the way users do (busctl, gdbus, stafctl, sdbus-c++).
// Needs no root: the daemon's "system bus" is the private bus, via DBUS_SYSTEM_BUS_ADDRESS.
//
// Each test gets a fresh temp dir, bus and daemon. A derived fixture changes the set-up by
// assigning scenario_json_, stafd_conf_ or hostkey_ in its constructor. Single-threaded.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/types.h>
#include <vector>

#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include "dbus/staf_proxy.h"
#include "tests/cli/run_program.h"

namespace stas::testing {

using DictList = std::vector<std::map<std::string, std::string>>;

inline constexpr const char* kTestHostNqn =
    "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";
inline constexpr const char* kTestHostId = "11111111-2222-3333-4444-555555555555";
inline constexpr const char* kDcTraddr = "192.0.2.10";

// A proxy on stafd's object; records the signals it receives.
class StafClient final : public sdbus::ProxyInterfaces<org::nvmexpress::staf_proxy,
                                                       org::nvmexpress::staf::debug_proxy> {
 public:
  struct LogPagesChanged {
    std::vector<std::string> args;  // the 8 arguments, in signature order
  };

  // With `subscribe`, signal matches are added on the bus (registerProxy()).
  StafClient(sdbus::IConnection& conn, bool subscribe);
  ~StafClient();
  StafClient(const StafClient&) = delete;
  StafClient& operator=(const StafClient&) = delete;

  const std::vector<LogPagesChanged>& log_pages_changed() const { return log_pages_changed_; }
  int dc_removed() const { return dc_removed_; }

 private:
  void onLog_pages_changed(const std::string& transport, const std::string& traddr,
                           const std::string& trsvcid, const std::string& subsysnqn,
                           const std::string& host_traddr, const std::string& host_iface,
                           const std::string& host_nqn, const std::string& device) override;
  void onDc_removed() override { ++dc_removed_; }

  std::vector<LogPagesChanged> log_pages_changed_;
  int dc_removed_ = 0;
};

// One daemon on the simulated kernel (stafd-sim or stacd-sim), run as a child process with its
// output in a log file. Not copyable; stops the daemon when destroyed.
class SimDaemon {
 public:
  SimDaemon() = default;
  ~SimDaemon();
  SimDaemon(const SimDaemon&) = delete;
  SimDaemon& operator=(const SimDaemon&) = delete;

  // Starts `bin -f conf` with `env` (NAME=value) replacing those variables of ours; also drops
  // NOTIFY_SOCKET. Fails the test if it cannot.
  void Start(const std::string& bin, const std::string& conf, const std::string& log_path,
             const std::vector<std::string>& env);
  pid_t pid() const { return pid_; }
  // True once the daemon has exited (it is then reaped and pid() is -1).
  bool Exited();
  void Signal(int sig) const;
  // SIGTERM (then SIGKILL after 5 s); returns its exit status, or -1.
  int Stop();
  std::string LogText() const;
  const std::string& log_path() const { return log_path_; }

 private:
  std::string bin_;
  std::string log_path_;
  pid_t pid_ = -1;
};

class StafdDbusTest : public ::testing::Test {
 protected:
  StafdDbusTest();
  ~StafdDbusTest() override;

  void SetUp() override;
  void TearDown() override;

  // --- Set-up, assign in a derived constructor. ---
  std::string scenario_json_;        // default: one DDC at kDcTraddr:8009 with two log entries
  std::string stafd_conf_;           // default: controller=transport=tcp;traddr=kDcTraddr
  std::string hostkey_;              // written to etc/nvme/hostkey when not empty
  size_t expected_log_entries_ = 2;  // SetUp also waits until the DC's log page has these
  // With true, the bus refuses org.freedesktop.DBus.Properties.Set to stafd for every caller
  // (root included), as the shipped policy does for non-root users.
  bool deny_property_set_ = false;
  // With true, the bus is a system bus: default deny as Debian's system.conf, plus the
  // project's shipped policy files (dbus-interfaces/*.conf). Needs root (only root may own
  // the names).
  bool shipped_policy_ = false;
  // Not 0: the bus's <limit name="max_message_size"> (the system bus's is 32 MiB); a peer that
  // sends a larger message is disconnected by the bus.
  size_t bus_max_message_size_ = 0;

  // --- The environment. ---
  const std::string& dir() const { return dir_; }
  const std::string& bus_address() const { return bus_address_; }
  pid_t stafd_pid() const { return stafd_.pid(); }
  std::string ScenarioPath() const { return dir_ + "/scenario.json"; }
  std::string StafdRuntime() const { return dir_ + "/run"; }  // stafd-sim's RUNTIME_DIRECTORY
  std::string ConfPath() const { return dir_ + "/stafd.conf"; }
  std::string LogText() const;  // stafd-sim's stdout and stderr so far

  // Sends `sig` to stafd-sim.
  void Signal(int sig) const { stafd_.Signal(sig); }
  // SIGTERM (then SIGKILL after 5 s); returns its exit status, or -1.
  int StopStafd() { return stafd_.Stop(); }
  // Starts stafd-sim again (after StopStafd) and waits as SetUp does; false if it did not
  // become ready.
  bool RestartStafd();
  // The variables a daemon of the harness runs with; `runtime` is its RUNTIME_DIRECTORY.
  std::vector<std::string> SimEnvironment(const std::string& runtime) const;
  // The controllers in the simulated kernel of the daemon whose RUNTIME_DIRECTORY is
  // `runtime`, as that daemon last published them (tests/sim/sim_kernel_devices.h): what the
  // daemon really connected and disconnected, not what it logged or says on D-Bus. Null
  // before the daemon's first publication.
  static nlohmann::json SimKernelDevices(const std::string& runtime);

  // --- Programs, with DBUS_SYSTEM_BUS_ADDRESS set to the private bus. ---
  ProgramOutput Stafctl(const std::string& args) const;
  // Runs `command` (a shell command line) with DBUS_SYSTEM_BUS_ADDRESS set to the private bus.
  ProgramOutput RunOnBus(const std::string& command) const;
  ProgramOutput Busctl(const std::string& args) const;  // busctl --address=<bus> <args>
  // gdbus call on stafd's object (or `dest`'s `path`): `method` is "<interface>.<member>",
  // args as gdbus takes them.
  ProgramOutput GdbusCall(const std::string& method, const std::string& args,
                          const std::string& dest = "org.nvmexpress.staf",
                          const std::string& path = "/org/nvmexpress/staf") const;

  // --- In-process access, on the fixture's own connection. ---
  sdbus::IConnection& connection() { return *conn_; }
  StafClient& staf() { return *staf_; }
  // The DC's 7 identifying strings, as list_controllers reports them.
  std::vector<std::string> DcId();

  // Processes `conn`'s incoming messages until `done()` or `timeout`; returns done().
  static bool PumpUntil(sdbus::IConnection& conn, const std::function<bool()>& done,
                        std::chrono::milliseconds timeout);
  // Polls `done()` every 50 ms until it holds or `timeout`; returns done().
  static bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);

  static void WriteFile(const std::string& path, const std::string& text);
  // Whether `name` has an owner on the private bus.
  bool NameHasOwner(const std::string& name);
  // The process that owns `name`, as the bus knows it (GetConnectionUnixProcessID); -1 when
  // nobody does.
  pid_t NameOwnerPid(const std::string& name);

 private:
  void StartBus();
  void StartStafd();
  bool StafdReady();

  std::string dir_;
  std::string bus_address_;
  pid_t bus_pid_ = -1;
  SimDaemon stafd_;
  std::unique_ptr<sdbus::IConnection> conn_;
  std::unique_ptr<StafClient> staf_;
};

// Turns GVariant text as gdbus prints it ("([{'a': 'b'}],)") into JSON: a tuple becomes an
// array, a dictionary an object (entries in text order), strings, booleans and numbers stay.
// Fails the current test and returns null on text GLib cannot parse.
nlohmann::ordered_json GvariantTextToJson(const std::string& text);

// `dict` as a JSON object, and a list of them as an array.
nlohmann::ordered_json DictListToJson(const DictList& list);

// The 7 arguments of get_log_pages and controller_info, in signature order, that name the
// controller of a list_controllers `dict` (TidFieldsFromDict): what the proxies and Args7 take,
// kept as a list so that a test can spoil one of them.
std::vector<std::string> IdArgs(const std::map<std::string, std::string>& dict);

}  // namespace stas::testing
