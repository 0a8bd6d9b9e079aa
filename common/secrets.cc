// SPDX-License-Identifier: Apache-2.0
#include "common/secrets.h"

#include <array>

namespace stas {
namespace {

// tls_key, the kernel's option, names a key by its serial: no secret.
constexpr std::array<std::string_view, 5> kSecretKeys = {
    "dhchap-secret", "dhchap-ctrl-secret", "tls-key", "dhchap_secret", "dhchap_ctrl_secret"};
// The NVMe representations of a DH-HMAC-CHAP secret and of a TLS PSK interchange key.
constexpr std::array<std::string_view, 2> kSecretForms = {"DHHC-1:", "NVMeTLSkey-1:"};

bool EndsValue(char c) {
  return c == ',' || c == ';' || c == '\'' || c == '"' || c == ' ' || c == '\t' || c == '\n' ||
         c == '\r';
}

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Whether a secret starts at `pos`: "<secret key>=" (the key not part of a longer word) or a
// secret's form. Sets *value_start to where the part to redact begins.
bool SecretAt(std::string_view text, size_t pos, size_t* value_start) {
  for (std::string_view form : kSecretForms) {
    if (text.substr(pos, form.size()) == form) {
      *value_start = pos;
      return true;
    }
  }
  if (pos > 0 && IsKeyChar(text[pos - 1]))
    return false;
  for (std::string_view key : kSecretKeys) {
    size_t after = pos + key.size();
    if (text.substr(pos, key.size()) != key)
      continue;
    while (after < text.size() && (text[after] == ' ' || text[after] == '\t'))
      ++after;
    if (after < text.size() && text[after] == '=') {
      *value_start = after + 1;
      while (*value_start < text.size() && text[*value_start] == ' ')
        ++*value_start;
      return true;
    }
  }
  return false;
}

}  // namespace

bool IsSecretKey(std::string_view key) {
  for (std::string_view k : kSecretKeys) {
    if (k == key)
      return true;
  }
  return false;
}

std::string RedactSecrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t value_start = 0;
    if (!SecretAt(text, i, &value_start)) {
      out += text[i++];
      continue;
    }
    out.append(text.substr(i, value_start - i));
    size_t end = value_start;
    while (end < text.size() && !EndsValue(text[end]))
      ++end;
    out += kRedacted;
    i = end;
  }
  return out;
}

}  // namespace stas
