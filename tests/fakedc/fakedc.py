#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""fakedc: a scriptable NVMe/TCP discovery controller for tests (README.md).

  fakedc.py --scenario FILE [--addr 127.0.0.1] --port 8010 [--port ...] [--record FILE]
            [--control SOCKET] [--pidfile FILE] [--max-connections N] [--verbose]
  fakedc.py --ctl SOCKET COMMAND [ARG]     (aen, reload [FILE], reload-aen [FILE], drop, status,
                                            quit): prints the DC's JSON answer; fails if not ok
"""

import sys

sys.dont_write_bytecode = True  # the sources may be on a read-only or shared tree

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402

import recorder  # noqa: E402
import scenario  # noqa: E402
import server  # noqa: E402


class LogBudget(logging.Filter):
    """At most MAX lines of log: a host sending commands forever cannot fill the disk (the
    record file has its own bound)."""

    MAX = 200000

    def __init__(self):
        super().__init__()
        self.n = 0

    def filter(self, record):
        self.n += 1
        if self.n == self.MAX:
            record.msg, record.args = "log budget spent: no more log lines", ()
        return self.n <= self.MAX


def ctl_client(path, words):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall((" ".join(words) + "\n").encode())
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    print(buf.decode().strip())
    try:
        return 0 if json.loads(buf).get("ok") else 1
    except ValueError:
        return 1


def main(argv):
    if len(argv) >= 1 and argv[0] == "--ctl":
        if len(argv) < 3:
            print("usage: fakedc.py --ctl SOCKET COMMAND [ARG]", file=sys.stderr)
            return 2
        return ctl_client(argv[1], argv[2:])
    ap = argparse.ArgumentParser(description="A scriptable NVMe/TCP discovery controller")
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, action="append", required=True,
                    help="TCP port to listen on (repeatable; 0: any free port)")
    ap.add_argument("--record", help="append a JSON line per event to this file")
    ap.add_argument("--record-max-bytes", type=int, default=64 << 20)
    ap.add_argument("--control", help="UNIX socket for control commands")
    ap.add_argument("--pidfile")
    ap.add_argument("--max-connections", type=int, default=64)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s fakedc[%(process)d] %(threadName)s: %(message)s")
    log = logging.getLogger("fakedc")
    log.addFilter(LogBudget())
    try:
        sc = scenario.load(args.scenario)
    except scenario.ScenarioError as e:
        print(f"fakedc: bad scenario: {e}", file=sys.stderr)
        return 2
    rec = recorder.Recorder(args.record, args.record_max_bytes)
    dc = server.DCState(sc, rec, args.max_connections)
    try:
        srv = server.Server(dc, args.addr, args.port, args.control)
    except OSError as e:
        print(f"fakedc: cannot listen: {e}", file=sys.stderr)
        return 1
    rec("start", pid=os.getpid(), scenario=args.scenario, ports=srv.ports(),
        entries=sc.page.count, genctr=dc.genctr)
    log.warning("serving %s (%d entries) on %s port(s) %s", args.scenario, sc.page.count,
                args.addr, srv.ports())
    if args.pidfile:  # written last: its presence means "ready"
        with open(args.pidfile + ".tmp", "w") as f:
            f.write(f"{os.getpid()}\n")
        os.rename(args.pidfile + ".tmp", args.pidfile)
    try:
        srv.serve_forever()
    finally:
        rec.close()
        if args.pidfile:
            try:
                os.unlink(args.pidfile)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
