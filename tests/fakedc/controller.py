# SPDX-License-Identifier: Apache-2.0
"""The admin commands of one discovery controller (one host connection): Fabrics Connect,
Property Get/Set and Authentication Send/Receive (DH-HMAC-CHAP, auth.py), Identify, Get Log
Page, Set/Get Features, Keep Alive, Asynchronous Event Request and TP8010's Discovery
Information Management. Transport-free: the connection hands a command (64-byte SQE, data from
the host) in and gets a Reply back."""

import logging
import struct
import uuid

import auth
import scenario as scn

log = logging.getLogger("fakedc")

# Status (SCT << 8 | SC)
SC_SUCCESS = 0x000
SC_INVALID_OPCODE = 0x001
SC_INVALID_FIELD = 0x002
SC_SEQUENCE_ERROR = 0x00C
SC_SGL_LENGTH_INVALID = 0x00F
SC_AER_LIMIT = 0x105
SC_CONNECT_FORMAT = 0x180
SC_CONNECT_INVALID_PARAM = 0x182
SC_AUTH_REQUIRED = 0x191

# Connect response, DW0 bit 17: AUTHREQ.ATR, an authentication transaction is required (the
# Linux NVME_CONNECT_AUTHREQ_ATR; bit 18, ASCR, secure channel concatenation, is never set)
CONNECT_AUTHREQ_ATR = 1 << 17

FABRICS = 0x7F
AER = 0x0C
ADMIN_NAMES = {v: k for k, v in scn.OPCODE_NAMES.items()}
FABRICS_NAMES = {v: k for k, v in scn.FABRICS_NAMES.items()}

# Controller registers (Property Get/Set offsets)
REG_CAP, REG_VS, REG_CC, REG_CSTS = 0x00, 0x08, 0x14, 0x1C
# CAP: MQES 127, CQR, TO 15 (7.5 s), CSS NVM; MPSMIN/MPSMAX 0 (4 KiB pages)
CAP = 127 | (1 << 16) | (15 << 24) | (1 << 37)

MAX_AER = 16  # held AERs; the Linux host sends one
MAX_AUTH_AL = 1 << 20  # Authentication Receive: the Linux host asks for 4096 bytes
FEATURE_AEC = 0x0B
FEATURE_KATO = 0x0F
LID_SUPPORTED = 0x00
LID_DISCOVERY = 0x70
AEN_DISC_CHANGE = 0x02 | (0xF0 << 8) | (0x70 << 16)  # Notice, log change, log page 0x70


def status_word(status):
    """The CQE's status half-word: SC/SCT shifted past the phase bit, DNR on errors."""
    return ((status & 0x7FF) << 1) | ((1 << 15) if status else 0)


def _text(raw):
    """A NUL-terminated field as text that survives json (non-UTF-8 bytes escaped)."""
    return raw.split(b"\0", 1)[0].decode("utf-8", "backslashreplace")


class Command:
    def __init__(self, sqe):
        self.sqe = sqe
        self.opcode = sqe[0]
        self.flags = sqe[1]
        self.cid = struct.unpack_from("<H", sqe, 2)[0]
        self.nsid = struct.unpack_from("<I", sqe, 4)[0]
        self.sgl_len = struct.unpack_from("<I", sqe, 32)[0]
        self.sgl_type = sqe[39]
        self.cdw = struct.unpack_from("<6I", sqe, 40)  # cdw10..cdw15
        self.fctype = sqe[4] if self.opcode == FABRICS else None

    @property
    def name(self):
        if self.opcode == FABRICS:
            return FABRICS_NAMES.get(self.fctype, "fabrics_0x%02x" % self.fctype)
        return ADMIN_NAMES.get(self.opcode, "opcode_0x%02x" % self.opcode)

    @property
    def key(self):
        """The key of this command in a scenario's delays/fail."""
        return ("fab", self.fctype) if self.opcode == FABRICS else ("adm", self.opcode)

    def direction(self):
        """1: data from the host, 2: data to the host, 0: none, 3: both (the low 2 bits of the
        opcode, or of the fabrics command type)."""
        return (self.fctype if self.opcode == FABRICS else self.opcode) & 3


