// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/connect_string.h"

#include <cerrno>
#include <charconv>
#include <optional>

#include "common/defs.h"

namespace stas {
namespace {

// Whether the kernel would misread `value` as an option's value: ',' starts another option in
// its parser, and a control character has no place in any value (its log would print it).
bool Misreadable(std::string_view value) {
  for (char c : value) {
    if (c == ',' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return true;
  }
  return false;
}

Unexpected MisreadableFail(const std::string& name) {
  return Fail(EINVAL, "connect: the value of " + name +
                          " has a character the kernel's option parser would misread");
}

// The options after the first, appended in order; the first value that cannot be sent is kept
// for the error.
class OptionWriter {
 public:
  explicit OptionWriter(std::string first) : out_(std::move(first)) {}

  void Text(const char* name, const std::string& value) {
    if (value.empty() || value == "none")
      return;
    if (Misreadable(value)) {
      if (bad_.empty())
        bad_ = name;
      return;
    }
    out_ += ',';
    out_ += name;
    out_ += '=';
    out_ += value;
  }
  // "name=N" when the value is set and at least `min`.
  void Int(const char* name, std::optional<int> value, int min) {
    if (value && *value >= min)
      Text(name, std::to_string(*value));
  }
  // "name" when the value is set and true.
  void Flag(const char* name, std::optional<bool> value) {
    if (value.value_or(false)) {
      out_ += ',';
      out_ += name;
    }
  }

  Result<std::string> Done() && {
    if (!bad_.empty())
      return MisreadableFail(bad_);
    return std::move(out_);
  }

 private:
  std::string out_;
  std::string bad_;
};

}  // namespace

const std::string& HostNqnOf(const ConnectRequest& req) {
  return req.tid.host_nqn().empty() ? req.host.hostnqn : req.tid.host_nqn();
}

Result<std::string> BuildConnectString(const ConnectRequest& req, const TlsKeySerials& serials) {
  const Tid& tid = req.tid;
  const std::string& hostnqn = HostNqnOf(req);
  if (hostnqn.empty())
    return Fail(EINVAL, "connect: no host NQN");
  if (tid.subsysnqn().empty())
    return Fail(EINVAL, "connect: no subsystem NQN");
  if (Misreadable(tid.subsysnqn()))
    return MisreadableFail("nqn");
  const bool io = !req.discovery;
  OptionWriter w("nqn=" + tid.subsysnqn());
  w.Text("transport", tid.transport());
  w.Text("traddr", tid.traddr());
  w.Text("host_traddr", tid.host_traddr());
  w.Text("host_iface", tid.host_iface());
  w.Text("trsvcid", tid.trsvcid());
  w.Text("hostnqn", hostnqn);
  w.Text("hostid", req.host.hostid);
  // A DC with a unique NQN (TP8013) says so; the well-known NQN is one anyway.
  if (req.discovery && tid.subsysnqn() != kWellKnownDiscoveryNqn)
    w.Flag("discovery", true);
  // docs/compatibility.md, "Authentication".
  w.Text("dhchap_secret", HostSecretOf(req));
  w.Text("dhchap_ctrl_secret", req.dhchap_ctrl_secret.value_or(""));
  const ConnectOptions& o = req.options;
  if (io) {
    w.Int("nr_io_queues", o.nr_io_queues, 1);
    w.Int("nr_write_queues", o.nr_write_queues, 1);
    w.Int("nr_poll_queues", o.nr_poll_queues, 1);
    w.Int("queue_size", o.queue_size, 1);
  }
  // Every discovery connection has an explicit keep-alive, whatever the configuration says: it
  // is what makes the kernel keep it and report its AENs (a DC with a unique NQN gets none by
  // default).
  std::optional<int> kato = o.kato;
  if (req.discovery && kato.value_or(0) < 1)
    kato = kDiscoveryKeepAliveS;
  w.Int("keep_alive_tmo", kato, 1);
  w.Int("reconnect_delay", o.reconnect_delay, 1);
  // Sent unless set below -1, 600 when not set (the kernel's own default, made explicit as
  // libnvme does); the loop transport has no reconnection to time.
  if (tid.transport() != "loop")
    w.Int("ctrl_loss_tmo", o.ctrl_loss_tmo.value_or(600), -1);
  w.Flag("disable_sqflow", o.disable_sqflow);
  if (tid.transport() == "tcp") {
    w.Flag("hdr_digest", o.hdr_digest);
    w.Flag("data_digest", o.data_digest);
    w.Flag("tls", o.tls);
    if (o.tls.value_or(false)) {
      w.Int("keyring", serials.keyring, 1);
      w.Int("tls_key", serials.tls_key, 1);
    }
  }
  return std::move(w).Done();
}

std::string HostSecretOf(const ConnectRequest& req) {
  if (!req.discovery && req.host.hostkey && !req.host.hostkey->empty())
    return *req.host.hostkey;
  return req.dhchap_secret.value_or("");
}

Result<int> ParseConnectAnswer(std::string_view answer) {
  constexpr std::string_view kInstance = "instance=";
  while (!answer.empty()) {
    std::size_t end = answer.find_first_of(",\n");
    std::string_view token = answer.substr(0, end);
    answer = end == std::string_view::npos ? std::string_view{} : answer.substr(end + 1);
    if (token.substr(0, kInstance.size()) != kInstance)
      continue;
    std::string_view digits = token.substr(kInstance.size());
    int instance = -1;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), instance);
    if (ec == std::errc() && p == digits.data() + digits.size() && instance >= 0)
      return instance;
    break;
  }
  return Fail(EPROTO, "connect: no instance in the answer of /dev/nvme-fabrics");
}

}  // namespace stas
