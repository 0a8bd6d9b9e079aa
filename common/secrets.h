// SPDX-License-Identifier: Apache-2.0
// Keeping DH-HMAC-CHAP secrets and TLS keys out of every log line. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace stas {

inline constexpr const char* kRedacted = "<redacted>";

// True for the keys whose values are secrets, in controller= entries ("dhchap-secret",
// "dhchap-ctrl-secret", "tls-key") and in the kernel's connect options ("dhchap_secret",
// "dhchap_ctrl_secret"; its "tls_key" is a key's serial).
bool IsSecretKey(std::string_view key);

// `text` with every secret replaced by "<redacted>": the value after "<secret key>=", and any
// word in a secret's own form ("DHHC-1:...", "NVMeTLSkey-1:...") wherever it stands, so that a
// mistyped key or a library's debug line gives nothing away either. A value ends at ',', ';',
// a quote or a blank. Text without secrets comes back unchanged.
std::string RedactSecrets(std::string_view text);

}  // namespace stas
