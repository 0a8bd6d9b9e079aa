// SPDX-License-Identifier: Apache-2.0
// Syntax checks for the names and addresses that end up in the option string libnvme writes to
// /dev/nvme-fabrics ("nqn=...,traddr=...,host_iface=..."). Anything these accept cannot inject
// an extra option: none of them lets through ',' , whitespace or control characters.
// Pure functions, thread-safe. Each Check* returns nullopt when the text is valid, else why not.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stas {

// An NQN as the kernel accepts it: 1..223 bytes of printable ASCII without ',' or blanks.
// With `require_nqn_prefix`, it must also start with "nqn." (the host NQN rule of nvme-stas).
std::optional<std::string> CheckNqn(std::string_view s, bool require_nqn_prefix);

// A host ID: a UUID, 8-4-4-4-12 hex digits (the kernel parses it with uuid_parse()).
std::optional<std::string> CheckUuid(std::string_view s);

// A DH-HMAC-CHAP secret in the NVMe representation "DHHC-1:NN:<base64>:": the form only,
// which keeps the value from injecting an option; the kernel checks the key itself at connect
// time. DecodeDhchapSecret() (dhchap_key.h) starts from this check and also verifies the key's
// length and CRC.
std::optional<std::string> CheckDhchapSecret(std::string_view s);

// A Linux interface name: 1..15 bytes, no '/', ':', blanks or control characters.
std::optional<std::string> CheckInterfaceName(std::string_view s);

// The name of a kernel keyring (`keyring=`): 1..255 printable ASCII bytes without blanks or
// ',' (the daemons look it up by name and send its serial).
std::optional<std::string> CheckKeyringName(std::string_view s);

// A DNS host name: labels of letters, digits and '-', separated by '.', at most 253 bytes.
std::optional<std::string> CheckHostname(std::string_view s);

// A Fibre Channel address "nn-0x<16 hex>:pn-0x<16 hex>".
std::optional<std::string> CheckFcAddress(std::string_view s);

// A TCP/UDP port number 1..65535, in decimal, without leading zeros: the kernel reads
// trsvcid with base 0, so "04420" would be port 2320 (octal).
std::optional<std::string> CheckPort(std::string_view s);

// A traddr or host-traddr for `transport`: for fc an FC address; otherwise an IP literal or a
// host name, an IPv6 literal in brackets being accepted and unbracketed in `*value`.
std::optional<std::string> CheckTransportAddress(std::string_view transport, std::string* value);

// Printable ASCII with no ',' and no blanks: the minimum for any value passed to the kernel.
std::optional<std::string> CheckSafeToken(std::string_view s);

// True for a kernel controller name: "nvme" followed by decimal digits only (never a path).
bool IsControllerName(const std::string& name);

}  // namespace stas
