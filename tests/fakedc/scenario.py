# SPDX-License-Identifier: Apache-2.0
"""Scenario loading: what the fake DC serves (README.md, "Scenario format", lists every key).

A scenario is validated when it is loaded, so that a typo fails the test that wrote it at once
instead of making the DC serve something else. Byte fields accept a string (ASCII/UTF-8) or
{"hex": "..."} for raw bytes, so that hostile, non-UTF-8 content is as easy to script as normal
content. Large pages are generated lazily, entry by entry, from templates."""

import bisect
import json
import struct

import auth

WKDN = "nqn.2014-08.org.nvmexpress.discovery"
ENTRY_LEN = 1024
HEADER_LEN = 1024
MAX_ENTRIES = 1 << 20  # a 1 GiB page: more than any test needs, and still generated lazily

TRTYPE = {"rdma": 1, "fc": 2, "tcp": 3, "loop": 254}
ADRFAM = {"ipv4": 1, "ipv6": 2, "ib": 3, "fc": 4, "loop": 254}
SUBTYPE = {"referral": 1, "nvme": 2, "current": 3}
EFLAGS = {"dupretinfo": 0x1, "epcsd": 0x2, "ncc": 0x4}
GENCTR_BUMP = ("never", "read", "piece")

# name -> admin opcode, or fabrics command type, for the per-command keys (delays, fail)
OPCODE_NAMES = {
    "get_log_page": 0x02, "identify": 0x06, "set_features": 0x09, "get_features": 0x0A,
    "async_event_request": 0x0C, "keep_alive": 0x18, "dim": 0x21,
}
FABRICS_NAMES = {"property_set": 0x00, "connect": 0x01, "property_get": 0x04,
                 "auth_send": 0x05, "auth_recv": 0x06, "disconnect": 0x08}
TOP_KEYS = {"identify", "entries", "genctr", "genctr_bump", "aen_bumps_genctr", "numrec",
            "recfmt", "page_size", "delays", "aen", "digests", "maxh2cdata", "c2h_max",
            "fail", "pad", "cntlid_start", "close_after_commands", "kato_enforce", "dhchap",
            "comment"}
IDENTIFY_KEYS = {"model", "serial", "firmware", "subnqn", "cntrltype", "dctype", "mdts", "kas",
                 "maxcmd", "vid", "ssvid", "cmic", "oaes", "ctratt", "lpa", "aerl", "cntlid",
                 "ver", "patch"}
ENTRY_KEYS = {"trtype", "adrfam", "subtype", "treq", "portid", "cntlid", "asqsz", "eflags",
              "trsvcid", "subnqn", "traddr", "tsas", "pad"}


class ScenarioError(ValueError):
    pass


def _int(v, what, lo=0, hi=(1 << 64) - 1, names=None):
    if isinstance(v, str):
        if names and v.lower() in names:
            return names[v.lower()]
        try:
            v = int(v, 0)
        except ValueError:
            raise ScenarioError(f"{what}: '{v}' is not a number{' or one of ' + '/'.join(names) if names else ''}") from None
    if isinstance(v, bool) or not isinstance(v, int):
        raise ScenarioError(f"{what}: expected a number, got {v!r}")
    if not lo <= v <= hi:
        raise ScenarioError(f"{what}: {v} is out of range {lo}..{hi}")
    return v


def _bytes(v, what):
    """A string (encoded as UTF-8) or {"hex": "..."}: the raw bytes."""
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, dict) and set(v) == {"hex"} and isinstance(v["hex"], str):
        try:
            return bytes.fromhex(v["hex"])
        except ValueError:
            raise ScenarioError(f"{what}: bad hex '{v['hex']}'") from None
    raise ScenarioError(f"{what}: expected a string or {{\"hex\": ...}}, got {v!r}")


def _field(v, size, pad, what):
    b = _bytes(v, what)
    if len(b) > size:
        raise ScenarioError(f"{what}: {len(b)} bytes do not fit in {size}")
    return b + pad * (size - len(b))


