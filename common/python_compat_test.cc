// SPDX-License-Identifier: Apache-2.0
// Expected pformat strings were produced by CPython 3.11.7:
//   json.loads(<input>) -> pprint.pformat(obj, width=<width>)
// by a throw-away generator; json.loads yields exactly dict/list/str/int/float/bool/None.
#include "common/python_compat.h"

#include <string>

#include <gtest/gtest.h>

namespace stas {
namespace {

std::string Pformat(const char* json_text, int width = 120) {
  return PythonPformat(nlohmann::ordered_json::parse(json_text), width);
}

TEST(PythonPformatTest, OneControllerList) {
  EXPECT_EQ(
      R"py([{'device': 'nvme0',
  'host-iface': '',
  'host-nqn': 'nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
  'host-traddr': '',
  'subsysnqn': 'nqn.2014-08.org.nvmexpress.discovery',
  'traddr': '::1',
  'transport': 'tcp',
  'trsvcid': '8009'}])py",
      Pformat(
          R"json([{"traddr": "::1", "trsvcid": "8009", "transport": "tcp", "subsysnqn": "nqn.2014-08.org.nvmexpress.discovery", "host-iface": "", "host-traddr": "", "host-nqn": "nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "device": "nvme0"}])json"));
}

TEST(PythonPformatTest, EmptyList) {
  EXPECT_EQ(R"py([])py", Pformat(R"json([])json"));
}

TEST(PythonPformatTest, EmptyDict) {
  EXPECT_EQ(R"py({})py", Pformat(R"json({})json"));
}

TEST(PythonPformatTest, EmptyString) {
  EXPECT_EQ(R"py('')py", Pformat(R"json("")json"));
}

TEST(PythonPformatTest, SmallDictStaysOnOneLineWithSortedKeys) {
  EXPECT_EQ(R"py({'-h': False, '10': 2, 'M': None, '_u': True, 'a': 'x', 'z': 1})py",
            Pformat(R"json({"z": 1, "a": "x", "M": null, "_u": true, "-h": false, "10": 2})json"));
}

TEST(PythonPformatTest, ScalarsBoolNoneIntFloat) {
  EXPECT_EQ(
      R"py({'big': 18446744073709551615,
 'f1': 0.1,
 'f10': 3.14159,
 'f2': 1e+16,
 'f3': 1e-05,
 'f4': 123.0,
 'f5': -0.0,
 'f6': 1.5e+300,
 'f7': 0.0001,
 'f8': 1234567890123456.0,
 'f9': 2.5e-320,
 'false': False,
 'int': 42,
 'min': -9223372036854775808,
 'neg': -7,
 'none': None,
 'true': True,
 'zero': 0})py",
      Pformat(
          R"json({"true": true, "false": false, "none": null, "int": 42, "neg": -7, "big": 18446744073709551615, "min": -9223372036854775808, "zero": 0, "f1": 0.1, "f2": 1e+16, "f3": 1e-05, "f4": 123.0, "f5": -0.0, "f6": 1.5e+300, "f7": 0.0001, "f8": 1234567890123456.0, "f9": 2.5e-320, "f10": 3.14159})json"));
}

TEST(PythonPformatTest, StringEscapes) {
  EXPECT_EQ(
      R"py({'backslash': 'a\\b',
 'bidi': '\u202e',
 'both': 'it\'s "x"',
 'cr': 'a\rb',
 'ctrl': '\x01\x1f\x7f',
 'double': 'say "hi"',
 'emoji': '😀',
 'latin': 'café \xa0nbsp \xad',
 'newline': 'a\nb',
 'private': '\ue000',
 'single': "it's",
 'tab': 'a\tb',
 'zw': '\u200b\u2028'})py",
      Pformat(
          R"json({"single": "it's", "double": "say \"hi\"", "both": "it's \"x\"", "backslash": "a\\b", "newline": "a\nb", "tab": "a\tb", "cr": "a\rb", "ctrl": "\u0001\u001f\u007f", "latin": "caf\u00e9 \u00a0nbsp \u00ad", "zw": "\u200b\u2028", "emoji": "\ud83d\ude00", "bidi": "\u202e", "private": "\ue000"})json"));
}