class Reply:
    def __init__(self, status=SC_SUCCESS, result=0, data=None, hold=False):
        self.status = status
        self.result = result
        self.data = data
        self.hold = hold  # an AER: answered later, by an AEN


class Controller:
    def __init__(self, dc, conn_id):
        self.dc = dc  # the shared DC state (server.DCState)
        self.conn_id = conn_id
        self.cntlid = None
        self.hostnqn = None
        self.subnqn = None
        self.kato = 0
        self.cc = 0
        self.csts = 0
        self.aec = None  # None until the host sets it: then events it masks are not sent
        self.aers = []  # held AER command ids
        self.aen_pending = False
        self.timed_aens = 0
        self.auth = None  # an auth.Session when the Connect required authentication

    # --- dispatch

    def handle(self, cmd, data, rec):
        """Executes CMD with DATA (from the host, or None); fills REC (the record's fields)."""
        sc = self.dc.scenario
        forced = sc.fail.get(cmd.key)
        if cmd.opcode == FABRICS:
            handler = {0x00: self.property_set, 0x01: self.connect, 0x04: self.property_get,
                       0x05: self.auth_send, 0x06: self.auth_receive,
                       0x08: self.disconnect}.get(cmd.fctype)
        else:
            handler = {0x02: self.get_log_page, 0x06: self.identify, 0x09: self.set_features,
                       0x0A: self.get_features, 0x0C: self.aer, 0x18: self.keep_alive,
                       0x21: self.dim}.get(cmd.opcode)
        if handler is None:
            return Reply(SC_INVALID_OPCODE)
        if cmd.fctype != 0x01 and self.cntlid is None:
            rec["note"] = "before Connect"
            return Reply(SC_SEQUENCE_ERROR)
        if cmd.opcode != FABRICS and self.auth and not self.auth.authenticated:
            # as nvmet: only fabrics commands (Property Get/Set, Authentication) until then
            rec["note"] = f"not authenticated ({self.auth.state})"
            return Reply(SC_AUTH_REQUIRED)
        reply = handler(cmd, data, rec)
        if forced is not None and not reply.hold:
            rec["forced_status"] = forced
            return Reply(forced)
        return reply

    # --- fabrics

    def connect(self, cmd, data, rec):
        recfmt, qid, sqsize, cattr, kato = struct.unpack_from("<HHHBxI", cmd.sqe, 40)
        rec.update(qid=qid, sqsize=sqsize, kato=kato, cattr=cattr, recfmt=recfmt)
        if data is None or len(data) < 1024:
            rec["note"] = "Connect without its 1024 bytes of data"
            return Reply(SC_INVALID_FIELD)
        rec.update(hostid=str(uuid.UUID(bytes=bytes(data[0:16]))),
                   cntlid_requested=struct.unpack_from("<H", data, 16)[0],
                   subnqn=_text(data[256:512]), hostnqn=_text(data[512:768]))
        if recfmt != 0:
            return Reply(SC_CONNECT_FORMAT)
        if qid != 0:  # a discovery controller has an admin queue only
            return Reply(SC_CONNECT_INVALID_PARAM, result=(1 << 16) | 42)
        if self.cntlid is not None:
            rec["note"] = "second Connect on this connection"
            return Reply(SC_SEQUENCE_ERROR)
        self.cntlid = self.dc.new_cntlid()
        self.hostnqn, self.subnqn, self.kato = rec["hostnqn"], rec["subnqn"], kato
        rec["cntlid"] = self.cntlid
        dhchap = self.dc.scenario.dhchap
        if dhchap and dhchap.applies(self.hostnqn):
            self.auth = auth.Session(dhchap, self.hostnqn, self.subnqn, self._auth_record)
            rec["authreq"] = True
            return Reply(result=self.cntlid | CONNECT_AUTHREQ_ATR)
        return Reply(result=self.cntlid)

    # --- in-band authentication (auth.py)

    def _auth_record(self, step, **fields):
        self.dc.rec("auth", conn=self.conn_id, qid=0, step=step, **fields)
        if "result" in fields:
            log.info("conn %d: authentication %s (%s%s)", self.conn_id, fields["result"], step,
                     ", " + str(fields["reason"]) if "reason" in fields else "")

    def _auth_command(self, cmd, rec, what):
        """Checks the Authentication Send/Receive fields; (length, error Reply or None)."""
        spsp0, spsp1, secp, length = struct.unpack_from("<BBBI", cmd.sqe, 41)
        rec.update(secp=secp, spsp0=spsp0, spsp1=spsp1, **{what: length})
        if self.auth is None:  # this connection was not asked to authenticate
            rec["note"] = "no authentication configured for this host"
            return length, Reply(SC_INVALID_OPCODE)
        if secp != auth.SECP_DHCHAP or spsp0 != auth.SPSP or spsp1 != auth.SPSP or not length:
            return length, Reply(SC_INVALID_FIELD)
        if length != cmd.sgl_len:  # as nvmet_check_transfer_len
            rec["note"] = f"{what} {length} but SGL length {cmd.sgl_len}"
            return length, Reply(SC_SGL_LENGTH_INVALID)
        return length, None

    def auth_send(self, cmd, data, rec):
        tl, error = self._auth_command(cmd, rec, "tl")
        if error:
            return error
        data = bytes(data or b"")
        if len(data) < tl:
            return Reply(SC_SGL_LENGTH_INVALID)
        rec.update(auth_type=data[0] if data else None, auth_id=data[1] if len(data) > 1 else None)
        if data[:2] == bytes([auth.COMMON_MESSAGES, auth.NEGOTIATE]):
            # a new transaction takes the keys of the scenario served now (as nvmet re-reads
            # its configuration), if they still apply to this host
            current = self.dc.scenario.dhchap
            if current and current.applies(self.hostnqn):
                self.auth.config = current
        self.auth.send(data[:tl])
        rec["auth"] = self.auth.state
        return Reply()

    def auth_receive(self, cmd, data, rec):
        al, error = self._auth_command(cmd, rec, "al")
        if error:
            return error
        if not self.auth.needed() <= al <= MAX_AUTH_AL:
            rec["note"] = f"al {al}: the message is {self.auth.needed()} bytes"
            return Reply(SC_INVALID_FIELD)
        msg = self.auth.receive()
        rec.update(auth_type=msg[0], auth_id=msg[1], auth=self.auth.state)
        return Reply(data=msg + bytes(al - len(msg)))  # al bytes, as nvmet

    def property_get(self, cmd, data, rec):
        attrib, offset = cmd.sqe[40], struct.unpack_from("<I", cmd.sqe, 44)[0]
        rec.update(offset=offset, size=8 if attrib & 1 else 4)
        regs = {REG_CAP: CAP, REG_VS: self.dc.scenario.identify["ver"], REG_CC: self.cc,
                REG_CSTS: self.csts}
        if offset not in regs:
            return Reply(SC_INVALID_FIELD)
        rec["value"] = regs[offset]
        return Reply(result=regs[offset])

    def property_set(self, cmd, data, rec):
        offset = struct.unpack_from("<I", cmd.sqe, 44)[0]
        value = struct.unpack_from("<Q", cmd.sqe, 48)[0]
        rec.update(offset=offset, value=value)
        if offset != REG_CC:
            return Reply(SC_INVALID_FIELD)
        self.cc = value & 0xFFFFFFFF
        # CSTS.RDY follows CC.EN; a shutdown notification (CC.SHN) completes at once (SHST 2)
        self.csts = (self.cc & 1) | ((2 << 2) if (self.cc >> 14) & 3 else 0)
        return Reply()

    def disconnect(self, cmd, data, rec):
        return Reply()

    # --- admin

    def identify(self, cmd, data, rec):
        cns = cmd.cdw[0] & 0xFF
        rec.update(cns=cns, cntid=cmd.cdw[0] >> 16, nsid=cmd.nsid)
        if cns != 1:  # a discovery controller has no namespaces
            return Reply(SC_INVALID_FIELD)
        return Reply(data=self.dc.scenario.identify_data(self.cntlid))

    def get_log_page(self, cmd, data, rec):
        cdw10, cdw11, lpol, lpou, _, cdw14 = cmd.cdw
        lid, lsp, rae = cdw10 & 0xFF, (cdw10 >> 8) & 0x7F, (cdw10 >> 15) & 1
        numd = ((cdw11 & 0xFFFF) << 16) | (cdw10 >> 16)
        lpo = (lpou << 32) | lpol
        length = (numd + 1) * 4
        rec.update(lid=lid, lsp=lsp, rae=rae, numd=numd, len=length, lpo=lpo,
                   lsi=cdw11 >> 16, csi=cdw14 >> 24)
        if lpo & 3:
            return Reply(SC_INVALID_FIELD)
        if lid == LID_SUPPORTED:
            page = bytearray(1024)
            for supported in (LID_SUPPORTED, LID_DISCOVERY):
                struct.pack_into("<I", page, supported * 4, 1)
            if lpo >= len(page):
                return Reply(SC_INVALID_FIELD)
            return Reply(data=bytes(page[lpo:lpo + length]).ljust(length, b"\0"))
        if lid != LID_DISCOVERY:
            return Reply(SC_INVALID_FIELD)
        genctr, numrec, recfmt, size, page = self.dc.page_view(lpo)
        rec.update(genctr=genctr, numrec=numrec)
        if lpo >= size and not (lpo == 0 and size == 0):
            return Reply(SC_INVALID_FIELD)
        if length > 64 << 20:  # bounded by what one reply may allocate
            return Reply(SC_INVALID_FIELD)
        # no more than the host's buffer (the SGL) can take: the rest would not be sent anyway
        return Reply(data=page.read(genctr, numrec, recfmt, size, lpo, min(length, cmd.sgl_len)))

    def set_features(self, cmd, data, rec):
        fid, value = cmd.cdw[0] & 0xFF, cmd.cdw[1]
        rec.update(fid=fid, sv=cmd.cdw[0] >> 31, value=value)
        if fid == FEATURE_AEC:
            self.aec = value
        elif fid == FEATURE_KATO:
            self.kato = value
        else:
            return Reply(SC_INVALID_FIELD)
        return Reply()

    def get_features(self, cmd, data, rec):
        fid, sel = cmd.cdw[0] & 0xFF, (cmd.cdw[0] >> 8) & 7
        rec.update(fid=fid, sel=sel)
        if fid == FEATURE_AEC:
            return Reply(result=self.aec or 0)
        if fid == FEATURE_KATO:
            return Reply(result=self.kato)
        return Reply(SC_INVALID_FIELD)

    def keep_alive(self, cmd, data, rec):
        return Reply()

    def aer(self, cmd, data, rec):
        if len(self.aers) >= min(MAX_AER, self.dc.scenario.identify["aerl"] + 1):
            return Reply(SC_AER_LIMIT)
        self.aers.append(cmd.cid)
        rec["held"] = True
        return Reply(hold=True)

    def dim(self, cmd, data, rec):
        tas = cmd.cdw[0] & 0xF
        data = data or b""
        rec.update(tas=tas, dim_len=len(data), dim_hex=bytes(data[:4096]).hex())
        if len(data) >= 600:  # the DIM data header: lengths and the entity's identity
            tdl, nument, entfmt, etype, portlcl, ektype = struct.unpack_from("<I4xQHHBxH", data, 0)
            rec.update(tdl=tdl, nument=nument, entfmt=entfmt, etype=etype, portlcl=portlcl,
                       ektype=ektype, eid=_text(data[24:280]), ename=_text(data[280:536]),
                       ever=_text(data[536:600]))
        return Reply()

    # --- asynchronous events (called with the connection's send lock held)

    def take_aen(self):
        """The AER command id to complete for a discovery log change now, or None (then the
        event stays pending until the host sends an AER). Returns "masked" when the host's
        Asynchronous Event Configuration does not enable the notice."""
        if self.aec is not None and not self.aec & (1 << 31):
            return "masked"
        if not self.aers:
            self.aen_pending = True
            return None
        self.aen_pending = False
        return self.aers.pop(0)
