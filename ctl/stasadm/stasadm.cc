// SPDX-License-Identifier: Apache-2.0
// stasadm: writes the host's NVMe identity into sys.conf (docs/compatibility.md, "stasadm"):
// hostnqn, hostid, set-symname, clear-symname, which print nothing on success; and
// gen-dhchap-key, which prints a new DH-HMAC-CHAP key as `nvme gen-dhchap-key` does; and
// tls-key-insert, tls-key-list, tls-key-remove, the TLS PSKs of the kernel's .nvme keyring
// (stasadm_tls.h). Errors go to stderr with exit status 1 (2 for a usage error).
#include <CLI/CLI.hpp>
#include <cerrno>
#include <exception>
#include <iostream>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <optional>
#include <string>
#include <sys/random.h>
#include <system_error>
#include <unistd.h>

#include "common/config/host_identity.h"
#include "common/dhchap_key.h"
#include "common/nvme_names.h"
#include "common/str_util.h"
#include "ctl/ctl_app.h"
#include "ctl/stasadm/stasadm_host_uuid.h"
#include "ctl/stasadm/stasadm_save.h"
#include "ctl/stasadm/stasadm_tls.h"
#include "ctl/stasadm/stasadm_uuid.h"
#include "ctl/stasadm/stasadm_values.h"

