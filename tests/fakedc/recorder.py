# SPDX-License-Identifier: Apache-2.0
"""The record file: one JSON object a line per event, flushed at once so that a test can read it
while the DC runs. Bounded: a host that sends commands forever cannot fill the disk."""

import json
import logging
import threading
import time

log = logging.getLogger("fakedc")


class Recorder:
    def __init__(self, path, max_bytes=64 << 20):
        self.lock = threading.Lock()
        self.f = open(path, "a", encoding="utf-8") if path else None
        self.max_bytes = max_bytes
        self.written = 0
        self.seq = 0
        self.full = False

    def __call__(self, event, **fields):
        with self.lock:
            self.seq += 1
            rec = {"seq": self.seq, "ts": round(time.time(), 6), "event": event}
            rec.update(fields)
            line = json.dumps(rec, separators=(",", ":")) + "\n"
            if self.f is None or self.full:
                return
            if self.written + len(line) > self.max_bytes:
                self.full = True
                line = json.dumps({"seq": self.seq, "event": "record-full"}) + "\n"
                log.warning("record file full (%d bytes): no more records", self.written)
            self.f.write(line)
            self.f.flush()
            self.written += len(line)

    def close(self):
        with self.lock:
            if self.f:
                self.f.close()
                self.f = None
