// SPDX-License-Identifier: Apache-2.0
#include "common/config/host_identity.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/defs.h"
#include "common/testing/file_helpers.h"

namespace stas {
namespace {

constexpr const char* kNqn = "nqn.2014-08.org.nvmexpress:uuid:4b4b4b4b-1111-2222-3333-444444444444";
constexpr const char* kId = "4b4b4b4b-1111-2222-3333-444444444444";
constexpr const char* kKey = "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:";

// Each test gets a fresh directory holding sys.conf and the /etc/nvme-like files.
class HostIdentityTest : public ::testing::Test {
 protected:
  // Writes `text` to `name` in the test directory and returns its path.
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    testing::WriteFileText(path, text);
    return path;
  }
  void WriteDefaults() {
    Write("hostnqn", std::string(kNqn) + "\n");
    Write("hostid", std::string(kId) + "\n");
  }
  Result<HostIdentity> Load() {
    warnings_.clear();
    return LoadHostIdentity(paths_, &warnings_);
  }
  // The error message of a load that must fail.
  std::string LoadError(int* code = nullptr) {
    auto r = Load();
    if (r) {
      ADD_FAILURE() << "load succeeded";
      return "";
    }
    if (code)
      *code = r.error().code;
    return r.error().message;
  }
  std::string AllWarnings() const {
    std::string out;
    for (const Diagnostic& d : warnings_)
      out += d.ToString() + "\n";
    return out;
  }

  testing::ScopedTempDir tmp_{"host-identity-test"};
  std::string dir_ = tmp_.path();
  SysConfPaths paths_{dir_ + "/sys.conf", dir_ + "/hostnqn", dir_ + "/hostid", dir_ + "/hostkey"};
  Diagnostics warnings_;
};

TEST(SysConfPathsTest, DefaultIsUnderSysconfDir) {
  SysConfPaths p = SysConfPaths::Default();
  EXPECT_EQ(p.sys_conf, "/etc/stas/sys.conf");
  EXPECT_EQ(p.hostnqn_file, "/etc/nvme/hostnqn");
  EXPECT_EQ(p.hostid_file, "/etc/nvme/hostid");
  EXPECT_EQ(p.hostkey_file, "/etc/nvme/hostkey");
}

TEST_F(HostIdentityTest, MissingSysConfUsesDefaultFiles) {
  WriteDefaults();
  Write("hostkey", std::string(kKey) + "\n");
  auto id = Load();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->hostnqn, kNqn);
  EXPECT_EQ(id->hostid, kId);
  EXPECT_EQ(id->hostkey, kKey);
  EXPECT_FALSE(id->symname.has_value());
  EXPECT_TRUE(warnings_.empty()) << AllWarnings();
}

TEST_F(HostIdentityTest, SysConfWithoutHostSectionUsesDefaultFiles) {
  WriteDefaults();
  Write("sys.conf", "# nothing configured\n");
  auto id = Load();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->hostnqn, kNqn);
  EXPECT_FALSE(id->hostkey.has_value());  // no hostkey file: no key, no warning
  EXPECT_TRUE(warnings_.empty()) << AllWarnings();
}

TEST_F(HostIdentityTest, LiteralValues) {
  Write("sys.conf",
        "[Host]\n"
        "nqn = nqn.1988-11.com.example:host1\n"
        "id = 0C0FFEE0-AAAA-bbbb-CCCC-0123456789ab\n"
        "key = DHHC-1:01:YWJjZA+/=:\n"
        "symname = lab host 1\n");
  auto id = Load();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->hostnqn, "nqn.1988-11.com.example:host1");
  EXPECT_EQ(id->hostid, "0C0FFEE0-AAAA-bbbb-CCCC-0123456789ab");
  EXPECT_EQ(id->hostkey, "DHHC-1:01:YWJjZA+/=:");
  EXPECT_EQ(id->symname, "lab host 1");
  EXPECT_TRUE(warnings_.empty()) << AllWarnings();
}

