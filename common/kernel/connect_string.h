// SPDX-License-Identifier: Apache-2.0
// The option string that creates a controller when written to /dev/nvme-fabrics, and the
// kernel's answer to it. The daemons write it themselves instead of through libnvme 1.3's
// nvmf_add_ctrl(), which rescans every NVMe subsystem in sysfs after each connect (a cost
// that grows with the controllers a host has) and cannot send options 1.3 does not know.
//
// The kernel splits the string on ',' and each option on its first '=' (its option table:
// the first line read from /dev/nvme-fabrics). The options and their order are libnvme 1.3's
// (docs/compatibility.md, "The connect string"), so that a controller is made exactly as
// before: what nvme-stas users see in the kernel does not change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/kernel/nvme_kernel.h"
#include "common/result.h"

namespace stas {

// A kernel key's serial number (key_serial_t).
using KeySerial = int32_t;

// The key serials a connect string names, found just before the connect (PrepareTlsKeys() in
// tls_keyring.h); unset: not sent.
struct TlsKeySerials {
  std::optional<KeySerial> keyring;  // keyring=: where the kernel looks the PSK up
  std::optional<KeySerial> tls_key;  // tls_key=: the PSK itself
};

// The connect string of `req`, with the key serials `serials`. EINVAL if a value would change
// the string's meaning (a ',' or a control character) or the request has no host NQN. The
// string holds the request's DH-HMAC-CHAP secrets: pass it through RedactSecrets() before it
// goes near a log.
Result<std::string> BuildConnectString(const ConnectRequest& req,
                                       const TlsKeySerials& serials = {});

// The host NQN a connect of `req` sends: the TID's, else the host's.
const std::string& HostNqnOf(const ConnectRequest& req);

// The DH-HMAC-CHAP host secret a connect of `req` sends (dhchap_secret), "" for none: for an I/O
// controller the host's key (sys.conf) when there is one, else the controller's own (as
// libnvme 1.3 chose); for a discovery controller only its own `dhchap-secret` (the host's key
// was never sent to DCs: a DC that authenticates is configured with its key).
std::string HostSecretOf(const ConnectRequest& req);

// The instance number (N of nvmeN) in the kernel's answer to a connect ("instance=N,cntlid=M"
// and a newline). EPROTO if there is none.
Result<int> ParseConnectAnswer(std::string_view answer);

}  // namespace stas