TEST(PythonPformatTest, StatusWithControllersAndLogPages) {
  EXPECT_EQ(
      R"py({'avahi': {'avahi wake up timer': '60.0s [off]',
           'service types': ['_nvme-disc._tcp', '_nvme-disc._udp'],
           'services': {}},
 'config soak timer': '1.5s [off]',
 'controllers': [{'controller': {'device': 'nvme0',
                                 'host-iface': '',
                                 'host-nqn': 'nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
                                 'host-traddr': '',
                                 'subsysnqn': 'nqn.2014-08.org.nvmexpress.discovery',
                                 'traddr': '192.168.1.20',
                                 'transport': 'tcp',
                                 'trsvcid': '8009'},
                  'log_pages': [{'adrfam': 'ipv4',
                                 'asqsz': '32',
                                 'cntlid': '65535',
                                 'eflags': '0',
                                 'portid': '1',
                                 'subnqn': 'nqn.2014-08.com.example:nvme:subsys1',
                                 'subtype': 'nvme',
                                 'traddr': '192.168.1.20',
                                 'treq': 'not specified',
                                 'trsvcid': '4420',
                                 'trtype': 'tcp'},
                                {'adrfam': 'ipv4',
                                 'asqsz': '32',
                                 'cntlid': '65535',
                                 'eflags': '0',
                                 'portid': '2',
                                 'subnqn': 'nqn.2014-08.com.example:nvme:subsys2',
                                 'subtype': 'nvme',
                                 'traddr': '192.168.1.21',
                                 'treq': 'not specified',
                                 'trsvcid': '4420',
                                 'trtype': 'tcp'}]},
                 {'controller': {'device': 'nvme1',
                                 'host-iface': '',
                                 'host-nqn': 'nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
                                 'host-traddr': '',
                                 'subsysnqn': 'nqn.2014-08.org.nvmexpress.discovery',
                                 'traddr': '10.0.0.5',
                                 'transport': 'tcp',
                                 'trsvcid': '8009'},
                  'log_pages': []}],
 'hostid': '2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
 'hostkey': None,
 'hostnqn': 'nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
 'kernel support.TP8013': 'True',
 'kernel support.host_iface': 'True',
 'last known config file': '/run/stafd/last-known-config.pickle',
 'log-level': 'INFO',
 'symname': None,
 'terminator.audit timer': '30.0s [off]',
 'tron': False})py",
      Pformat(
          R"json({"tron": false, "log-level": "INFO", "hostnqn": "nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "hostid": "2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "hostkey": null, "symname": null, "last known config file": "/run/stafd/last-known-config.pickle", "config soak timer": "1.5s [off]", "kernel support.TP8013": "True", "kernel support.host_iface": "True", "terminator.audit timer": "30.0s [off]", "controllers": [{"controller": {"traddr": "192.168.1.20", "trsvcid": "8009", "transport": "tcp", "subsysnqn": "nqn.2014-08.org.nvmexpress.discovery", "host-iface": "", "host-traddr": "", "host-nqn": "nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "device": "nvme0"}, "log_pages": [{"trtype": "tcp", "adrfam": "ipv4", "traddr": "192.168.1.20", "trsvcid": "4420", "subnqn": "nqn.2014-08.com.example:nvme:subsys1", "subtype": "nvme", "treq": "not specified", "portid": "1", "cntlid": "65535", "asqsz": "32", "eflags": "0"}, {"trtype": "tcp", "adrfam": "ipv4", "traddr": "192.168.1.21", "trsvcid": "4420", "subnqn": "nqn.2014-08.com.example:nvme:subsys2", "subtype": "nvme", "treq": "not specified", "portid": "2", "cntlid": "65535", "asqsz": "32", "eflags": "0"}]}, {"controller": {"traddr": "10.0.0.5", "trsvcid": "8009", "transport": "tcp", "subsysnqn": "nqn.2014-08.org.nvmexpress.discovery", "host-iface": "", "host-traddr": "", "host-nqn": "nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "device": "nvme1"}, "log_pages": []}], "avahi": {"avahi wake up timer": "60.0s [off]", "service types": ["_nvme-disc._tcp", "_nvme-disc._udp"], "services": {}}})json"));
}