TEST_F(HostIdentityTest, FileIndirectionTakesFirstTokenOfFirstLine) {
  std::string nqn_file =
      Write("my-nqn", "  " + std::string(kNqn) + "   trailing words \t\nnqn.second.line\n");
  std::string id_file = Write("my-id", std::string(kId) + "  \n\n\n");
  std::string key_file = Write("my-key", std::string(kKey));  // no newline at all
  std::string sym_file = Write("my-sym", "rack-7 ignored\r\n");
  Write("sys.conf", "[Host]\nnqn=file://" + nqn_file + "\nid=file://" + id_file + "\nkey=file://" +
                        key_file + "\nsymname=file://" + sym_file + "\n");
  auto id = Load();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->hostnqn, kNqn);
  EXPECT_EQ(id->hostid, kId);
  EXPECT_EQ(id->hostkey, kKey);
  EXPECT_EQ(id->symname, "rack-7");
  EXPECT_TRUE(warnings_.empty()) << AllWarnings();
}

TEST_F(HostIdentityTest, MissingNqnFileIsAnError) {
  Write("hostid", std::string(kId) + "\n");
  int code = 0;
  std::string msg = LoadError(&code);
  EXPECT_EQ(code, ENOENT);
  EXPECT_EQ(msg, "Error reading mandatory Host NQN (see stasadm --help): " + paths_.hostnqn_file +
                     ": No such file or directory");
}

TEST_F(HostIdentityTest, MissingNqnFileNamedInSysConfIsAnError) {
  Write("hostid", std::string(kId) + "\n");
  Write("sys.conf", "[Host]\nnqn = file://" + dir_ + "/nowhere\n");
  EXPECT_EQ(LoadError(), "Error reading mandatory Host NQN (see stasadm --help): " + dir_ +
                             "/nowhere: No such file or directory");
}

TEST_F(HostIdentityTest, EmptyNqnFileIsAnError) {
  Write("hostnqn", "\n   \nnqn.on.second.line\n");  // only the first line counts
  Write("hostid", std::string(kId) + "\n");
  int code = 0;
  EXPECT_EQ(LoadError(&code), "Error reading mandatory Host NQN (see stasadm --help): " +
                                  paths_.hostnqn_file + " is empty");
  EXPECT_EQ(code, ENODATA);
}

TEST_F(HostIdentityTest, EmptyLiteralNqnIsAnError) {
  Write("hostid", std::string(kId) + "\n");
  Write("sys.conf", "[Host]\nnqn =\n");
  EXPECT_EQ(LoadError(),
            "Error reading mandatory Host NQN (see stasadm --help): [Host] nqn is "
            "empty at " +
                paths_.sys_conf + ":2");
}

TEST_F(HostIdentityTest, NqnWithoutPrefixIsAnError) {
  Write("hostnqn", "nvme.2014-08.org.nvmexpress:uuid:x\n");
  Write("hostid", std::string(kId) + "\n");
  int code = 0;
  EXPECT_EQ(LoadError(&code),
            "Error Host NQN \"nvme.2014-08.org.nvmexpress:uuid:x\" does not start "
            "with \"nqn.\" (read from " +
                paths_.hostnqn_file + ")");
  EXPECT_EQ(code, EINVAL);
}