namespace stas::ctl {
namespace {

constexpr const char* kNqnPrefix = "nqn.2014-08.org.nvmexpress:uuid:";

int Error(const std::string& message) {
  std::cerr << "stasadm: " << message << "\n";
  return 1;
}

// Saves `value` as [Host] `option`; `file` is the -f argument, if given.
int SaveOption(const std::string& conf_file, const std::string& option,
               std::optional<std::string> value, const std::optional<std::string>& file) {
  SaveRequest request{conf_file, option, std::move(value), std::nullopt};
  if (file) {
    Result<std::string> path = ValueFilePath(*file);
    if (!path)
      return Error(path.error().message);
    request.file = *path;
  }
  if (Status s = Save(request); !s)
    return Error(s.error().message);
  return 0;
}

int HostNqn(const std::string& conf_file, const std::optional<std::string>& file) {
  Result<std::string> uuid = HostUuid(HostUuidSources{}, ::geteuid() == 0);
  if (!uuid) {
    // nvme-stas's message, without our prefix: scripts may look for it.
    std::cerr << uuid.error().message << "\n";
    return 1;
  }
  return SaveOption(conf_file, "nqn", kNqnPrefix + *uuid, file);
}

int HostId(const std::string& conf_file, const std::optional<std::string>& file) {
  Result<std::string> uuid = RandomUuid();
  if (!uuid)
    return Error(uuid.error().message);
  return SaveOption(conf_file, "id", *uuid, file);
}

int SetSymname(const std::string& conf_file, const std::string& symname,
               const std::optional<std::string>& file) {
  if (std::optional<std::string> why = SymnameProblem(symname, file.has_value()))
    return Error("symbolic name \"" + Printable(symname) + "\" " + *why);
  return SaveOption(conf_file, "symname", symname, file);
}

// An option's value if it was given, or nullopt.
template <class T>
std::optional<T> Given(const CLI::Option* option, const T& value) {
  if (option->count() == 0)
    return std::nullopt;
  return value;
}

// The options of gen-dhchap-key, spelled as nvme-cli spells them.
struct DhchapOptions {
  std::string secret;  // hex
  long long key_length = 0;
  int hmac = 0;
  std::string nqn;
  CLI::Option* secret_option = nullptr;
  CLI::Option* key_length_option = nullptr;
  CLI::Option* nqn_option = nullptr;
};

// `length` bytes from the kernel's CSPRNG. getrandom(2) fills a request of up to 256 bytes in
// one call, uninterrupted by signals, once the pool is initialised (it waits until then).
Result<DhchapBytes> RandomBytes(size_t length) {
  DhchapBytes bytes(length);
  ssize_t n = ::getrandom(bytes.data(), bytes.size(), 0);
  if (n != static_cast<ssize_t>(bytes.size())) {
    int err = n < 0 ? errno : EIO;
    return Fail(err, "cannot get random bytes: " + std::generic_category().message(err));
  }
  return bytes;
}

// nvme-cli's transformation (libnvme's nvme_gen_dhchap_key()): HMAC with hash `hmac` (1..3),
// keyed with the secret, over the host NQN and "NVMe-over-Fabrics".
Result<DhchapBytes> TransformKey(int hmac, const DhchapBytes& secret, const std::string& nqn) {
  const EVP_MD* md = hmac == 1 ? EVP_sha256() : hmac == 2 ? EVP_sha384() : EVP_sha512();
  std::string data = DhchapTransformData(nqn);
  DhchapBytes key(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  if (HMAC(md, secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), key.data(),
           &length) == nullptr) {
    return Fail(EIO, "HMAC-" + std::string(DhchapHashName(hmac)) + " failed in libcrypto");
  }
  key.resize(length);
  return key;
}

// The host NQN the daemons use (sys.conf's [Host] nqn, else /etc/nvme/hostnqn), which is the
// NQN the kernel transforms the key with again when it connects.
Result<std::string> ConfiguredHostNqn(const std::string& conf_file) {
  SysConfPaths paths = SysConfPaths::Default();
  paths.sys_conf = conf_file;
  Result<HostIdentity> id = LoadHostIdentity(paths, nullptr);
  if (!id)
    return Fail(id.error());
  return id->hostnqn;
}

// Prints the key and a newline on stdout, and nothing else anywhere: the messages of the
// functions called never quote the secret.
int GenDhchapKey(const std::string& conf_file, const DhchapOptions& o) {
  Result<size_t> length = DhchapKeyLength(o.hmac, Given(o.key_length_option, o.key_length));
  if (!length)
    return Error(length.error().message);
  std::optional<std::string> nqn = Given(o.nqn_option, o.nqn);
  if (nqn) {
    if (std::optional<std::string> why = CheckNqn(*nqn, /*require_nqn_prefix=*/true))
      return Error("--nqn \"" + Printable(*nqn) + "\": " + *why);
  }
  Result<DhchapBytes> key = o.secret_option->count() != 0 ? ParseDhchapHexSecret(o.secret, *length)
                                                          : RandomBytes(*length);
  if (!key)
    return Error(key.error().message);
  if (o.hmac > 0) {
    if (!nqn) {
      Result<std::string> host = ConfiguredHostNqn(conf_file);
      if (!host)
        return Error("--hmac needs the host NQN (give it with --nqn): " + host.error().message);
      nqn = *host;
    }
    key = TransformKey(o.hmac, *key, *nqn);
    if (!key)
      return Error(key.error().message);
  }
  Result<std::string> text = EncodeDhchapSecret(o.hmac, *key);
  if (!text)
    return Error(text.error().message);
  std::cout << *text << "\n" << std::flush;
  if (!std::cout)
    return Error("cannot write the key to standard output");
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app("Configuration utility for STAS.", "stasadm");
  // Before any subcommand is added: subcommands copy this setting when they are created.
  app.fallthrough();  // global options are also accepted after the subcommand
  bool version = false;
  std::string conf_file = SysConfPaths::Default().sys_conf;
  app.add_flag("-v,--version", version, "Print version, then exit");
  app.add_option("-c,--conf-file", conf_file,
                 "Configuration file. Default " + conf_file +
                     ". With -c \"\", only the -f file is written.")
      ->type_name("FILE");

  std::string file;
  CLI::App* hostnqn =
      app.add_subcommand("hostnqn", "Configure the host NQN. The NQN is auto-generated.");
  CLI::Option* hostnqn_file =
      hostnqn->add_option("-f,--file", file, "Optional file where to save the NQN.")
          ->type_name("FILE");

  CLI::App* hostid =
      app.add_subcommand("hostid", "Configure the host ID. The ID is auto-generated.");
  CLI::Option* hostid_file =
      hostid->add_option("-f,--file", file, "Optional file where to save the ID.")
          ->type_name("FILE");

  std::string symname;
  CLI::App* set_symname = app.add_subcommand("set-symname", "Set the host symbolic name");
  CLI::Option* symname_file =
      set_symname->add_option("-f,--file", file, "Optional file where to save the symbolic name.")
          ->type_name("FILE");
  set_symname->add_option("SYMNAME", symname, "Symbolic name")->required()->type_name("");

  CLI::App* clear_symname = app.add_subcommand("clear-symname", "Clear the host symbolic name");

  DhchapOptions dhchap;
  CLI::App* gen_dhchap_key = app.add_subcommand(
      "gen-dhchap-key", "Generate a DH-HMAC-CHAP host key, as nvme gen-dhchap-key does");
  dhchap.secret_option = gen_dhchap_key
                             ->add_option("-s,--secret", dhchap.secret,
                                          "The key's secret in hex, instead of random bytes")
                             ->type_name("HEX");
  dhchap.key_length_option =
      gen_dhchap_key
          ->add_option("-l,--key-length", dhchap.key_length,
                       "Key length in bytes. Default: 32, or the digest length of the HMAC hash")
          ->type_name("{32,48,64}");
  gen_dhchap_key
      ->add_option("-m,--hmac", dhchap.hmac,
                   "Transform the secret with HMAC: 0 none (default), 1 SHA-256, 2 SHA-384, "
                   "3 SHA-512")
      ->type_name("{0,1,2,3}");
  dhchap.nqn_option =
      gen_dhchap_key
          ->add_option("-n,--nqn", dhchap.nqn,
                       "Host NQN for the transformation. Default: the host NQN of the "
                       "configuration file")
          ->type_name("NQN");

  TlsKeyCommands tls_key(app);

  if (int rc = ParseCommandLine(app, argc, argv, version); rc >= 0)
    return rc;
  if (hostnqn->parsed())
    return HostNqn(conf_file, Given(hostnqn_file, file));
  if (hostid->parsed())
    return HostId(conf_file, Given(hostid_file, file));
  if (set_symname->parsed())
    return SetSymname(conf_file, symname, Given(symname_file, file));
  if (clear_symname->parsed())
    return SaveOption(conf_file, "symname", std::nullopt, std::nullopt);
  if (gen_dhchap_key->parsed())
    return GenDhchapKey(conf_file, dhchap);
  if (tls_key.Parsed())
    return tls_key.Run([&conf_file] { return ConfiguredHostNqn(conf_file); });
  // What nvme-stas does without a subcommand: help on stdout, exit status 1.
  std::cout << app.help();
  return 1;
}

}  // namespace
}  // namespace stas::ctl

int main(int argc, char** argv) {
  try {
    return stas::ctl::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "stasadm: " << e.what() << "\n";
    return 1;
  }
}
