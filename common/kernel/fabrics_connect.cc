// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/fabrics_connect.h"

#include <cerrno>
#include <fcntl.h>
#include <string_view>
#include <system_error>
#include <unistd.h>

#include "common/kernel/connect_string.h"
#include "common/kernel/tls_keyring.h"
#include "common/log.h"
#include "common/secrets.h"

namespace stas {
namespace {

// The kernel refused the connect string of `req`: its write failed with `code`.
Unexpected WriteFail(int code, const ConnectRequest& req) {
  std::string why;
  switch (code) {
    case EALREADY:
      why = "the kernel already has a controller with these addresses and host";
      break;
    case ENOKEY:
      // With tls: nvme_tls_psk_default() found no PSK with this host's and subsystem's
      // identity (or the key tls_key= named is gone). Without: the target wants DH-HMAC-CHAP.
      why = req.options.tls.value_or(false)
                ? "the kernel found no TLS PSK for this host and subsystem in " +
                      KeyringName(req.keyring.value_or(kDefaultTlsKeyring))
                : std::string("the controller requires DH-HMAC-CHAP authentication");
      break;
    case EINVAL:
      why = "the kernel refused an option or its value (its log says which)";
      break;
    default:
      why = std::generic_category().message(code);
  }
  return Fail(code, "connect: " + why);
}

}  // namespace

Result<std::string> FabricsConnect(const std::string& fabrics_dev, const ConnectRequest& req,
                                   const TlsKeySerials& serials) {
  Result<std::string> options = BuildConnectString(req, serials);
  if (!options)
    return Fail(options.error());
  // The line libnvme printed at debug level (tron), secrets redacted.
  LOG_DEBUG("connect ctrl, '%s'", RedactSecrets(*options).c_str());
  int fd = open(fabrics_dev.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    int code = errno;
    return Fail(code == ENOENT ? ENODEV : code, "connect: cannot open " + fabrics_dev + ": " +
                                                    std::generic_category().message(code));
  }
  // One write is one connect (the kernel parses each write as a whole option string): never a
  // loop that would send the rest of a short write as another.
  ssize_t written = 0;
  do {
    written = write(fd, options->data(), options->size());
  } while (written < 0 && errno == EINTR);
  if (written < 0 || static_cast<size_t>(written) != options->size()) {
    int code = written < 0 ? errno : EIO;
    close(fd);
    return WriteFail(code, req);
  }
  char answer[256];
  ssize_t got = 0;
  do {
    got = read(fd, answer, sizeof(answer));
  } while (got < 0 && errno == EINTR);
  int read_code = errno;
  close(fd);
  if (got < 0) {
    return Fail(read_code, "connect: reading the kernel's answer: " +
                               std::generic_category().message(read_code));
  }
  Result<int> instance = ParseConnectAnswer(std::string_view(answer, static_cast<size_t>(got)));
  if (!instance)
    return Fail(instance.error());
  std::string name = "nvme" + std::to_string(*instance);
  LOG_DEBUG("%s: %s connected", name.c_str(), req.tid.subsysnqn().c_str());
  return name;
}

}  // namespace stas