def _pad_byte(v, what):
    if v in ("nul", None):
        return b"\0"
    if v == "space":
        return b" "
    raise ScenarioError(f"{what}: pad must be 'nul' or 'space'")


def _check_keys(d, allowed, what):
    if not isinstance(d, dict):
        raise ScenarioError(f"{what}: expected an object")
    bad = set(d) - allowed
    if bad:
        raise ScenarioError(f"{what}: unknown key(s) {sorted(bad)}")


def encode_entry(e, pad, what):
    """One 1024-byte discovery log page entry."""
    _check_keys(e, ENTRY_KEYS, what)
    p = _pad_byte(e["pad"], what) if "pad" in e else pad
    eflags = e.get("eflags", 0)
    if isinstance(eflags, list):
        eflags = sum(_int(f, f"{what}.eflags", names=EFLAGS) for f in eflags)
    tsas = e.get("tsas", {"hex": "00"})
    if isinstance(tsas, dict) and "sectype" in tsas:
        tsas = {"hex": "%02x" % _int(tsas["sectype"], f"{what}.tsas.sectype", hi=255)}
    out = struct.pack(
        "<BBBBHHHH",
        _int(e.get("trtype", "tcp"), f"{what}.trtype", hi=255, names=TRTYPE),
        _int(e.get("adrfam", "ipv4"), f"{what}.adrfam", hi=255, names=ADRFAM),
        _int(e.get("subtype", "nvme"), f"{what}.subtype", hi=255, names=SUBTYPE),
        _int(e.get("treq", 0), f"{what}.treq", hi=255),
        _int(e.get("portid", 1), f"{what}.portid", hi=0xFFFF),
        _int(e.get("cntlid", 0xFFFF), f"{what}.cntlid", hi=0xFFFF),
        _int(e.get("asqsz", 32), f"{what}.asqsz", hi=0xFFFF),
        _int(eflags, f"{what}.eflags", hi=0xFFFF, names=EFLAGS))
    out += bytes(20)
    out += _field(e.get("trsvcid", "4420"), 32, p, f"{what}.trsvcid")
    out += bytes(192)
    out += _field(e.get("subnqn", ""), 256, p, f"{what}.subnqn")
    out += _field(e.get("traddr", "127.0.0.1"), 256, p, f"{what}.traddr")
    out += _field(tsas, 256, b"\0", f"{what}.tsas")
    assert len(out) == ENTRY_LEN
    return out


def _subst(v, i):
    """{i} in a template's strings (and in its {"hex"} values) becomes the entry's index."""
    if isinstance(v, str):
        return v.replace("{i}", str(i))
    if isinstance(v, dict):
        return {k: _subst(x, i) for k, x in v.items()}
    if isinstance(v, list):
        return [_subst(x, i) for x in v]
    return v


class LogPage:
    """The discovery log page, made of segments: fixed entries and generated ones."""

    def __init__(self, entries, pad):
        if not isinstance(entries, list):
            raise ScenarioError("entries: expected a list")
        self.pad = pad
        self.segments = []  # (first_index, count, fixed_bytes or None, template, start)
        self.starts = []
        n = 0
        for k, item in enumerate(entries):
            what = f"entries[{k}]"
            if isinstance(item, dict) and "repeat" in item:
                _check_keys(item, {"repeat", "template", "start"}, what)
                count = _int(item["repeat"], f"{what}.repeat", hi=MAX_ENTRIES)
                start = _int(item.get("start", 0), f"{what}.start", hi=1 << 32)
                tmpl = item.get("template", {})
                if count:
                    encode_entry(_subst(tmpl, start), pad, f"{what}.template")  # validate once
                    self.starts.append(n)
                    self.segments.append((n, count, None, tmpl, start))
            else:
                self.starts.append(n)
                self.segments.append((n, 1, encode_entry(item, pad, what), None, 0))
                count = 1
            n += count
            if n > MAX_ENTRIES:
                raise ScenarioError(f"entries: more than {MAX_ENTRIES} entries")
        self.count = n

    def entry(self, idx):
        seg = self.segments[bisect.bisect_right(self.starts, idx) - 1]
        first, _count, fixed, tmpl, start = seg
        if fixed is not None:
            return fixed
        return encode_entry(_subst(tmpl, start + idx - first), self.pad, "template")

    def read(self, genctr, numrec, recfmt, size, offset, length):
        """Bytes [offset, offset+length) of the page of SIZE bytes (zeros past its end)."""
        end = min(offset + length, size)
        out = bytearray()
        pos = offset
        if pos < HEADER_LEN and pos < end:
            hdr = struct.pack("<QQH", genctr, numrec, recfmt) + bytes(HEADER_LEN - 18)
            out += hdr[pos:min(end, HEADER_LEN)]
            pos = min(end, HEADER_LEN)
        while pos < end:
            idx = (pos - HEADER_LEN) // ENTRY_LEN
            base = HEADER_LEN + idx * ENTRY_LEN
            chunk = self.entry(idx) if idx < self.count else bytes(ENTRY_LEN)
            out += chunk[pos - base:min(end - base, ENTRY_LEN)]
            pos = min(end, base + ENTRY_LEN)
        out += bytes(length - len(out))
        return bytes(out)


