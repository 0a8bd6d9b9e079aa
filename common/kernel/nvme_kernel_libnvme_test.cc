// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/nvme_kernel_libnvme.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sstream>
#include <string>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "common/defs.h"
#include "common/nvme_names.h"
#include "common/str_util.h"
#include "common/testing/file_helpers.h"
#include "common/tid_match.h"

namespace stas {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLibnvmeHostNqn =
    "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";
constexpr const char* kLibnvmeHostId = "11111111-2222-3333-4444-555555555555";

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path);
  out << text;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes a controller directory the way the kernel lays it out; an attribute given as
// nullptr is left out (older kernels lack cntrltype, dctype...).
void MakeController(const fs::path& root, const std::string& name,
                    const std::vector<std::pair<const char*, const char*>>& attrs) {
  fs::create_directories(root / name);
  for (const auto& [key, value] : attrs) {
    if (value != nullptr)
      WriteFile(root / name / key, std::string(value) + "\n");
  }
}

// ---------------------------------------------------------------------------------------------
// sysfs and /dev/nvme-fabrics parsing against a fake tree in a temp dir: no root needed.

class LibnvmeSysfsTest : public ::testing::Test {
 protected:
  LibnvmeSysfsTest() {
    fs::create_directories(root_);
    MakeTree();
  }

  void MakeTree() {
    // A persistent DC (kernel >= 6.1): cntrltype discovery, no namespaces.
    MakeController(
        root_, "nvme0",
        {{"transport", "tcp"},
         {"address", "traddr=192.0.2.10,trsvcid=8009,host_iface=eth0,src_addr=192.0.2.1"},
         {"subsysnqn", kWellKnownDiscoveryNqn},
         {"hostnqn", kLibnvmeHostNqn},
         {"hostid", kLibnvmeHostId},
         {"cntrltype", "discovery"},
         {"dctype", "ddc"},
         {"model", "Linux                                   "},
         {"serial", "0123456789abcdef    "},
         {"state", "live"}});
    // An I/O controller with one namespace (and a non-namespace child directory).
    MakeController(
        root_, "nvme1",
        {{"transport", "tcp"},
         {"address",
          "traddr=2001:db8::10,trsvcid=4420,host_traddr=2001:db8::1,src_addr=2001:db8::1"},
         {"subsysnqn", "nqn.1988-11.com.example:io1"},
         {"hostnqn", kLibnvmeHostNqn},
         {"hostid", kLibnvmeHostId},
         {"cntrltype", "io"},
         {"dctype", "none"},
         {"model", "Linux"},
         {"serial", "fedcba9876543210"},
         {"state", "connecting"}});
    fs::create_directories(root_ / "nvme1" / "nvme1n1");
    fs::create_directories(root_ / "nvme1" / "power");
    // An old kernel: no cntrltype, dctype or src_addr; "none" and "(efault)" values.
    MakeController(root_, "nvme2",
                   {{"transport", "rdma"},
                    {"address", "traddr=192.0.2.20,trsvcid=4420,host_traddr=none,host_iface=NONE"},
                    {"subsysnqn", "nqn.1988-11.com.example:old"},
                    {"hostnqn", kLibnvmeHostNqn},
                    {"hostid", "(efault)"},
                    {"model", "none"},
                    {"state", "live"}});
    fs::create_directories(root_ / "nvme2" / "nvme2c2n1");
    // nvme10 sorts after nvme2; a symlink, as in the real /sys/class/nvme.
    MakeController(dir_, "devices-nvme10",
                   {{"transport", "loop"}, {"subsysnqn", "nqn.loop"}, {"state", "live"}});
    fs::create_directory_symlink(dir_ / "devices-nvme10", root_ / "nvme10");
    // Not controllers.
    fs::create_directories(root_ / "nvme-fabrics");
    fs::create_directories(root_ / "nvmeX");
    WriteFile(root_ / "nvme3", "a file, not a directory");
  }

  NvmeKernelLibnvme Kernel() { return NvmeKernelLibnvme(root_.string(), fabrics_.string()); }

  testing::ScopedTempDir tmp_{"stas-libnvme-test"};
  fs::path dir_ = tmp_.path();
  fs::path root_ = dir_ / "class-nvme";
  fs::path fabrics_ = dir_ / "nvme-fabrics";
};

TEST_F(LibnvmeSysfsTest, ListDevicesFindsControllersInInstanceOrder) {
  NvmeKernelLibnvme kernel = Kernel();
  std::vector<std::string> names;
  for (const KernelDevice& dev : kernel.ListDevices())
    names.push_back(dev.name);
  EXPECT_EQ(names, (std::vector<std::string>{"nvme0", "nvme1", "nvme2", "nvme10"}));
}

