#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes the hand-made seeds of tests/fuzz/corpus/ (run from anywhere; it overwrites only the
# seed-*.bin/seed-*.json/seed-*.conf files it names). Inputs the fuzzer found and minimised
# sit beside them under their SHA-1 names. Kept so that the seeds can be read and changed as
# text: the discovery log entries are binary, and the zeroconf input is FuzzedDataProvider's.
import json
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
NQN = "nqn.2014-08.org.nvmexpress:uuid:4b4c8a4a-5b4e-4e8e-9e1b-6c6a3c0f1d2e"
DISC = "nqn.2014-08.org.nvmexpress.discovery"
FC = "nn-0x20000090fae0b5f5:pn-0x10000090fae0b5f5"


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def dlpe(trtype, adrfam, subtype, traddr, trsvcid, subnqn, treq=0, portid=1, cntlid=0xFFFF,
         asqsz=32, eflags=0, pad=b"\0"):
    """struct nvmf_disc_log_entry, 1,024 bytes (libnvme nvme/types.h)."""
    def field(s, n):
        b = s.encode() if isinstance(s, str) else s
        return (b + pad * n)[:n]
    e = struct.pack("<BBBBHHHH", trtype, adrfam, subtype, treq, portid, cntlid, asqsz, eflags)
    e += b"\0" * 20 + field(trsvcid, 32) + b"\0" * 192 + field(subnqn, 256) + field(traddr, 256)
    return e + b"\0" * (1024 - len(e))


def dlp_entry():
    put("dlp_entry", "seed-tcp-ipv4-nvme.bin", dlpe(3, 1, 2, "192.168.1.20", "4420", NQN))
    put("dlp_entry", "seed-tcp-ipv6-referral.bin", dlpe(3, 2, 1, "fe80::1%eth0", "8009", DISC))
    put("dlp_entry", "seed-rdma-ib.bin", dlpe(1, 3, 2, "10.0.0.5", "4420", NQN, treq=6))
    put("dlp_entry", "seed-fc.bin", dlpe(2, 4, 2, FC, "none", NQN))
    put("dlp_entry", "seed-space-padded-current-dc.bin",
        dlpe(3, 1, 3, "192.168.1.30", "8009", DISC, eflags=4, pad=b" "))
    put("dlp_entry", "seed-mixed-page.bin",
        dlpe(3, 1, 2, "1.2.3.4,hostnqn=nqn.x", "4420", NQN) +
        dlpe(3, 1, 2, "0.0.0.0", "4420", NQN) +
        dlpe(254, 254, 2, "loop0", "", "starfleet") +
        dlpe(3, 1, 2, "192.0.2.7", "4420 ", "nqn.a b"))


def staf_log_pages():
    def entry(trtype, adrfam, traddr, trsvcid, subnqn, subtype="nvme"):
        return {"trtype": trtype, "adrfam": adrfam, "traddr": traddr, "trsvcid": trsvcid,
                "subnqn": subnqn, "subtype": subtype, "treq": "not specified", "portid": "1",
                "cntlid": "65535", "asqsz": "32", "eflags": "0"}
    dc = {"transport": "tcp", "traddr": "192.168.1.20", "trsvcid": "8009", "subsysnqn": DISC,
          "host-traddr": "", "host-iface": "eth0", "host-nqn": "nqn.2014-08.org.x:host1"}
    doc = [{"discovery-controller": dc,
            "log-pages": [entry("tcp", "ipv4", "192.168.1.21", "4420", NQN),
                          entry("tcp", "ipv6", "fe80::2", "8009", DISC, "referral")]},
           {"discovery-controller": dict(dc, traddr="10.0.0.1", **{"host-iface": ""}),
            "log-pages": [entry("rdma", "infiniband", "10.0.0.5", "4420", NQN),
                          entry("fc", "fc", FC, "", NQN), entry("7", "254", "x", "1", "n")]}]
    put("staf_log_pages", "seed-two-dcs.json", json.dumps(doc))
    put("staf_log_pages", "seed-empty.json", "[]")
    bad = [{"discovery-controller": dict(dc, **{"host-iface": "eth0,hostnqn=nqn.evil"}),
            "log-pages": [entry("tcp", "ipv4", "192.168.1.21", "4420", NQN)]}]
    put("staf_log_pages", "seed-hostile-host-iface.json", json.dumps(bad))


