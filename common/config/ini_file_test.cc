// SPDX-License-Identifier: Apache-2.0
#include "common/config/ini_file.h"

#include <gtest/gtest.h>

namespace stas {
namespace {

TEST(IniFileTest, ReadsSectionsOptionsAndRepeats) {
  IniDocument doc = ParseIniText(
      "[Global]\n"
      "Tron = true\n"
      "[Controllers]\n"
      "controller = transport=tcp;traddr=2001:db8::1\n"
      "controller=transport=tcp;traddr=10.0.0.1\n",
      "t.conf");
  EXPECT_TRUE(doc.problems.empty());
  ASSERT_EQ(doc.sections.size(), 2u);
  EXPECT_EQ(doc.sections[1].name, "Controllers");
  ASSERT_EQ(doc.entries.size(), 3u);
  EXPECT_EQ(doc.entries[0].name, "tron");  // option names are case-insensitive
  EXPECT_EQ(doc.entries[0].line, 2);
  EXPECT_EQ(doc.Values("Controllers", "controller"),
            (std::vector<std::string>{"transport=tcp;traddr=2001:db8::1",
                                      "transport=tcp;traddr=10.0.0.1"}));
  EXPECT_EQ(doc.entries[2].line, 5);
}

TEST(IniFileTest, SectionNamesAreCaseSensitive) {
  IniDocument doc = ParseIniText("[global]\ntron=true\n", "t");
  EXPECT_EQ(doc.Last("Global", "tron"), nullptr);
  ASSERT_NE(doc.Last("global", "tron"), nullptr);
}

TEST(IniFileTest, LastValueWins) {
  IniDocument doc = ParseIniText("[Global]\nkato=10\nkato = 20\n", "t");
  const IniEntry* e = doc.Last("Global", "kato");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(*e->value, "20");
  EXPECT_EQ(e->line, 3);
}

TEST(IniFileTest, InlineHashCommentIsAComment) {
  IniDocument doc = ParseIniText(
      "[Controllers]\nexclude = host-iface=enp0s8   # everything on this interface\n", "t");
  EXPECT_EQ(doc.Values("Controllers", "exclude"), std::vector<std::string>{"host-iface=enp0s8"});
}

TEST(IniFileTest, SemicolonIsNotAnInlineComment) {
  IniDocument doc = ParseIniText("[Controllers]\ncontroller = transport=tcp ; traddr=::1\n", "t");
  EXPECT_EQ(doc.Values("Controllers", "controller"),
            std::vector<std::string>{"transport=tcp ; traddr=::1"});
}

TEST(IniFileTest, FullLineCommentsAreSkipped) {
  IniDocument doc = ParseIniText("# c\n; c\n[Global]\n   # indented comment\n#tron=true\n", "t");
  EXPECT_TRUE(doc.entries.empty());
  EXPECT_TRUE(doc.problems.empty());
}

TEST(IniFileTest, LongLinesAreNotSplit) {
  // inih's default 200-byte buffer would cut this line in two and invent a bogus option.
  std::string nqn = "nqn.1988-11.com.example:" + std::string(200, 'x');
  std::string value = "transport=tcp;traddr=192.0.2.1;nqn=" + nqn + ";dhchap-secret=DHHC-1:00:abc:";
  IniDocument doc = ParseIniText("[Controllers]\ncontroller = " + value + "\n", "t");
  EXPECT_TRUE(doc.problems.empty());
  EXPECT_EQ(doc.Values("Controllers", "controller"), std::vector<std::string>{value});
  EXPECT_EQ(doc.entries.size(), 1u);
}

TEST(IniFileTest, TooLongLineIsReportedAndIgnored) {
  std::string text = "[Global]\nkato=" + std::string(kMaxIniLineLength, '1') + "\ntron=true\n";
  IniDocument doc = ParseIniText(text, "t.conf");
  ASSERT_EQ(doc.problems.size(), 1u);
  EXPECT_EQ(doc.problems[0].line, 2);
  EXPECT_NE(doc.problems[0].ToString().find("t.conf:2: line is longer"), std::string::npos);
  ASSERT_EQ(doc.entries.size(), 1u);
  EXPECT_EQ(doc.entries[0].name, "tron");
}

TEST(IniFileTest, ContinuationLinesAreMoreValues) {
  IniDocument doc = ParseIniText(
      "[Controllers]\ncontroller = transport=tcp;traddr=10.0.0.1\n    "
      "transport=tcp;traddr=10.0.0.2\n",
      "t");
  EXPECT_EQ(doc.Values("Controllers", "controller").size(), 2u);
}

TEST(IniFileTest, BareNameHasNoValue) {
  IniDocument doc = ParseIniText("[Global]\ntron\n", "t");
  ASSERT_EQ(doc.entries.size(), 1u);
  EXPECT_FALSE(doc.entries[0].value.has_value());
  EXPECT_TRUE(doc.Values("Global", "tron").empty());
}

TEST(IniFileTest, ColonIsNotADelimiter) {
  IniDocument doc = ParseIniText("[Host]\nnqn: nqn.2014-08.org.nvmexpress:uuid:1\n", "sys.conf");
  EXPECT_TRUE(doc.entries.empty());
  ASSERT_EQ(doc.problems.size(), 1u);
  EXPECT_EQ(doc.problems[0].line, 2);
}

TEST(IniFileTest, MalformedSectionHeaderIsReported) {
  IniDocument doc = ParseIniText("[Global\ntron=true\n", "t");
  ASSERT_GE(doc.problems.size(), 1u);
  EXPECT_EQ(doc.problems[0].line, 1);
  // The option that follows has no section to belong to.
  EXPECT_TRUE(doc.entries.empty());
}

TEST(IniFileTest, OptionBeforeAnySectionIsReported) {
  IniDocument doc = ParseIniText("tron=true\n[Global]\n", "t");
  EXPECT_TRUE(doc.entries.empty());
  ASSERT_EQ(doc.problems.size(), 1u);
  EXPECT_EQ(doc.problems[0].line, 1);
}

TEST(IniFileTest, CrLfLineEndingsAreAccepted) {
  IniDocument doc = ParseIniText("[Global]\r\nkato = 5\r\n", "t");
  ASSERT_NE(doc.Last("Global", "kato"), nullptr);
  EXPECT_EQ(*doc.Last("Global", "kato")->value, "5");
}

// Two sections of one name stay apart: each entry says which header it follows.
TEST(IniFileTest, EntriesKnowWhichSectionHeaderTheyFollow) {
  IniDocument doc = ParseIniText(
      "[Subsystem]\nnqn = a\n[Host]\nhostnqn = h\n[Subsystem]\nnqn = b\n"
      "    c\n[Subsystem\nnqn = d\n",
      "t");
  ASSERT_EQ(doc.sections.size(), 3u);
  ASSERT_EQ(doc.entries.size(), 5u);
  EXPECT_EQ(doc.entries[0].section_index, 0);
  EXPECT_EQ(doc.entries[1].section_index, 1);
  EXPECT_EQ(doc.entries[2].section_index, 2);
  EXPECT_EQ(doc.entries[3].section_index, 2);  // a continuation line
  // After a malformed header (reported), the entry stays with the last header read, as its
  // section name does.
  EXPECT_EQ(doc.entries[4].section, "Subsystem");
  EXPECT_EQ(doc.entries[4].section_index, 2);
  EXPECT_EQ(doc.problems.size(), 1u);
}

TEST(IniFileTest, MissingFileIsAnError) {
  auto doc = ParseIniFile("/nonexistent/stas/stafd.conf");
  ASSERT_FALSE(doc);
  EXPECT_EQ(doc.error().code, ENOENT);
}

}  // namespace
}  // namespace stas
