# SPDX-License-Identifier: Apache-2.0
"""NVMe in-band authentication, DH-HMAC-CHAP (NVMe Base Specification 2.0, section 8.13; TP 8006),
controller side, as the Linux host (drivers/nvme/host/auth.c) speaks it: the messages carried by
Authentication Send / Receive (security protocol 0xE9, SPSP 01h/01h), the DHHC-1 secret format
and its key transformation, and one queue's transaction (a Session).

Only the NULL Diffie-Hellman group is implemented (no DH exponentials, so no session key and no
augmented challenge), and no secure channel concatenation. Keys never leave this module: the
records carry steps, identifiers and verdicts, never keys, challenges or responses."""

import base64
import binascii
import hashlib
import hmac
import os
import random
import struct
import threading

SECP_DHCHAP = 0xE9
SPSP = 0x01

# auth_type
COMMON_MESSAGES = 0x00
DHCHAP_MESSAGES = 0x01

# auth_id
NEGOTIATE, CHALLENGE, REPLY, SUCCESS1, SUCCESS2 = 0x00, 0x01, 0x02, 0x03, 0x04
FAILURE2, FAILURE1 = 0xF0, 0xF1
MESSAGE_NAMES = {NEGOTIATE: "negotiate", CHALLENGE: "challenge", REPLY: "reply",
                 SUCCESS1: "success1", SUCCESS2: "success2", FAILURE2: "failure2",
                 FAILURE1: "failure1"}

AUTH_ID_DHCHAP = 0x01  # the protocol descriptor's authid
MAX_IDS = 30  # hash ids in idlist[0..29], DH group ids in idlist[30..59]

HASHES = {1: ("sha256", 32), 2: ("sha384", 48), 3: ("sha512", 64)}
HASH_IDS = {name: hid for hid, (name, _len) in HASHES.items()}
DHGROUPS = {0: "null", 1: "ffdhe2048", 2: "ffdhe3072", 3: "ffdhe4096", 4: "ffdhe6144",
            5: "ffdhe8192"}
DHGROUP_NULL = 0

# AUTH_Failure reason code, and its explanations
REASON_FAILED = 0x01
FAILED, NOT_USABLE, CONCAT_MISMATCH, HASH_UNUSABLE, DHGROUP_UNUSABLE, INCORRECT_PAYLOAD, \
    INCORRECT_MESSAGE = range(1, 8)
EXPLANATIONS = {FAILED: "failed", NOT_USABLE: "not_usable", CONCAT_MISMATCH: "concat_mismatch",
                HASH_UNUSABLE: "hash_unusable", DHGROUP_UNUSABLE: "dhgroup_unusable",
                INCORRECT_PAYLOAD: "incorrect_payload", INCORRECT_MESSAGE: "incorrect_message"}

NEGOTIATE_HDR = struct.Struct("<BBHHBB")        # type, id, rsvd, t_id, sc_c, napd
DESCRIPTOR = struct.Struct("<BBBB60s")          # authid, rsvd, halen, dhlen, idlist
CHALLENGE_HDR = struct.Struct("<BBHHBBBBHI")    # type, id, rsvd, t_id, hl, rsvd, hashid, dhgid,
#                                                 dhvlen, seqnum; then C1, DH value
REPLY_HDR = struct.Struct("<BBHHBBBBHI")        # type, id, rsvd, t_id, hl, rsvd, cvalid, rsvd,
#                                                 dhvlen, seqnum; then R1, C2, DH value
SUCCESS1_HDR = struct.Struct("<BBHHBBB7x")      # type, id, rsvd, t_id, hl, rsvd, rvalid; then R2
SUCCESS2_HDR = struct.Struct("<BBHH10x")
FAILURE = struct.Struct("<BBHHBB")              # type, id, rsvd, t_id, rescode, rescode_exp

KEY_LENGTHS = (32, 48, 64)


class SecretError(ValueError):
    pass