TEST(PythonPformatTest, LongStringInDictIsChunked) {
  EXPECT_EQ(
      R"py({'description': 'The quick brown fox jumps over the lazy dog while the NVMe-oF discovery controller keeps returning '
                'the same log page entries to every host that asks for them, again and again.',
 'short': 'ok'})py",
      Pformat(
          R"json({"description": "The quick brown fox jumps over the lazy dog while the NVMe-oF discovery controller keeps returning the same log page entries to every host that asks for them, again and again.", "short": "ok"})json"));
}

TEST(PythonPformatTest, LongStringAtTopLevelIsParenthesized) {
  EXPECT_EQ(
      R"py(('The quick brown fox jumps over the lazy dog while the NVMe-oF discovery controller keeps returning the same log page '
 'entries to every host that asks for them, again and again.'))py",
      Pformat(
          R"json("The quick brown fox jumps over the lazy dog while the NVMe-oF discovery controller keeps returning the same log page entries to every host that asks for them, again and again.")json"));
}

TEST(PythonPformatTest, LongStringInListIsChunked) {
  EXPECT_EQ(
      R"py(['The quick brown fox jumps over the lazy dog while the NVMe-oF discovery controller keeps returning the same log page '
 'entries to every host that asks for them, again and again.',
 'tail'])py",
      Pformat(
          R"json(["The quick brown fox jumps over the lazy dog while the NVMe-oF discovery controller keeps returning the same log page entries to every host that asks for them, again and again.", "tail"])json"));
}

TEST(PythonPformatTest, MultilineStringSplitsAtLineEnds) {
  EXPECT_EQ(
      R"py({'error': 'Traceback (most recent call last):\n'
          '  File "/usr/sbin/stafd", line 1, in <module>\n'
          '    main()\n'
          'RuntimeError: failed to connect to nqn.2014-08.org.nvmexpress.discovery at 192.168.1.20:8009\n'})py",
      Pformat(
          R"json({"error": "Traceback (most recent call last):\n  File \"/usr/sbin/stafd\", line 1, in <module>\n    main()\nRuntimeError: failed to connect to nqn.2014-08.org.nvmexpress.discovery at 192.168.1.20:8009\n"})json"));
}

TEST(PythonPformatTest, LongWordWithoutSpacesStaysWhole) {
  EXPECT_EQ(
      R"py({'secret': 'DHHC-1:00:A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4:'})py",
      Pformat(
          R"json({"secret": "DHHC-1:00:A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4:"})json"));
}

TEST(PythonPformatTest, ChunksPickTheirOwnQuotes) {
  EXPECT_EQ(
      R"py({'msg': "word word word word word word word word word word word word word word word word word word word word isn't "
        'more more more more more more more more more more more more more more more more more more more more say "no" '
        'end end end end end end end end end end '})py",
      Pformat(
          R"json({"msg": "word word word word word word word word word word word word word word word word word word word word isn't more more more more more more more more more more more more more more more more more more more more say \"no\" end end end end end end end end end end "})json"));
}

TEST(PythonPformatTest, VeryLongKeys) {
  EXPECT_EQ(
      R"py({'a very long key name that keeps going a very long key name that keeps going a very long key name that keeps going': 'value '
                                                                                                                      'one',
 'another long key another long key another long key another long key': {'n': 1,
                                                                         'nested key': 'nested value nested value '
                                                                                       'nested value nested value '
                                                                                       'nested value nested value '
                                                                                       'nested value nested value '},
 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk': ['x',
                                                                                                                                        'y']})py",
      Pformat(
          R"json({"a very long key name that keeps going a very long key name that keeps going a very long key name that keeps going": "value one", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk": ["x", "y"], "another long key another long key another long key another long key": {"nested key": "nested value nested value nested value nested value nested value nested value nested value nested value ", "n": 1}})json"));
}