TEST_F(LibnvmeSysfsTest, GetDeviceReadsDiscoveryController) {
  NvmeKernelLibnvme kernel = Kernel();
  auto dev = kernel.GetDevice("nvme0");
  ASSERT_TRUE(dev.has_value());
  EXPECT_EQ(dev->name, "nvme0");
  EXPECT_EQ(dev->transport, "tcp");
  EXPECT_EQ(dev->traddr, "192.0.2.10");
  EXPECT_EQ(dev->trsvcid, "8009");
  EXPECT_EQ(dev->host_traddr, "");
  EXPECT_EQ(dev->host_iface, "eth0");
  EXPECT_EQ(dev->src_addr, "192.0.2.1");
  EXPECT_EQ(dev->subsysnqn, kWellKnownDiscoveryNqn);
  EXPECT_EQ(dev->hostnqn, kLibnvmeHostNqn);
  EXPECT_EQ(dev->hostid, kLibnvmeHostId);
  EXPECT_EQ(dev->cntrltype, "discovery");
  EXPECT_EQ(dev->dctype, "ddc");
  EXPECT_EQ(dev->model, "Linux");  // trailing blanks trimmed
  EXPECT_EQ(dev->serial, "0123456789abcdef");
  EXPECT_EQ(dev->state, "live");
  EXPECT_FALSE(dev->has_namespaces);
  EXPECT_TRUE(dev->IsDiscovery());
  EXPECT_FALSE(dev->IsIo());
}

TEST_F(LibnvmeSysfsTest, GetDeviceReadsIoControllerWithNamespace) {
  NvmeKernelLibnvme kernel = Kernel();
  auto dev = kernel.GetDevice("nvme1");
  ASSERT_TRUE(dev.has_value());
  EXPECT_EQ(dev->traddr, "2001:db8::10");
  EXPECT_EQ(dev->trsvcid, "4420");
  EXPECT_EQ(dev->host_traddr, "2001:db8::1");
  EXPECT_EQ(dev->host_iface, "");
  EXPECT_EQ(dev->src_addr, "2001:db8::1");
  EXPECT_EQ(dev->cntrltype, "io");
  EXPECT_EQ(dev->dctype, "none");  // kept: a value of the dctype attribute
  EXPECT_EQ(dev->state, "connecting");
  EXPECT_TRUE(dev->has_namespaces);
  EXPECT_TRUE(dev->IsIo());
  EXPECT_FALSE(dev->IsDiscovery());
}

TEST_F(LibnvmeSysfsTest, GetDeviceHandlesOldKernelAndNoneValues) {
  NvmeKernelLibnvme kernel = Kernel();
  auto dev = kernel.GetDevice("nvme2");
  ASSERT_TRUE(dev.has_value());
  EXPECT_EQ(dev->transport, "rdma");
  EXPECT_EQ(dev->traddr, "192.0.2.20");
  EXPECT_EQ(dev->host_traddr, "");  // "none"
  EXPECT_EQ(dev->host_iface, "");   // "NONE"
  EXPECT_EQ(dev->src_addr, "");     // absent before kernel 6.1
  EXPECT_EQ(dev->hostid, "");       // "(efault)"
  EXPECT_EQ(dev->model, "");        // "none"
  EXPECT_EQ(dev->cntrltype, "");
  EXPECT_EQ(dev->dctype, "");
  EXPECT_EQ(dev->serial, "");
  EXPECT_TRUE(dev->has_namespaces);  // nvme2c2n1: a multipath path device
  EXPECT_TRUE(dev->IsIo());          // no cntrltype: classified by its children
  EXPECT_FALSE(dev->IsDiscovery());
}

TEST_F(LibnvmeSysfsTest, GetDeviceFollowsSymlinksAndToleratesMissingAddress) {
  NvmeKernelLibnvme kernel = Kernel();
  auto dev = kernel.GetDevice("nvme10");
  ASSERT_TRUE(dev.has_value());
  EXPECT_EQ(dev->transport, "loop");
  EXPECT_EQ(dev->traddr, "");
  EXPECT_FALSE(dev->has_namespaces);
  EXPECT_TRUE(dev->IsDiscovery());  // old-kernel heuristic: no namespaces
}

TEST_F(LibnvmeSysfsTest, GetDeviceRejectsUnknownAndBadNames) {
  NvmeKernelLibnvme kernel = Kernel();
  EXPECT_FALSE(kernel.GetDevice("nvme7").has_value());
  EXPECT_FALSE(kernel.GetDevice("nvme3").has_value());  // a file
  EXPECT_FALSE(kernel.GetDevice("nvmeX").has_value());
  EXPECT_FALSE(kernel.GetDevice("nvme").has_value());
  EXPECT_FALSE(kernel.GetDevice("../class-nvme/nvme0").has_value());
  EXPECT_FALSE(kernel.GetDevice("").has_value());
}

TEST_F(LibnvmeSysfsTest, GetDeviceStateReadsOneSanitisedLine) {
  NvmeKernelLibnvme kernel = Kernel();
  EXPECT_EQ(kernel.GetDeviceState("nvme0"), "live");
  EXPECT_EQ(kernel.GetDeviceState("nvme1"), "connecting");
  WriteFile(root_ / "nvme2" / "state", "deleting (no IO)\n");
  EXPECT_EQ(kernel.GetDeviceState("nvme2"), "deleting (no IO)");
  // Untrusted text: only the kernel's own names get through.
  WriteFile(root_ / "nvme2" / "state", "live,hostnqn=x\n");
  EXPECT_EQ(kernel.GetDeviceState("nvme2"), "unknown state");
  EXPECT_EQ(kernel.GetDevice("nvme2")->state, "unknown state");
  WriteFile(root_ / "nvme2" / "state", std::string(100000, 'l'));
  EXPECT_EQ(kernel.GetDeviceState("nvme2"), "unknown state");
  EXPECT_EQ(kernel.GetDeviceState("nvme7"), "");  // no such controller
  EXPECT_EQ(kernel.GetDeviceState("../class-nvme/nvme0"), "");
}

