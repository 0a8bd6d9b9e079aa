// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/kernel_features.h"

#include <algorithm>
#include <array>
#include <utility>

namespace stas {
namespace {

constexpr std::string_view kDhchap = "DH-HMAC-CHAP authentication";
constexpr std::string_view kTls = "NVMe/TCP TLS";

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kFeatureOf = {{
    {"dhchap_secret", kDhchap},
    {"dhchap_ctrl_secret", kDhchap},
    {"tls", kTls},
    {"keyring", kTls},
    {"tls_key", kTls},
    {"concat", kTls},
}};

}  // namespace

bool KernelFeatures::Has(std::string_view option) const {
  return std::find(options.begin(), options.end(), option) != options.end();
}

std::string_view KernelFeatureOf(std::string_view option) {
  for (const auto& [name, feature] : kFeatureOf) {
    if (name == option)
      return feature;
  }
  return {};
}

bool UsesKernelFeatures(std::string_view connect_string) {
  // The features of every option, as MissingKernelFeature() would find them, of a kernel that
  // has nothing.
  return MissingKernelFeature(KernelFeatures{{"nqn"}, false}, connect_string).has_value();
}

std::optional<std::string> MissingKernelFeature(const KernelFeatures& features,
                                                std::string_view connect_string) {
  if (!features.known())
    return std::nullopt;
  // feature -> the options of the string that need it, in the string's order.
  std::vector<std::pair<std::string_view, std::string>> missing;
  while (!connect_string.empty()) {
    std::size_t comma = connect_string.find(',');
    std::string_view option = connect_string.substr(0, comma);
    connect_string =
        comma == std::string_view::npos ? std::string_view{} : connect_string.substr(comma + 1);
    std::string_view name = option.substr(0, option.find('='));
    std::string_view feature = KernelFeatureOf(name);
    if (feature.empty())
      continue;
    bool lacks = !features.Has(name) || (feature == kDhchap && !features.host_auth_code);
    if (!lacks)
      continue;
    auto it = std::find_if(missing.begin(), missing.end(),
                           [feature](const auto& m) { return m.first == feature; });
    if (it == missing.end()) {
      missing.emplace_back(feature, std::string(name));
    } else {
      it->second += ", ";
      it->second += name;
    }
  }
  if (missing.empty())
    return std::nullopt;
  std::string out = "the kernel has no ";
  for (std::size_t i = 0; i < missing.size(); ++i) {
    if (i > 0)
      out += " and no ";
    out += missing[i].first;
    out += " (needed for ";
    out += missing[i].second;
    out += ")";
  }
  return out;
}

}  // namespace stas
