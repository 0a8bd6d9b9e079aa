// SPDX-License-Identifier: Apache-2.0
#include "stac/stac_dbus.h"

#include "common/config/host_identity.h"
#include "common/controller/detailed_listing.h"
#include "common/daemon/dbus_args.h"
#include "common/defs.h"
#include "common/log.h"
#include "common/python_compat.h"
#include "stac/volumes/volume_dbus.h"

namespace stas::stac {
namespace {

const std::string kErr = kStacdBusName;

}  // namespace

StacDbus::StacDbus(sdbus::IConnection& conn, StacService& service, ProcessInfoSource info)
    : AdaptorInterfaces(conn, kStacdObjectPath),
      service_(service),
      host_(info.host),
      system_uuid_(ReadSystemUuid()),
      list_replies_(kErr),
      debug_(kErr, service, std::move(info)) {
  registerAdaptor();
}

StacDbus::~StacDbus() {
  unregisterAdaptor();
}

void StacDbus::list_controllers(sdbus::Result<ControllerList>&& result, bool detailed) {
  ControllerListReply reply = list_replies_.Take(std::move(result));
  try {
    if (!detailed)
      return reply.Send(IdDicts(service_.iocs()));
    // The kernel's states are read on a worker: the answer goes out when they are back.
    service_.ListDetailed([reply](const std::vector<Dict>& dicts) { reply.Send(dicts); });
  } catch (const std::exception& e) {
    reply.SendError(e.what());
  }
}

std::string StacDbus::ProcessInfoJson() const {
  return PythonJsonDumps(debug_.ProcessInfo());
}

std::string StacDbus::process_info() {
  return GuardDbus(kErr, [&] { return ProcessInfoJson(); });
}

std::string StacDbus::controller_info(const std::string& transport, const std::string& traddr,
                                      const std::string& trsvcid, const std::string& subsysnqn,
                                      const std::string& host_traddr, const std::string& host_iface,
                                      const std::string& host_nqn) {
  return debug_.ControllerInfo({.transport = transport,
                                .traddr = traddr,
                                .trsvcid = trsvcid,
                                .subsysnqn = subsysnqn,
                                .host_traddr = host_traddr,
                                .host_iface = host_iface,
                                .host_nqn = host_nqn});
}

bool StacDbus::tron() {
  return debug_.tron();
}

void StacDbus::tron(const bool& value) {
  debug_.set_tron(value);
}

std::string StacDbus::log_level() {
  return debug_.log_level();
}

void StacDbus::OnVolumesChanged(const VolumeView* volume) {
  try {
    if (volume != nullptr)
      emitVolumeChanged(volume->id, VolumeStateName(volume->state), VolumeDict(*volume));
    getObject().emitPropertiesChangedSignal(Volumes1_adaptor::INTERFACE_NAME, {"Generation"});
  } catch (const sdbus::Error& e) {
    LOG_WARNING("Cannot signal a volume change: %s", e.getMessage().c_str());
  }
}

VariantMap StacDbus::GetConnectorInfo() {
  return GuardDbus(kErr, [&] {
    return ConnectorInfoDict({.host = host_,
                              .system_uuid = system_uuid_,
                              .native_multipath = service_.native_multipath(),
                              .kernel = service_.kernel_features()});
  });
}

void StacDbus::AttachVolume(sdbus::Result<std::string, VariantMap>&& result, std::string volume_id,
                            VariantMap spec, VariantMap options) {
  auto reply = attach_replies_.Take(std::move(result));
  auto fail = [&reply](const Error& e) {
    reply.Error(VolumeErrorName(e.code), e.message);
  };
  try {
    if (Status s = CheckVolumeId(volume_id); !s)
      return fail(s.error());
    Result<VolumeSpec> parsed = ParseVolumeSpec(spec);
    if (!parsed)
      return fail(parsed.error());
    Result<AttachOptions> opts = ParseAttachOptions(options);
    if (!opts)
      return fail(opts.error());
    service_.volumes().Attach(
        volume_id, std::move(*parsed), *opts, [reply](const Result<VolumeView>& r) {
          if (!r)
            return reply.Error(VolumeErrorName(r.error().code), r.error().message);
          reply.Return(r->device, VolumeDict(*r));
        });
  } catch (const std::exception& e) {
    reply.Error(VolumeErrorName(EIO), e.what());
  }
}

void StacDbus::DetachVolume(sdbus::Result<>&& result, std::string volume_id, VariantMap options) {
  auto reply = detach_replies_.Take(std::move(result));
  try {
    if (Status s = CheckVolumeId(volume_id); !s)
      return reply.Error(VolumeErrorName(s.error().code), s.error().message);
    if (Status s = CheckDetachOptions(options); !s)
      return reply.Error(VolumeErrorName(s.error().code), s.error().message);
    service_.volumes().Detach(volume_id, [reply](const Status& s) {
      if (!s)
        return reply.Error(VolumeErrorName(s.error().code), s.error().message);
      reply.Return();
    });
  } catch (const std::exception& e) {
    reply.Error(VolumeErrorName(EIO), e.what());
  }
}

std::vector<VariantMap> StacDbus::ListVolumes(const std::vector<std::string>& ids) {
  return GuardDbus(kErr, [&] {
    if (ids.size() > 4096)
      throw sdbus::Error(VolumeErrorName(EINVAL), "at most 4096 ids");
    for (const std::string& id : ids) {
      if (Status s = CheckVolumeId(id); !s)
        throw sdbus::Error(VolumeErrorName(EINVAL), s.error().message);
    }
    std::vector<VariantMap> out;
    for (const VolumeView& v : service_.volumes().List(ids))
      out.push_back(VolumeDict(v));
    return out;
  });
}

uint64_t StacDbus::Generation() {
  return service_.generation();
}

}  // namespace stas::stac
