// SPDX-License-Identifier: Apache-2.0
// stasadm as a user runs it (docs/compatibility.md, "stasadm"), on files in a private
// directory: what each
// subcommand writes, the errors, and the exit statuses.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "build_config.h"
#include "common/testing/file_helpers.h"
#include "tests/cli/run_program.h"

namespace stas {
namespace {

using ::testing::HasSubstr;
using testing::ProgramOutput;
using testing::RunProgram;
using testing::ShellQuote;
using ::testing::StartsWith;

const std::regex nqn_line_regex(
    "nqn\\.2014-08\\.org\\.nvmexpress:uuid:"
    "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n");
const std::regex uuid_v4_regex(
    "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

class StasadmCliTest : public ::testing::Test {
 protected:
  void SetUp() override { conf_ = dir_ + "/stas/sys.conf"; }

  // Runs stasadm with `args` (already quoted as needed).
  static ProgramOutput Stasadm(const std::string& args) {
    return RunProgram(std::string(STASADM_BIN) + " " + args);
  }
  // Runs `stasadm -c <conf_> args`.
  ProgramOutput StasadmConf(const std::string& args) const {
    return Stasadm("-c " + ShellQuote(conf_) + " " + args);
  }
  static std::string Read(const std::string& path) { return testing::ReadFileText(path); }
  static void Write(const std::string& path, const std::string& text) {
    testing::WriteFileText(path, text);
  }
  static mode_t Mode(const std::string& path) { return testing::FileMode(path); }
  static void ExpectSuccess(const ProgramOutput& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
  }

  testing::ScopedTempDir tmp_{"stasadm-cli-test"};
  std::string dir_ = tmp_.path();
  std::string conf_;
};

TEST_F(StasadmCliTest, VersionPrintsNvmeStasVersionAndChangesNothing) {
  for (const char* args : {"--version", "-v", "-v hostid", "hostid --version"}) {
    ProgramOutput r = StasadmConf(args);
    EXPECT_EQ(r.exit_code, 0) << args;
    EXPECT_EQ(r.out, std::string("nvme-stas ") + kVersion + "\n") << args;
    EXPECT_EQ(r.err, "") << args;
  }
  EXPECT_FALSE(std::filesystem::exists(conf_));
}

TEST_F(StasadmCliTest, NoSubcommandPrintsUsageAndExitsOne) {
  ProgramOutput r = StasadmConf("");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, StartsWith("Configuration utility for STAS.\nUsage: stasadm "));
  for (const char* text : {"hostnqn", "hostid", "set-symname", "clear-symname", "--conf-file",
                           "--version", "/etc/stas/sys.conf"}) {
    EXPECT_THAT(r.out, HasSubstr(text));
  }
  EXPECT_EQ(r.err, "");
  EXPECT_FALSE(std::filesystem::exists(conf_));
}

TEST_F(StasadmCliTest, UsageErrorsExitTwo) {
  for (const char* args : {"frobnicate", "set-symname", "hostnqn --bogus", "hostid extra"}) {
    ProgramOutput r = StasadmConf(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_NE(r.err, "") << args;
  }
  EXPECT_FALSE(std::filesystem::exists(conf_));
}

TEST_F(StasadmCliTest, HostnqnWithFileWritesBothFiles) {
  std::string file = dir_ + "/nvme/hostnqn";
  ExpectSuccess(StasadmConf("hostnqn -f " + ShellQuote(file)));
  std::string nqn = Read(file);
  EXPECT_TRUE(std::regex_match(nqn, nqn_line_regex)) << nqn;
  EXPECT_EQ(Read(conf_), "[Host]\nnqn = file://" + file + "\n\n");
  EXPECT_EQ(Mode(file), 0644u);
  EXPECT_EQ(Mode(conf_), 0644u);

  // With a usable /etc/machine-id the NQN is derived from it, so it does not change.
  std::string machine_id = Read("/etc/machine-id");
  if (std::regex_match(machine_id, std::regex("[0-9a-fA-F]{32}\n?"))) {
    ExpectSuccess(StasadmConf("hostnqn --file " + ShellQuote(file)));
    EXPECT_EQ(Read(file), nqn);
  }
}

TEST_F(StasadmCliTest, HostnqnWithoutFileWritesTheNqnIntoSysConf) {
  ExpectSuccess(StasadmConf("hostnqn"));
  std::string conf = Read(conf_);
  ASSERT_THAT(conf, StartsWith("[Host]\nnqn = "));
  ASSERT_EQ(conf.substr(conf.size() - 2), "\n\n");
  std::string line = conf.substr(13, conf.size() - 14);
  EXPECT_TRUE(std::regex_match(line, nqn_line_regex)) << conf;
}

TEST_F(StasadmCliTest, HostidWritesARandomUuid) {
  std::string file = dir_ + "/nvme/hostid";
  ExpectSuccess(StasadmConf("hostid -f " + ShellQuote(file)));
  std::string first = Read(file);
  ASSERT_EQ(first.size(), 37u) << first;
  EXPECT_TRUE(std::regex_match(first.substr(0, 36), uuid_v4_regex)) << first;
  EXPECT_EQ(first.back(), '\n');
  EXPECT_EQ(Read(conf_), "[Host]\nid = file://" + file + "\n\n");

  ExpectSuccess(StasadmConf("hostid"));
  std::string conf = Read(conf_);
  ASSERT_THAT(conf, StartsWith("[Host]\nid = "));
  std::string id = conf.substr(12, 36);
  EXPECT_TRUE(std::regex_match(id, uuid_v4_regex)) << conf;
  EXPECT_EQ(conf, "[Host]\nid = " + id + "\n\n");
  EXPECT_NE(id + "\n", first);
}

TEST_F(StasadmCliTest, AllSubcommandsTogetherGiveNvmeStasLayout) {
  std::string nqn_file = dir_ + "/nvme/hostnqn";
  std::string id_file = dir_ + "/nvme/hostid";
  ExpectSuccess(StasadmConf("hostnqn -f " + ShellQuote(nqn_file)));
  ExpectSuccess(StasadmConf("hostid -f " + ShellQuote(id_file)));
  ExpectSuccess(StasadmConf("set-symname 'Lab host 7'"));
  EXPECT_EQ(Read(conf_), "[Host]\nnqn = file://" + nqn_file + "\nid = file://" + id_file +
                             "\nsymname = Lab host 7\n\n");
  ExpectSuccess(StasadmConf("clear-symname"));
  EXPECT_EQ(Read(conf_), "[Host]\nnqn = file://" + nqn_file + "\nid = file://" + id_file + "\n\n");
}

TEST_F(StasadmCliTest, SetSymnameWithFile) {
  std::string file = dir_ + "/symname";
  ExpectSuccess(StasadmConf("set-symname -f " + ShellQuote(file) + " lab-host-7"));
  EXPECT_EQ(Read(file), "lab-host-7\n");
  EXPECT_EQ(Read(conf_), "[Host]\nsymname = file://" + file + "\n\n");
}

TEST_F(StasadmCliTest, RelativeFileIsNamedByItsAbsolutePath) {
  ExpectSuccess(RunProgram("cd " + ShellQuote(dir_) + " && " + STASADM_BIN + " -c " +
                           ShellQuote(conf_) + " hostid -f hostid"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/hostid"));
  EXPECT_EQ(Read(conf_), "[Host]\nid = file://" + dir_ + "/hostid\n\n");
}

TEST_F(StasadmCliTest, KeepsCommentsAndOtherSections) {
  const std::string before =
      "# written by hand\n[Host]\nkey = file:///etc/nvme/hostkey\n"
      "symname = old\n\n[Other]\nx = 1\n";
  Write(conf_, before);
  ExpectSuccess(StasadmConf("set-symname new"));
  EXPECT_EQ(Read(conf_),
            "# written by hand\n[Host]\nkey = file:///etc/nvme/hostkey\n"
            "symname = new\n\n[Other]\nx = 1\n");
  ExpectSuccess(StasadmConf("clear-symname"));
  EXPECT_EQ(Read(conf_),
            "# written by hand\n[Host]\nkey = file:///etc/nvme/hostkey\n\n"
            "[Other]\nx = 1\n");
}

TEST_F(StasadmCliTest, BadSymnamesAreRejected) {
  const std::string before = "[Host]\nsymname = old\n\n";
  Write(conf_, before);
  struct Case {
    std::string arg;
    std::string message;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"''",
            "stasadm: symbolic name \"\" is empty (clear-symname removes the symbolic name)\n"},
           {"\"$(printf 'a\\nb')\"",
            "stasadm: symbolic name \"a\\x0ab\" contains control characters\n"},
           {"\"$(printf 'bad\\377')\"", "stasadm: symbolic name \"bad\\xff\" is not valid UTF-8\n"},
           {"'a,b'", "stasadm: symbolic name \"a,b\" contains ',', which stafd and stacd ignore\n"},
           {std::string(256, 'x'), "stasadm: symbolic name \"" + std::string(256, 'x') +
                                       "\" is 256 bytes long, at most 255 are allowed\n"},
       }) {
    ProgramOutput r = StasadmConf("set-symname -- " + c.arg);
    EXPECT_EQ(r.exit_code, 1) << c.arg;
    EXPECT_EQ(r.out, "") << c.arg;
    EXPECT_EQ(r.err, c.message) << c.arg;
  }
  EXPECT_EQ(Read(conf_), before);
}

TEST_F(StasadmCliTest, ConfFileInMissingDirectoriesIsCreated) {
  conf_ = dir_ + "/a/b/c/sys.conf";
  ExpectSuccess(StasadmConf("set-symname s"));
  EXPECT_EQ(Read(conf_), "[Host]\nsymname = s\n\n");
}

TEST_F(StasadmCliTest, UnreadableConfFileIsAnError) {
  std::filesystem::create_directories(conf_);
  ProgramOutput r = StasadmConf("set-symname s");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "stasadm: cannot read " + conf_ + ": Is a directory; nothing was changed\n");
}

TEST_F(StasadmCliTest, EmptyConfFileNameWritesOnlyTheFile) {
  std::string file = dir_ + "/hostid";
  ExpectSuccess(Stasadm("-c '' hostid -f " + ShellQuote(file)));
  EXPECT_TRUE(std::regex_match(Read(file), std::regex("[-0-9a-f]{36}\n")));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/stas"));
}

// Runs stasadm as user nobody, which may not write into root's directories.
class StasadmUnprivilegedTest : public StasadmCliTest {
 protected:
  void SetUp() override {
    StasadmCliTest::SetUp();
    if (::geteuid() != 0)
      GTEST_SKIP() << "needs root, to run stasadm as user nobody with setpriv";
    ProgramOutput probe = RunProgram(AsNobody() + " --version");
    if (probe.exit_code != 0)
      GTEST_SKIP() << "cannot run stasadm as nobody: " << probe.err;
    // mkdtemp() made the directory 0700: nobody may enter it, not write to it.
    ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
    std::filesystem::create_directories(dir_ + "/stas");
  }
  static std::string AsNobody() {
    return std::string("setpriv --reuid=nobody --regid=nogroup --clear-groups ") + STASADM_BIN;
  }
};

TEST_F(StasadmUnprivilegedTest, CannotWriteSysConf) {
  ProgramOutput r = RunProgram(AsNobody() + " -c " + ShellQuote(conf_) + " hostid");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "stasadm: cannot write " + conf_ + ": cannot create a file in " + dir_ +
                       "/stas: Permission denied (root privileges required)\n");
  EXPECT_FALSE(std::filesystem::exists(conf_));
}

TEST_F(StasadmUnprivilegedTest, CannotReadSysConf) {
  Write(conf_, "[Host]\n");
  ASSERT_EQ(::chmod(conf_.c_str(), 0600), 0);
  ProgramOutput r = RunProgram(AsNobody() + " -c " + ShellQuote(conf_) + " clear-symname");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "stasadm: cannot read " + conf_ +
                       ": Permission denied (root privileges required); nothing was changed\n");
}

