// SPDX-License-Identifier: Apache-2.0
// What the running kernel's NVMe-oF host can do, read once at start-up, and the check made
// before each connect: a controller that needs a connect option the kernel lacks (a
// DH-HMAC-CHAP secret on a kernel built without NVMe authentication, TLS on one without NVMe/TCP
// TLS) fails once with an error that names the missing kernel feature, instead of being sent to
// a kernel that would refuse it, or take it and connect without it, at every retry.
// Pure functions of values: thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stas {

struct KernelFeatures {
  // The option names of /dev/nvme-fabrics's option table ("host_iface", "dhchap_secret"...);
  // empty when the table could not be read: then nothing is known, and nothing is refused.
  std::vector<std::string> options;
  // Whether the kernel has its DH-HMAC-CHAP code (the nvme_auth module). Kernels before 6.7
  // list dhchap_secret in their table whether or not they were built with authentication
  // (Debian 12's 6.1 lists it and has none: it takes a secret and connects without
  // authenticating), so the table alone does not tell.
  bool host_auth_code = true;

  bool known() const { return !options.empty(); }
  bool Has(std::string_view option) const;
  // DH-HMAC-CHAP: dhchap_secret in the table and the code to use it.
  bool dhchap() const { return Has("dhchap_secret") && host_auth_code; }
  // TLS on NVMe/TCP (TP8011): the kernel lists "tls" only when built with it.
  bool tls() const { return Has("tls"); }
};

// The kernel feature that a connect option belongs to, for messages: "DH-HMAC-CHAP
// authentication" for dhchap_secret, "NVMe/TCP TLS" for tls, keyring and tls_key; "" for the
// options this check leaves to the kernel (the rest of the table).
std::string_view KernelFeatureOf(std::string_view option);

// Whether `connect_string` has an option of KernelFeatureOf(): only then need the kernel's
// features be read for it.
bool UsesKernelFeatures(std::string_view connect_string);

// What `connect_string` (connect_string.h) asks of the kernel that `features` says it lacks,
// as one sentence naming the options and the kernel features ("the kernel has no DH-HMAC-CHAP
// authentication (needed for dhchap_secret)"); nullopt when the kernel has it all, or when
// its table is unknown. Only the options of KernelFeatureOf() are checked. The string holds
// secrets: only option names are read from it, and only names reach the sentence.
std::optional<std::string> MissingKernelFeature(const KernelFeatures& features,
                                                std::string_view connect_string);

}  // namespace stas
