# SPDX-License-Identifier: Apache-2.0
"""The DC's shared state (scenario, generation counter, controller IDs, connections), the TCP
listeners, and the control interface (a UNIX socket, and signals). The main thread only accepts
and dispatches; each host connection and each control client has its own thread."""

import json
import logging
import os
import queue
import selectors
import signal
import socket
import threading

import connection
import scenario as scn

log = logging.getLogger("fakedc")

MAX_CONTROL_LINE = 4096


class DCState:
    def __init__(self, scenario, rec, max_connections):
        self.lock = threading.Lock()
        self.scenario = scenario
        self.rec = rec
        self.genctr = scenario.genctr if scenario.genctr is not None else 1
        self.next_cntlid = scenario.cntlid_start
        self.conns = {}
        self.next_conn = 0
        self.max_connections = max_connections

    def new_cntlid(self):
        """A controller ID per association, unique among the live ones: the Linux host rejects a
        duplicate cntlid within a subsystem."""
        with self.lock:
            used = {c.ctrl.cntlid for c in self.conns.values()}
            while True:
                cntlid = self.next_cntlid
                self.next_cntlid = cntlid + 1 if cntlid < 0xFFEF else 1
                if cntlid not in used:
                    return cntlid

    def page_view(self, lpo):
        """(genctr, numrec, recfmt, size, page) for one Get Log Page piece, after the scenario's
        genctr_bump (a new read starts at offset 0)."""
        with self.lock:
            sc = self.scenario
            if sc.genctr_bump == "piece" or (sc.genctr_bump == "read" and lpo == 0):
                self.genctr += 1
            numrec = sc.numrec if sc.numrec is not None else sc.page.count
            return self.genctr, numrec, sc.recfmt, sc.page_size, sc.page

    def register(self, sock, peer):
        with self.lock:
            if len(self.conns) >= self.max_connections:
                return None
            self.next_conn += 1
            conn = connection.Connection(self, sock, peer, self.next_conn)
            self.conns[conn.id] = conn
            return conn

    def unregister(self, conn):
        with self.lock:
            self.conns.pop(conn.id, None)

    def connections(self):
        with self.lock:
            return list(self.conns.values())

    def raise_aen(self, source="control", only=None, bump=True):
        """A discovery log change: genctr moves (unless the scenario says not to) and every
        connection (or ONLY) gets the notice on its held AER, or keeps it pending."""
        with self.lock:
            if bump and self.scenario.aen_bumps_genctr:
                self.genctr += 1
            genctr = self.genctr
        self.rec("raise-aen", source=source, genctr=genctr, conn=only.id if only else None)
        for conn in [only] if only else self.connections():
            conn.deliver_aen(source)

    def reload(self, path=None):
        """Serves PATH (default: the current scenario's file) from now on."""
        new = scn.load(path or self.scenario.path)
        with self.lock:
            self.scenario = new
            self.genctr = new.genctr if new.genctr is not None else self.genctr + 1
            genctr = self.genctr
        self.rec("reload", scenario=new.path, genctr=genctr, entries=new.page.count)
        log.info("reloaded %s: %d entries, genctr %d", new.path, new.page.count, genctr)

    def status(self):
        with self.lock:
            return {"genctr": self.genctr, "scenario": self.scenario.path,
                    "entries": self.scenario.page.count,
                    "connections": [{"conn": c.id, "peer": c.peer, "cntlid": c.ctrl.cntlid,
                                     "hostnqn": c.ctrl.hostnqn, "subnqn": c.ctrl.subnqn,
                                     "aers": len(c.ctrl.aers), "aen_pending": c.ctrl.aen_pending,
                                     "auth": c.ctrl.auth.state if c.ctrl.auth else None,
                                     "commands": c.ncmds} for c in self.conns.values()]}

    def control(self, line):
        """One control command -> a JSON-able answer (README.md, "Control")."""
        words = line.split(None, 1)
        if not words:
            return {"ok": False, "error": "empty command"}
        cmd, arg = words[0], (words[1] if len(words) > 1 else None)
        self.rec("control", command=line)
        try:
            if cmd == "aen":
                self.raise_aen("control")
            elif cmd == "reload":
                self.reload(arg)
            elif cmd == "reload-aen":
                self.reload(arg)
                self.raise_aen("control", bump=False)
            elif cmd == "drop":
                for c in self.connections():
                    c.close("control: drop")
            elif cmd == "status":
                return {"ok": True, **self.status()}
            elif cmd == "quit":
                os.kill(os.getpid(), signal.SIGTERM)
            else:
                return {"ok": False, "error": f"unknown command '{cmd}'"}
        except scn.ScenarioError as e:
            return {"ok": False, "error": str(e)}
        return {"ok": True}


