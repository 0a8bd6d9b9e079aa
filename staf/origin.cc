// SPDX-License-Identifier: Apache-2.0
#include "staf/origin.h"

namespace stas::staf {

const char* OriginName(Origin o) {
  switch (o) {
    case Origin::kConfigured:
      return "configured";
    case Origin::kDiscovered:
      return "discovered";
    case Origin::kReferral:
      return "referral";
    case Origin::kVolumes:
      return "volumes";
  }
  return "configured";
}

std::optional<Origin> OriginFromName(const std::string& name) {
  for (Origin o : {Origin::kConfigured, Origin::kDiscovered, Origin::kReferral, Origin::kVolumes}) {
    if (name == OriginName(o))
      return o;
  }
  return std::nullopt;
}

}  // namespace stas::staf