TEST_F(LibnvmeSysfsTest, ListSubsysNqnsReadsEachControllersNqnInInstanceOrder) {
  NvmeKernelLibnvme kernel = Kernel();
  using Row = std::pair<std::string, std::string>;
  EXPECT_EQ(kernel.ListSubsysNqns(), (std::vector<Row>{{"nvme0", kWellKnownDiscoveryNqn},
                                                       {"nvme1", "nqn.1988-11.com.example:io1"},
                                                       {"nvme2", "nqn.1988-11.com.example:old"},
                                                       {"nvme10", "nqn.loop"}}));
}

TEST_F(LibnvmeSysfsTest, ListingsOfAMissingRootAreEmpty) {
  NvmeKernelLibnvme kernel((dir_ / "missing").string(), fabrics_.string());
  EXPECT_TRUE(kernel.ListDevices().empty());
  EXPECT_TRUE(kernel.ListSubsysNqns().empty());
}

TEST_F(LibnvmeSysfsTest, DisconnectWritesDeleteController) {
  WriteFile(root_ / "nvme1" / "delete_controller", "");
  NvmeKernelLibnvme kernel = Kernel();
  Status s = kernel.Disconnect("nvme1");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(ReadFile(root_ / "nvme1" / "delete_controller"), "1");
}

TEST_F(LibnvmeSysfsTest, DisconnectOfUnknownDeviceIsENODEV) {
  NvmeKernelLibnvme kernel = Kernel();
  Status gone = kernel.Disconnect("nvme7");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ENODEV);
  EXPECT_EQ(gone.error().message, "delete_controller: No such device");
  Status bad = kernel.Disconnect("../class-nvme/nvme1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, EINVAL);
}

TEST_F(LibnvmeSysfsTest, SupportedOptionsReadsFirstLineOfFabricsDevice) {
  WriteFile(fabrics_,
            "instance=%d,cntlid=%d,transport=%s,traddr=%s,trsvcid=%s,nqn=%s,queue_size=%d,"
            "nr_io_queues=%d,reconnect_delay=%d,ctrl_loss_tmo=%d,keep_alive_tmo=%d,hostnqn=%s,"
            "host_traddr=%s,host_iface=%s,hostid=%pU,duplicate_connect,disable_sqflow,"
            "hdr_digest,data_digest,nr_write_queues=%d,nr_poll_queues=%d,tos=%d,"
            "fast_io_fail_tmo=%d,discovery,dhchap_secret=%s,dhchap_ctrl_secret=%s\n"
            "second,line\n");
  NvmeKernelLibnvme kernel = Kernel();
  EXPECT_TRUE(kernel.FabricsAvailable());
  std::vector<std::string> opts = kernel.SupportedOptions();
  ASSERT_EQ(opts.size(), 26u);
  EXPECT_EQ(opts.front(), "instance");
  EXPECT_EQ(opts.back(), "dhchap_ctrl_secret");
  auto has = [&](const char* name) {
    return std::find(opts.begin(), opts.end(), name) != opts.end();
  };
  EXPECT_TRUE(has("host_iface"));
  EXPECT_TRUE(has("discovery"));
  EXPECT_TRUE(has("dhchap_secret"));
  EXPECT_TRUE(has("duplicate_connect"));
  EXPECT_FALSE(has("second"));
  EXPECT_FALSE(has("tls"));
}

TEST_F(LibnvmeSysfsTest, SupportedOptionsOfMissingDeviceIsEmpty) {
  NvmeKernelLibnvme kernel = Kernel();
  EXPECT_FALSE(kernel.FabricsAvailable());
  EXPECT_TRUE(kernel.SupportedOptions().empty());
}

TEST(KernelDeviceTest, ParseAddressAttributeIgnoresUnknownKeys) {
  KernelDevice dev;
  ParseAddressAttribute(
      "traddr=nn-0x1000:pn-0x2000,host_traddr=nn-0x3000:pn-0x4000,foo=bar,junk,trsvcid=none\n",
      &dev);
  EXPECT_EQ(dev.traddr, "nn-0x1000:pn-0x2000");
  EXPECT_EQ(dev.host_traddr, "nn-0x3000:pn-0x4000");
  EXPECT_EQ(dev.trsvcid, "");
  EXPECT_EQ(dev.host_iface, "");
}

