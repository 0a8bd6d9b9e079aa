// SPDX-License-Identifier: Apache-2.0
#include "common/kernel/disc_log_decode.h"

#include <cstring>
#include <endian.h>
#include <string>

namespace stas {
namespace {

std::string FixedString(const char* field, size_t size) {
  return std::string(field, strnlen(field, size));
}

}  // namespace

RawLogEntry ToRawEntry(const nvmf_disc_log_entry& e) {
  RawLogEntry r;
  r.trtype = e.trtype;
  r.adrfam = e.adrfam;
  r.subtype = e.subtype;
  r.treq = e.treq;
  r.portid = le16toh(e.portid);
  r.cntlid = le16toh(e.cntlid);
  r.asqsz = le16toh(e.asqsz);
  r.eflags = le16toh(e.eflags);
  r.tsas0 = e.tsas.tcp.sectype;
  r.trsvcid = FixedString(e.trsvcid, sizeof(e.trsvcid));
  r.subnqn = FixedString(e.subnqn, sizeof(e.subnqn));
  r.traddr = FixedString(e.traddr, sizeof(e.traddr));
  return r;
}

}  // namespace stas
