// SPDX-License-Identifier: Apache-2.0
#include "tests/dbus/dbus_fixture.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <poll.h>
#include <signal.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <glib.h>

#include "common/defs.h"
#include "common/python_compat.h"
#include "common/tid.h"

extern char** environ;  // NOLINT: POSIX

namespace stas::testing {
namespace {

std::string SimKernelDevicesPath(const std::string& runtime) {
  return runtime + "/sim-kernel-devices.json";
}

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kStartTimeout{10000};
constexpr milliseconds kStopTimeout{5000};

// waitpid() with a deadline; returns the wait status, or -1 if `pid` is still running.
int WaitPid(pid_t pid, milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return status;
    if (r < 0)
      return errno == ECHILD ? 0 : -1;
    if (Clock::now() >= deadline)
      return -1;
    std::this_thread::sleep_for(milliseconds(20));
  }
}

// Whether `pid` exists and is not a zombie waiting for its (foreign) parent to reap it.
bool Running(pid_t pid) {
  if (kill(pid, 0) != 0)
    return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] != 'Z';
}

nlohmann::ordered_json VariantToJson(GVariant* v) {
  if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) ||
      g_variant_is_of_type(v, G_VARIANT_TYPE_OBJECT_PATH) ||
      g_variant_is_of_type(v, G_VARIANT_TYPE_SIGNATURE)) {
    return g_variant_get_string(v, nullptr);
  }
  if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
    return g_variant_get_boolean(v) != 0;
  if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32))
    return g_variant_get_int32(v);
  if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
    return g_variant_get_uint32(v);
  if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT64))
    return g_variant_get_int64(v);
  if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
    return g_variant_get_uint64(v);
  if (g_variant_is_of_type(v, G_VARIANT_TYPE_DOUBLE))
    return g_variant_get_double(v);
  if (g_variant_is_of_type(v, G_VARIANT_TYPE_VARIANT)) {
    GVariant* inner = g_variant_get_variant(v);
    nlohmann::ordered_json j = VariantToJson(inner);
    g_variant_unref(inner);
    return j;
  }
  bool dict = g_variant_is_of_type(v, G_VARIANT_TYPE_DICTIONARY);
  nlohmann::ordered_json out =
      dict ? nlohmann::ordered_json::object() : nlohmann::ordered_json::array();
  size_t n = g_variant_n_children(v);
  for (size_t i = 0; i < n; ++i) {
    GVariant* child = g_variant_get_child_value(v, i);
    if (dict) {
      GVariant* key = g_variant_get_child_value(child, 0);
      GVariant* value = g_variant_get_child_value(child, 1);
      out[VariantToJson(key).get<std::string>()] = VariantToJson(value);
      g_variant_unref(key);
      g_variant_unref(value);
    } else {
      out.push_back(VariantToJson(child));
    }
    g_variant_unref(child);
  }
  return out;
}

// A private bus's configuration: `type` ("session" or "system") with its policy `body`.
std::string BusConfig(const std::string& type, const std::string& body) {
  return R"(<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>)" +
         type + R"(</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>)" +
         body + "</busconfig>\n";
}

}  // namespace

StafClient::StafClient(sdbus::IConnection& conn, bool subscribe)
    : ProxyInterfaces(conn, kStafdBusName, kStafdObjectPath) {
  if (subscribe)
    registerProxy();
}

StafClient::~StafClient() {
  unregisterProxy();
}

void StafClient::onLog_pages_changed(const std::string& transport, const std::string& traddr,
                                     const std::string& trsvcid, const std::string& subsysnqn,
                                     const std::string& host_traddr, const std::string& host_iface,
                                     const std::string& host_nqn, const std::string& device) {
  log_pages_changed_.push_back(
      {{transport, traddr, trsvcid, subsysnqn, host_traddr, host_iface, host_nqn, device}});
}

StafdDbusTest::StafdDbusTest() {
  scenario_json_ = R"({"ports": [{"traddr": "192.0.2.10", "trsvcid": "8009", "log": [
      {"subnqn": "nqn.2014-08.io.example:subsys1", "traddr": "192.0.2.20"},
      {"subnqn": "nqn.2014-08.io.example:subsys2", "traddr": "192.0.2.21", "trsvcid": "4421"}]}]})";
  stafd_conf_ = std::string("[Controllers]\ncontroller=transport=tcp;traddr=") + kDcTraddr + "\n";
}