TEST(PythonPformatTest, DeepNestingGrowsTheIndent) {
  EXPECT_EQ(
      R"py({'level-1': [{'level-2': [{'level-3': [{'level-4': [{'level-5': [{'level-6': [{'level-7': [{'level-8': [{'level-9': [{'level-10': [{'level-11': [{'level-12': [{'leaf': 'the '
                                                                                                                                                                        'value '
                                                                                                                                                                        'at '
                                                                                                                                                                        'the '
                                                                                                                                                                        'bottom '
                                                                                                                                                                        'of '
                                                                                                                                                                        'a '
                                                                                                                                                                        'deep '
                                                                                                                                                                        'structure '
                                                                                                                                                                        'the '
                                                                                                                                                                        'value '
                                                                                                                                                                        'at '
                                                                                                                                                                        'the '
                                                                                                                                                                        'bottom '
                                                                                                                                                                        'of '
                                                                                                                                                                        'a '
                                                                                                                                                                        'deep '
                                                                                                                                                                        'structure ',
                                                                                                                                                                'n': 12},
                                                                                                                                                               'sibling-0']},
                                                                                                                                                 'sibling-1']},
                                                                                                                                   'sibling-2']},
                                                                                                                     'sibling-3']},
                                                                                                        'sibling-4']},
                                                                                           'sibling-5']},
                                                                              'sibling-6']},
                                                                 'sibling-7']},
                                                    'sibling-8']},
                                       'sibling-9']},
                          'sibling-10']},
             'sibling-11']})py",
      Pformat(
          R"json({"level-1": [{"level-2": [{"level-3": [{"level-4": [{"level-5": [{"level-6": [{"level-7": [{"level-8": [{"level-9": [{"level-10": [{"level-11": [{"level-12": [{"leaf": "the value at the bottom of a deep structure the value at the bottom of a deep structure ", "n": 12}, "sibling-0"]}, "sibling-1"]}, "sibling-2"]}, "sibling-3"]}, "sibling-4"]}, "sibling-5"]}, "sibling-6"]}, "sibling-7"]}, "sibling-8"]}, "sibling-9"]}, "sibling-10"]}, "sibling-11"]})json"));
}

TEST(PythonPformatTest, NestedEmptyContainersAndStrings) {
  EXPECT_EQ(
      R"py({'a': [],
 'b': {},
 'c': '',
 'd': [[], {}, ''],
 'e': 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
 'f': [{},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {},
       {}]})py",
      Pformat(
          R"json({"a": [], "b": {}, "c": "", "d": [[], {}, ""], "e": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "f": [{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}]})json"));
}

TEST(PythonPformatTest, ListWhoseReprIsExactly120Fits) {
  EXPECT_EQ(
      R"py(['xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'])py",
      Pformat(
          R"json(["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])json"));
}

TEST(PythonPformatTest, ListWhoseReprIs121Breaks) {
  EXPECT_EQ(
      R"py(['xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'])py",
      Pformat(
          R"json(["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])json"));
}

TEST(PythonPformatTest, ListOfTwoAtTheBoundary) {
  EXPECT_EQ(
      R"py(['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'])py",
      Pformat(
          R"json(["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"])json"));
}

TEST(PythonPformatTest, ListOfTwoJustOverTheBoundary) {
  EXPECT_EQ(
      R"py(['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'])py",
      Pformat(
          R"json(["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"])json"));
}

TEST(PythonPformatTest, UnicodeCountsCodePoints) {
  EXPECT_EQ(
      R"py({'jp': '日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト 日本語のテキスト ',
 'name': 'RéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRéRé'})py",
      Pformat(
          R"json({"name": "R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9R\u00e9", "jp": "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 "})json"));
}

TEST(PythonPformatTest, NarrowWidth) {
  EXPECT_EQ(
      R"py({'controllers': [{'device': 'nvme0',
                  'host-iface': '',
                  'host-nqn': 'nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
                  'host-traddr': '',
                  'subsysnqn': 'nqn.2014-08.org.nvmexpress.discovery',
                  'traddr': '::1',
                  'transport': 'tcp',
                  'trsvcid': '8009'}],
 'note': 'a b c d e f g h i '
         'j k l m n o p'})py",
      Pformat(
          R"json({"controllers": [{"traddr": "::1", "trsvcid": "8009", "transport": "tcp", "subsysnqn": "nqn.2014-08.org.nvmexpress.discovery", "host-iface": "", "host-traddr": "", "host-nqn": "nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "device": "nvme0"}], "note": "a b c d e f g h i j k l m n o p"})json",
          30));
}

