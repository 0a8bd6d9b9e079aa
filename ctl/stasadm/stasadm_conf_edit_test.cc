// SPDX-License-Identifier: Apache-2.0
#include "ctl/stasadm/stasadm_conf_edit.h"

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "common/config/ini_file.h"

namespace stas::ctl {
namespace {

TEST(StasadmConfEditTest, EmptyFileGetsConfigparserFormat) {
  EXPECT_EQ(EditHostOption("", "nqn", "file:///etc/nvme/hostnqn"),
            "[Host]\nnqn = file:///etc/nvme/hostnqn\n\n");
  // nvme-stas's clear-symname still adds the section.
  EXPECT_EQ(EditHostOption("", "symname", std::nullopt), "[Host]\n\n");
}

TEST(StasadmConfEditTest, FileWrittenByStasadmStaysInConfigparserFormat) {
  std::string text = EditHostOption("", "nqn", "file:///etc/nvme/hostnqn");
  text = EditHostOption(text, "id", "file:///etc/nvme/hostid");
  EXPECT_EQ(text, "[Host]\nnqn = file:///etc/nvme/hostnqn\nid = file:///etc/nvme/hostid\n\n");
  text = EditHostOption(text, "symname", "lab-host-7");
  EXPECT_EQ(text,
            "[Host]\nnqn = file:///etc/nvme/hostnqn\nid = file:///etc/nvme/hostid\n"
            "symname = lab-host-7\n\n");
  text = EditHostOption(text, "nqn", "nqn.2014-08.org.nvmexpress:uuid:x");
  EXPECT_EQ(text,
            "[Host]\nnqn = nqn.2014-08.org.nvmexpress:uuid:x\nid = file:///etc/nvme/hostid\n"
            "symname = lab-host-7\n\n");
  text = EditHostOption(text, "symname", std::nullopt);
  EXPECT_EQ(text,
            "[Host]\nnqn = nqn.2014-08.org.nvmexpress:uuid:x\nid = file:///etc/nvme/hostid\n\n");
}

TEST(StasadmConfEditTest, KeepsCommentsAndOtherSections) {
  const std::string text =
      "# sys.conf: written by hand\n"
      "[Host]\n"
      "; the NQN\n"
      "nqn=file:///etc/nvme/hostnqn\n"
      "key = file:///etc/nvme/hostkey\n"
      "\n"
      "# next section\n"
      "[Other]\n"
      "nqn = not touched\n";
  EXPECT_EQ(EditHostOption(text, "id", "file:///etc/nvme/hostid"),
            "# sys.conf: written by hand\n"
            "[Host]\n"
            "; the NQN\n"
            "nqn=file:///etc/nvme/hostnqn\n"
            "key = file:///etc/nvme/hostkey\n"
            "id = file:///etc/nvme/hostid\n"
            "\n"
            "# next section\n"
            "[Other]\n"
            "nqn = not touched\n");
  EXPECT_EQ(EditHostOption(text, "nqn", "file:///x"),
            "# sys.conf: written by hand\n"
            "[Host]\n"
            "; the NQN\n"
            "nqn = file:///x\n"
            "key = file:///etc/nvme/hostkey\n"
            "\n"
            "# next section\n"
            "[Other]\n"
            "nqn = not touched\n");
}

TEST(StasadmConfEditTest, ReplacesEveryOccurrenceAndItsContinuationLines) {
  const std::string text =
      "[Host]\n"
      "SymName = first\n"
      "  continued\n"
      "nqn = n\n"
      "[Other]\n"
      "x = y\n"
      "[Host]\n"
      "symname = second\n";
  EXPECT_EQ(EditHostOption(text, "symname", "new"),
            "[Host]\nsymname = new\nnqn = n\n[Other]\nx = y\n[Host]\n");
  EXPECT_EQ(EditHostOption(text, "symname", std::nullopt),
            "[Host]\nnqn = n\n[Other]\nx = y\n[Host]\n");
}

TEST(StasadmConfEditTest, NewOptionGoesAfterTheLastOptionOfTheFirstHostSection) {
  EXPECT_EQ(EditHostOption("[Host]\n# comment\n\n[B]\n", "id", "i"),
            "[Host]\nid = i\n# comment\n\n[B]\n");
  EXPECT_EQ(EditHostOption("[Host]\nnqn = n\n  more\n# about B\n[B]\n", "id", "i"),
            "[Host]\nnqn = n\n  more\nid = i\n# about B\n[B]\n");
  EXPECT_EQ(EditHostOption("[Host]\nnqn = n", "id", "i"), "[Host]\nnqn = n\nid = i\n");
}

TEST(StasadmConfEditTest, SectionNamesAreCaseSensitive) {
  EXPECT_EQ(EditHostOption("[host]\nnqn = a\n", "nqn", "b"),
            "[host]\nnqn = a\n\n[Host]\nnqn = b\n\n");
  EXPECT_EQ(EditHostOption("[A]\nx = y\n\n", "id", "i"), "[A]\nx = y\n\n[Host]\nid = i\n\n");
}

TEST(StasadmConfEditTest, LinesOutsideAnySectionAreKept) {
  EXPECT_EQ(EditHostOption("nqn = stray\n", "nqn", "n"), "nqn = stray\n\n[Host]\nnqn = n\n\n");
}

TEST(StasadmConfEditTest, TheDaemonsReadBackWhatWasSet) {
  std::string text = "[Host]\nnqn = a\n  b\nnqn = c\n# c\n[X]\nid = no\n";
  text = EditHostOption(text, "nqn", "file:///etc/nvme/hostnqn");
  text = EditHostOption(text, "symname", "name with blanks");
  IniDocument doc = ParseIniText(text, "sys.conf");
  EXPECT_TRUE(doc.problems.empty());
  EXPECT_EQ(doc.Values("Host", "nqn"), std::vector<std::string>{"file:///etc/nvme/hostnqn"});
  EXPECT_EQ(doc.Values("Host", "symname"), std::vector<std::string>{"name with blanks"});
  EXPECT_EQ(doc.Values("X", "id"), std::vector<std::string>{"no"});
}

}  // namespace
}  // namespace stas::ctl