TEST_F(HostIdentityTest, NqnLengthLimit) {
  WriteDefaults();
  std::string nqn = "nqn.2014-08.org.example:" + std::string(kMaxNqnLength - 24, 'x');
  ASSERT_EQ(nqn.size(), kMaxNqnLength);
  Write("sys.conf", "[Host]\nnqn = " + nqn + "\n");
  auto id = Load();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->hostnqn, nqn);

  Write("sys.conf", "[Host]\nnqn = " + nqn + "y\n");  // 224 bytes
  std::string msg = LoadError();
  EXPECT_NE(msg.find("is 224 bytes long; an NQN has at most 223"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(read from " + paths_.sys_conf + ":2)"), std::string::npos) << msg;
}

TEST_F(HostIdentityTest, NqnWithCommaOrSpaceIsAnError) {
  WriteDefaults();
  Write("sys.conf", "[Host]\nnqn = nqn.2014-08.org.example:a,b\n");
  EXPECT_EQ(LoadError(),
            "Error Host NQN \"nqn.2014-08.org.example:a,b\" contains ',' (it would "
            "inject an option into the connect string) (read from " +
                paths_.sys_conf + ":2)");
  Write("sys.conf", "[Host]\nnqn = nqn.2014-08.org.example:a b\n");
  EXPECT_NE(LoadError().find("\"nqn.2014-08.org.example:a b\" contains a blank"),
            std::string::npos);
}

TEST_F(HostIdentityTest, NonPrintableNqnIsQuotedEscaped) {
  WriteDefaults();
  Write("sys.conf", "[Host]\nnqn = nqn.2014-08.org.example:\x01\xff\n");
  EXPECT_NE(LoadError().find("\"nqn.2014-08.org.example:\\x01\\xff\" contains a control character"),
            std::string::npos);
}

TEST_F(HostIdentityTest, MalformedHostIdIsAnError) {
  WriteDefaults();
  for (const char* bad :
       {"not-a-uuid", "4b4b4b4b111122223333444444444444", "4b4b4b4b-1111-2222-3333-44444444444g",
        "4b4b4b4b-1111-2222-3333-4444444444444", "{4b4b4b4b-1111-2222-3333-44444444444}"}) {
    Write("hostid", std::string(bad) + "\n");
    int code = 0;
    std::string msg = LoadError(&code);
    EXPECT_EQ(code, EINVAL);
    EXPECT_EQ(msg.find("Error Host ID \"" + std::string(bad) + "\" is not a UUID"), 0u) << msg;
    EXPECT_NE(msg.find("(read from " + paths_.hostid_file + ")"), std::string::npos) << msg;
  }
}

TEST_F(HostIdentityTest, MissingHostIdIsAnError) {
  Write("hostnqn", std::string(kNqn) + "\n");
  int code = 0;
  EXPECT_EQ(LoadError(&code), "Error reading mandatory Host ID (see stasadm --help): " +
                                  paths_.hostid_file + ": No such file or directory");
  EXPECT_EQ(code, ENOENT);
  Write("hostid", "");
  EXPECT_EQ(LoadError(&code), "Error reading mandatory Host ID (see stasadm --help): " +
                                  paths_.hostid_file + " is empty");
  EXPECT_EQ(code, ENODATA);
}

TEST_F(HostIdentityTest, MalformedKeyIsAnErrorThatDoesNotLeakIt) {
  WriteDefaults();
  for (const char* bad : {"DHHC-1:00:c2VjcmV0", "DHHC-2:00:c2VjcmV0:", "DHHC-1:0:c2VjcmV0:",
                          "DHHC-1:zz:c2VjcmV0:", "DHHC-1:00::", "DHHC-1:00:c2Vj*mV0:", "hunter2"}) {
    Write("hostkey", std::string(bad) + "\n");
    int code = 0;
    std::string msg = LoadError(&code);
    EXPECT_EQ(code, EINVAL) << bad;
    EXPECT_EQ(msg, "Error Host key read from " + paths_.hostkey_file +
                       " is not a DH-HMAC-CHAP secret \"DHHC-1:NN:<base64>:\" (NN: two hex "
                       "digits); value not shown");
    EXPECT_EQ(msg.find(bad), std::string::npos) << msg;
  }
}

TEST_F(HostIdentityTest, MissingKeyFileMeansNoKey) {
  WriteDefaults();
  auto id = Load();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_FALSE(id->hostkey.has_value());
  EXPECT_TRUE(warnings_.empty()) << AllWarnings();

  // Named explicitly in sys.conf: still no key, but the user hears about it.
  Write("sys.conf", "[Host]\nkey = file://" + dir_ + "/nokey\n");
  id = Load();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_FALSE(id->hostkey.has_value());
  ASSERT_EQ(warnings_.size(), 1u) << AllWarnings();
  EXPECT_EQ(warnings_[0].line, 2);
  EXPECT_NE(warnings_[0].message.find(dir_ + "/nokey: No such file or directory"),
            std::string::npos);
}

TEST_F(HostIdentityTest, EmptyKeyMeansNoKey) {
  WriteDefaults();
  Write("hostkey", "\n");
  auto id = Load();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_FALSE(id->hostkey.has_value());
}

TEST_F(HostIdentityTest, BadSymnameIsDroppedWithAWarning) {
  WriteDefaults();
  Write("sys.conf", "[Host]\n\nsymname = rack,7\n");
  auto id = Load();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_FALSE(id->symname.has_value());
  ASSERT_EQ(warnings_.size(), 1u) << AllWarnings();
  EXPECT_EQ(warnings_[0].severity, Severity::kWarning);
  EXPECT_EQ(warnings_[0].ToString(),
            paths_.sys_conf + ":3: [Host] symname \"rack,7\" must not contain ','; ignored");

  Write("sys.conf", "[Host]\nsymname = " + std::string(kMaxSymnameBytes + 1, 's') + "\n");
  id = Load();
  ASSERT_TRUE(id);
  EXPECT_FALSE(id->symname.has_value());
  ASSERT_EQ(warnings_.size(), 1u) << AllWarnings();
  EXPECT_NE(warnings_[0].message.find("is too long: 256 bytes, at most 255"), std::string::npos);

  Write("sys.conf", "[Host]\nsymname = " + std::string(kMaxSymnameBytes, 's') + "\n");
  id = Load();
  ASSERT_TRUE(id);
  EXPECT_EQ(id->symname, std::string(kMaxSymnameBytes, 's'));

  Write("sys.conf", "[Host]\nsymname = tab\there\n");
  id = Load();
  ASSERT_TRUE(id);
  EXPECT_FALSE(id->symname.has_value());
  ASSERT_EQ(warnings_.size(), 1u) << AllWarnings();
  EXPECT_NE(warnings_[0].message.find("\"tab\\x09here\" must be printable ASCII"),
            std::string::npos);
}

TEST_F(HostIdentityTest, UnreadableSymnameFileIsAWarning) {
  WriteDefaults();
  Write("sys.conf", "[Host]\nsymname = file://" + dir_ + "/nosym\n");
  auto id = Load();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_FALSE(id->symname.has_value());
  ASSERT_EQ(warnings_.size(), 1u) << AllWarnings();
  EXPECT_EQ(warnings_[0].ToString(),
            paths_.sys_conf + ":2: Error reading host symbolic name (will remain undefined): " +
                dir_ + "/nosym: No such file or directory");
}

TEST_F(HostIdentityTest, UnknownSectionsAndOptionsAreWarnings) {
  WriteDefaults();
  Write("sys.conf",
        "[Host]\n"
        "nqn = file://" +
            paths_.hostnqn_file +
            "\n"
            "foo = bar\n"
            "[host]\n"
            "id = 12\n"
            "[Host]\n"
            "symname\n"
            "hostnqn: nqn.x\n");
  auto id = Load();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->hostid, kId);  // [host] is another section: its id is not used
  EXPECT_EQ(AllWarnings(),
            paths_.sys_conf + ":3: [Host] unknown option \"foo\"; ignored\n" + paths_.sys_conf +
                ":4: unknown section [host]; ignored\n" + paths_.sys_conf +
                ":7: [Host] option \"symname\" has no value; ignored\n" + paths_.sys_conf +
                ":8: expected \"name = value\", found \"hostnqn: nqn.x\"; ignored\n");
  for (const Diagnostic& d : warnings_)
    EXPECT_EQ(d.severity, Severity::kWarning);
}

