# SPDX-License-Identifier: Apache-2.0
"""NVMe/TCP PDU codec: the 8-byte common header, the PDU types a discovery controller exchanges,
and CRC32C for the optional header/data digests.

Layouts follow the NVMe/TCP transport specification (the same ones the Linux host in
drivers/nvme/host/tcp.c expects: every controller-to-host PDU but ICResp has hlen 24, ICResp is
128 bytes, cpda must be 0, digests must echo what the host asked for)."""

import struct

# PDU types
ICREQ, ICRESP, H2C_TERM, C2H_TERM, CAPSULE_CMD, CAPSULE_RESP, H2C_DATA, C2H_DATA, R2T = (
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x09)

# Common header flags
F_HDGST = 0x01
F_DDGST = 0x02
F_DATA_LAST = 0x04
F_DATA_SUCCESS = 0x08

# ICReq/ICResp digest bits
DIGEST_HDR = 0x01
DIGEST_DATA = 0x02

# Fatal error status of a C2HTermReq
FES_INVALID_HEADER = 0x01
FES_SEQUENCE = 0x02
FES_HDR_DIGEST = 0x03
FES_OUT_OF_RANGE = 0x04
FES_LIMIT_EXCEEDED = 0x05
FES_UNSUPPORTED = 0x06

# The header length each host-to-controller PDU type must have; a different one is a fatal
# "invalid header field" (the spec fixes them).
HOST_HLEN = {ICREQ: 128, H2C_TERM: 24, CAPSULE_CMD: 72, H2C_DATA: 24}
DIGEST_LEN = 4
SQE_LEN = 64
CQE_LEN = 16

CH = struct.Struct("<BBBBI")  # type, flags, hlen, pdo, plen


def _crc32c_table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli), as NVMe/TCP digests use it (the value is sent little-endian)."""
    crc ^= 0xFFFFFFFF
    table = _CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def digest_bytes(data):
    return struct.pack("<I", crc32c(data))


def header(ptype, flags, hlen, pdo, plen):
    return CH.pack(ptype, flags, hlen, pdo, plen)


def icresp(digest, maxh2cdata, pfv=0, cpda=0):
    body = header(ICRESP, 0, 128, 0, 128) + struct.pack("<HBBI", pfv, cpda, digest, maxh2cdata)
    return body + bytes(128 - len(body))


def parse_icreq(pdu):
    pfv, hpda, digest, maxr2t = struct.unpack_from("<HBBI", pdu, 8)
    return {"pfv": pfv, "hpda": hpda, "hdgst": bool(digest & DIGEST_HDR),
            "ddgst": bool(digest & DIGEST_DATA), "maxr2t": maxr2t}


class Framer:
    """Builds controller-to-host PDUs with the digests negotiated for the connection."""

    def __init__(self, hdgst=False, ddgst=False):
        self.hdgst = hdgst
        self.ddgst = ddgst

    def _pdu(self, ptype, flags, hdr_rest, data=b""):
        hlen = 8 + len(hdr_rest)
        hd = DIGEST_LEN if self.hdgst else 0
        dd = DIGEST_LEN if (self.ddgst and data) else 0
        if self.hdgst:
            flags |= F_HDGST
        if dd:
            flags |= F_DDGST
        pdo = hlen + hd if data else 0
        plen = hlen + hd + len(data) + dd
        h = header(ptype, flags, hlen, pdo, plen) + hdr_rest
        out = [h]
        if hd:
            out.append(digest_bytes(h))
        if data:
            out.append(bytes(data))
            if dd:
                out.append(digest_bytes(data))
        return b"".join(out)

    def response(self, cid, status_word, result=0, sq_head=0):
        # CQE: result (dw0, dw1), SQ head, SQ id (0: admin), command id, status with phase 0
        cqe = struct.pack("<QHHHH", result & 0xFFFFFFFFFFFFFFFF, sq_head, 0, cid, status_word)
        return self._pdu(CAPSULE_RESP, 0, cqe)

    def c2h_data(self, cid, offset, data, last):
        rest = struct.pack("<HHIII", cid, 0, offset, len(data), 0)
        return self._pdu(C2H_DATA, F_DATA_LAST if last else 0, rest, data)

    def r2t(self, cid, ttag, offset, length):
        return self._pdu(R2T, 0, struct.pack("<HHIII", cid, ttag, offset, length, 0))


def c2h_term(fes, fei=0, offending=b""):
    """A C2HTermReq (never with digests); carries up to 128 bytes of the offending header."""
    off = bytes(offending[:128])
    plen = 24 + len(off)
    return header(C2H_TERM, 0, 24, 24 if off else 0, plen) + struct.pack("<HI", fes, fei) + \
        bytes(10) + off