// The controller attributes as the real reader cleans them: trimmed, "none" in any case empty.
TEST_F(LibnvmeSysfsTest, GetDeviceTreatsNoneAsEmptyAndTrims) {
  MakeController(root_, "nvme5",
                 {{"transport", "tcp"},
                  {"address", "traddr=192.168.1.10,trsvcid=8009,host_traddr=none,host_iface=NONE"},
                  {"subsysnqn", "nqn.io\n"},
                  {"hostnqn", " nqn.host "}});
  std::optional<KernelDevice> dev = Kernel().GetDevice("nvme5");
  ASSERT_TRUE(dev.has_value());
  EXPECT_EQ(dev->transport, "tcp");
  EXPECT_EQ(dev->traddr, "192.168.1.10");
  EXPECT_EQ(dev->trsvcid, "8009");
  EXPECT_EQ(dev->host_traddr, "");
  EXPECT_EQ(dev->host_iface, "");
  EXPECT_EQ(dev->subsysnqn, "nqn.io");
  EXPECT_EQ(dev->hostnqn, "nqn.host");
  EXPECT_EQ(dev->src_addr, "");
}

// A DC's Identify data reaches sysfs byte for byte: model and serial may hold anything.
TEST_F(LibnvmeSysfsTest, GetDeviceEscapesWhatIsNotPrintableAscii) {
  MakeController(root_, "nvme6",
                 {{"transport", "tcp"},
                  {"address", "traddr=192.168.1.10,trsvcid=8009"},
                  {"subsysnqn", "nqn.2014-08.org.nvmexpress.discovery\n"},
                  {"model", "Fake\xff\xfe DC \xc3\x28\x01\n"},
                  {"serial", "S\x7fN"}});
  std::optional<KernelDevice> dev = Kernel().GetDevice("nvme6");
  ASSERT_TRUE(dev.has_value());
  EXPECT_EQ(dev->model, "Fake\\xff\\xfe DC \\xc3(\\x01");
  EXPECT_EQ(dev->serial, "S\\x7fN");
  EXPECT_EQ(dev->subsysnqn, "nqn.2014-08.org.nvmexpress.discovery");
}

TEST(KernelDeviceTest, ParseAddressAttributeExtractsSrcAddr) {
  auto src = [](const std::string& address) {
    KernelDevice dev;
    ParseAddressAttribute(address, &dev);
    return dev.src_addr;
  };
  EXPECT_EQ(src("traddr=1.2.3.4,trsvcid=4420,src_addr=10.0.0.5\n"), "10.0.0.5");
  EXPECT_EQ(src("traddr=1.2.3.4,src_addr=fe80::5,trsvcid=4420"), "fe80::5");
  EXPECT_EQ(src("traddr=1.2.3.4,trsvcid=4420,host_traddr=10.0.0.5"), "");
  EXPECT_EQ(src("traddr=1.2.3.4,src_addr=none"), "");
  EXPECT_EQ(src(""), "");
}

// What the reader makes of a kernel >= 6.1 controller is what the adoption matcher needs.
TEST_F(LibnvmeSysfsTest, GetDeviceFeedsTheMatcher) {
  const std::string unique_dc_nqn = "nqn.1988-11.com.example:dc:unique-1";
  MakeController(root_, "nvme6",
                 {{"transport", "tcp"},
                  {"address",
                   "traddr=192.168.1.10,trsvcid=8009,host_traddr=none,"
                   "host_iface=none,src_addr=10.0.0.5"},
                  {"subsysnqn", unique_dc_nqn.c_str()},
                  {"hostnqn", kLibnvmeHostNqn}});
  std::optional<KernelDevice> d = Kernel().GetDevice("nvme6");
  ASSERT_TRUE(d.has_value());
  KernelCtrl dev{.transport = d->transport,
                 .traddr = d->traddr,
                 .trsvcid = d->trsvcid,
                 .host_traddr = d->host_traddr,
                 .host_iface = d->host_iface,
                 .subsysnqn = d->subsysnqn,
                 .host_nqn = d->hostnqn,
                 .src_addr = d->src_addr};
  InterfaceAddresses ifaddrs = {{"eth1", {IpAddress::Parse("10.0.0.5").value()}}};
  Tid cand = Tid::Make({.transport = "tcp",
                        .traddr = "192.168.1.10",
                        .subsysnqn = kWellKnownDiscoveryNqn,
                        .host_iface = "eth1"},
                       {.ignore_iface = false, .host_nqn = kLibnvmeHostNqn});
  EXPECT_TRUE(MatchExistingCtrl(cand, dev, ifaddrs).matches);
}

TEST(KernelDeviceTest, IsControllerName) {
  EXPECT_TRUE(IsControllerName("nvme0"));
  EXPECT_TRUE(IsControllerName("nvme123"));
  EXPECT_FALSE(IsControllerName("nvme0n1"));
  EXPECT_FALSE(IsControllerName("nvme-subsys0"));
  EXPECT_FALSE(IsControllerName("nvme"));
  EXPECT_FALSE(IsControllerName("ng0n1"));
}

// ---------------------------------------------------------------------------------------------
// libnvme itself, in a forked child with a private mount namespace (root only).
//
// libnvme opens the hard-coded /dev/nvme-fabrics, /dev/nvmeN and /sys/class/nvme*. The child
// unshares its mount namespace, makes every mount private (so nothing propagates back), and only
// then mounts a tmpfs over /dev (and /sys/class for the fake controllers): the host's /dev is
// never touched. A regular file as /dev/nvme-fabrics receives the option string that Connect()
// writes; the answer read back from it has no "instance=" (EPROTO), which the tests expect
// (docs/compatibility.md, "libnvme 1.3: device paths are hard-coded").

