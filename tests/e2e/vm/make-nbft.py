#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes an ACPI NBFT (NVMe Boot Firmware Table, NVM Express Boot Specification 1.0) to a file.

The table is whole, ACPI header and checksum included, as QEMU's `-acpitable file=PATH` takes
it; the guest then finds it in /sys/firmware/acpi/tables/NBFT. It describes what a pre-OS
driver would leave behind: one host, one NVMe/TCP interface (HFI), one namespace (SSNS) and, if
asked, one discovery controller.

Strings are written as given, unchecked, so that hostile values (an NQN with a comma, port
"0") can be tested; --malformed makes a few hand-made hostile tables. Note that QEMU rewrites
the length and the checksum of a table it loads: --malformed bad-checksum only reaches a parser
that reads the file directly (the unit tests), never a guest.

Example:
  make-nbft.py --out /tmp/NBFT --hostnqn nqn.2014-08.org.nvmexpress:uuid:... \\
      --hostid 4b4c8a4a-5b4e-4e8e-9e1b-6c6a3c0f1d2e --hfi-ip 10.0.2.15 --hfi-prefix 24 \\
      --hfi-mac 52:54:00:12:34:56 --traddr 10.0.2.2 --trsvcid 4420 \\
      --subnqn nqn.2014-08.org.example:boot --nsid 1 \\
      --discovery-uri nvme+tcp://10.0.2.2:8009/
