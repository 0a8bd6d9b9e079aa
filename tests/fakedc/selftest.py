#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Self-test of the fake DC without the kernel: a minimal NVMe/TCP host in Python speaks to it
over 127.0.0.1 (ICReq, Connect, Property Get/Set, Identify, Get Log Page in 4 KiB pieces,
AER + AEN from the control socket, DIM data through R2T/H2CData, digests, unknown opcodes,
hostile PDUs) and checks what it answers and what it records. Exit status 0 on success."""

import sys

sys.dont_write_bytecode = True

import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

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

    def connect(self, subnqn=WKDN):
        data = bytearray(1024)
        data[0:16] = bytes(range(16))
        struct.pack_into("<H", data, 16, 0xFFFF)
        data[256:256 + len(subnqn)] = subnqn.encode()
        data[512:512 + len(HOSTNQN)] = HOSTNQN.encode()
        raw = [(40, struct.pack("<HHHBxI", 0, 0, 31, 0, 30000))]
        return self.run(0x7F, b4=0x01, sgl_len=1024, sgl_type=0x01, raw=raw, data=bytes(data))

    def prop_get(self, off, size8=False):
        return self.run(0x7F, b4=0x04, raw=[(40, bytes([1 if size8 else 0])),
                                            (44, struct.pack("<I", off))])

    def prop_set(self, off, value):
        return self.run(0x7F, b4=0x00, raw=[(44, struct.pack("<IQ", off, value))])

    def get_log(self, lid, lpo, length, rae=0):
        numd = length // 4 - 1
        cdw10 = lid | (rae << 15) | ((numd & 0xFFFF) << 16)
        return self.run(0x02, cdw=(cdw10, numd >> 16, lpo & 0xFFFFFFFF, lpo >> 32, 0, 0),
                        sgl_len=length)


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
        print("PASS")
        return 0
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