class Secret:
    """A DHHC-1 secret: "DHHC-1:<hh>:<base64 of the key and its CRC-32>:". <hh> is the hash of
    the key transformation (00: none, 01/02/03: HMAC-SHA-256/384/512). Its repr never shows
    the key."""

    def __init__(self, text):
        if not isinstance(text, str):
            raise SecretError("expected a string \"DHHC-1:<hh>:<base64>:\"")
        parts = text.strip().split(":")
        if len(parts) < 3 or parts[0] != "DHHC-1" or len(parts[1]) != 2 or \
                not parts[1].isdigit() or (len(parts) == 4 and parts[3] != "") or len(parts) > 4:
            raise SecretError("not of the form \"DHHC-1:<hh>:<base64>:\"")
        self.transform = int(parts[1])
        if self.transform not in (0, 1, 2, 3):
            raise SecretError(f"key hash {parts[1]}: 00 (none), 01, 02 or 03 (SHA-256/384/512)")
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except (binascii.Error, ValueError):
            raise SecretError("the key is not valid base64") from None
        if len(raw) - 4 not in KEY_LENGTHS:
            raise SecretError(f"the key is {len(raw) - 4} bytes (+4 of CRC): 32, 48 or 64 bytes")
        key, crc = raw[:-4], struct.unpack("<I", raw[-4:])[0]
        if binascii.crc32(key) != crc:
            raise SecretError("CRC-32 mismatch (a mistyped key?)")
        self._key = key

    def __repr__(self):
        return f"<DHHC-1 secret, {len(self._key)} bytes, transform {self.transform:02d}>"

    @property
    def length(self):
        return len(self._key)

    def transformed(self, nqn):
        """The key the responses are computed with (as the Linux nvme_auth_transform_key): the key
        itself, or HMAC-<transform hash>(key, NQN || "NVMe-over-Fabrics"), NQN being the host's
        for the host key and the subsystem's for the controller key."""
        if self.transform == 0:
            return self._key
        name = HASHES[self.transform][0]
        return hmac.new(self._key, nqn.encode() + b"NVMe-over-Fabrics", name).digest()


def make_secret(key, transform=0):
    """The DHHC-1 text of KEY (bytes), e.g. for a test."""
    raw = key + struct.pack("<I", binascii.crc32(key))
    return f"DHHC-1:{transform:02d}:{base64.b64encode(raw).decode()}:"


def response(hash_id, key, challenge, seqnum, t_id, role, nqn1, nqn2):
    """HMAC(key, C || le32(seqnum) || le16(t_id) || 00h || role || NQN1 || 00h || NQN2): the host's
    response R1 (role "HostHost", NQN1 the host's, NQN2 the subsystem's) or the controller's R2
    (role "Controller", NQN1 the subsystem's, NQN2 the host's). NULL DH group: C as sent."""
    msg = challenge + struct.pack("<IH", seqnum, t_id) + b"\0" + role + nqn1.encode() + b"\0" + \
        nqn2.encode()
    return hmac.new(key, msg, HASHES[hash_id][0]).digest()


_seq_lock = threading.Lock()
_seq = 0


def next_seqnum():
    """A sequence number as the Linux code draws them: random at first, then + 1, never 0."""
    global _seq
    with _seq_lock:
        _seq = random.getrandbits(32) if _seq == 0 else (_seq + 1) & 0xFFFFFFFF
        if _seq == 0:
            _seq = 1
        return _seq


class Config:
    """The scenario's "dhchap" object, validated (scenario.py wraps the errors)."""

    KEYS = {"host_key", "ctrl_key", "hash", "hosts"}

    def __init__(self, d):
        if not isinstance(d, dict):
            raise SecretError("expected an object")
        bad = set(d) - self.KEYS
        if bad:
            raise SecretError(f"unknown key(s) {sorted(bad)}")
        if "host_key" not in d:
            raise SecretError("host_key is required")
        self.host_key = self._secret(d["host_key"], "host_key")
        self.ctrl_key = self._secret(d["ctrl_key"], "ctrl_key") if d.get("ctrl_key") else None
        name = d.get("hash", "sha256")
        if name not in HASH_IDS:
            raise SecretError(f"hash: one of {sorted(HASH_IDS)}, got {name!r}")
        self.hash_id = HASH_IDS[name]
        hosts = d.get("hosts")
        if hosts is not None and (not isinstance(hosts, list) or
                                  not all(isinstance(h, str) and h for h in hosts)):
            raise SecretError("hosts: a list of host NQNs")
        self.hosts = set(hosts) if hosts is not None else None

    @staticmethod
    def _secret(text, what):
        try:
            return Secret(text)
        except SecretError as e:
            raise SecretError(f"{what}: {e}") from None

    def applies(self, hostnqn):
        return self.hosts is None or hostnqn in self.hosts