struct ChildOutcome {
  enum class Kind { kOk, kSkip, kFail } kind = Kind::kFail;
  std::string text;
};

// Writes `kind` and `text` to `fd` and exits the child: 'O' ok, 'S' skip, 'F' failure.
[[noreturn]] void ChildExit(int fd, char kind, const std::string& text) {
  std::string msg = std::string(1, kind) + text;
  const char* p = msg.data();
  size_t left = msg.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n <= 0)
      break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  _exit(0);
}

// The child's side. Each step must succeed before the next: a tmpfs is mounted only inside a
// private, non-propagating mount namespace, so the host's /dev and /sys are never touched.
[[noreturn]] void ChildMain(int fd, bool fake_sys_class, const std::function<std::string()>& body) {
  if (unshare(CLONE_NEWNS) != 0)
    ChildExit(fd, 'S', "unshare(CLONE_NEWNS) failed");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    ChildExit(fd, 'S', "cannot make / private");
  if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755") != 0)
    ChildExit(fd, 'S', "cannot mount tmpfs on /dev");
  if (fake_sys_class &&
      mount("tmpfs", "/sys/class", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755") != 0) {
    ChildExit(fd, 'S', "cannot mount tmpfs on /sys/class");
  }
  std::string out;
  try {
    out = body();
  } catch (const std::exception& e) {
    ChildExit(fd, 'F', std::string("exception: ") + e.what());
  }
  ChildExit(fd, 'O', out);
}

// Reads everything from `fd` until EOF or `deadline`.
std::string ReadUntil(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string received;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      break;
    pollfd pfd{fd, POLLIN, 0};
    int rc = poll(&pfd, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc <= 0)
      break;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0)
      break;  // EOF: the child exited
    received.append(buf, static_cast<size_t>(n));
  }
  return received;
}

// Reaps `pid`, killing it if it is still running at `deadline`. False if it had to be killed.
bool Reap(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    usleep(1000);
  }
  if (done != 0)
    return true;
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return false;
}

// Runs `body` in a forked child with private mounts and returns what it produced; kSkip if
// private mounts are not possible here. Never waits longer than `timeout`.
ChildOutcome RunWithPrivateMounts(bool fake_sys_class, const std::function<std::string()>& body,
                                  std::chrono::seconds timeout = std::chrono::seconds(20)) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return {ChildOutcome::Kind::kFail, "pipe2 failed"};
  (void)fflush(stdout);
  (void)fflush(stderr);
  pid_t pid = fork();
  if (pid < 0)
    return {ChildOutcome::Kind::kFail, "fork failed"};
  if (pid == 0) {
    close(fds[0]);
    ChildMain(fds[1], fake_sys_class, body);
  }
  close(fds[1]);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string received = ReadUntil(fds[0], deadline);
  close(fds[0]);
  if (!Reap(pid, deadline))
    return {ChildOutcome::Kind::kFail, "child timed out"};
  if (received.empty())
    return {ChildOutcome::Kind::kFail, "child printed nothing"};
  ChildOutcome outcome;
  outcome.kind = received[0] == 'O'   ? ChildOutcome::Kind::kOk
                 : received[0] == 'S' ? ChildOutcome::Kind::kSkip
                                      : ChildOutcome::Kind::kFail;
  outcome.text = received.substr(1);
  return outcome;
}

// Result of one Connect in the child: "<code>\n<message>\n<what /dev/nvme-fabrics received>".
// The file starts with `options`: the kernel's option table, as reading the device gives it.
std::string ConnectAndCapture(const ConnectRequest& req, const std::string& options = "",
                              const std::string& module_dir = "/sys/module") {
  std::ofstream("/dev/nvme-fabrics") << options;  // a regular file
  NvmeKernelLibnvme kernel("/sys/class/nvme", "/dev/nvme-fabrics", "/sys/kernel/uevent_seqnum",
                           module_dir);
  auto r = kernel.Connect(req);
  std::string written = ReadFile("/dev/nvme-fabrics");
  while (!written.empty() && (written.back() == '\n' || written.back() == '\0'))
    written.pop_back();
  if (r)
    return "0\n" + *r + "\n" + written;
  return std::to_string(r.error().code) + "\n" + r.error().message + "\n" + written;
}

struct Captured {
  int code = -1;
  std::string message;
  std::string written;
};

Captured Parse(const std::string& text) {
  Captured c;
  size_t a = text.find('\n');
  size_t b = a == std::string::npos ? std::string::npos : text.find('\n', a + 1);
  if (b == std::string::npos)
    return c;
  c.code = std::atoi(text.substr(0, a).c_str());
  c.message = text.substr(a + 1, b - a - 1);
  c.written = text.substr(b + 1);
  return c;
}

class LibnvmeNamespaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root for a private mount namespace";
    // Root in a container may still lack CAP_SYS_ADMIN: probe once per test.
    ChildOutcome probe = RunWithPrivateMounts(true, [] { return std::string(); });
    if (probe.kind == ChildOutcome::Kind::kSkip)
      GTEST_SKIP() << "no private mount namespace here: " << probe.text;
  }

  // An I/O controller of 127.0.0.1:4420, without secrets.
  static ConnectRequest Io3() {
    ConnectRequest req;
    req.tid = Tid::Make({.transport = "tcp",
                         .traddr = "127.0.0.1",
                         .trsvcid = "4420",
                         .subsysnqn = "nqn.1988-11.com.example:io3"},
                        TidDefaults{false, kLibnvmeHostNqn});
    req.host = Host();
    return req;
  }

  static HostInfo Host() {
    HostInfo host;
    host.hostnqn = kLibnvmeHostNqn;
    host.hostid = kLibnvmeHostId;
    host.symname = "test-host";
    return host;
  }

  // Runs Connect in the child; fails the test unless the child ran.
  static bool CaptureConnect(const ConnectRequest& req, Captured* out,
                             const std::string& options = "",
                             const std::string& module_dir = "/sys/module") {
    ChildOutcome o =
        RunWithPrivateMounts(false, [&] { return ConnectAndCapture(req, options, module_dir); });
    if (o.kind == ChildOutcome::Kind::kSkip) {
      ADD_FAILURE() << "private mount namespace unavailable: " << o.text;
      return false;
    }
    EXPECT_EQ(o.kind, ChildOutcome::Kind::kOk) << o.text;
    if (o.kind != ChildOutcome::Kind::kOk)
      return false;
    *out = Parse(o.text);
    return true;
  }
};

std::string Prefix(const std::string& nqn, const std::string& rest) {
  return "nqn=" + nqn + ",transport=tcp,traddr=127.0.0.1," + rest;
}

TEST_F(LibnvmeNamespaceTest, ConnectDiscoveryControllerWithKatoAndHostIface) {
  ConnectRequest req;
  req.tid = Tid::Make({.transport = "tcp",
                       .traddr = "127.0.0.1",
                       .subsysnqn = kWellKnownDiscoveryNqn,
                       .host_iface = "lo"},
                      TidDefaults{false, kLibnvmeHostNqn});
  req.discovery = true;
  req.options.kato = 30;
  req.options.nr_io_queues = 4;  // never sent to a DC
  req.host = Host();
  req.host.hostkey = "DHHC-1:00:host-key:";  // never sent to a DC
  Captured c;
  if (!CaptureConnect(req, &c))
    return;
  EXPECT_EQ(c.written,
            Prefix(kWellKnownDiscoveryNqn, std::string("host_iface=lo,trsvcid=8009,hostnqn=") +
                                               kLibnvmeHostNqn + ",hostid=" + kLibnvmeHostId +
                                               ",keep_alive_tmo=30,ctrl_loss_tmo=600"));
  // The regular file has no "instance=" to read back: a clean Error.
  EXPECT_EQ(c.code, EPROTO);
  EXPECT_EQ(c.message, "connect: no instance in the answer of /dev/nvme-fabrics");
}

TEST_F(LibnvmeNamespaceTest, ConnectUniqueDiscoveryNqnAddsDiscoveryOption) {
  ConnectRequest req;
  req.tid = Tid::Make({.transport = "tcp",
                       .traddr = "127.0.0.1",
                       .subsysnqn = "nqn.1988-11.com.example:unique-dc",
                       .host_traddr = "127.0.0.1"},
                      TidDefaults{false, kLibnvmeHostNqn});
  req.discovery = true;
  req.options.kato = 30;
  req.options.ctrl_loss_tmo = -1;
  req.host = Host();
  Captured c;
  if (!CaptureConnect(req, &c))
    return;
  EXPECT_EQ(c.written, Prefix("nqn.1988-11.com.example:unique-dc",
                              std::string("host_traddr=127.0.0.1,trsvcid=8009,hostnqn=") +
                                  kLibnvmeHostNqn + ",hostid=" + kLibnvmeHostId +
                                  ",discovery,keep_alive_tmo=30,ctrl_loss_tmo=-1"));
  EXPECT_EQ(c.code, EPROTO);
}

TEST_F(LibnvmeNamespaceTest, ConnectIoControllerHostKeyWinsOverControllerKey) {
  ConnectRequest req;
  req.tid = Tid::Make({.transport = "tcp",
                       .traddr = "127.0.0.1",
                       .trsvcid = "4420",
                       .subsysnqn = "nqn.1988-11.com.example:io2"},
                      TidDefaults{false, kLibnvmeHostNqn});
  req.dhchap_secret = "DHHC-1:00:ctrl-host-secret:";
  req.host = Host();
  req.host.hostkey = "DHHC-1:00:sys-conf-key:";
  Captured c;
  if (!CaptureConnect(req, &c))
    return;
  EXPECT_EQ(c.written, Prefix("nqn.1988-11.com.example:io2",
                              std::string("trsvcid=4420,hostnqn=") + kLibnvmeHostNqn +
                                  ",hostid=" + kLibnvmeHostId +
                                  ",dhchap_secret=DHHC-1:00:sys-conf-key:,ctrl_loss_tmo=600"));
}

