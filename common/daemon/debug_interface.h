// SPDX-License-Identifier: Apache-2.0
// DebugInterface: the members of org.nvmexpress.staf.debug and org.nvmexpress.stac.debug (the
// tron and log_level properties, process_info, controller_info), which stafd and stacd answer
// alike. Each daemon's adaptor owns one and forwards its generated members to it; stafd adds its
// own keys to process_info. `Service` is StafService or StacService: both have soak_timer(),
// kernel_features(), tid_defaults() and Find(const Tid&) returning a controller with Info().
// Errors reach the caller as D-Bus errors named after `error_prefix` (the daemon's bus name).
// Loop thread only. The service must outlive the DebugInterface.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "common/daemon/dbus_args.h"
#include "common/daemon/process_info.h"
#include "common/log.h"
#include "common/python_compat.h"
#include "common/tid.h"

namespace stas {

template <class Service>
class DebugInterface {
 public:
  DebugInterface(std::string error_prefix, const Service& service, ProcessInfoSource info)
      : error_prefix_(std::move(error_prefix)), service_(service), info_(std::move(info)) {}

  // The tron property: whether debug logging is on; setting it applies info.set_tron.
  bool tron() const { return LogDebugEnabled(); }
  void set_tron(bool value) const {
    GuardDbus(error_prefix_, [&] {
      if (info_.set_tron)
        info_.set_tron(value);
      LOG_INFO("tron set to %s over D-Bus", PythonBool(value));
    });
  }
  // The log_level property.
  std::string log_level() const { return LogLevelName(); }

  // The keys of process_info both daemons report (ProcessInfoBase); the daemon may append its
  // own before sending it as json.dumps text.
  nlohmann::ordered_json ProcessInfo() const {
    nlohmann::ordered_json info =
        ProcessInfoBase(info_, service_.soak_timer().ToString(), service_.kernel_features());
    // stafd's budget of DC reads (#13, finding 6): whether reads wait shows in `status`.
    if constexpr (requires { service_.ReadBudgetInfo(); })
      info["discovery read workers"] = service_.ReadBudgetInfo();
    // Not in nvme-stas: the [Limits] and which DCs hit them now (#13).
    info["limits"] = service_.LimitsInfo();
    return info;
  }

  // The controller that the 7 strings of a D-Bus call name (TidFromDbusArgs), or nullptr.
  auto Find(const TidFields& id) const {
    return service_.Find(TidFromDbusArgs(error_prefix_, id, service_.tid_defaults()));
  }

  // controller_info: the controller's Info() as json.dumps text, "{}" when there is none.
  std::string ControllerInfo(const TidFields& id) const {
    return GuardDbus(error_prefix_, [&] {
      const auto* controller = Find(id);
      return controller ? PythonJsonDumps(DictJson(controller->Info())) : std::string("{}");
    });
  }

 private:
  const std::string error_prefix_;
  const Service& service_;
  const ProcessInfoSource info_;
};

}  // namespace stas