def tid(transport, traddr, trsvcid, nqn, host_traddr="", host_iface="", host_nqn=""):
    return {"traddr": traddr, "trsvcid": trsvcid, "transport": transport, "subsysnqn": nqn,
            "host-iface": host_iface, "host-traddr": host_traddr, "host-nqn": host_nqn}


def lkc():
    e = {"trtype": 3, "adrfam": 1, "subtype": 2, "treq": 0, "portid": 1, "cntlid": 65535,
         "asqsz": 32, "eflags": 0, "traddr": "192.168.1.21", "trsvcid": "4420", "subnqn": NQN}
    doc = {"format": "stafd-last-known-config", "version": 1, "dcs": [
        {"tid": tid("tcp", "192.168.1.20", "8009", DISC, host_iface="eth0"),
         "origin": "configured", "log_pages": [e, dict(e, subtype=1, trsvcid="8009")]},
        {"tid": tid("tcp", "fe80::1", "8009", DISC, host_iface="eth1"), "origin": "discovered",
         "log_pages": []},
        {"tid": tid("fc", FC, "", DISC, host_traddr=FC), "origin": "referral",
         "log_pages": [dict(e, trtype=2, adrfam=4, traddr=FC, trsvcid="")]}]}
    put("lkc", "seed-three-dcs.json", json.dumps(doc))
    doc["dcs"] = [{"tid": tid("tcp", "1.2.3.4,hostnqn=nqn.evil", "8009", DISC),
                   "origin": "configured", "log_pages": []}]
    put("lkc", "seed-hostile-tid.json", json.dumps(doc))
    put("lkc", "seed-wrong-version.json", '{"format":"stafd-last-known-config","version":2}')


def owned_controllers():
    doc = {"format": "stacd-owned-controllers", "version": 1, "controllers": [
        tid("tcp", "192.168.1.21", "4420", NQN, host_iface="eth0", host_nqn="nqn.h"),
        tid("rdma", "10.0.0.5", "4420", NQN), tid("fc", FC, "", NQN, host_traddr=FC),
        tid("loop", "", "", "starfleet")]}
    put("owned_controllers", "seed-four.json", json.dumps(doc))
    doc["controllers"] = [tid("tcp", "192.168.1.21", "4420", NQN,
                              host_iface="eth0,hostnqn=nqn.evil")]
    put("owned_controllers", "seed-hostile-host-iface.json", json.dumps(doc))
    put("owned_controllers", "seed-empty.json",
        '{"format":"stacd-owned-controllers","version":1,"controllers":[]}')