// A kernel whose option table has no dhchap_secret refuses the option as unknown and writes it,
// secret and all, to the kernel log: the secret is never sent there.
TEST_F(LibnvmeNamespaceTest, NoSecretIsSentToAKernelWithoutDhHmacChap) {
  const std::string table =
      "instance=-1,cntlid=-1,transport=%s,traddr=%s,trsvcid=%s,nqn=%s,queue_size=%d,"
      "nr_io_queues=%d,reconnect_delay=%d,ctrl_loss_tmo=%d,keep_alive_tmo=%d,hostnqn=%s,"
      "host_traddr=%s,host_iface=%s,hostid=%s,duplicate_connect,disable_sqflow,hdr_digest,"
      "data_digest,nr_write_queues=%d,nr_poll_queues=%d,tos=%d,fast_io_fail_tmo=%d,discovery\n";
  ConnectRequest req = Io3();
  for (int which = 0; which < 3; ++which) {
    ConnectRequest r = req;
    (which == 0   ? r.dhchap_secret
     : which == 1 ? r.dhchap_ctrl_secret
                  : r.host.hostkey) = "DHHC-1:00:ia6zGodOr2SGAaxX/1nZD5ytvqD6UR5ltdQFgEb0vIn0pkoP:";
    Captured c;
    if (!CaptureConnect(r, &c, table))
      return;
    EXPECT_EQ(c.code, EOPNOTSUPP) << which;
    EXPECT_EQ(c.message, std::string("the kernel has no DH-HMAC-CHAP authentication (needed for ") +
                             (which == 1 ? "dhchap_ctrl_secret)" : "dhchap_secret)"));
    EXPECT_EQ(c.written + "\n", table) << "nothing was written to /dev/nvme-fabrics";
  }
  // Without a secret the same kernel is asked as usual.
  Captured c;
  if (!CaptureConnect(req, &c, table))
    return;
  EXPECT_EQ(c.code, EPROTO) << c.message;
}

// Debian's 6.1 lists dhchap_secret in its table and has no nvme_auth module: a secret is not sent
// (the kernel would connect without authenticating). With the module, it is.
TEST_F(LibnvmeNamespaceTest, ASecretNeedsTheAuthenticationCodeNotOnlyTheOption) {
  const std::string table =
      "instance=-1,cntlid=-1,transport=%s,traddr=%s,trsvcid=%s,nqn=%s,hostnqn=%s,hostid=%s,"
      "discovery,dhchap_secret=%s,dhchap_ctrl_secret=%s\n";
  ConnectRequest req = Io3();
  req.dhchap_secret = "DHHC-1:00:ia6zGodOr2SGAaxX/1nZD5ytvqD6UR5ltdQFgEb0vIn0pkoP:";
  testing::ScopedTempDir tmp{"stas-libnvme-auth"};
  std::filesystem::path modules = std::filesystem::path(tmp.path()) / "module";
  std::filesystem::create_directories(modules / "nvme_core");
  Captured c;
  if (!CaptureConnect(req, &c, table, modules.string()))
    return;
  EXPECT_EQ(c.code, EOPNOTSUPP) << c.message;
  EXPECT_EQ(c.message, "the kernel has no DH-HMAC-CHAP authentication (needed for dhchap_secret)");
  EXPECT_EQ(c.written + "\n", table) << "nothing was written to /dev/nvme-fabrics";
  std::filesystem::create_directories(modules / "nvme_auth");
  if (!CaptureConnect(req, &c, table, modules.string()))
    return;
  EXPECT_EQ(c.code, EPROTO) << c.message;  // written; the regular file gives no instance back
  EXPECT_NE(c.written.find(",dhchap_secret=DHHC-1:00:"), std::string::npos) << c.written;
}

TEST_F(LibnvmeNamespaceTest, ConnectWithoutFabricsDeviceIsENODEV) {
  ChildOutcome o = RunWithPrivateMounts(false, [] {
    ConnectRequest req;
    req.tid =
        Tid::Make({.transport = "tcp", .traddr = "127.0.0.1", .subsysnqn = kWellKnownDiscoveryNqn},
                  TidDefaults{false, kLibnvmeHostNqn});
    req.discovery = true;
    req.host.hostnqn = kLibnvmeHostNqn;
    NvmeKernelLibnvme kernel;
    auto r = kernel.Connect(req);
    if (r)
      return std::string("connected?!");
    return std::to_string(r.error().code) + " " + r.error().message;
  });
  ASSERT_EQ(o.kind, ChildOutcome::Kind::kOk) << o.text;
  EXPECT_EQ(o.text, std::to_string(ENODEV) +
                        " connect: cannot open /dev/nvme-fabrics: No such file or directory");
}