"""
import argparse
import ipaddress
import struct
import sys
import uuid

# Layout (Boot Specification 1.0): header, control descriptor, host descriptor, the HFI, SSNS
# and discovery descriptor lists, then the heap that every variable-length field points into.
HEADER_SIZE = 64
CONTROL_SIZE = 64
HOST_SIZE = 32
HFI_SIZE = 32
SSNS_SIZE = 128
DISCOVERY_SIZE = 32
TRANSPORT_TCP = 3

MALFORMED = {
    "bad-checksum": "the bytes do not add up to 0 (the whole table is refused)",
    "descriptor-offset": "the SSNS list starts past the end of the table (refused)",
    "string-past-heap": "the subsystem NQN's length runs past the heap (the SSNS is dropped)",
    "nqn-comma": "the subsystem NQN carries ',hostnqn=...' (the SSNS is dropped)",
    "hfi-index": "the SSNS names HFI 7, which does not exist (the SSNS is dropped)",
}


def ip16(text):
    """An address as the table stores it: 16 bytes, IPv4 as ::ffff:a.b.c.d."""
    ip = ipaddress.ip_address(text)
    if ip.version == 4:
        return b"\0" * 10 + b"\xff\xff" + ip.packed
    return ip.packed


def mac6(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError("a MAC address is six hex bytes separated by ':'")
    return bytes(int(p, 16) for p in parts)


class Heap:
    """The heap: objects appended one after another; refs are offsets from the table start."""

    def __init__(self, base):
        self.base = base
        self.data = bytearray()

    def add(self, blob):
        if not blob:
            return (0, 0)
        offset = self.base + len(self.data)
        self.data += blob
        return (offset, len(blob))

    def string(self, text):
        """Length without the terminating NUL, which follows it (what most drivers write)."""
        if not text:
            return (0, 0)
        offset, length = self.add(text.encode() + b"\0")
        return (offset, length - 1)


def transport_info(args, heap):
    host_name = heap.string(args.hfi_host_name)
    gateway = ip16(args.hfi_gateway) if args.hfi_gateway else b"\0" * 16
    return struct.pack(
        "<BBBBHBI6sHB16sB16sBH16s16s16sIH18s",
        7, 1, TRANSPORT_TCP, 1,   # structure ID, version, transport, transport info version
        1, 0x03,                  # HFI index, flags: valid, global route
        0,                        # PCI routing ID
        mac6(args.hfi_mac), args.hfi_vlan,
        1,                        # IP origin: manual
        ip16(args.hfi_ip), args.hfi_prefix, gateway,
        0, 0,                     # reserved, route metric
        b"\0" * 16, b"\0" * 16, b"\0" * 16,  # DNS servers, DHCP server
        host_name[0], host_name[1],
        b"\0" * 18)


def build(args):
    with_discovery = bool(args.discovery_uri)
    host_at = HEADER_SIZE + CONTROL_SIZE
    hfi_at = host_at + HOST_SIZE
    ssns_at = hfi_at + HFI_SIZE
    disc_at = ssns_at + SSNS_SIZE
    heap = Heap(disc_at + (DISCOVERY_SIZE if with_discovery else 0))

    host_nqn = heap.string(args.hostnqn)
    hostid = uuid.UUID(args.hostid).bytes if args.hostid else b"\0" * 16
    host = struct.pack("<BB16sIH8s", 2, 0x07, hostid, host_nqn[0], host_nqn[1], b"\0" * 8)

    info = heap.add(transport_info(args, heap))
    hfi = struct.pack("<BBBB12sIH10s", 3, 1, 0x01, TRANSPORT_TCP, b"\0" * 12, info[0], info[1],
                      b"\0" * 10)

    traddr = heap.add(ip16(args.traddr))
    trsvcid = heap.string(args.trsvcid)
    subnqn = args.subnqn
    if args.malformed == "nqn-comma":
        subnqn += ",hostnqn=nqn.2014-08.org.example:intruder"
    nqn = heap.string(subnqn)
    primary_hfi = 7 if args.malformed == "hfi-index" else 1
    ssns_flags = 0x01 | (0x40 if with_discovery else 0)  # valid, discovered
    ssns = struct.pack(
        "<BHHBHBBIHIHHIB16sBBBIHIHIH62s",
        4, 1, ssns_flags, TRANSPORT_TCP, 0,  # structure ID, index, flags, transport, trflags
        1 if with_discovery else 0, 0,       # discovery index, reserved
        traddr[0], traddr[1], trsvcid[0], trsvcid[1],
        0, args.nsid,                        # port ID, NSID
        0, b"\0" * 16,                       # NID type, NID
        0, primary_hfi, 0,                   # security index, primary HFI, reserved
        0, 0,                                # secondary HFIs
        nqn[0], nqn[1],
        0, 0,                                # extended info
        b"\0" * 62)

    discovery = b""
    if with_discovery:
        uri = heap.string(args.discovery_uri)
        dnqn = heap.string(args.discovery_nqn)
        discovery = struct.pack("<BBBBBBIHIH14s", 6, 0x01, 1, 1, 0, 0, uri[0], uri[1],
                                dnqn[0], dnqn[1], b"\0" * 14)

    length = heap.base + len(heap.data)
    ssns_list_at = length + 64 if args.malformed == "descriptor-offset" else ssns_at
    control = struct.pack(
        "<BBBBHBBIHBBIHBBIHBBIHBBIHBB16s",
        1, 1, 0, 0, CONTROL_SIZE, 0x01, 0,   # structure ID, revision 1.0, length, flags: valid
        host_at, HOST_SIZE, 1, 0,
        hfi_at, HFI_SIZE, 1, 1,
        ssns_list_at, SSNS_SIZE, 1, 1,
        0, 0, 0, 0,                          # no security descriptor
        disc_at if with_discovery else 0, DISCOVERY_SIZE if with_discovery else 0, 1,
        1 if with_discovery else 0,
        b"\0" * 16)
    if args.malformed == "string-past-heap":
        # The SSNS's NQN reference (at byte 54 of the descriptor) claims 200 more bytes.
        nqn_ref_at = 54
        ssns = (ssns[:nqn_ref_at] + struct.pack("<IH", nqn[0], nqn[1] + 200) +
                ssns[nqn_ref_at + 6:])

    header = struct.pack(
        "<4sIBB6s8sIIIIIIHB13s",
        b"NBFT", length, 1, 0,               # signature, length, major revision, checksum
        args.oem_id.encode()[:6].ljust(6), b"STASTEST", 1,
        int.from_bytes(b"STAS", "little"), 1,  # creator ID and revision
        heap.base, len(heap.data),
        0, 0,                                # no driver signature
        0, b"\0" * 13)                       # minor revision
    table = bytearray(header + control + host + hfi + ssns + discovery + heap.data)
    assert len(table) == length
    table[9] = (-sum(table)) & 0xFF
    if args.malformed == "bad-checksum":
        table[9] = (table[9] + 1) & 0xFF
    return bytes(table)


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="--malformed kinds:\n" + "\n".join(f"  {k}: {v}" for k, v in MALFORMED.items()))
    p.add_argument("--out", required=True, help="the file to write")
    p.add_argument("--hostnqn", default="nqn.2014-08.org.nvmexpress:uuid:"
                   "4b4c8a4a-5b4e-4e8e-9e1b-6c6a3c0f1d2e")
    p.add_argument("--hostid", default="4b4c8a4a-5b4e-4e8e-9e1b-6c6a3c0f1d2e",
                   help="UUID text; stored as its 16 bytes in text order")
    p.add_argument("--hfi-ip", default="10.0.2.15", help="IPv4 or IPv6")
    p.add_argument("--hfi-prefix", type=int, default=24)
    p.add_argument("--hfi-gateway", default="")
    p.add_argument("--hfi-mac", default="52:54:00:12:34:56")
    p.add_argument("--hfi-vlan", type=int, default=0)
    p.add_argument("--hfi-host-name", default="")
    p.add_argument("--traddr", default="10.0.2.2", help="IPv4 or IPv6")
    p.add_argument("--trsvcid", default="4420")
    p.add_argument("--subnqn", default="nqn.2014-08.org.example:boot")
    p.add_argument("--nsid", type=int, default=1)
    p.add_argument("--discovery-uri", default="", help="e.g. nvme+tcp://10.0.2.2:8009/")
    p.add_argument("--discovery-nqn", default="", help="empty: the well-known discovery NQN")
    p.add_argument("--oem-id", default="STAS")
    p.add_argument("--malformed", choices=sorted(MALFORMED), default=None)
    args = p.parse_args()
    try:
        table = build(args)
    except (ValueError, struct.error) as e:
        print(f"make-nbft: {e}", file=sys.stderr)
        return 2
    with open(args.out, "wb") as f:
        f.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