def volumes():
    portal = {"transport": "tcp", "traddr": "192.168.1.21", "trsvcid": "4420"}
    doc = {"format": "stacd-volumes", "version": 1, "volumes": [
        {"id": "vol-1", "spec": {"subsysnqn": NQN, "uuid": "7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
                                 "portals": [portal]}, "options": {"nr-io-queues": "1"}},
        {"id": "vol-2", "spec": {"subsysnqn": NQN, "nguid": "00112233445566778899aabbccddeeff",
                                 "nsid": 2, "portals": [portal, dict(portal, trsvcid="4421")]},
         "options": {}}]}
    put("volumes", "seed-two.json", json.dumps(doc))
    doc["volumes"][0]["spec"]["portals"] = [dict(portal, traddr="1.2.3.4,hostnqn=nqn.evil")]
    put("volumes", "seed-hostile-traddr.json", json.dumps(doc))
    put("volumes", "seed-empty.json", '{"format":"stacd-volumes","version":1,"volumes":[]}')
    dc = {"transport": "tcp", "traddr": "192.168.1.20", "trsvcid": "8009"}
    doc = {"format": "stacd-volumes", "version": 1, "volumes": [
        {"id": "vol-d", "spec": {"uuid": "7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "discovery": [dc]},
         "options": {}, "found-subsysnqn": NQN},
        {"id": "vol-e", "spec": {"subsysnqn": NQN, "nsid": 3, "hostnqn": NQN,
                                 "discovery": [dict(dc, nqn=NQN, **{"host-iface": "eth0"})]},
         "options": {"persistent": True}}]}
    put("volumes", "seed-discovery.json", json.dumps(doc))
    doc["volumes"][0]["found-subsysnqn"] = NQN + ",hostnqn=evil"
    put("volumes", "seed-hostile-found.json", json.dumps(doc))


def config():
    # The shipped files without their comments, which are most of their bytes.
    for d in ("stafd", "stacd"):
        with open(os.path.join(HERE, "..", "..", "etc", "stas", d + ".conf")) as f:
            text = "".join(l for l in f if not re.match(r"\s*[#;]", l) and l.strip())
        put("config", "seed-shipped-%s.conf" % d, text)
    put("config", "seed-controllers.conf", """[Global]
tron=true
kato = 30   # inline comment
ip-family=ipv6
[Controllers]
controller = transport=tcp;traddr=[fe80::1%eth0];trsvcid=8009;host-iface=eth0
controller = transport=tcp;traddr=dc.example.com;nqn=nqn.2014-08.org.x:sub;kato=10
controller = transport=rdma;traddr=10.0.0.5;host-nqn=nqn.2014-08.org.x:h
   ;dhchap-secret=DHHC-1:00:ZmFrZXNlY3JldGZha2VzZWNyZXRmYWtlc2VjcmV0MTI=:
controller = transport=fc;traddr=FC;host-traddr=FC
exclude = transport=tcp;traddr=10.0.0.9
blacklist = host-iface=eth1
[Service Discovery]
zeroconf=disabled
[I/O controller connection management]
disconnect-scope=all-connections-matching-disconnect-trtypes
disconnect-trtypes=tcp+rdma
""".replace("FC", FC))


def controller_entry():
    for i, (d, text) in enumerate([
            (0, "transport=tcp;traddr=192.168.1.20;trsvcid=8009;host-iface=eth0"),
            (1, "transport=tcp;traddr=[fe80::1%eth0];nqn=" + NQN + ";hdr-digest=true;kato=30"),
            (1, "transport=rdma;traddr=dc1.example.com;nqn=%s;host-nqn=nqn.2014-08.org.x:h;"
                "dhchap-ctrl-secret=DHHC-1:01:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTIzNA==:" % NQN),
            (0, "transport=fc;traddr=%s;host-traddr=%s;trsvcid=1" % (FC, FC)),
            (0, "transport=tcp;traddr=1.2.3.4,hostnqn=nqn.evil;trsvcid=04420"),
            (1, "transport=loop;nqn=starfleet")]):
        put("controller_entry", "seed-%d.bin" % i, bytes([d]) + text.encode())


def zeroconf_txt():
    # FuzzedDataProvider: strings from the front, each ended by a backslash and one more
    # byte; the bool (TP8013) and the port (3 bytes, range -2..70000) from the end.
    def fdp(tp8013, port, ifname, address, txt):
        front = b"".join(s.encode().replace(b"\\", b"\\\\") + b"\\ " for s in [ifname, address] + txt)
        v = port + 2
        return front + bytes([v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF, 1 if tp8013 else 0])
    put("zeroconf_txt", "seed-tcp.bin", fdp(True, 8009, "eth0", "192.168.1.20",
                                            ["p=tcp", "nqn=" + DISC]))
    put("zeroconf_txt", "seed-roce-ipv6.bin", fdp(False, 4420, "ib0", "fe80::1",
                                                  ["P=RoCE", "NQN=nqn.x", "extra=1"]))
    put("zeroconf_txt", "seed-hostile.bin", fdp(True, 8009, "eth0", "fe80::1%eth0",
                                                ["p=tcp", "nqn=nqn.x,hostnqn=y", "p=t=cp",
                                                 "\x01p=tcp", "=x"]))


if __name__ == "__main__":
    dlp_entry()
    staf_log_pages()
    lkc()
    owned_controllers()
    volumes()
    config()
    controller_entry()
    zeroconf_txt()