TEST(PythonPformatTest, DetailedListOfThreeControllers) {
  EXPECT_EQ(
      R"py([{'cntrltype': 'discovery',
  'connect attempts': '0',
  'connect operation': "{'fail count': 0, 'completed': True, 'alive': True}",
  'connected': 'True',
  'dctype': 'ddc',
  'device': 'nvme0',
  'get log page operation': "{'fail count': 0, 'completed': True, 'alive': True}",
  'get supported log page operation': "{'fail count': 0, 'completed': True, 'alive': True}",
  'host-iface': '',
  'host-nqn': 'nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
  'host-traddr': '',
  'hostid': '2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
  'hostnqn': 'nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
  'model': 'Linux',
  'origin': 'configured',
  'register operation': "{'fail count': 0, 'completed': True, 'alive': True}",
  'retry connect timer': '60.0s [off]',
  'serial': '8a2c1f0e9d7b6a54',
  'subsysnqn': 'nqn.2014-08.org.nvmexpress.discovery',
  'traddr': '192.168.1.20',
  'transport': 'tcp',
  'trsvcid': '8009'},
 {'cntrltype': 'discovery',
  'connect attempts': '0',
  'connect operation': "{'fail count': 0, 'completed': True, 'alive': True}",
  'connected': 'True',
  'dctype': 'cdc',
  'device': 'nvme1',
  'get log page operation': "{'fail count': 0, 'completed': True, 'alive': True}",
  'get supported log page operation': "{'fail count': 0, 'completed': True, 'alive': True}",
  'host-iface': 'enp0s8',
  'host-nqn': 'nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
  'host-traddr': 'fe80::a00:27ff:fe21:5a1',
  'hostid': '2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
  'hostnqn': 'nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
  'model': 'Linux',
  'origin': 'discovered',
  'register operation': "{'fail count': 0, 'completed': True, 'alive': True}",
  'retry connect timer': '60.0s [off]',
  'serial': '8a2c1f0e9d7b6a54',
  'subsysnqn': 'nqn.2014-08.org.nvmexpress.discovery',
  'traddr': 'fe80::a00:27ff:fe8e:1f44',
  'transport': 'tcp',
  'trsvcid': '8009',
  'unresponsive time': '---',
  'unresponsive timeout': '72 hours',
  'unresponsive timer': '60.0s [off]'},
 {'cntrltype': 'discovery',
  'connect attempts': '3',
  'connect operation': "{'fail count': 3, 'completed': True, 'alive': True}",
  'connected': 'False',
  'dctype': 'ddc',
  'device': 'nvme?',
  'get log page operation': "{'fail count': 0, 'completed': True, 'alive': True}",
  'get supported log page operation': "{'fail count': 0, 'completed': True, 'alive': True}",
  'host-iface': '',
  'host-nqn': 'nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
  'host-traddr': '',
  'hostid': '2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
  'hostnqn': 'nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
  'model': 'Linux',
  'origin': 'referral',
  'register operation': "{'fail count': 0, 'completed': True, 'alive': True}",
  'retry connect timer': '60.0s [off]',
  'serial': '8a2c1f0e9d7b6a54',
  'subsysnqn': 'nqn.2014-08.org.nvmexpress.discovery',
  'traddr': '10.10.10.10',
  'transport': 'tcp',
  'trsvcid': '8009'}])py",
      Pformat(
          R"json([{"traddr": "192.168.1.20", "trsvcid": "8009", "transport": "tcp", "subsysnqn": "nqn.2014-08.org.nvmexpress.discovery", "host-iface": "", "host-traddr": "", "host-nqn": "nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "device": "nvme0", "connect attempts": "0", "retry connect timer": "60.0s [off]", "connect operation": "{'fail count': 0, 'completed': True, 'alive': True}", "origin": "configured", "get log page operation": "{'fail count': 0, 'completed': True, 'alive': True}", "register operation": "{'fail count': 0, 'completed': True, 'alive': True}", "get supported log page operation": "{'fail count': 0, 'completed': True, 'alive': True}", "hostid": "2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "hostnqn": "nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "model": "Linux", "serial": "8a2c1f0e9d7b6a54", "dctype": "ddc", "cntrltype": "discovery", "connected": "True"}, {"traddr": "fe80::a00:27ff:fe8e:1f44", "trsvcid": "8009", "transport": "tcp", "subsysnqn": "nqn.2014-08.org.nvmexpress.discovery", "host-iface": "enp0s8", "host-traddr": "fe80::a00:27ff:fe21:5a1", "host-nqn": "nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "device": "nvme1", "connect attempts": "0", "retry connect timer": "60.0s [off]", "connect operation": "{'fail count': 0, 'completed': True, 'alive': True}", "origin": "discovered", "get log page operation": "{'fail count': 0, 'completed': True, 'alive': True}", "register operation": "{'fail count': 0, 'completed': True, 'alive': True}", "get supported log page operation": "{'fail count': 0, 'completed': True, 'alive': True}", "hostid": "2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "hostnqn": "nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "model": "Linux", "serial": "8a2c1f0e9d7b6a54", "dctype": "cdc", "cntrltype": "discovery", "connected": "True", "unresponsive timer": "60.0s [off]", "unresponsive timeout": "72 hours", "unresponsive time": "---"}, {"traddr": "10.10.10.10", "trsvcid": "8009", "transport": "tcp", "subsysnqn": "nqn.2014-08.org.nvmexpress.discovery", "host-iface": "", "host-traddr": "", "host-nqn": "nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "device": "nvme?", "connect attempts": "3", "retry connect timer": "60.0s [off]", "connect operation": "{'fail count': 3, 'completed': True, 'alive': True}", "origin": "referral", "get log page operation": "{'fail count': 0, 'completed': True, 'alive': True}", "register operation": "{'fail count': 0, 'completed': True, 'alive': True}", "get supported log page operation": "{'fail count': 0, 'completed': True, 'alive': True}", "hostid": "2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "hostnqn": "nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "model": "Linux", "serial": "8a2c1f0e9d7b6a54", "dctype": "ddc", "cntrltype": "discovery", "connected": "False"}])json"));
}