class Scenario:
    def __init__(self, data, path=None):
        _check_keys(data, TOP_KEYS, "scenario")
        self.path = path
        self.pad = _pad_byte(data.get("pad"), "pad")
        self.page = LogPage(data.get("entries", []), self.pad)
        self.genctr = _int(data["genctr"], "genctr") if "genctr" in data else None
        self.genctr_bump = data.get("genctr_bump", "never")
        if self.genctr_bump not in GENCTR_BUMP:
            raise ScenarioError(f"genctr_bump: one of {GENCTR_BUMP}")
        self.aen_bumps_genctr = bool(data.get("aen_bumps_genctr", True))
        self.numrec = _int(data["numrec"], "numrec") if "numrec" in data else None
        self.recfmt = _int(data.get("recfmt", 0), "recfmt", hi=0xFFFF)
        default_size = HEADER_LEN + ENTRY_LEN * self.page.count
        self.page_size = _int(data.get("page_size", default_size), "page_size", hi=1 << 31)
        self.delays = self._delays(data.get("delays", {}))
        aen = data.get("aen", {})
        _check_keys(aen, {"after_aer", "count"}, "aen")
        self.aen_after_aer = float(aen["after_aer"]) if "after_aer" in aen else None
        self.aen_count = _int(aen.get("count", 1), "aen.count", hi=1 << 20)
        self.digests = data.get("digests", "accept")
        if self.digests not in ("accept", "refuse"):
            raise ScenarioError("digests: 'accept' or 'refuse'")
        self.maxh2cdata = _int(data.get("maxh2cdata", 8192), "maxh2cdata", hi=1 << 24)
        self.c2h_max = _int(data.get("c2h_max", 8192), "c2h_max", lo=4, hi=1 << 24)
        self.fail = {}
        for k, v in data.get("fail", {}).items():
            self.fail[self._opkey(k, "fail")] = _int(v, f"fail.{k}", hi=0x7FF)
        self.cntlid_start = _int(data.get("cntlid_start", 1), "cntlid_start", lo=1, hi=0xFFEF)
        self.close_after = _int(data.get("close_after_commands", 0), "close_after_commands")
        self.kato_enforce = bool(data.get("kato_enforce", False))
        self.dhchap = None  # auth.Config: DH-HMAC-CHAP required of the hosts it applies to
        if data.get("dhchap") is not None:
            try:
                self.dhchap = auth.Config(data["dhchap"])
            except auth.SecretError as e:
                raise ScenarioError(f"dhchap: {e}") from None
        self.identify = self._identify(data.get("identify", {}))

    @staticmethod
    def _opkey(k, what):
        """"get_log_page", "connect", "0x02" or "all" -> a key of delays/fail."""
        if k == "all" or k == "icresp":
            return k
        if k in OPCODE_NAMES:
            return ("adm", OPCODE_NAMES[k])
        if k in FABRICS_NAMES:
            return ("fab", FABRICS_NAMES[k])
        try:
            return ("adm", int(k, 0))
        except ValueError:
            raise ScenarioError(f"{what}: unknown command '{k}'") from None

    def _delays(self, d):
        if not isinstance(d, dict):
            raise ScenarioError("delays: expected an object")
        out = {}
        for k, v in d.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 3600:
                raise ScenarioError(f"delays.{k}: seconds between 0 and 3600")
            out[self._opkey(k, "delays")] = float(v)
        return out

    def delay_for(self, key):
        return self.delays.get(key, self.delays.get("all", 0.0))

    def _identify(self, d):
        _check_keys(d, IDENTIFY_KEYS, "identify")
        idf = {
            "model": _field(d.get("model", "fakedc"), 40, b" ", "identify.model"),
            "serial": _field(d.get("serial", "FAKEDC0001"), 20, b" ", "identify.serial"),
            "firmware": _field(d.get("firmware", "1.0"), 8, b" ", "identify.firmware"),
            "subnqn": _field(d.get("subnqn", WKDN), 256, b"\0", "identify.subnqn"),
        }
        nums = {"cntrltype": (2, 0xFF), "dctype": (0, 0xFF), "mdts": (0, 0xFF), "kas": (10, 0xFFFF),
                "maxcmd": (128, 0xFFFF), "vid": (0, 0xFFFF), "ssvid": (0, 0xFFFF), "cmic": (2, 0xFF),
                "oaes": (1 << 31, 0xFFFFFFFF), "ctratt": (0, 0xFFFFFFFF), "lpa": (4, 0xFF),
                "aerl": (3, 0xFF), "ver": (0x10300, 0xFFFFFFFF), "cntlid": (None, 0xFFFF)}
        for k, (default, hi) in nums.items():
            idf[k] = _int(d[k], f"identify.{k}", hi=hi) if k in d else default
        idf["patch"] = []
        for n, p in enumerate(d.get("patch", [])):
            _check_keys(p, {"offset", "hex"}, f"identify.patch[{n}]")
            off = _int(p["offset"], f"identify.patch[{n}].offset", hi=4095)
            b = _bytes({"hex": p["hex"]}, f"identify.patch[{n}].hex")
            if off + len(b) > 4096:
                raise ScenarioError(f"identify.patch[{n}]: past the 4096 bytes")
            idf["patch"].append((off, b))
        return idf

    def identify_data(self, cntlid):
        """Identify Controller (CNS 1), 4096 bytes. cntlid must be the Connect's: the Linux host
        rejects a mismatch."""
        i = self.identify
        b = bytearray(4096)
        struct.pack_into("<HH", b, 0, i["vid"], i["ssvid"])
        b[4:24] = i["serial"]
        b[24:64] = i["model"]
        b[64:72] = i["firmware"]
        b[76] = i["cmic"]  # multi-controller: several hosts/connections at once are fine
        b[77] = i["mdts"]
        struct.pack_into("<HI", b, 78, i["cntlid"] if i["cntlid"] is not None else cntlid, i["ver"])
        struct.pack_into("<II", b, 92, i["oaes"], i["ctratt"])
        b[111] = i["cntrltype"]
        b[258] = 3  # acl
        b[259] = i["aerl"]
        b[261] = i["lpa"]  # bit 2: LPO (extended data) supported
        struct.pack_into("<H", b, 320, i["kas"])
        struct.pack_into("<H", b, 514, i["maxcmd"])
        struct.pack_into("<I", b, 536, 0x100001)  # SGLs supported; offsets for in-capsule data
        b[768:1024] = i["subnqn"]
        struct.pack_into("<IIHBB", b, 1792, 4, 1, 0, 0, 1)  # ioccsz, iorcsz, icdoff, fcatt, msdbd
        b[1806] = i["dctype"]
        for off, patch in i["patch"]:
            b[off:off + len(patch)] = patch
        return bytes(b)


def load(path):
    try:
        with open(path, "rb") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ScenarioError(f"{path}: {e}") from None
    return Scenario(data, path)