StafdDbusTest::~StafdDbusTest() = default;

void StafdDbusTest::WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
  ASSERT_TRUE(f.good()) << path;
}

void StafdDbusTest::SetUp() {
  char tmpl[] = "/tmp/stas-dbus-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr) << std::strerror(errno);  // NOLINT(concurrency-mt-unsafe)
  dir_ = tmpl;
  std::filesystem::create_directories(dir_ + "/etc/nvme");
  std::filesystem::create_directories(dir_ + "/etc/stas");
  std::filesystem::create_directories(StafdRuntime());
  WriteFile(dir_ + "/etc/nvme/hostnqn", std::string(kTestHostNqn) + "\n");
  WriteFile(dir_ + "/etc/nvme/hostid", std::string(kTestHostId) + "\n");
  if (!hostkey_.empty())
    WriteFile(dir_ + "/etc/nvme/hostkey", hostkey_ + "\n");
  WriteFile(ScenarioPath(), scenario_json_);
  WriteFile(ConfPath(), stafd_conf_);

  ASSERT_NO_FATAL_FAILURE(StartBus());
  conn_ = sdbus::createSessionBusConnectionWithAddress(bus_address_);
  conn_->setMethodCallTimeout(std::chrono::seconds(5));
  staf_ = std::make_unique<StafClient>(*conn_, false);
  ASSERT_NO_FATAL_FAILURE(StartStafd());
  ASSERT_TRUE(WaitUntil([this] { return StafdReady(); }, kStartTimeout))
      << "stafd-sim did not own " << kStafdBusName << " with its DC connected within 10 s";
  ASSERT_GT(stafd_.pid(), 0) << "stafd-sim exited during start-up";
}