TEST(PythonPformatTest, AllLogPagesDetailed) {
  EXPECT_EQ(
      R"py([{'discovery-controller': {'cntrltype': 'discovery',
                           'connect attempts': '0',
                           'connect operation': "{'fail count': 0, 'completed': True, 'alive': True}",
                           'connected': 'True',
                           'dctype': 'ddc',
                           'device': 'nvme0',
                           'get log page operation': "{'fail count': 0, 'completed': True, 'alive': True}",
                           'get supported log page operation': "{'fail count': 0, 'completed': True, 'alive': True}",
                           'host-iface': '',
                           'host-nqn': 'nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
                           'host-traddr': '',
                           'hostid': '2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
                           'hostnqn': 'nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f',
                           'model': 'Linux',
                           'origin': 'configured',
                           'register operation': "{'fail count': 0, 'completed': True, 'alive': True}",
                           'retry connect timer': '60.0s [off]',
                           'serial': '8a2c1f0e9d7b6a54',
                           'subsysnqn': 'nqn.2014-08.org.nvmexpress.discovery',
                           'traddr': '192.168.1.20',
                           'transport': 'tcp',
                           'trsvcid': '8009'},
  'log-pages': [{'adrfam': 'ipv4',
                 'asqsz': '32',
                 'cntlid': '65535',
                 'eflags': '0',
                 'portid': '1',
                 'subnqn': 'nqn.2014-08.com.example:nvme:subsys1',
                 'subtype': 'nvme',
                 'traddr': '192.168.1.20',
                 'treq': 'not specified',
                 'trsvcid': '4420',
                 'trtype': 'tcp'},
                {'adrfam': 'ipv4',
                 'asqsz': '32',
                 'cntlid': '65535',
                 'eflags': '0',
                 'portid': '1',
                 'subnqn': 'nqn.2014-08.org.nvmexpress.discovery',
                 'subtype': 'discovery',
                 'traddr': '192.168.1.20',
                 'treq': 'not specified',
                 'trsvcid': '4420',
                 'trtype': 'tcp'}]}])py",
      Pformat(
          R"json([{"discovery-controller": {"traddr": "192.168.1.20", "trsvcid": "8009", "transport": "tcp", "subsysnqn": "nqn.2014-08.org.nvmexpress.discovery", "host-iface": "", "host-traddr": "", "host-nqn": "nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "device": "nvme0", "connect attempts": "0", "retry connect timer": "60.0s [off]", "connect operation": "{'fail count': 0, 'completed': True, 'alive': True}", "origin": "configured", "get log page operation": "{'fail count': 0, 'completed': True, 'alive': True}", "register operation": "{'fail count': 0, 'completed': True, 'alive': True}", "get supported log page operation": "{'fail count': 0, 'completed': True, 'alive': True}", "hostid": "2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "hostnqn": "nqn.2014-08.org.nvmexpress:uuid:2f1c3a7e-5b8d-4c21-9e6f-0a1b2c3d4e5f", "model": "Linux", "serial": "8a2c1f0e9d7b6a54", "dctype": "ddc", "cntrltype": "discovery", "connected": "True"}, "log-pages": [{"trtype": "tcp", "adrfam": "ipv4", "traddr": "192.168.1.20", "trsvcid": "4420", "subnqn": "nqn.2014-08.com.example:nvme:subsys1", "subtype": "nvme", "treq": "not specified", "portid": "1", "cntlid": "65535", "asqsz": "32", "eflags": "0"}, {"trtype": "tcp", "adrfam": "ipv4", "traddr": "192.168.1.20", "trsvcid": "4420", "subnqn": "nqn.2014-08.org.nvmexpress.discovery", "subtype": "discovery", "treq": "not specified", "portid": "1", "cntlid": "65535", "asqsz": "32", "eflags": "0"}]}])json"));
}