class Session:
    """The DH-HMAC-CHAP state of one queue (fakedc's connections are admin queues: qid 0), from the
    Connect that required it. Like the Linux target, a Negotiate restarts the transaction at any
    time (re-authentication); the queue stays authenticated meanwhile, until a failure."""

    def __init__(self, config, hostnqn, subnqn, record):
        self.config = config
        self.hostnqn, self.subnqn = hostnqn, subnqn
        self.record = record  # record(step, **fields): an "auth" event
        self.authenticated = False
        self.failed = False
        self.step = NEGOTIATE  # what the host may send (or, in Receive, what we send) next
        self.status = 0  # the explanation of a pending Failure1
        self.t_id = None
        self.hash_id = None
        self.s1 = self.s2 = 0
        self.c1 = self.c2 = None
        self.bidirectional = False
        self.transactions = 0

    @property
    def state(self):
        return "authenticated" if self.authenticated else ("failed" if self.failed else "required")

    def _fail(self, explanation, step, **fields):
        """The next Receive answers AUTH_Failure1 with EXPLANATION."""
        self.step = FAILURE1
        self.status = explanation
        self.record(step, error=EXPLANATIONS[explanation], **fields)

    # --- Authentication Send: a message from the host

    def send(self, data):
        """Takes one message from the host (the command itself succeeds)."""
        if len(data) < 4:
            return self._fail(INCORRECT_PAYLOAD, "unknown", length=len(data))
        auth_type, auth_id = data[0], data[1]
        name = MESSAGE_NAMES.get(auth_id, "0x%02x" % auth_id)
        if auth_type == COMMON_MESSAGES and auth_id == NEGOTIATE:
            return self._negotiate(data)
        if auth_type == COMMON_MESSAGES and auth_id == FAILURE2:
            return self._failure2(data)
        if auth_type != DHCHAP_MESSAGES or auth_id != self.step or \
                auth_id not in (REPLY, SUCCESS2):
            return self._fail(INCORRECT_MESSAGE, name, auth_type=auth_type, auth_id=auth_id,
                              expected=MESSAGE_NAMES.get(self.step))
        t_id = struct.unpack_from("<H", data, 4)[0] if len(data) >= 6 else None
        if t_id != self.t_id:
            return self._fail(INCORRECT_PAYLOAD, name, t_id=t_id, expected_t_id=self.t_id)
        if auth_id == REPLY:
            return self._reply(data)
        # Success2: the host accepted our response R2
        self.step = NEGOTIATE
        self.authenticated, self.failed = True, False
        self.record("success2", t_id=t_id, bidirectional=True, result="success")

    def _negotiate(self, data):
        self.transactions += 1
        self.c1 = self.c2 = None
        self.s1 = self.s2 = 0
        self.bidirectional = False
        if len(data) < NEGOTIATE_HDR.size + DESCRIPTOR.size:
            return self._fail(INCORRECT_PAYLOAD, "negotiate", length=len(data))
        _t, _i, _r, t_id, sc_c, napd = NEGOTIATE_HDR.unpack_from(data)
        authid, _r, halen, dhlen, idlist = DESCRIPTOR.unpack_from(data, NEGOTIATE_HDR.size)
        self.t_id = t_id
        fields = {"t_id": t_id, "sc_c": sc_c, "napd": napd}
        if sc_c != 0:  # secure channel concatenation (TLS from the transaction): not modelled
            return self._fail(CONCAT_MISMATCH, "negotiate", **fields)
        if napd != 1:
            return self._fail(HASH_UNUSABLE, "negotiate", **fields)
        if authid != AUTH_ID_DHCHAP or halen > MAX_IDS or dhlen > MAX_IDS:
            return self._fail(INCORRECT_PAYLOAD, "negotiate", authid=authid, halen=halen,
                              dhlen=dhlen, **fields)
        hashes = list(idlist[:halen])
        groups = list(idlist[MAX_IDS:MAX_IDS + dhlen])
        fields.update(hashes=[HASHES[h][0] if h in HASHES else h for h in hashes],
                      dhgroups=[DHGROUPS.get(g, g) for g in groups])
        # the scenario's hash if the host offers it, else the first the host offers (as nvmet)
        usable = [h for h in hashes if h in HASHES]
        if not usable:
            return self._fail(HASH_UNUSABLE, "negotiate", **fields)
        self.hash_id = self.config.hash_id if self.config.hash_id in usable else usable[0]
        if DHGROUP_NULL not in groups:  # the only group implemented
            return self._fail(DHGROUP_UNUSABLE, "negotiate", **fields)
        self.step = CHALLENGE
        self.record("negotiate", hash=HASHES[self.hash_id][0], dhgroup="null",
                    transaction=self.transactions, **fields)

    def _reply(self, data):
        if len(data) < REPLY_HDR.size:
            return self._fail(INCORRECT_PAYLOAD, "reply", length=len(data))
        _t, _i, _r, t_id, hl, _r2, cvalid, _r3, dhvlen, seqnum = REPLY_HDR.unpack_from(data)
        fields = {"t_id": t_id, "hl": hl, "cvalid": cvalid, "dhvlen": dhvlen}
        if REPLY_HDR.size + 2 * hl + dhvlen > len(data):
            return self._fail(INCORRECT_PAYLOAD, "reply", length=len(data), **fields)
        if dhvlen:  # a DH value, but the NULL group has none
            return self._fail(INCORRECT_PAYLOAD, "reply", **fields)
        name, hash_len = HASHES[self.hash_id]
        r1 = data[REPLY_HDR.size:REPLY_HDR.size + hl]
        expected = response(self.hash_id, self.config.host_key.transformed(self.hostnqn),
                            self.c1, self.s1, self.t_id, b"HostHost", self.hostnqn, self.subnqn)
        if hl != hash_len or not hmac.compare_digest(r1, expected):
            return self._fail(FAILED, "reply", response="mismatch", **fields)
        # the host is authenticated; it asks to authenticate us (C2) with a sequence number S2
        self.bidirectional = bool(cvalid) and seqnum != 0
        if self.bidirectional:
            self.c2 = bytes(data[REPLY_HDR.size + hl:REPLY_HDR.size + 2 * hl])
            self.s2 = seqnum
        else:
            self.authenticated, self.failed = True, False
        self.step = SUCCESS1
        self.record("reply", response="match", bidirectional=self.bidirectional, **fields,
                    **({} if self.bidirectional else {"result": "success"}))

    def _failure2(self, data):
        """The host gives up (e.g. our R2 did not match): the queue is not authenticated."""
        rescode = rescode_exp = None
        if len(data) >= FAILURE.size:
            _t, _i, _r, _tid, rescode, rescode_exp = FAILURE.unpack_from(data)
        self.step = NEGOTIATE
        self.authenticated, self.failed = False, True
        self.record("failure2", result="failure", rescode=rescode,
                    reason=EXPLANATIONS.get(rescode_exp, rescode_exp), by="host")

    # --- Authentication Receive: a message to the host

    def needed(self):
        """The length of the message the next Receive returns."""
        if self.step == CHALLENGE:
            return CHALLENGE_HDR.size + HASHES[self.hash_id][1]
        if self.step == SUCCESS1 and self.c2 is not None:
            return SUCCESS1_HDR.size + HASHES[self.hash_id][1]
        if self.step == SUCCESS1:
            return SUCCESS1_HDR.size
        return FAILURE.size

    def receive(self):
        """The next message to the host: Challenge, Success1, or Failure1."""
        if self.step == CHALLENGE:
            name, hl = HASHES[self.hash_id]
            self.s1 = next_seqnum()
            self.c1 = os.urandom(hl)
            self.step = REPLY
            self.record("challenge", t_id=self.t_id, hash=name, hl=hl, dhgroup="null",
                        seqnum=self.s1)
            return CHALLENGE_HDR.pack(DHCHAP_MESSAGES, CHALLENGE, 0, self.t_id, hl, 0,
                                      self.hash_id, DHGROUP_NULL, 0, self.s1) + self.c1
        if self.step == SUCCESS1:
            hl = HASHES[self.hash_id][1]
            r2 = b""
            if self.c2 is not None:
                if self.config.ctrl_key is None:  # asked to prove ourselves, without a key
                    self.status = FAILED
                    return self._failure1(why="bidirectional authentication requested, "
                                              "no ctrl_key")
                r2 = response(self.hash_id, self.config.ctrl_key.transformed(self.subnqn),
                              self.c2, self.s2, self.t_id, b"Controller", self.subnqn,
                              self.hostnqn)
            self.step = SUCCESS2 if r2 else NEGOTIATE
            self.record("success1", t_id=self.t_id, rvalid=bool(r2),
                        bidirectional=self.bidirectional)
            return SUCCESS1_HDR.pack(DHCHAP_MESSAGES, SUCCESS1, 0, self.t_id, hl, 0,
                                     1 if r2 else 0) + r2
        if self.step != FAILURE1:  # nothing to send at this step (as nvmet: a failure)
            self.status = FAILED
            return self._failure1(why="receive at step %s" % MESSAGE_NAMES.get(self.step))
        return self._failure1()

    def _failure1(self, **fields):
        self.step = NEGOTIATE
        self.authenticated, self.failed = False, True
        self.record("failure1", t_id=self.t_id, rescode=REASON_FAILED,
                    reason=EXPLANATIONS[self.status], result="failure", **fields)
        return FAILURE.pack(COMMON_MESSAGES, FAILURE1, 0, self.t_id or 0, REASON_FAILED,
                            self.status)