TEST_F(HostIdentityTest, DuplicateOptionsLastOneWins) {
  WriteDefaults();
  Write("sys.conf",
        "[Host]\n"
        "symname = first\n"
        "nqn = nqn.2014-08.org.example:first\n"
        "[Host]\n"
        "symname = second\n"
        "nqn = nqn.2014-08.org.example:second\n");
  auto id = Load();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->hostnqn, "nqn.2014-08.org.example:second");
  EXPECT_EQ(id->symname, "second");
  EXPECT_TRUE(warnings_.empty()) << AllWarnings();
}

TEST_F(HostIdentityTest, BareOptionDoesNotHideEarlierValue) {
  WriteDefaults();
  Write("sys.conf", "[Host]\nsymname = kept\nsymname\n");
  auto id = Load();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->symname, "kept");
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(warnings_[0].line, 3);
}

TEST_F(HostIdentityTest, NullWarningsIsAllowed) {
  WriteDefaults();
  Write("sys.conf", "[Nope]\n");
  auto id = LoadHostIdentity(paths_, nullptr);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->hostnqn, kNqn);
}

TEST(HostIdentityFieldsTest, AsFieldsInOrderWithOptionalRedaction) {
  HostIdentity id{kNqn, kId, std::string(kKey), std::nullopt};
  using Fields = std::vector<std::pair<std::string, std::optional<std::string>>>;
  EXPECT_EQ(id.AsFields(false), (Fields{{"hostnqn", std::string(kNqn)},
                                        {"hostid", std::string(kId)},
                                        {"hostkey", std::string(kKey)},
                                        {"symname", std::nullopt}}));
  EXPECT_EQ(id.AsFields(true)[2].second, "<redacted>");
  id.hostkey.reset();
  id.symname = "rack-7";
  EXPECT_EQ(id.AsFields(true)[2].second, std::nullopt);  // nothing to redact
  EXPECT_EQ(id.AsFields(true)[3].second, "rack-7");
}

}  // namespace
}  // namespace stas