TEST(PythonPformatTest, ReprIsTheOneLineForm) {
  EXPECT_EQ(R"py({'a': [1, 'b'], 'b': None})py",
            PythonRepr(nlohmann::ordered_json::parse(R"json({"b": null, "a": [1, "b"]})json")));
}

TEST(PythonBoolTest, IsStrOfBool) {
  EXPECT_STREQ(PythonBool(true), "True");
  EXPECT_STREQ(PythonBool(false), "False");
}

TEST(PythonFloatReprTest, PrintsLikePythonRepr) {
  EXPECT_EQ(PythonFloatRepr(1.5), "1.5");
  EXPECT_EQ(PythonFloatRepr(60.0), "60.0");
  EXPECT_EQ(PythonFloatRepr(0.0), "0.0");
  EXPECT_EQ(PythonFloatRepr(0.1), "0.1");
  EXPECT_EQ(PythonFloatRepr(0.49871), "0.49871");
  EXPECT_EQ(PythonFloatRepr(259200.0), "259200.0");
  EXPECT_EQ(PythonFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(PythonFloatRepr(0.00005), "5e-05");
  EXPECT_EQ(PythonFloatRepr(0.000012), "1.2e-05");
  EXPECT_EQ(PythonFloatRepr(1e16), "1e+16");
  EXPECT_EQ(PythonFloatRepr(123456789012345.6), "123456789012345.6");
  EXPECT_EQ(PythonFloatRepr(-2.5), "-2.5");
}

TEST(PythonDictReprTest, KeepsInsertionOrder) {
  EXPECT_EQ(PythonDictRepr({{"trtype", "tcp"}, {"adrfam", "ipv4"}, {"portid", "1"}}),
            "{'trtype': 'tcp', 'adrfam': 'ipv4', 'portid': '1'}");
  EXPECT_EQ(PythonDictRepr({}), "{}");
}

TEST(PythonJsonTest, UsesPythonSeparatorsAndEscapes) {
  nlohmann::ordered_json j = {{"tron", false},
                              {"n", 3},
                              {"s", "a\"b\\c\n\x01\xc3\xa9"},
                              {"l", {1, nullptr, "x"}},
                              {"o", nlohmann::ordered_json::object()}};
  // The same text as: json.dumps({"tron": False, "n": 3, "s": "a\"b\\c\n\x01é",
  //                               "l": [1, None, "x"], "o": {}})
  EXPECT_EQ(
      PythonJsonDumps(j),
      R"({"tron": false, "n": 3, "s": "a\"b\\c\n\u0001\u00e9", "l": [1, null, "x"], "o": {}})");
  EXPECT_EQ(PythonJsonDumps(nlohmann::ordered_json::array()), "[]");
}

TEST(PythonJsonTest, TextThatIsNotUtf8NeverThrows) {
  // nlohmann's dump() throws type_error 316 on it by default; one bad value must not fail a
  // whole get_all_log_pages answer. Each bad byte becomes U+FFFD, in keys too.
  nlohmann::ordered_json j = {{"model",
                               "A\xff\xfe"
                               "B"},
                              {"k\xc3", "\xc3\x28"}};
  EXPECT_EQ(PythonJsonDumps(j), R"({"model": "A\ufffd\ufffdB", "k\ufffd": "\ufffd("})");
}

}  // namespace
}  // namespace stas
