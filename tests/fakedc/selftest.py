#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Self-test of the fake DC without the kernel: a minimal NVMe/TCP host in Python speaks to it
over 127.0.0.1 (ICReq, Connect, Property Get/Set, Identify, Get Log Page in 4 KiB pieces,
AER + AEN from the control socket, DIM data through R2T/H2CData, digests, unknown opcodes,
hostile PDUs, DH-HMAC-CHAP authentication) and checks what it answers and what it records.
Exit status 0 on success."""

import sys

sys.dont_write_bytecode = True

import base64  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pdu  # noqa: E402

HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:00000000-1111-2222-3333-444444444444"
WKDN = "nqn.2014-08.org.nvmexpress.discovery"


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"ok: {what}")


class Host:
    """Just enough of an NVMe/TCP host for the checks below."""

    def __init__(self, port, hdgst=False, ddgst=False):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.cid = 0
        icreq = pdu.header(pdu.ICREQ, 0, 128, 0, 128) + struct.pack(
            "<HBBI", 0, 0, (pdu.DIGEST_HDR if hdgst else 0) | (pdu.DIGEST_DATA if ddgst else 0), 0)
        self.s.sendall(icreq + bytes(128 - len(icreq)))
        resp = self.recv_exact(128)
        check(resp[0] == pdu.ICRESP and struct.unpack_from("<I", resp, 4)[0] == 128, "ICResp")
        _pfv, cpda, digest, self.maxh2c = struct.unpack_from("<HBBI", resp, 8)
        check(cpda == 0 and digest == ((1 if hdgst else 0) | (2 if ddgst else 0)),
              f"ICResp echoes digests hdgst={hdgst} ddgst={ddgst}, cpda 0")
        self.framer = pdu.Framer(hdgst, ddgst)
        self.hdgst, self.ddgst = hdgst, ddgst

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError("closed by the DC")
            buf += chunk
        return buf

    def recv_pdu(self):
        ch = self.recv_exact(8)
        ptype, flags, hlen, pdo, plen = pdu.CH.unpack(ch)
        rest = self.recv_exact(plen - 8)
        full = ch + rest
        hd = 4 if self.hdgst and ptype not in (pdu.C2H_TERM,) else 0
        if hd:
            check_hd = full[hlen:hlen + 4] == pdu.digest_bytes(full[:hlen])
            if not check_hd:
                raise AssertionError("bad header digest from the DC")
        data = b""
        if pdo:
            dd = 4 if flags & pdu.F_DDGST else 0
            data = full[pdo:plen - dd]
            if dd and full[plen - dd:plen] != pdu.digest_bytes(data):
                raise AssertionError("bad data digest from the DC")
        return ptype, flags, full[:hlen], data

    def capsule(self, sqe, data=b""):
        hd = 4 if self.hdgst else 0
        flags = pdu.F_HDGST if self.hdgst else 0
        dd = 4 if self.ddgst and data else 0
        if dd:
            flags |= pdu.F_DDGST
        pdo = 72 + hd if data else 0
        h = pdu.header(pdu.CAPSULE_CMD, flags, 72, pdo, 72 + hd + len(data) + dd) + sqe
        out = h + (pdu.digest_bytes(h) if hd else b"") + data
        if dd:
            out += pdu.digest_bytes(data)
        self.s.sendall(out)

    def sqe(self, opcode, cdw=(0,) * 6, nsid=0, sgl_len=0, sgl_type=0x5A, b4=0, raw=None):
        self.cid = (self.cid + 1) & 0xFFFF
        s = bytearray(64)
        struct.pack_into("<BBHI", s, 0, opcode, 0x40, self.cid, nsid)
        s[4] = b4 if opcode == 0x7F else s[4]
        struct.pack_into("<QI", s, 24, 0, sgl_len)
        s[39] = sgl_type
        struct.pack_into("<6I", s, 40, *cdw)
        if raw:
            for off, val in raw:
                s[off:off + len(val)] = val
        return bytes(s), self.cid

    def wait(self, cid):
        """(status, result, data) of command CID, gathering its C2HData."""
        data = bytearray()
        while True:
            ptype, flags, hdr, d = self.recv_pdu()
            if ptype == pdu.C2H_DATA:
                c, _tag, off, dlen = struct.unpack_from("<HHII", hdr, 8)
                if c != cid or off != len(data) or dlen != len(d):
                    raise AssertionError(f"C2HData out of order: cid {c} offset {off}")
                data += d
            elif ptype == pdu.CAPSULE_RESP:
                result, _sqhd, _sqid, c, status = struct.unpack_from("<QHHHH", hdr, 8)
                if c != cid:
                    raise AssertionError(f"response for cid {c}, expected {cid}")
                return status >> 1 & 0x7FF, result, bytes(data)
            else:
                raise AssertionError(f"unexpected PDU type {ptype}")

    def run(self, *a, data=b"", **kw):
        sqe, cid = self.sqe(*a, **kw)
        self.capsule(sqe, data)
        return self.wait(cid)

    def connect(self, subnqn=WKDN, hostnqn=HOSTNQN):
        data = bytearray(1024)
        data[0:16] = bytes(range(16))
        struct.pack_into("<H", data, 16, 0xFFFF)
        data[256:256 + len(subnqn)] = subnqn.encode()
        data[512:512 + len(hostnqn)] = hostnqn.encode()
        raw = [(40, struct.pack("<HHHBxI", 0, 0, 31, 0, 30000))]
        return self.run(0x7F, b4=0x01, sgl_len=1024, sgl_type=0x01, raw=raw, data=bytes(data))

    def prop_get(self, off, size8=False):
        return self.run(0x7F, b4=0x04, raw=[(40, bytes([1 if size8 else 0])),
                                            (44, struct.pack("<I", off))])

    def prop_set(self, off, value):
        return self.run(0x7F, b4=0x00, raw=[(44, struct.pack("<IQ", off, value))])

    def auth_send(self, msg):
        """Authentication Send (DH-HMAC-CHAP: SECP E9h, SPSP 01h/01h), MSG in the capsule."""
        raw = [(41, bytes([1, 1, 0xE9])), (44, struct.pack("<I", len(msg)))]
        return self.run(0x7F, b4=0x05, sgl_len=len(msg), sgl_type=0x01, raw=raw, data=msg)[0]

    def auth_recv(self, al=4096):
        """Authentication Receive of AL bytes: (status, data)."""
        raw = [(41, bytes([1, 1, 0xE9])), (44, struct.pack("<I", al))]
        st, _res, data = self.run(0x7F, b4=0x06, sgl_len=al, raw=raw)
        return st, data

    def get_log(self, lid, lpo, length, rae=0):
        numd = length // 4 - 1
        cdw10 = lid | (rae << 15) | ((numd & 0xFFFF) << 16)
        return self.run(0x02, cdw=(cdw10, numd >> 16, lpo & 0xFFFFFFFF, lpo >> 32, 0, 0),
                        sgl_len=length)


# --- DH-HMAC-CHAP as a host computes it, independently of the DC's auth.py (NVMe Base 2.0,
# 8.13.5; the Linux host's drivers/nvme/host/auth.c)

HASH = {1: "sha256", 2: "sha384", 3: "sha512"}
HLEN = {1: 32, 2: 48, 3: 64}


def dhhc1(key, transform=0):
    """A DHHC-1 secret: base64 of the key and its CRC-32 (little-endian)."""
    return "DHHC-1:%02d:%s:" % (transform, base64.b64encode(
        key + struct.pack("<I", zlib.crc32(key) & 0xFFFFFFFF)).decode())


def transformed(key, transform, nqn):
    if transform == 0:
        return key
    return hmac.new(key, nqn.encode() + b"NVMe-over-Fabrics", HASH[transform]).digest()


def chap_response(hash_id, key, challenge, seq, t_id, role, nqn_a, nqn_b):
    h = hmac.new(key, digestmod=getattr(hashlib, HASH[hash_id]))
    for part in (challenge, struct.pack("<I", seq), struct.pack("<H", t_id), b"\0", role,
                 nqn_a.encode(), b"\0", nqn_b.encode()):
        h.update(part)
    return h.digest()


def negotiate_msg(t_id, hashes=(1, 2, 3), groups=(0, 1, 2, 3, 4, 5), sc_c=0):
    idlist = bytearray(60)
    idlist[:len(hashes)] = bytes(hashes)
    idlist[30:30 + len(groups)] = bytes(groups)
    return struct.pack("<BBHHBB", 0, 0x00, 0, t_id, sc_c, 1) + \
        struct.pack("<BBBB", 1, 0, len(hashes), len(groups)) + bytes(idlist)


class Chap:
    """One host's DH-HMAC-CHAP run over a connected Host. KEY/TRANSFORM: the host's secret;
    CTRL: (key, transform) of the controller's, to ask for bidirectional authentication."""

    def __init__(self, h, key, transform=0, ctrl=None, hostnqn=HOSTNQN, subnqn=WKDN):
        self.h, self.key, self.transform, self.ctrl = h, key, transform, ctrl
        self.hostnqn, self.subnqn = hostnqn, subnqn

    def negotiate(self, t_id, **kw):
        self.t_id = t_id
        check(self.h.auth_send(negotiate_msg(t_id, **kw)) == 0, f"AUTH_Negotiate t_id {t_id}")
        st, msg = self.h.auth_recv()
        check(st == 0 and len(msg) == 4096, "Authentication Receive: al (4096) bytes")
        return msg

    def challenge(self, t_id, want_hash=1):
        msg = self.negotiate(t_id)
        typ, aid, _r, tid, hl, _r2, hashid, dhgid, dhvlen, seq = struct.unpack_from(
            "<BBHHBBBBHI", msg)
        check((typ, aid, tid, hashid, hl, dhgid, dhvlen) == (1, 1, t_id, want_hash,
                                                             HLEN[want_hash], 0, 0) and seq,
              f"DH-HMAC-CHAP_Challenge: {HASH[want_hash]}, NULL DH group, S1 {seq}")
        self.hash_id, self.s1, self.c1 = hashid, seq, msg[16:16 + hl]
        return msg

    def reply(self, key=None):
        """Sends R1 (computed with KEY, default the right one); returns Success1/Failure1."""
        hl = HLEN[self.hash_id]
        r1 = chap_response(self.hash_id, transformed(key or self.key, self.transform, self.hostnqn),
                           self.c1, self.s1, self.t_id, b"HostHost", self.hostnqn, self.subnqn)
        self.c2, self.s2 = (os.urandom(hl), 0x1234567) if self.ctrl else (bytes(hl), 0)
        msg = struct.pack("<BBHHBBBBHI", 1, 0x02, 0, self.t_id, hl, 0, 1 if self.ctrl else 0, 0,
                          0, self.s2) + r1 + self.c2
        check(self.h.auth_send(msg) == 0, "DH-HMAC-CHAP_Reply sent")
        st, msg = self.h.auth_recv()
        check(st == 0, "Authentication Receive after the Reply")
        return msg

    def expected_r2(self):
        key, transform = self.ctrl
        return chap_response(self.hash_id, transformed(key, transform, self.subnqn), self.c2,
                             self.s2, self.t_id, b"Controller", self.subnqn, self.hostnqn)

    def run(self, t_id, want_hash=1):
        """A successful transaction: Success1 (with R2 checked, then Success2, if bidirectional)."""
        self.challenge(t_id, want_hash)
        msg = self.reply()
        typ, aid, _r, tid, hl, _r2, rvalid = struct.unpack_from("<BBHHBBB", msg)
        check((typ, aid, tid, hl) == (1, 3, t_id, HLEN[self.hash_id]) and
              rvalid == (1 if self.ctrl else 0), f"DH-HMAC-CHAP_Success1, rvalid {rvalid}")
        if self.ctrl:
            check(msg[16:16 + hl] == self.expected_r2(), "R2: the controller knows its key")
            check(self.h.auth_send(struct.pack("<BBHH10x", 1, 0x04, 0, t_id)) == 0,
                  "DH-HMAC-CHAP_Success2 sent")


