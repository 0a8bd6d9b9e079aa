// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/nvme_kernel_libnvme.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <endian.h>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <system_error>
#include <unistd.h>
#include <utility>

#include <libnvme.h>

#include "common/atomic_file.h"
#include "common/kernel/connect_string.h"
#include "common/kernel/controller_state.h"
#include "common/kernel/disc_log_read.h"
#include "common/kernel/fabrics_connect.h"
#include "common/kernel/redacting_stream.h"
#include "common/kernel/sysfs_namespaces.h"
#include "common/nvme_names.h"
#include "common/str_util.h"

namespace stas {
namespace {

std::atomic<bool> g_trace{false};

// One libnvme tree per call: the tree is not thread-safe (docs/compatibility.md,
// "libnvme 1.3: the tree is not thread-safe").
// nvme_free_tree() frees every host, subsystem and linked controller, and closes the
// /dev/nvmeN fd that nvme_ctrl_get_fd() opened lazily (1.3 has no release function, but
// __nvme_free_ctrl -> nvme_deconfigure_ctrl closes it: checked in libnvme.so.1.3).
class Root {
 public:
  // libnvme writes through a stream that redacts secrets: at debug level (tron) it logs the
  // whole connect string.
  Root() : r_(nvme_create_root(RedactingStderr(), g_trace.load() ? LOG_DEBUG : LOG_ERR)) {}
  ~Root() {
    if (r_ != nullptr)
      nvme_free_tree(r_);
  }
  Root(const Root&) = delete;
  Root& operator=(const Root&) = delete;
  Root(Root&&) = delete;
  Root& operator=(Root&&) = delete;
  nvme_root_t get() const { return r_; }

 private:
  nvme_root_t r_;
};

// Converts an errno into an Error at the edge.
Unexpected ErrnoFail(const char* what, int code) {
  if (code == 0)
    code = EIO;  // some libnvme paths fail without setting errno
  return Fail(code, std::string(what) + ": " + std::generic_category().message(code));
}

// An NVMe status (> 0) returned by an admin command.
Unexpected StatusFail(const char* what, int status) {
  int code = nvme_status_to_errno(status, false);
  if (code == 0)
    code = EIO;
  return Fail(code, std::string(what) + ": " + nvme_status_to_string(status, false));
}

// Builds the controller tree for an existing kernel controller, or fails.
Result<nvme_ctrl_t> ScanCtrl(const Root& root, const std::string& device) {
  if (root.get() == nullptr)
    return ErrnoFail("nvme_create_root", ENOMEM);
  if (!IsControllerName(device))
    return Fail(EINVAL, "invalid controller name: " + device);
  errno = 0;
  nvme_ctrl_t c = nvme_scan_ctrl(root.get(), device.c_str());
  if (c == nullptr)
    return ErrnoFail("nvme_scan_ctrl", errno);
  return c;
}

// One Get Log Page command for the discovery log page: `len` bytes at `offset`.
int GetDiscoveryLogChunk(int fd, uint8_t lsp, uint64_t offset, void* buf, uint32_t len, bool rae) {
  nvme_get_log_args args{};
  args.args_size = sizeof(args);
  args.fd = fd;
  args.lid = NVME_LOG_LID_DISCOVER;
  args.nsid = NVME_NSID_NONE;
  args.csi = NVME_CSI_NVM;
  args.lsi = NVME_LOG_LSI_NONE;
  args.lsp = lsp;
  args.uuidx = NVME_UUID_NONE;
  args.timeout = NVME_DEFAULT_IOCTL_TIMEOUT;
  args.lpo = offset;
  args.len = len;
  args.log = buf;
  args.rae = rae;
  return nvme_get_log(&args);
}

Unexpected GetLogFail(int rc) {
  return rc < 0 ? ErrnoFail("nvme_get_log(discovery)", errno)
                : StatusFail("nvme_get_log(discovery)", rc);
}

// A sysfs attribute, trimmed; "" if absent or unreadable. The kernel prints "(efault)" for
// some attributes it cannot read (nvme-stas maps that to "" too).
// A sysfs attribute, made safe at the edge: model, serial and firmware are the controller's
// Identify data as it sent them, so a DC may put any byte there; whatever is not printable
// ASCII becomes a \xNN escape (D-Bus strings must be UTF-8, JSON writers refuse bad UTF-8).
std::string ReadAttr(const std::filesystem::path& dir, const char* name) {
  constexpr size_t kMaxAttr = 4096;  // a sysfs attribute is at most a page
  Result<std::string> text = ReadFileHead((dir / name).string(), kMaxAttr, '\0');
  if (!text)
    return "";
  std::string value = Printable(Trim(std::string_view(*text).substr(0, kMaxAttr)));
  if (value == "(efault)")
    return "";
  return value;
}

// nvme-stas udev.py maps "none" (any case) to "" for attributes and properties.
std::string NoneToEmpty(std::string value) {
  if (ToLower(value) == "none")
    return "";
  return value;
}

bool HasNamespaceChild(const std::filesystem::path& dir) {
  std::error_code ec;
  // increment(ec), not a range-for: operator++ throws when the directory goes away meanwhile
  // (a controller being deleted), and this runs on a worker.
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::filesystem::directory_entry& entry = *it;
    std::string name = entry.path().filename().string();
    // nvme0n1, or nvme0c0n1 for a multipath path device.
    if (StartsWith(name, "nvme") && name.find('n', 4) != std::string::npos &&
        entry.is_directory(ec)) {
      return true;
    }
  }
  return false;
}

}  // namespace