// A fake /sys/class/nvme controller that libnvme can scan, and a /dev/nvme0 that is a copy of
// /dev/null's device number: every NVMe ioctl on it fails with ENOTTY.
std::string MakeFakeKernelController(const char* dctype) {
  MakeController("/sys/class/nvme", "nvme0",
                 {{"transport", "tcp"},
                  {"address", "traddr=127.0.0.1,trsvcid=8009,src_addr=127.0.0.1"},
                  {"subsysnqn", kWellKnownDiscoveryNqn},
                  {"hostnqn", kLibnvmeHostNqn},
                  {"hostid", kLibnvmeHostId},
                  {"cntrltype", "discovery"},
                  {"dctype", dctype},
                  {"state", "live"},
                  {"delete_controller", ""}});
  MakeController("/sys/class/nvme-subsystem", "nvme-subsys0",
                 {{"subsysnqn", kWellKnownDiscoveryNqn}, {"subsystype", "discovery"}});
  fs::create_directories("/sys/class/nvme-subsystem/nvme-subsys0/nvme0");
  if (mknod("/dev/nvme0", S_IFCHR | 0600, makedev(1, 3)) != 0)
    return "mknod failed";
  return "";
}

int OpenFdCount() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr)
    return -1;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): runs in the single-threaded child
  while (readdir(d) != nullptr)
    ++n;
  closedir(d);
  return n;
}

// Runs `op` on the fake controller and reports "<error code> <message> fds:<leaked>".
ChildOutcome RunOnFakeController(const char* dctype,
                                 const std::function<std::string(NvmeKernelLibnvme&)>& op) {
  return RunWithPrivateMounts(true, [&] {
    std::string err = MakeFakeKernelController(dctype);
    if (!err.empty())
      return "setup: " + err;
    NvmeKernelLibnvme kernel;
    int before = OpenFdCount();
    std::string out = op(kernel);
    return out + " fds:" + std::to_string(OpenFdCount() - before);
  });
}

template <class R>
std::string Describe(const R& r) {
  if (r)
    return "ok";
  return std::to_string(r.error().code) + " " + r.error().message;
}

TEST_F(LibnvmeNamespaceTest, GetDiscoveryLogFailsCleanlyAndClosesFd) {
  ChildOutcome o = RunOnFakeController("ddc", [](NvmeKernelLibnvme& kernel) {
    return Describe(kernel.GetDiscoveryLog("nvme0", 0, {}));
  });
  ASSERT_EQ(o.kind, ChildOutcome::Kind::kOk) << o.text;
  EXPECT_TRUE(StartsWith(o.text, std::to_string(ENOTTY) + " nvme_get_log(discovery): ")) << o.text;
  EXPECT_TRUE(o.text.ends_with(" fds:0")) << o.text;
}

TEST_F(LibnvmeNamespaceTest, GetDiscoveryLogSupportFailsCleanlyAndClosesFd) {
  ChildOutcome o = RunOnFakeController("ddc", [](NvmeKernelLibnvme& kernel) {
    return Describe(kernel.GetDiscoveryLogSupport("nvme0"));
  });
  ASSERT_EQ(o.kind, ChildOutcome::Kind::kOk) << o.text;
  EXPECT_TRUE(StartsWith(o.text, std::to_string(ENOTTY) + " nvme_get_log_supported_log_pages: "))
      << o.text;
  EXPECT_TRUE(o.text.ends_with(" fds:0")) << o.text;
}

TEST_F(LibnvmeNamespaceTest, RegisterHostNeedsDdcOrCdc) {
  ChildOutcome o = RunOnFakeController("none", [](NvmeKernelLibnvme& kernel) {
    return Describe(kernel.RegisterHost("nvme0", Host()));
  });
  ASSERT_EQ(o.kind, ChildOutcome::Kind::kOk) << o.text;
  EXPECT_EQ(o.text, std::to_string(ENOTSUP) + " nvmf_register_ctrl: Operation not supported fds:0");
}

TEST_F(LibnvmeNamespaceTest, RegisterHostFailsCleanlyAndClosesFd) {
  ChildOutcome o = RunOnFakeController("ddc", [](NvmeKernelLibnvme& kernel) {
    return Describe(kernel.RegisterHost("nvme0", Host()));
  });
  ASSERT_EQ(o.kind, ChildOutcome::Kind::kOk) << o.text;
  EXPECT_TRUE(StartsWith(o.text, std::to_string(ENOTTY) + " nvmf_register_ctrl: ")) << o.text;
  EXPECT_TRUE(o.text.ends_with(" fds:0")) << o.text;
}

TEST_F(LibnvmeNamespaceTest, UnknownDeviceIsAnError) {
  ChildOutcome o = RunOnFakeController("ddc", [](NvmeKernelLibnvme& kernel) {
    return Describe(kernel.GetDiscoveryLog("nvme5", 0, {})) + "|" +
           Describe(kernel.RegisterHost("nvme5", Host())) + "|" +
           Describe(kernel.GetDiscoveryLogSupport("../nvme0"));
  });
  ASSERT_EQ(o.kind, ChildOutcome::Kind::kOk) << o.text;
  EXPECT_EQ(o.text, std::to_string(ENXIO) + " nvme_scan_ctrl: No such device or address|" +
                        std::to_string(ENXIO) + " nvme_scan_ctrl: No such device or address|" +
                        std::to_string(EINVAL) + " invalid controller name: ../nvme0 fds:0");
}

}  // namespace
}  // namespace stas
