// SPDX-License-Identifier: Apache-2.0
#include "staf/nvme_cli_interop.h"

#include <cerrno>
#include <system_error>
#include <unistd.h>

#include <glib.h>

#include "common/atomic_file.h"
#include "common/log.h"

namespace stas::staf {
namespace {

std::string Systemctl() {
  gchar* path = g_find_program_in_path("systemctl");
  std::string out = path ? path : "";
  g_free(path);
  return out;
}

bool Missing(const std::string& v) {
  return v.empty() || v == "none" || v == "None";
}

}  // namespace

void InstallUdevRuleOverride(const std::string& path) {
  if (::access(path.c_str(), F_OK) == 0) {
    LOG_INFO("Replacing the udev rule override %s left by a previous stafd", path.c_str());
  }
  std::string systemctl = Systemctl();
  if (systemctl.empty())
    systemctl = "/usr/bin/systemctl";
  // Only the FC rule of nvme-cli survives: stafd handles TCP/RDMA discovery AENs itself.
  std::string rule =
      "\n"
      "ACTION==\"change\", SUBSYSTEM==\"fc\", ENV{FC_EVENT}==\"nvmediscovery\", \\\n"
      "  ENV{NVMEFC_HOST_TRADDR}==\"*\",  ENV{NVMEFC_TRADDR}==\"*\", \\\n"
      "  RUN+=\"" +
      systemctl +
      " --no-block restart nvmf-connect@--device\\x3dnone\\x09--transport\\x3dfc\\x09--traddr\\x3d"
      "$env{NVMEFC_TRADDR}\\x09--trsvcid\\x3dnone\\x09--host-traddr\\x3d$env{NVMEFC_HOST_TRADDR}"
      ".service\"\n";
  std::string dir = path.substr(0, path.rfind('/'));
  g_mkdir_with_parents(dir.c_str(), 0755);
  Status s = WriteFileAtomic(path, rule, 0600);
  if (!s)
    LOG_ERROR("Cannot write the udev rule override: %s", s.error().message.c_str());
}

void RemoveUdevRuleOverride(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    LOG_ERROR("Cannot remove the udev rule override %s: %s", path.c_str(),
              std::generic_category().message(errno).c_str());
  }
}

std::string NvmfConnectUnit(const KernelEvent& ev) {
  std::string opts = "--device\\x3d" + ev.device;
  if (!Missing(ev.host_traddr))
    opts += "\\x09--host-traddr\\x3d" + ev.host_traddr;
  if (!Missing(ev.host_iface))
    opts += "\\x09--host-iface\\x3d" + ev.host_iface;
  return "nvmf-connect@" + opts + ".service";
}

void StartNvmfConnect(const KernelEvent& ev) {
  std::string systemctl = Systemctl();
  std::string unit = NvmfConnectUnit(ev);
  if (systemctl.empty()) {
    LOG_DEBUG("%s: no systemctl, cannot start %s", ev.device.c_str(), unit.c_str());
    return;
  }
  const char* argv[] = {systemctl.c_str(), "--quiet",    "--no-block",
                        "restart",         unit.c_str(), nullptr};
  GError* err = nullptr;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): GLib's argv is not const-correct
  if (!g_spawn_async(nullptr, const_cast<gchar**>(argv), nullptr, G_SPAWN_DEFAULT, nullptr, nullptr,
                     nullptr, &err)) {
    LOG_ERROR("Cannot run systemctl for %s: %s", unit.c_str(), err ? err->message : "?");
    g_clear_error(&err);
    return;
  }
  LOG_INFO("%s: not managed by stafd; started %s", ev.device.c_str(), unit.c_str());
}

}  // namespace stas::staf