void ParseAddressAttribute(const std::string& address, KernelDevice* dev) {
  for (const std::string& field : Split(Trim(address), ',')) {
    size_t eq = field.find('=');
    if (eq == std::string::npos)
      continue;
    std::string key(Trim(std::string_view(field).substr(0, eq)));
    std::string value = NoneToEmpty(std::string(Trim(std::string_view(field).substr(eq + 1))));
    if (key == "traddr") {
      dev->traddr = value;
    } else if (key == "trsvcid") {
      dev->trsvcid = value;
    } else if (key == "host_traddr") {
      dev->host_traddr = value;
    } else if (key == "host_iface") {
      dev->host_iface = value;
    } else if (key == "src_addr") {
      dev->src_addr = value;
    }
  }
}

NvmeKernelLibnvme::NvmeKernelLibnvme(std::string sysfs_root, std::string fabrics_dev,
                                     std::string seqnum_file, std::string module_dir)
    : sysfs_root_(std::move(sysfs_root)),
      fabrics_dev_(std::move(fabrics_dev)),
      seqnum_file_(std::move(seqnum_file)),
      module_dir_(std::move(module_dir)) {}

uint64_t NvmeKernelLibnvme::UeventSeqnum() {
  Result<std::string> text = ReadFileHead(seqnum_file_, 32, '\n');
  uint64_t value = 0;
  if (text) {
    std::string_view digits = Trim(*text);
    std::from_chars(digits.data(), digits.data() + digits.size(), value);
  }
  return value;
}

void NvmeKernelLibnvme::SetTrace(bool on) {
  g_trace.store(on);
}

bool NvmeKernelLibnvme::FabricsAvailable() {
  return access(fabrics_dev_.c_str(), F_OK) == 0;
}