def failure1(msg, t_id):
    typ, aid, _r, tid, rescode, exp = struct.unpack_from("<BBHHBB", msg)
    return exp if (typ, aid, tid, rescode) == (0, 0xF1, t_id, 1) else None


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def main():
    import scenario
    for name in sorted(os.listdir(os.path.join(HERE, "examples"))):
        sc = scenario.load(os.path.join(HERE, "examples", name))
        page = sc.page.read(1, sc.page.count, 0, sc.page_size, 0, sc.page_size)
        check(len(page) == 1024 * (1 + sc.page.count), f"example {name}: {sc.page.count} entries")
    try:
        scenario.Scenario({"entries": [{"subnqn": "x", "typo": 1}]})
        check(False, "a scenario with an unknown key is refused")
    except scenario.ScenarioError as e:
        check("typo" in str(e), f"a scenario with an unknown key is refused ({e})")
    tmp = tempfile.mkdtemp(prefix="fakedc-selftest.")
    scen = os.path.join(tmp, "scenario.json")
    with open(scen, "w") as f:
        json.dump({
            "identify": {"model": {"hex": "ff41ff"}, "serial": "SN-SELF", "firmware": "9.9"},
            "genctr": 7,
            "entries": [
                {"subtype": "current", "subnqn": WKDN, "trsvcid": "8010",
                 "eflags": ["epcsd", "dupretinfo"]},
                {"subnqn": "nqn.2014-08.org.example:sub1"},
                {"subtype": "referral", "subnqn": WKDN, "trsvcid": "8011", "traddr": {"hex": "ff00"}},
                {"repeat": 40, "start": 1, "template": {"subnqn": "nqn.2014-08.org.example:gen{i}",
                                                        "portid": "{i}"}},
            ],
        }, f)
    rec = os.path.join(tmp, "record.jsonl")
    ctl = os.path.join(tmp, "ctl.sock")
    pidfile = os.path.join(tmp, "pid")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fakedc.py"), "--scenario", scen,
                             "--port", "0", "--record", rec, "--control", ctl, "--pidfile",
                             pidfile, "--verbose"])
    try:
        deadline = time.time() + 20
        while not os.path.exists(pidfile):
            if time.time() > deadline or proc.poll() is not None:
                raise AssertionError("the fake DC did not start")
            time.sleep(0.05)
        port = [r for r in records(rec) if r["event"] == "listen"][0]["port"]
        ctl_cmd = [sys.executable, os.path.join(HERE, "fakedc.py"), "--ctl", ctl]

        h = Host(port)
        st, res, _ = h.run(0x06, cdw=(1, 0, 0, 0, 0, 0), sgl_len=4096)
        check(st == 0x0C, "a command before Connect: Command Sequence Error")
        st, res, _ = h.connect()
        cntlid = res & 0xFFFF
        check(st == 0 and cntlid >= 1, f"Connect: cntlid {cntlid}")
        st, cap, _ = h.prop_get(0, True)
        check(st == 0 and cap & 0xFFFF == 127, "Property Get CAP")
        check(h.prop_set(0x14, 1)[0] == 0, "Property Set CC.EN")
        check(h.prop_get(0x1C)[1] == 1, "CSTS.RDY")
        st, _, idf = h.run(0x06, cdw=(1, 0, 0, 0, 0, 0), sgl_len=4096)
        check(st == 0 and len(idf) == 4096, "Identify Controller: 4096 bytes")
        check(idf[24:64] == b"\xffA\xff" + b" " * 37, "raw model bytes")
        check(idf[4:24].rstrip() == b"SN-SELF" and idf[64:72].rstrip() == b"9.9", "serial, firmware")
        check(struct.unpack_from("<H", idf, 78)[0] == cntlid and idf[111] == 2,
              "cntlid as in Connect, cntrltype discovery")
        check(idf[768:768 + len(WKDN)] == WKDN.encode(), "subnqn")
        check(h.run(0x06, cdw=(0, 0, 0, 0, 0, 0), nsid=1, sgl_len=4096)[0] == 2,
              "Identify Namespace: Invalid Field")

        st, _, hdr = h.get_log(0x70, 0, 1024)
        genctr, numrec, recfmt = struct.unpack_from("<QQH", hdr)
        check(st == 0 and (genctr, numrec, recfmt) == (7, 43, 0), "log page header")
        size = 1024 * (1 + numrec)
        page = b""
        for off in range(0, size, 4096):
            st, _, piece = h.get_log(0x70, off, min(4096, size - off))
            check(st == 0, f"log page piece at {off}") if off == 0 else None
            page += piece
        check(len(page) == size, "the whole page read in 4 KiB pieces")
        e = [page[1024 * (i + 1):1024 * (i + 2)] for i in range(numrec)]
        check(e[0][2] == 3 and struct.unpack_from("<H", e[0], 10)[0] == 3, "entry 0: current, eflags")
        check(e[0][32:36] == b"8010" and e[0][36] == 0, "trsvcid NUL-padded")
        check(e[2][2] == 1 and e[2][512:514] == b"\xff\x00", "referral with raw traddr")
        check(e[42][256:256 + 32].rstrip(b"\0") == b"nqn.2014-08.org.example:gen40" and
              struct.unpack_from("<H", e[42], 4)[0] == 40, "generated entry 40")
        check(h.get_log(0x70, size + 4096, 4096)[0] == 2, "LPO past the page: Invalid Field")
        check(h.get_log(0x05, 0, 512)[0] == 2, "an unsupported log page: Invalid Field")
        st, _, lids = h.get_log(0x00, 0, 1024)
        check(st == 0 and struct.unpack_from("<I", lids, 0x70 * 4)[0] == 1, "supported log pages")
        pieces = [r["lpo"] for r in records(rec) if r.get("name") == "get_log_page" and
                  r.get("lid") == 0x70 and r.get("len") == 4096]
        check(pieces[:11] == list(range(0, 11 * 4096, 4096)), f"record: offsets {pieces[:11]}")

        check(h.run(0x09, cdw=(0x0B, 1 << 31, 0, 0, 0, 0))[0] == 0, "Set Features AEC")
        check(h.run(0x0A, cdw=(0x0B, 0, 0, 0, 0, 0))[1] == 1 << 31, "Get Features AEC")
        check(h.run(0x18)[0] == 0, "Keep Alive")
        check(h.run(0x55)[0] == 1, "unknown opcode: Invalid Command Opcode")

        sqe, aer_cid = h.sqe(0x0C)
        h.capsule(sqe)
        time.sleep(0.3)
        out = subprocess.run(ctl_cmd + ["aen"], capture_output=True, text=True, timeout=10)
        check(out.returncode == 0, f"control aen: {out.stdout.strip()}")
        st, res, _ = h.wait(aer_cid)
        check(st == 0 and res == 0x70F002, "the AER completes with 0x70f002")
        check(struct.unpack_from("<Q", h.get_log(0x70, 0, 1024)[2])[0] == 8, "genctr moved")

        # DIM data through R2T/H2CData, not in the capsule
        dim = bytearray(1024 + 512)
        struct.pack_into("<I4xQHH", dim, 0, len(dim), 1, 0, 1)
        dim[24:30] = b"host-x"
        sqe, cid = h.sqe(0x21, cdw=(0, 0, 0, 0, 0, 0), sgl_len=len(dim))
        h.capsule(sqe)
        sent = 0
        while sent < len(dim):
            ptype, _f, hdr, _ = h.recv_pdu()
            check(ptype == pdu.R2T, "R2T") if sent == 0 else None
            c, tag, off, length = struct.unpack_from("<HHII", hdr, 8)
            chunk = bytes(dim[off:off + length])
            d = pdu.header(pdu.H2C_DATA, pdu.F_DATA_LAST, 24, 24, 24 + len(chunk)) + \
                struct.pack("<HHIII", c, tag, off, len(chunk), 0)
            h.s.sendall(d + chunk)
            sent += length
        check(h.wait(cid)[0] == 0, "DIM through R2T: success")
        dims = [r for r in records(rec) if r.get("name") == "dim"]
        check(dims and dims[-1]["dim_len"] == len(dim) and dims[-1]["eid"] == "host-x" and
              dims[-1]["r2t"] == len(dim), "record: DIM data")
        check(h.prop_set(0x14, 1 | (1 << 14))[0] == 0 and h.prop_get(0x1C)[1] >> 2 & 3 == 2,
              "shutdown: CSTS.SHST complete")
        h.s.close()

        # digests on
        h2 = Host(port, hdgst=True, ddgst=True)
        st, res, _ = h2.connect()
        check(st == 0 and res & 0xFFFF != cntlid, "Connect with digests: a new cntlid")
        st, _, idf = h2.run(0x06, cdw=(1, 0, 0, 0, 0, 0), sgl_len=4096)
        check(st == 0 and idf[24] == 0xFF, "Identify with header and data digests")
        h2.s.close()

        # hostile input: an unknown PDU type gets a C2HTermReq and the DC carries on
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(pdu.header(0x42, 0, 8, 0, 8))
        got = s.recv(1024)
        check(got[:1] == bytes([pdu.C2H_TERM]), "garbage PDU: C2HTermReq")
        s.close()
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(pdu.header(pdu.ICREQ, 0, 128, 0, 0x7FFFFFFF))
        check(s.recv(1024)[:1] == bytes([pdu.C2H_TERM]), "absurd plen: C2HTermReq")
        s.close()
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"\x00\x00\x80")  # closed mid-header
        s.close()
        time.sleep(0.5)
        out = subprocess.run(ctl_cmd + ["status"], capture_output=True, text=True, timeout=10)
        st = json.loads(out.stdout)
        check(st["ok"] and st["connections"] == [] and proc.poll() is None,
              "the DC survives and lists no connection")
        hosts = [r.get("hostnqn") for r in records(rec) if r.get("name") == "connect"]
        check(HOSTNQN in hosts, "record: the Connect's hostnqn")

        # a hostile host: H2CData nobody asked for, an oversized capsule
        h4 = Host(port)
        h4.s.sendall(pdu.header(pdu.H2C_DATA, 0, 24, 0, 24) + bytes(16))
        check(h4.recv_pdu()[0] == pdu.C2H_TERM, "H2CData without R2T: C2HTermReq")
        h4 = Host(port)
        h4.s.sendall(pdu.header(pdu.CAPSULE_CMD, 0, 72, 72, 72 + 1 << 20))
        check(h4.recv_pdu()[0] == pdu.C2H_TERM, "a 1 MiB capsule: C2HTermReq")

        # reload: genctr per piece, delays, a forced status, a timed AEN, small MAXH2CDATA
        with open(scen, "w") as f:
            json.dump({"genctr": 100, "genctr_bump": "piece", "maxh2cdata": 4096,
                       "delays": {"keep_alive": 0.5}, "fail": {"identify": 6},
                       "aen": {"after_aer": 0.3}, "entries": [{"subnqn": "x"}]}, f)
        out = subprocess.run(ctl_cmd + ["reload"], capture_output=True, text=True, timeout=10)
        check(out.returncode == 0, "control reload")
        h5 = Host(port)
        check(h5.maxh2c == 4096, "MAXH2CDATA from the scenario")
        check(h5.connect()[0] == 0, "Connect after the reload")
        g1 = struct.unpack_from("<Q", h5.get_log(0x70, 0, 1024)[2])[0]
        g2 = struct.unpack_from("<Q", h5.get_log(0x70, 0, 1024)[2])[0]
        check((g1, g2) == (101, 102), f"genctr_bump piece: {g1}, {g2}")
        t = time.time()
        check(h5.run(0x18)[0] == 0 and time.time() - t >= 0.45, "Keep Alive delayed 0.5 s")
        check(h5.run(0x06, cdw=(1, 0, 0, 0, 0, 0), sgl_len=4096)[0] == 6, "forced status")
        sqe, aer_cid = h5.sqe(0x0C)
        h5.capsule(sqe)
        st, res, _ = h5.wait(aer_cid)
        check(st == 0 and res == 0x70F002, "timed AEN after the AER")
        # DIM data larger than MAXH2CDATA: two R2Ts
        sqe, cid = h5.sqe(0x21, sgl_len=6000)
        h5.capsule(sqe)
        r2ts = 0
        sent = 0
        while sent < 6000:
            ptype, _f, hdr, _ = h5.recv_pdu()
            c, tag, off, length = struct.unpack_from("<HHII", hdr, 8)
            check(ptype == pdu.R2T and off == sent and length <= 4096, f"R2T at {off}, {length} bytes")
            for o in range(off, off + length, 1000):  # in H2CData PDUs of 1000 bytes
                n = min(1000, off + length - o)
                h5.s.sendall(pdu.header(pdu.H2C_DATA, 0, 24, 24, 24 + n) +
                             struct.pack("<HHIII", c, tag, o, n, 0) + bytes(n))
            sent += length
            r2ts += 1
        check(h5.wait(cid)[0] == 0 and r2ts == 2, "6000 bytes of DIM data through 2 R2Ts")
        sqe, _ = h5.sqe(0x7F, b4=0x01, sgl_len=1024, sgl_type=0x01,
                        raw=[(40, struct.pack("<HH", 0, 1))])
        h5.capsule(sqe, bytes(1024))
        check(h5.wait(h5.cid)[0] == 0x182, "Connect of an I/O queue: Invalid Parameters")
        h5.s.close()

        auth_checks(port, scen, rec, ctl_cmd)
        print("PASS")
        return 0
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def auth_checks(port, scen, rec, ctl_cmd):
    """DH-HMAC-CHAP: scenario validation; uni- and bidirectional authentication with R1 and R2
    computed here; a wrong key, an unusable DH group, a missing ctrl_key: AUTH_Failure1, and
    admin commands refused (Authentication Required) until authenticated."""
    import scenario
    host_key, ctrl_key = os.urandom(32), os.urandom(32)
    good = dhhc1(host_key, 1)  # transformed with HMAC-SHA-256 and the host NQN
    bad_crc = good[:14] + ("A" if good[14] != "A" else "B") + good[15:]
    for d, what in (({"host_key": bad_crc}, "CRC"), ({"host_key": "DHHC-1:00:AAAA:"}, "bytes"),
                    ({"host_key": "DHHC-1:07:" + good[10:]}, "key hash"),
                    ({"host_key": "secret"}, "DHHC-1"), ({"ctrl_key": good}, "host_key"),
                    ({"host_key": good, "hash": "md5"}, "hash"),
                    ({"host_key": good, "hosts": "nqn.x"}, "hosts"),
                    ({"host_key": good, "keys": 1}, "keys")):
        try:
            scenario.Scenario({"dhchap": d})
            check(False, f"dhchap with a bad {what} is refused")
        except scenario.ScenarioError as e:
            check(str(e).startswith("dhchap") and what in str(e) and good[10:30] not in str(e),
                  f"dhchap with a bad {what} is refused ({e})")

    other = "nqn.2014-08.org.example:host-without-auth"

    def serve(dhchap):
        with open(scen, "w") as f:
            json.dump({"dhchap": dhchap, "entries": [{"subnqn": "x"}]}, f)
        out = subprocess.run(ctl_cmd + ["reload"], capture_output=True, text=True, timeout=10)
        check(out.returncode == 0, f"control reload: dhchap {sorted(dhchap)}")

    def identify(h):
        return h.run(0x06, cdw=(1, 0, 0, 0, 0, 0), sgl_len=4096)[0]

    def connected(hostnqn=HOSTNQN):
        h = Host(port)
        st, res, _ = h.connect(hostnqn=hostnqn)
        check(st == 0, f"Connect of {hostnqn[-20:]}")
        return h, res

    serve({"host_key": good, "ctrl_key": dhhc1(ctrl_key), "hosts": [HOSTNQN]})
    # unidirectional
    h, res = connected()
    check(res & (1 << 17) and res & 0xFFFF, f"Connect result {res:#x}: AUTHREQ.ATR (bit 17)")
    check(identify(h) == 0x191, "Identify before authentication: Authentication Required")
    check(h.run(0x18)[0] == 0x191, "Keep Alive before authentication: Authentication Required")
    check(h.prop_get(0, True)[0] == 0, "Property Get before authentication: allowed (fabrics)")
    Chap(h, host_key, 1).run(t_id=1)
    check(identify(h) == 0, "Identify once authenticated")
    # re-authentication on the same queue (the host writes dhchap_secret in sysfs)
    Chap(h, host_key, 1).run(t_id=2)
    check(identify(h) == 0, "Identify after re-authentication")
    h.s.close()

    # bidirectional: the host checks R2 (the controller's key, used as is)
    h, _ = connected()
    Chap(h, host_key, 1, ctrl=(ctrl_key, 0)).run(t_id=7)
    check(identify(h) == 0, "bidirectional: Identify once authenticated")
    h.s.close()

    # a wrong host key: Failure1 (reason 1, explanation 1: failed), admin commands refused
    h, _ = connected()
    c = Chap(h, host_key, 1)
    c.challenge(t_id=3)
    msg = c.reply(key=os.urandom(32))
    check(failure1(msg, 3) == 1, "a wrong R1: AUTH_Failure1, explanation 01h (failed)")
    check(identify(h) == 0x191, "Identify after the failure: Authentication Required")
    check(h.run(0x02, cdw=(0x70 | (255 << 16), 0, 0, 0, 0, 0), sgl_len=1024)[0] == 0x191,
          "Get Log Page after the failure: Authentication Required")
    # then the right one, on the same connection: a new transaction succeeds
    Chap(h, host_key, 1).run(t_id=4)
    check(identify(h) == 0, "a new transaction with the right key: authenticated")
    h.s.close()

    # only non-NULL DH groups offered: Failure1 "DH group unusable" instead of the Challenge
    h, _ = connected()
    check(h.auth_send(negotiate_msg(5, groups=(1, 2))) == 0, "Negotiate without the NULL group")
    st, msg = h.auth_recv()
    check(st == 0 and failure1(msg, 5) == 5, "AUTH_Failure1, explanation 05h (DH group unusable)")
    check(identify(h) == 0x191, "not authenticated")
    # a message out of order (Success2 first): Failure1 "incorrect message"
    check(h.auth_send(struct.pack("<BBHH10x", 1, 0x04, 0, 5)) == 0, "Success2 out of order")
    check(failure1(h.auth_recv()[1], 5) == 7, "AUTH_Failure1, explanation 07h (incorrect message)")
    # a Reply with another transaction ID: "incorrect payload"; secure channel concatenation
    c = Chap(h, host_key, 1)
    c.challenge(t_id=6)
    c.t_id = 99
    check(failure1(c.reply(), 6) == 6, "a Reply of T_ID 99: AUTH_Failure1, 06h (incorrect payload)")
    check(h.auth_send(negotiate_msg(8, sc_c=1)) == 0, "Negotiate with secure concatenation")
    check(failure1(h.auth_recv()[1], 8) == 3, "AUTH_Failure1, 03h (concatenation mismatch)")
    st = h.run(0x7F, b4=0x05, sgl_len=72, sgl_type=0x01, data=negotiate_msg(1),
               raw=[(41, bytes([1, 1, 0xEA])), (44, struct.pack("<I", 72))])[0]
    check(st == 2, "Authentication Send of another security protocol: Invalid Field")
    check(h.auth_recv(al=4)[0] == 2, "Authentication Receive of 4 bytes: Invalid Field")
    h.s.close()

    # a host the dhchap key does not apply to: no ATR, no authentication commands
    h, res = connected(other)
    check(not res & (1 << 17) and identify(h) == 0, "another host: no authentication required")
    check(h.auth_send(negotiate_msg(1)) == 1, "its Authentication Send: Invalid Command Opcode")
    h.s.close()

    # no ctrl_key, hash sha512, a 48-byte host key transformed with SHA-384; every host. A
    # connection authenticated before the reload takes the new keys at its next transaction.
    live, _ = connected()
    Chap(live, host_key, 1).run(t_id=12)
    key48 = os.urandom(48)
    serve({"host_key": dhhc1(key48, 2), "hash": "sha512"})
    Chap(live, key48, 2).run(t_id=13, want_hash=3)
    check(identify(live) == 0, "re-authentication with the reloaded key")
    live.s.close()
    h, _ = connected(other)
    Chap(h, key48, 2, hostnqn=other).run(t_id=9, want_hash=3)
    check(identify(h) == 0, "sha512, SHA-384-transformed key: authenticated")
    h.s.close()
    h, _ = connected()
    c = Chap(h, key48, 2, ctrl=(ctrl_key, 0))
    c.challenge(t_id=10, want_hash=3)
    check(failure1(c.reply(), 10) == 1, "bidirectional asked, no ctrl_key: AUTH_Failure1 (failed)")
    check(identify(h) == 0x191, "not authenticated")
    h.s.close()

    time.sleep(0.3)
    text = open(rec).read()
    check(all(k.hex() not in text and base64.b64encode(k)[:20].decode() not in text and
              good[10:40] not in text for k in (host_key, ctrl_key, key48)),
          "record: no key material")
    auths = [r for r in records(rec) if r["event"] == "auth"]
    results = [(r["step"], r["result"], r.get("reason"), r.get("bidirectional"))
               for r in auths if "result" in r]
    check(results == [("reply", "success", None, False), ("reply", "success", None, False),
                      ("success2", "success", None, True), ("failure1", "failure", "failed", None),
                      ("reply", "success", None, False),
                      ("failure1", "failure", "dhgroup_unusable", None),
                      ("failure1", "failure", "incorrect_message", None),
                      ("failure1", "failure", "incorrect_payload", None),
                      ("failure1", "failure", "concat_mismatch", None),
                      ("reply", "success", None, False), ("reply", "success", None, False),
                      ("reply", "success", None, False), ("failure1", "failure", "failed", None)],
          f"record: the outcome of each transaction ({len(results)})")
    steps = [r["step"] for r in auths if r["conn"] == auths[0]["conn"]]
    check(steps[:4] == ["negotiate", "challenge", "reply", "success1"],
          f"record: the steps of a transaction {steps[:4]}")
    refused = [r for r in records(rec) if r.get("status") == 0x191]
    check(refused and all(r.get("note", "").startswith("not authenticated") for r in refused),
          f"record: {len(refused)} commands refused for authentication")


if __name__ == "__main__":
    sys.exit(main())
