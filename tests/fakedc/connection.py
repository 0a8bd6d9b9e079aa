# SPDX-License-Identifier: Apache-2.0
"""One host connection (an admin queue): the NVMe/TCP transport around a Controller.

A thread per connection reads PDUs and runs commands one at a time, in order, so that a delay
scripted for a command also delays the ones behind it (a slow DC). Only the AEN path writes from
another thread: every write holds self.lock. Anything the host sends that breaks the transport
rules ends the connection with a C2HTermReq, never the process."""

import collections
import logging
import select
import socket
import struct
import threading
import time

import controller as ctl
import pdu

log = logging.getLogger("fakedc")

MAX_INCAPSULE = 8192  # the Linux host's admin queue in-capsule size (NVME_TCP_ADMIN_CCSZ)
MAX_H2C_TOTAL = 1 << 20  # the most data one command may bring (a DIM's data is a few KiB)
MAX_BACKLOG = 64  # commands the host may pipeline while we wait for H2CData
ICREQ_TIMEOUT = 30  # seconds a new connection may take to send its ICReq (it holds a slot)


class Closed(Exception):
    """The connection is over (the host closed it, or we ended it)."""


class Fatal(Exception):
    """A transport error: answer with a C2HTermReq, then close."""

    def __init__(self, fes, fei, why, hdr=b""):
        super().__init__(why)
        self.fes, self.fei, self.hdr = fes, fei, hdr