TEST_F(StasadmUnprivilegedTest, FileWrittenButNotSysConf) {
  // A directory anyone may write to holds the -f file; sys.conf's stays root's.
  std::string open_dir = dir_ + "/open";
  std::filesystem::create_directories(open_dir);
  ASSERT_EQ(::chmod(open_dir.c_str(), 0777), 0);
  std::string file = open_dir + "/hostid";
  ProgramOutput r =
      RunProgram(AsNobody() + " -c " + ShellQuote(conf_) + " hostid -f " + ShellQuote(file));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "stasadm: cannot write " + conf_ + ": cannot create a file in " + dir_ +
                       "/stas: Permission denied (root privileges required) (" + file +
                       " was written, but " + conf_ + " does not name it)\n");
  EXPECT_TRUE(std::regex_match(Read(file), std::regex("[-0-9a-f]{36}\n")));
}

TEST_F(StasadmUnprivilegedTest, CannotWriteTheFile) {
  std::string file = dir_ + "/nvme/hostnqn";
  ProgramOutput r =
      RunProgram(AsNobody() + " -c " + ShellQuote(conf_) + " hostid -f " + ShellQuote(file));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "stasadm: cannot write " + file + ": cannot create directory " + dir_ +
                       "/nvme: Permission denied (root privileges required)\n");
  EXPECT_FALSE(std::filesystem::exists(conf_));
}

}  // namespace
}  // namespace stas