// Reading /dev/nvme-fabrics without writing returns the option table the kernel's fabrics
// driver accepts (kernel >= 5.17): "instance=%d,cntlid=%d,transport=%s,...,discovery,..."
// (docs/compatibility.md, "Kernel option detection"). libnvme 1.3 does not wrap this.
std::vector<std::string> NvmeKernelLibnvme::SupportedOptions() {
  std::vector<std::string> names;
  int fd = open(fabrics_dev_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return names;
  std::string text;
  char buf[1024];
  while (text.find('\n') == std::string::npos && text.size() < size_t{64} * 1024) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  std::string_view line(text);
  line = line.substr(0, line.find('\n'));
  for (const std::string& token : Split(line, ',')) {
    std::string name(Trim(std::string_view(token).substr(0, token.find('='))));
    if (!name.empty())
      names.push_back(std::move(name));
  }
  return names;
}

KernelFeatures NvmeKernelLibnvme::Features() {
  KernelFeatures f{SupportedOptions(), true};
  if (f.Has("dhchap_secret")) {
    // The host's DH-HMAC-CHAP code is the nvme_auth module, loaded with nvme_core when the
    // kernel has it; built in, it is listed in the running kernel's modules.builtin.
    struct stat st {};
    bool loaded = stat((module_dir_ + "/nvme_auth").c_str(), &st) == 0;
    f.host_auth_code = loaded || BuiltIn("nvme-auth.ko");
  }
  return f;
}

bool NvmeKernelLibnvme::BuiltIn(const std::string& module_file) const {
  struct utsname u {};
  if (uname(&u) != 0)
    return false;
  Result<std::string> list =
      ReadFileHead(std::string("/lib/modules/") + u.release + "/modules.builtin", 1 << 20, '\0');
  if (!list)
    return false;
  for (const std::string& line : Split(*list, '\n')) {
    if (line.size() >= module_file.size() + 1 &&
        line.compare(line.size() - module_file.size() - 1, std::string::npos, "/" + module_file) ==
            0)
      return true;
  }
  return false;
}

Result<std::string> NvmeKernelLibnvme::Connect(const ConnectRequest& req) {
  // A kernel refuses an option it does not know and quotes it, secret included, in its own
  // log; a kernel without the code behind an option it lists (Debian's 6.1 and dhchap_secret)
  // connects without authenticating. So a string that needs what the kernel lacks is not sent.
  // The services check first (Controller::TryConnect()); this is the last line. The features
  // are read only for a string that needs one (most connects need none).
  Result<std::string> text = BuildConnectString(req);
  if (text && UsesKernelFeatures(*text)) {
    if (std::optional<std::string> why = MissingKernelFeature(Features(), *text))
      return Fail(EOPNOTSUPP, *why);
  }
  // A configured keyring is looked up, and a configured PSK put there, before each connect: a
  // keyring's serial changes with every boot, and the key may have been removed since.
  Result<TlsKeySerials> serials = PrepareTlsKeys(*keyrings_, req, geteuid() == 0);
  if (!serials)
    return Fail(serials.error());
  return FabricsConnect(fabrics_dev_, req, *serials);
}

// What nvme_disconnect_ctrl() does (1.3: nvme_set_attr(sysfs_dir, "delete_controller", "1")),
// without nvme_scan_ctrl(): that scan opens every namespace block device of the controller and
// sends Identify Namespace through it, which would block for as long as an I/O controller is
// reconnecting. The kernel's write handler returns once the controller is deleted.
Status NvmeKernelLibnvme::WriteOne(const std::string& device, const char* attribute,
                                   std::string_view value) {
  if (!IsControllerName(device))
    return Fail(EINVAL, "invalid controller name: " + device);
  std::string path = sysfs_root_ + "/" + device + "/" + attribute;
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return ErrnoFail(attribute, errno == ENOENT ? ENODEV : errno);
  ssize_t n = 0;
  do {
    n = write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  int code = n == static_cast<ssize_t>(value.size()) ? 0 : (n < 0 ? errno : EIO);
  close(fd);
  if (code != 0)
    return ErrnoFail(attribute, code);
  return {};
}

Status NvmeKernelLibnvme::Disconnect(const std::string& device) {
  return WriteOne(device, "delete_controller");
}

Status NvmeKernelLibnvme::Reauthenticate(const std::string& device, const std::string& host_secret,
                                         const std::string& ctrl_secret) {
  // The kernel compares each with the secret it has and starts a re-authentication when one
  // changed. ErrnoFail() names the attribute, never the value.
  if (Status s = WriteOne(device, "dhchap_secret", host_secret); !s)
    return s;
  if (ctrl_secret.empty())
    return {};
  return WriteOne(device, "dhchap_ctrl_secret", ctrl_secret);
}

std::vector<NamespaceInfo> NvmeKernelLibnvme::ListNamespaces(const std::string& device) {
  if (!IsControllerName(device))
    return {};
  return ReadNamespaces(sysfs_root_, device);
}

Status NvmeKernelLibnvme::RescanNamespaces(const std::string& device) {
  return WriteOne(device, "rescan_controller");
}

Result<DiscoveryLogPage> NvmeKernelLibnvme::GetDiscoveryLog(const std::string& device, uint8_t lsp,
                                                            const DiscoveryLogLimits& limits) {
  Root root;
  auto c = ScanCtrl(root, device);
  if (!c)
    return Fail(c.error());
  errno = 0;
  int fd = nvme_ctrl_get_fd(*c);  // owned by the ctrl; closed by nvme_free_tree()
  if (fd < 0)
    return ErrnoFail("nvme_ctrl_get_fd", errno);
  auto chunk = [fd, lsp](uint64_t offset, void* buf, uint32_t len, bool rae) -> Status {
    if (int rc = GetDiscoveryLogChunk(fd, lsp, offset, buf, len, rae); rc != 0)
      return GetLogFail(rc);
    return {};
  };
  return ReadDiscoveryLog(chunk, limits);
}

Result<uint32_t> NvmeKernelLibnvme::GetDiscoveryLogSupport(const std::string& device) {
  Root root;
  auto c = ScanCtrl(root, device);
  if (!c)
    return Fail(c.error());
  errno = 0;
  int fd = nvme_ctrl_get_fd(*c);  // owned by the ctrl; closed by nvme_free_tree()
  if (fd < 0)
    return ErrnoFail("nvme_ctrl_get_fd", errno);
  nvme_supported_log_pages log{};
  errno = 0;
  int rc = nvme_get_log_supported_log_pages(fd, true, &log);
  if (rc < 0)
    return ErrnoFail("nvme_get_log_supported_log_pages", errno);
  if (rc > 0)
    return StatusFail("nvme_get_log_supported_log_pages", rc);
  // LID-specific bits of the discovery log: EXTDLPES 0x1, PLEOS 0x2, ALLSUBES 0x4.
  return le32toh(log.lid_support[NVME_LOG_LID_DISCOVER]) >> 16;
}

Result<RegistrationResult> NvmeKernelLibnvme::RegisterHost(const std::string& device,
                                                           const HostInfo& host) {
  Root root;
  auto c = ScanCtrl(root, device);
  if (!c)
    return Fail(c.error());
  // True for dctype "ddc" or "cdc" (sysfs; libnvme falls back to Identify Controller).
  if (!nvmf_is_registration_supported(*c))
    return ErrnoFail("nvmf_register_ctrl", ENOTSUP);
  // TP8010: the host symbolic name is sent as an extended attribute. libnvme takes it from
  // the host object the scanned controller hangs under.
  nvme_subsystem_t s = nvme_ctrl_get_subsystem(*c);
  nvme_host_t h = s != nullptr ? nvme_subsystem_get_host(s) : nullptr;
  if (h != nullptr)
    nvme_host_set_hostsymname(h, host.symname ? host.symname->c_str() : nullptr);

  __u32 result = 0;
  errno = 0;
  int rc = nvmf_register_ctrl(*c, NVMF_DIM_TAS_REGISTER, &result);
  if (rc < 0)
    return ErrnoFail("nvmf_register_ctrl", errno);
  RegistrationResult out;
  out.status = static_cast<uint32_t>(rc);
  if (rc > 0) {
    // Same text as nvme-stas's registration_ctlr() (libnvme nvme.i).
    char msg[256];
    (void)snprintf(msg, sizeof(msg), "Result:0x%04x, Status:0x%04x - %s", result,
                   static_cast<unsigned>(rc), nvme_status_to_string(rc, false));
    out.message = msg;
  }
  return out;
}

std::vector<KernelDevice> NvmeKernelLibnvme::ListDevices() {
  std::vector<KernelDevice> devices;
  for (const std::string& name : ControllerNames()) {
    if (auto dev = GetDevice(name))
      devices.push_back(std::move(*dev));
  }
  return devices;
}

std::vector<std::pair<std::string, std::string>> NvmeKernelLibnvme::ListSubsysNqns() {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::string& name : ControllerNames()) {
    std::string nqn = NoneToEmpty(ReadAttr(std::filesystem::path(sysfs_root_) / name, "subsysnqn"));
    out.emplace_back(std::move(name), std::move(nqn));
  }
  return out;
}

std::vector<std::string> NvmeKernelLibnvme::ControllerNames() {
  std::vector<std::pair<unsigned long, std::string>> names;
  std::error_code ec;
  // increment(ec): operator++ would throw if a controller vanished mid-listing.
  for (std::filesystem::directory_iterator it(sysfs_root_, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    std::error_code dir_ec;
    if (IsControllerName(name) && it->is_directory(dir_ec))
      names.emplace_back(std::strtoul(name.c_str() + 4, nullptr, 10), std::move(name));
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> out;
  out.reserve(names.size());
  for (auto& [instance, name] : names)
    out.push_back(std::move(name));
  return out;
}

std::optional<KernelDevice> NvmeKernelLibnvme::GetDevice(const std::string& device) {
  if (!IsControllerName(device))
    return std::nullopt;
  std::filesystem::path dir = std::filesystem::path(sysfs_root_) / device;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return std::nullopt;
  KernelDevice dev;
  dev.name = device;
  dev.transport = NoneToEmpty(ReadAttr(dir, "transport"));
  ParseAddressAttribute(ReadAttr(dir, "address"), &dev);
  dev.subsysnqn = NoneToEmpty(ReadAttr(dir, "subsysnqn"));
  dev.hostnqn = NoneToEmpty(ReadAttr(dir, "hostnqn"));
  dev.hostid = NoneToEmpty(ReadAttr(dir, "hostid"));
  dev.cntrltype = NoneToEmpty(ReadAttr(dir, "cntrltype"));
  dev.dctype = ReadAttr(dir, "dctype");  // "none" is a value here: not a DC of TP8010 type
  dev.model = NoneToEmpty(ReadAttr(dir, "model"));
  dev.serial = NoneToEmpty(ReadAttr(dir, "serial"));
  dev.state = ControllerStateFromSysfs(ReadAttr(dir, "state"));
  dev.has_namespaces = HasNamespaceChild(dir);
  return dev;
}

std::string NvmeKernelLibnvme::GetDeviceState(const std::string& device) {
  if (!IsControllerName(device))
    return "";
  // The longest state name is 16 bytes; a line longer than this is not one (and is refused by
  // ControllerStateFromSysfs() whatever the bound).
  constexpr size_t kMaxStateText = 64;
  Result<std::string> text =
      ReadFileHead(sysfs_root_ + "/" + device + "/state", kMaxStateText, '\n');
  if (!text)
    return "";
  std::string_view line = *text;
  return ControllerStateFromSysfs(line.substr(0, line.find('\n')));
}

std::string LibnvmeVersion() {
  const char* v = nvme_get_version(NVME_VERSION_PROJECT);
  return v ? v : "unknown";
}

}  // namespace stas