class Server:
    def __init__(self, dc, addr, ports, control_path):
        self.dc = dc
        self.sel = selectors.DefaultSelector()
        self.events = queue.SimpleQueue()  # from signal handlers: SimpleQueue.put is reentrant
        self.control_path = control_path
        self.listeners = []
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        for port in ports:
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, port))
            s.listen(16)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, "tcp")
            self.listeners.append(s)
            dc.rec("listen", addr=addr, port=s.getsockname()[1])
            log.info("listening on %s port %d", addr, s.getsockname()[1])
        self.ctl_sock = None
        if control_path:
            if os.path.exists(control_path):
                os.unlink(control_path)
            self.ctl_sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.ctl_sock.bind(control_path)
            self.ctl_sock.listen(8)
            self.ctl_sock.setblocking(False)
            self.sel.register(self.ctl_sock, selectors.EVENT_READ, "control")

    def ports(self):
        return [s.getsockname()[1] for s in self.listeners]

    def on_signal(self, signum, _frame):
        self.events.put(signum)

    def serve_forever(self):
        for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.on_signal)
        while True:
            for key, _ in self.sel.select(timeout=0.2):
                try:
                    sock, peer = key.fileobj.accept()
                except OSError:
                    continue
                if key.data == "tcp":
                    self.accept(sock, peer)
                else:
                    threading.Thread(target=self.control_client, args=(sock,), daemon=True).start()
            while not self.events.empty():
                signum = self.events.get()
                self.dc.rec("signal", signal=signal.Signals(signum).name)
                if signum in (signal.SIGTERM, signal.SIGINT):
                    self.shutdown()
                    return
                self.signal_action(signum)

    def signal_action(self, signum):
        try:
            if signum == signal.SIGUSR1:
                self.dc.control("reload-aen")
            elif signum == signal.SIGUSR2:
                self.dc.control("aen")
            elif signum == signal.SIGHUP:
                self.dc.control("reload")
        except Exception:  # never let a bad reload kill the DC
            log.exception("signal %d", signum)

    def accept(self, sock, peer):
        sock.setblocking(True)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = f"{peer[0]}:{peer[1]}"
        conn = self.dc.register(sock, peer)
        if conn is None:
            self.dc.rec("refused", peer=peer, why="too many connections")
            sock.close()
            return
        self.dc.rec("accept", conn=conn.id, peer=peer, port=sock.getsockname()[1])
        log.info("conn %d: accepted from %s", conn.id, peer)
        conn.start()

    def control_client(self, sock):
        try:
            sock.settimeout(5)
            buf = b""
            while b"\n" not in buf and len(buf) < MAX_CONTROL_LINE:
                chunk = sock.recv(MAX_CONTROL_LINE)
                if not chunk:
                    break
                buf += chunk
            line = buf.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
            answer = self.dc.control(line)
            sock.sendall((json.dumps(answer) + "\n").encode())
        except Exception as e:
            log.warning("control client: %r", e)
        finally:
            sock.close()

    def shutdown(self):
        for s in self.listeners:
            s.close()
        if self.ctl_sock:
            self.ctl_sock.close()
            try:
                os.unlink(self.control_path)
            except OSError:
                pass
        for c in self.dc.connections():
            c.close("shutdown")
        for c in self.dc.connections():
            c.join(2)
        self.dc.rec("exit")
