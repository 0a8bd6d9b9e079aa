// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/redacting_stream.h"

#include <fcntl.h>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

namespace stas {
namespace {

// Everything readable from `fd` now (non-blocking).
std::string Drain(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST(RedactingStreamTest, LinesArriveRedactedAndWhole) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK), 0);
  std::FILE* f = OpenRedactingStream(p[1]);
  ASSERT_NE(f, nullptr);
  // As libnvme prints its connect string at debug level, written in two calls mid-secret.
  std::fprintf(f, "connect ctrl, 'nqn=nqn.a,dhchap_secret=DHHC-1:00:ia6zGodOr2S");
  EXPECT_EQ(Drain(p[0]), "");  // nothing before the end of the line
  std::fprintf(f, "GAaxX/1nZD5ytvqD6UR5ltdQFgEb0vIn0pkoP:,hostnqn=nqn.h'\nnext ");
  EXPECT_EQ(Drain(p[0]), "connect ctrl, 'nqn=nqn.a,dhchap_secret=<redacted>,hostnqn=nqn.h'\n");
  std::fprintf(f, "line DHHC-1:01:abcd:");
  EXPECT_EQ(std::fclose(f), 0);
  EXPECT_EQ(Drain(p[0]), "next line <redacted>");  // fclose writes what was left
  ::close(p[0]);
  ::close(p[1]);
}

TEST(RedactingStreamTest, ALineWithoutEndIsWrittenInBoundedPieces) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK), 0);
  ASSERT_EQ(::fcntl(p[1], F_SETPIPE_SZ, 1 << 20), 1 << 20);
  std::FILE* f = OpenRedactingStream(p[1]);
  ASSERT_NE(f, nullptr);
  std::string big(100 * 1024, 'x');
  std::fputs(big.c_str(), f);
  std::fflush(f);
  EXPECT_GE(Drain(p[0]).size(), 64u * 1024);  // not held whole in memory
  std::fclose(f);
  ::close(p[0]);
  ::close(p[1]);
}

}  // namespace
}  // namespace stas