void StafdDbusTest::StartBus() {
  std::string config = "--session";
  if (deny_property_set_) {
    // The session bus's allow-all policy, then the Set denial of the shipped policy file
    // without its root exception (the tests may run as root).
    WriteFile(dir_ + "/bus.conf", BusConfig("session", R"(
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    <deny send_destination="org.nvmexpress.staf"
          send_interface="org.freedesktop.DBus.Properties" send_member="Set"
          send_type="method_call"/>
  </policy>
)"));
    config = "--config-file=" + dir_ + "/bus.conf";
  } else if (shipped_policy_) {
    // Debian's system.conf default policy (method calls denied unless a policy file allows
    // them), then the files we install in /usr/share/dbus-1/system.d.
    WriteFile(dir_ + "/bus.conf", BusConfig("system", std::string(R"(
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <include>)") + STAS_DBUS_POLICY_DIR + R"(/org.nvmexpress.staf.conf</include>
  <include>)" + STAS_DBUS_POLICY_DIR + R"(/org.nvmexpress.stac.conf</include>
)"));
    config = "--config-file=" + dir_ + "/bus.conf";
  } else if (bus_max_message_size_ > 0) {
    // The session bus's allow-all policy, with a smaller message limit.
    WriteFile(dir_ + "/bus.conf", BusConfig("session", R"(
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="max_message_size">)" + std::to_string(bus_max_message_size_) +
                                                           "</limit>\n"));
    config = "--config-file=" + dir_ + "/bus.conf";
  }
  ProgramOutput r =
      RunProgram("dbus-daemon " + config + " --fork --print-address=1 --print-pid=1 --nopidfile");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string pid;
  std::getline(lines, bus_address_);
  std::getline(lines, pid);
  ASSERT_FALSE(bus_address_.empty()) << r.out;
  bus_pid_ = static_cast<pid_t>(std::stol(pid));
  ASSERT_GT(bus_pid_, 1);
}

std::vector<std::string> StafdDbusTest::SimEnvironment(const std::string& runtime) const {
  return {"DBUS_SYSTEM_BUS_ADDRESS=" + bus_address_, "STAS_SIM_SCENARIO=" + ScenarioPath(),
          "STAS_SIM_ETC=" + dir_ + "/etc", "RUNTIME_DIRECTORY=" + runtime,
          "STAS_SIM_DEVICES_FILE=" + SimKernelDevicesPath(runtime)};
}

nlohmann::json StafdDbusTest::SimKernelDevices(const std::string& runtime) {
  std::ifstream f(SimKernelDevicesPath(runtime));
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // Replaced atomically, so a missing file is the only state that does not parse.
  nlohmann::json devices = nlohmann::json::parse(text, nullptr, false);
  return devices.is_discarded() ? nlohmann::json() : devices;
}

void StafdDbusTest::StartStafd() {
  stafd_.Start(STAFD_SIM_BIN, ConfPath(), dir_ + "/stafd.log", SimEnvironment(StafdRuntime()));
}

bool StafdDbusTest::RestartStafd() {
  StartStafd();
  return WaitUntil([this] { return StafdReady(); }, kStartTimeout) && stafd_.pid() > 0;
}

bool StafdDbusTest::NameHasOwner(const std::string& name) {
  auto bus = sdbus::createProxy(*conn_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  bool owned = false;
  bus->callMethod("NameHasOwner")
      .onInterface("org.freedesktop.DBus")
      .withArguments(name)
      .storeResultsTo(owned);
  return owned;
}

pid_t StafdDbusTest::NameOwnerPid(const std::string& name) {
  auto bus = sdbus::createProxy(*conn_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  uint32_t pid = 0;
  try {
    bus->callMethod("GetConnectionUnixProcessID")
        .onInterface("org.freedesktop.DBus")
        .withArguments(name)
        .storeResultsTo(pid);
  } catch (const sdbus::Error&) {  // NameHasNoOwner
    return -1;
  }
  return static_cast<pid_t>(pid);
}

SimDaemon::~SimDaemon() {
  if (pid_ > 0)
    (void)Stop();
}

void SimDaemon::Start(const std::string& bin, const std::string& conf, const std::string& log_path,
                      const std::vector<std::string>& env) {
  bin_ = bin;
  log_path_ = log_path;
  // Everything the child needs is built before fork(): it only calls async-signal-safe functions.
  std::vector<std::string> env_strings = env;
  std::vector<std::string> replaced = {"NOTIFY_SOCKET"};
  for (const std::string& var : env)
    replaced.push_back(var.substr(0, var.find('=')));
  for (char** e = environ; *e != nullptr; ++e) {
    std::string var = *e;
    std::string name = var.substr(0, var.find('='));
    if (std::find(replaced.begin(), replaced.end(), name) == replaced.end())
      env_strings.push_back(var);
  }
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (std::string& s : env_strings)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string flag = "-f";
  std::string conf_copy = conf;
  std::vector<char*> argv = {bin_.data(), flag.data(), conf_copy.data(), nullptr};
  int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(log_fd, 0) << log_path_;

  pid_t pid = fork();
  ASSERT_GE(pid, 0) << "fork";
  if (pid == 0) {
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0)
      dup2(null_fd, STDIN_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  pid_ = pid;
}

bool SimDaemon::Exited() {
  if (pid_ > 0 && WaitPid(pid_, milliseconds(0)) != -1) {
    pid_ = -1;
    ExpectNoSanitizerReport(bin_, LogText());
  }
  return pid_ <= 0;
}

void SimDaemon::Signal(int sig) const {
  ASSERT_GT(pid_, 0) << bin_ << " is not running";
  ASSERT_EQ(kill(pid_, sig), 0);
}

int SimDaemon::Stop() {
  if (pid_ <= 0)
    return -1;
  pid_t pid = pid_;
  pid_ = -1;
  kill(pid, SIGTERM);
  int status = WaitPid(pid, kStopTimeout);
  if (status == -1) {
    ADD_FAILURE() << bin_ << " ignored SIGTERM for 5 s";
    kill(pid, SIGKILL);
    (void)WaitPid(pid, kStopTimeout);
    return -1;
  }
  ExpectNoSanitizerReport(bin_, LogText());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string SimDaemon::LogText() const {
  std::ifstream f(log_path_);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool StafdDbusTest::StafdReady() {
  if (stafd_.Exited())
    return true;  // it will not become ready
  try {
    if (!NameHasOwner(kStafdBusName))
      return false;
    for (const auto& dc : staf_->list_controllers(true)) {
      auto at = [&dc](const char* k) {
        auto it = dc.find(k);
        return it == dc.end() ? std::string() : it->second;
      };
      if (at("traddr") != kDcTraddr || at("connected") != PythonBool(true) ||
          at("device") == "nvme?") {
        continue;
      }
      std::vector<std::string> id = IdArgs(dc);
      auto pages = staf_->get_log_pages(id[0], id[1], id[2], id[3], id[4], id[5], id[6]);
      return pages.size() == expected_log_entries_;
    }
  } catch (const sdbus::Error&) {
    // not on the bus yet
  }
  return false;
}

std::vector<std::string> StafdDbusTest::DcId() {
  for (const auto& dc : staf_->list_controllers(false)) {
    if (dc.at("traddr") != kDcTraddr)
      continue;
    return IdArgs(dc);
  }
  ADD_FAILURE() << "no DC at " << kDcTraddr;
  return std::vector<std::string>(7);
}

void StafdDbusTest::TearDown() {
  if (stafd_.pid() > 0)
    (void)StopStafd();
  staf_.reset();
  conn_.reset();
  if (bus_pid_ > 0) {
    // Not our child (it forked away), so no waitpid(): poll until it is gone.
    kill(bus_pid_, SIGTERM);
    bool gone = WaitUntil([this] { return !Running(bus_pid_); }, milliseconds(2000));
    if (!gone)
      kill(bus_pid_, SIGKILL);
    bus_pid_ = -1;
  }
  if (HasFailure() && !dir_.empty()) {
    std::cerr << "---- stafd-sim output (" << dir_ << "/stafd.log) ----\n"
              << LogText() << "---- end of stafd-sim output ----\n";
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string StafdDbusTest::LogText() const {
  return stafd_.LogText();
}

ProgramOutput StafdDbusTest::RunOnBus(const std::string& command) const {
  return RunProgram("env DBUS_SYSTEM_BUS_ADDRESS=" + ShellQuote(bus_address_) + " " + command);
}

ProgramOutput StafdDbusTest::Stafctl(const std::string& args) const {
  return RunOnBus(std::string(STAFCTL_BIN) + " " + args);
}

ProgramOutput StafdDbusTest::Busctl(const std::string& args) const {
  return RunProgram("busctl --address=" + ShellQuote(bus_address_) + " " + args);
}

ProgramOutput StafdDbusTest::GdbusCall(const std::string& method, const std::string& args,
                                       const std::string& dest, const std::string& path) const {
  return RunProgram("gdbus call --address " + ShellQuote(bus_address_) + " --dest " + dest +
                    " --object-path " + path + " --method " + method + " " + args);
}

bool StafdDbusTest::PumpUntil(sdbus::IConnection& conn, const std::function<bool()>& done,
                              milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    while (conn.processPendingRequest()) {
    }
    if (done())
      return true;
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0)
      return false;
    sdbus::IConnection::PollData pd = conn.getEventLoopPollData();
    int wait = pd.getPollTimeout();
    if (wait < 0 || wait > left.count())
      wait = static_cast<int>(left.count());
    pollfd pfd{pd.fd, pd.events, 0};
    (void)poll(&pfd, 1, wait);
  }
}

bool StafdDbusTest::WaitUntil(const std::function<bool()>& done, milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    if (done())
      return true;
    if (Clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(milliseconds(50));
  }
}

nlohmann::ordered_json GvariantTextToJson(const std::string& text) {
  GError* error = nullptr;
  GVariant* v = g_variant_parse(nullptr, text.c_str(), nullptr, nullptr, &error);
  if (v == nullptr) {
    ADD_FAILURE() << "not GVariant text: " << (error ? error->message : "?") << "\n" << text;
    if (error)
      g_error_free(error);
    return nullptr;
  }
  g_variant_ref_sink(v);
  nlohmann::ordered_json j = VariantToJson(v);
  g_variant_unref(v);
  return j;
}

nlohmann::ordered_json DictListToJson(const DictList& list) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& dict : list) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    for (const auto& [k, v] : dict)
      o[k] = v;
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<std::string> IdArgs(const std::map<std::string, std::string>& dict) {
  TidFields f = TidFieldsFromDict(dict);
  return {f.transport,
          f.traddr,
          f.trsvcid,
          f.subsysnqn,
          f.host_traddr,
          f.host_iface,
          f.host_nqn.value_or("")};
}

}  // namespace stas::testing
