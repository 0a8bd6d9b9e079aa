// SPDX-License-Identifier: Apache-2.0
// The daemons' command line as a user runs it: --help, --version, --dump-config.
#include <fstream>
#include <nlohmann/json.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/cli/run_program.h"

namespace stas {
namespace {

using ::testing::HasSubstr;
using testing::RunProgram;

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/stas-cli-test-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(DaemonCliTest, HelpListsEveryOption) {
  for (const char* bin : {STAFD_BIN, STACD_BIN}) {
    auto r = RunProgram(std::string(bin) + " --help");
    EXPECT_EQ(r.exit_code, 0);
    for (const char* opt : {"--conf-file", "--syslog", "--tron", "--version", "--dump-config"}) {
      EXPECT_THAT(r.out, HasSubstr(opt)) << bin;
    }
    EXPECT_THAT(r.out, HasSubstr("Must be root to run this program."));
  }
}

TEST(DaemonCliTest, VersionPrintsTwoLines) {
  auto r = RunProgram(std::string(STAFD_BIN) + " --version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, ::testing::MatchesRegex("nvme-stas [0-9.]+\nlibnvme [0-9.]+\n"));
}

TEST(DaemonCliTest, UsageErrorExitsWithTwo) {
  auto r = RunProgram(std::string(STACD_BIN) + " --no-such-option");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--no-such-option"));
}

TEST(DaemonCliTest, DumpConfigOfNvmeStasShippedFilesIsOurDefaults) {
  for (const char* name : {"stafd", "stacd"}) {
    std::string bin = std::string(name) == "stafd" ? STAFD_BIN : STACD_BIN;
    std::string fixture = std::string(STAS_TESTDATA_DIR) + "/nvme-stas-2.x-" + name + ".conf";
    auto shipped = RunProgram(bin + " --dump-config -f " + fixture);
    auto empty = RunProgram(bin + " --dump-config -f /dev/null");
    ASSERT_EQ(shipped.exit_code, 0) << shipped.err;
    ASSERT_EQ(empty.exit_code, 0) << empty.err;
    EXPECT_EQ(shipped.err, "");
    EXPECT_EQ(nlohmann::json::parse(shipped.out), nlohmann::json::parse(empty.out));
  }
}

TEST(DaemonCliTest, DumpConfigShowsValuesAndReportsProblems) {
  std::string conf = WriteTemp(
      "[Global]\nkato=abc\nip-family=ipv6\n"
      "[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.1;dhchap-secret=DHHC-1:00:YWJj:\n"
      "controller=transport=tcp;traddr=192.0.2.2,x=y\n");
  auto r = RunProgram(std::string(STAFD_BIN) + " --dump-config -f " + conf);
  unlink(conf.c_str());
  ASSERT_EQ(r.exit_code, 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["Global"]["kato"], 30);
  EXPECT_EQ(j["Global"]["ip-family"], "ipv6");
  ASSERT_EQ(j["Controllers"]["controller"].size(), 1u);
  EXPECT_EQ(j["Controllers"]["controller"][0]["dhchap-secret"], "<redacted>");
  EXPECT_EQ(r.out.find("YWJj"), std::string::npos);
  EXPECT_THAT(r.err, HasSubstr(conf + ":2: [Global] kato: invalid value \"abc\""));
  EXPECT_THAT(r.err, HasSubstr(conf + ":6: [Controllers] controller="));
  EXPECT_THAT(r.err, HasSubstr("contains ','"));
}

TEST(DaemonCliTest, DumpConfigOfUnreadableFileFails) {
  auto missing = RunProgram(std::string(STAFD_BIN) + " --dump-config -f /nonexistent/stafd.conf");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent/stafd.conf: No such file or directory"));
  EXPECT_EQ(missing.out, "");
  auto dir = RunProgram(std::string(STACD_BIN) + " --dump-config -f /");
  EXPECT_EQ(dir.exit_code, 1);
  EXPECT_THAT(dir.err, HasSubstr("Is a directory"));
}

}  // namespace
}  // namespace stas