class Connection(threading.Thread):
    def __init__(self, dc, sock, peer, conn_id):
        super().__init__(name=f"conn{conn_id}", daemon=True)
        self.dc = dc
        self.sock = sock
        self.peer = peer
        self.id = conn_id
        self.rec = dc.rec
        self.ctrl = ctl.Controller(dc, conn_id)
        self.lock = threading.RLock()
        self.stop = threading.Event()
        self.framer = pdu.Framer()
        self.maxh2cdata = dc.scenario.maxh2cdata
        self.backlog = collections.deque()
        self.ttag = 0
        self.ncmds = 0
        self.sq_head = 0
        self.timers = []
        self.last_rx = time.monotonic()
        self.icreq_deadline = time.monotonic() + ICREQ_TIMEOUT

    # --- socket

    def _recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            if self.stop.is_set():
                raise Closed("stopped")
            ready, _, _ = select.select([self.sock], [], [], 0.5)
            if not ready:
                self._check_kato()
                continue
            try:
                chunk = self.sock.recv(min(n - len(buf), 1 << 16))
            except OSError as e:
                raise Closed(f"recv: {e}") from None
            if not chunk:
                raise Closed("closed by the host")
            buf += chunk
            self.last_rx = time.monotonic()
        return bytes(buf)

    def _check_kato(self):
        """With kato_enforce, a host silent for longer than its KATO (+1 s) is dropped; a
        connection without ICReq after ICREQ_TIMEOUT always is."""
        if self.icreq_deadline and time.monotonic() > self.icreq_deadline:
            raise Closed("no ICReq")
        kato = self.ctrl.kato
        if self.dc.scenario.kato_enforce and kato and \
                time.monotonic() - self.last_rx > kato / 1000 + 1:
            raise Closed(f"keep-alive timeout ({kato} ms)")

    def send(self, data):
        with self.lock:
            if self.stop.is_set():
                raise Closed("stopped")
            try:
                self.sock.sendall(data)
            except OSError as e:
                raise Closed(f"send: {e}") from None

    def close(self, why):
        """Ends the connection from any thread (control "drop", shutdown)."""
        self.stop.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        log.info("conn %d: closing (%s)", self.id, why)

    def sleep(self, seconds):
        if seconds > 0 and self.stop.wait(seconds):
            raise Closed("stopped")

    # --- PDUs

    def read_pdu(self):
        """(type, flags, header bytes, data or None): one PDU, checked against the rules."""
        ch = self._recv_exact(8)
        ptype, flags, hlen, pdo, plen = pdu.CH.unpack(ch)
        if ptype not in pdu.HOST_HLEN:
            raise Fatal(pdu.FES_INVALID_HEADER, 0, f"PDU type {ptype:#x}", ch)
        if hlen != pdu.HOST_HLEN[ptype]:
            raise Fatal(pdu.FES_INVALID_HEADER, 2, f"hlen {hlen} for type {ptype:#x}", ch)
        digests = ptype in (pdu.CAPSULE_CMD, pdu.H2C_DATA)
        hd = pdu.DIGEST_LEN if digests and self.framer.hdgst else 0
        dd = pdu.DIGEST_LEN if digests and self.framer.ddgst and flags & pdu.F_DDGST else 0
        maxdata = {pdu.ICREQ: 0, pdu.H2C_TERM: 128, pdu.CAPSULE_CMD: MAX_INCAPSULE + 256,
                   pdu.H2C_DATA: self.maxh2cdata + 256}[ptype]
        if plen < hlen + hd or plen > hlen + hd + maxdata + dd:
            raise Fatal(pdu.FES_INVALID_HEADER, 4, f"plen {plen} for type {ptype:#x}", ch)
        rest = self._recv_exact(plen - 8)
        hdr = ch + rest[:hlen - 8]
        if hd:
            got = rest[hlen - 8:hlen - 8 + hd]
            if got != pdu.digest_bytes(hdr):
                raise Fatal(pdu.FES_HDR_DIGEST, 0, "header digest mismatch", hdr)
        data = None
        if plen > hlen + hd and ptype != pdu.H2C_TERM:
            if pdo < hlen + hd or pdo > plen - dd:
                raise Fatal(pdu.FES_INVALID_HEADER, 3, f"pdo {pdo}", hdr)
            data = (ch + rest)[pdo:plen - dd]
            if dd and (ch + rest)[plen - dd:plen] != pdu.digest_bytes(data):
                raise Fatal(pdu.FES_HDR_DIGEST, 0, "data digest mismatch", hdr)
        return ptype, flags, hdr, data

    def term(self, e):
        self.rec("term", conn=self.id, direction="c2h", fes=e.fes, fei=e.fei, why=str(e))
        log.warning("conn %d: C2HTermReq fes %d: %s", self.id, e.fes, e)
        try:
            self.send(pdu.c2h_term(e.fes, e.fei, e.hdr))
        except Closed:
            pass

    # --- the connection

    def run(self):
        why = "?"
        try:
            self.serve()
        except Closed as e:
            why = str(e)
        except Fatal as e:
            self.term(e)
            why = f"transport error: {e}"
        except Exception as e:  # a bug of ours: log it, end this connection, keep serving others
            log.exception("conn %d: internal error", self.id)
            why = f"internal error: {e!r}"
        finally:
            self.stop.set()
            for t in self.timers:
                t.cancel()
            try:
                self.sock.close()
            except OSError:
                pass
            self.rec("close", conn=self.id, reason=why, commands=self.ncmds)
            log.info("conn %d: closed: %s", self.id, why)
            self.dc.unregister(self)

    def serve(self):
        ptype, _flags, hdr, _data = self.read_pdu()
        if ptype != pdu.ICREQ:
            raise Fatal(pdu.FES_SEQUENCE, 0, f"PDU type {ptype:#x} before ICReq", hdr)
        self.icreq_deadline = None
        req = pdu.parse_icreq(hdr)
        sc = self.dc.scenario
        accept = sc.digests == "accept"
        digest = (pdu.DIGEST_HDR if req["hdgst"] and accept else 0) | \
                 (pdu.DIGEST_DATA if req["ddgst"] and accept else 0)
        self.rec("icreq", conn=self.id, **req, digest_reply=digest, maxh2cdata=self.maxh2cdata)
        self.sleep(sc.delay_for("icresp"))
        self.send(pdu.icresp(digest, self.maxh2cdata))
        if req["pfv"] != 0:
            raise Closed(f"unsupported PFV {req['pfv']}")
        self.framer = pdu.Framer(bool(digest & pdu.DIGEST_HDR), bool(digest & pdu.DIGEST_DATA))
        while True:
            if self.backlog:
                ptype, flags, hdr, data = self.backlog.popleft()
            else:
                ptype, flags, hdr, data = self.read_pdu()
            if ptype == pdu.CAPSULE_CMD:
                self.command(hdr, data)
            elif ptype == pdu.H2C_TERM:
                fes, fei = struct.unpack_from("<HI", hdr, 8)
                self.rec("term", conn=self.id, direction="h2c", fes=fes, fei=fei)
                raise Closed(f"H2CTermReq fes {fes}")
            else:
                raise Fatal(pdu.FES_SEQUENCE, 0, f"unexpected PDU type {ptype:#x}", hdr)
            close_after = self.dc.scenario.close_after
            if close_after and self.ncmds >= close_after:
                raise Closed(f"close_after_commands {close_after}")

    def fetch_h2c(self, cmd, length):
        """The command's data from the host through R2T and H2CData PDUs, at most maxh2cdata
        bytes per R2T. Commands pipelined meanwhile wait in the backlog."""
        buf = bytearray()
        while len(buf) < length:
            start = len(buf)
            want = min(length - start, self.maxh2cdata)
            self.ttag = (self.ttag + 1) & 0xFFFF
            ttag = self.ttag
            self.send(self.framer.r2t(cmd.cid, ttag, start, want))
            got = 0
            while got < want:
                ptype, flags, hdr, data = self.read_pdu()
                if ptype == pdu.CAPSULE_CMD:
                    if len(self.backlog) >= MAX_BACKLOG:
                        raise Fatal(pdu.FES_LIMIT_EXCEEDED, 0, "too many commands in flight", hdr)
                    self.backlog.append((ptype, flags, hdr, data))
                    continue
                if ptype == pdu.H2C_TERM:
                    raise Closed("H2CTermReq while sending data")
                if ptype != pdu.H2C_DATA:
                    raise Fatal(pdu.FES_SEQUENCE, 0, f"PDU type {ptype:#x} during R2T", hdr)
                cid, tag, off, dlen = struct.unpack_from("<HHII", hdr, 8)
                data = data or b""
                if cid != cmd.cid or tag != ttag:
                    raise Fatal(pdu.FES_INVALID_HEADER, 8, f"H2CData for cid {cid} ttag {tag}", hdr)
                if off != start + got or dlen != len(data) or got + dlen > want:
                    raise Fatal(pdu.FES_OUT_OF_RANGE, 12, f"H2CData offset {off} length {dlen}", hdr)
                buf += data
                got += dlen
        return bytes(buf)

    def command(self, hdr, data):
        self.ncmds += 1
        cmd = ctl.Command(hdr[8:8 + pdu.SQE_LEN])
        rec = {"conn": self.id, "cid": cmd.cid, "opcode": cmd.opcode, "name": cmd.name}
        if cmd.fctype is not None:
            rec["fctype"] = cmd.fctype
        rec["cdw"] = list(cmd.cdw)
        data_in = None
        status = None
        if cmd.direction() & 1 and cmd.sgl_len:
            if data is not None:
                data_in = data[:cmd.sgl_len]
                rec["incapsule"] = len(data)
            elif cmd.sgl_len > MAX_H2C_TOTAL or cmd.sgl_type >> 4 != 5:
                status = ctl.SC_SGL_LENGTH_INVALID
            else:
                data_in = self.fetch_h2c(cmd, cmd.sgl_len)
                rec["r2t"] = len(data_in)
        self.sleep(self.dc.scenario.delay_for(cmd.key))
        with self.lock:
            reply = ctl.Reply(status) if status is not None else \
                self.ctrl.handle(cmd, data_in, rec)
            rec["status"] = reply.status
            if reply.hold:
                self.rec("cmd", **rec)
                if self.ctrl.aen_pending:
                    self.deliver_aen("pending")
                self._schedule_timed_aen()
                return
            out = []
            if reply.data is not None and reply.status == 0:
                d = reply.data[:cmd.sgl_len]
                rec["sent"] = len(d)
                step = self.dc.scenario.c2h_max
                for off in range(0, len(d), step):
                    out.append(self.framer.c2h_data(cmd.cid, off, d[off:off + step],
                                                    off + step >= len(d)))
            self.sq_head = (self.sq_head + 1) & 0xFFFF
            out.append(self.framer.response(cmd.cid, ctl.status_word(reply.status),
                                            reply.result, self.sq_head))
            self.rec("cmd", **rec)
            log.info("conn %d: %s cid %d -> status %#x", self.id, cmd.name, cmd.cid, reply.status)
            self.send(b"".join(out))

    # --- AENs

    def _schedule_timed_aen(self):
        sc = self.dc.scenario
        if sc.aen_after_aer is None or self.ctrl.timed_aens >= sc.aen_count:
            return
        self.ctrl.timed_aens += 1
        t = threading.Timer(sc.aen_after_aer, self.dc.raise_aen, kwargs={"source": "timer",
                                                                         "only": self})
        t.daemon = True
        self.timers.append(t)
        t.start()

    def deliver_aen(self, source):
        """Completes a held AER with the discovery log change notice (or leaves it pending)."""
        with self.lock:
            if self.stop.is_set() or self.ctrl.cntlid is None:
                return
            cid = self.ctrl.take_aen()
            if cid == "masked" or cid is None:
                self.rec("aen", conn=self.id, source=source,
                         state="masked" if cid else "pending")
                return
            self.rec("aen", conn=self.id, source=source, state="sent", cid=cid,
                     result=ctl.AEN_DISC_CHANGE)
            log.info("conn %d: AEN %#x on AER cid %d (%s)", self.id, ctl.AEN_DISC_CHANGE, cid, source)
            try:
                self.send(self.framer.response(cid, 0, ctl.AEN_DISC_CHANGE, self.sq_head))
            except Closed:
                pass
