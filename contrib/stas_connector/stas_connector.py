#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""An os-brick style NVMe-oF connector on top of stacd's D-Bus API (org.nvmexpress.stac.Volumes1).

A third-party client, written against the documented interface only (see
org.nvmexpress.stac(5)); it needs python3-gi and nothing else. Orchestrators can copy the
pattern: one D-Bus call per operation, errors mapped by their D-Bus name.

    connector = StasConnector()
    props = connector.get_connector_properties()
    info = connector.connect_volume({"volume_id": "vol1", "target_nqn": "nqn...",
                                     "vol_uuid": "...", "portals": [("10.0.0.5", "4420", "tcp")]})
    connector.volumes_info()
    connector.disconnect_volume({"volume_id": "vol1"}, info)

Run as a program it offers the same operations for scripts and tests:
    stas_connector.py properties | attach ID NQN UUID TRADDR TRSVCID [TIMEOUT_MS] |
        attach-discovery ID NQN|- UUID DC_TRADDR DC_TRSVCID [TIMEOUT_MS] | list | detach ID
"""

import json
import sys

from gi.repository import Gio, GLib

BUS_NAME = "org.nvmexpress.stac"
OBJECT_PATH = "/org/nvmexpress/stac"
INTERFACE = "org.nvmexpress.stac.Volumes1"
ERROR_PREFIX = INTERFACE + ".Error."


class VolumeError(Exception):
    """stacd refused or failed: `kind` is the last part of the D-Bus error name
    (InvalidArgument, NotFound, Timeout, Mismatch, Excluded, Unsupported, Failed)."""

    def __init__(self, kind, message):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


class StasConnector:
    def __init__(self, bus=None):
        self._bus = bus or Gio.bus_get_sync(Gio.BusType.SYSTEM, None)

    def _call(self, method, args, signature_out, timeout_ms=30000):
        try:
            reply = self._bus.call_sync(BUS_NAME, OBJECT_PATH, INTERFACE, method, args,
                                        GLib.VariantType.new(signature_out),
                                        Gio.DBusCallFlags.NONE, timeout_ms, None)
        except GLib.Error as e:
            name = Gio.DBusError.get_remote_error(e) or ""
            message = Gio.DBusError.strip_remote_error(e) or e.message
            if name.startswith(ERROR_PREFIX):
                raise VolumeError(name[len(ERROR_PREFIX):], message) from None
            raise
        return reply.unpack()

    def get_connector_properties(self):
        """nqn, nvme_hostid, uuid, system uuid, nvme_native_multipath, and what the kernel
        supports (connect-options, dhchap, tls)."""
        return self._call("GetConnectorInfo", None, "(a{sv})")[0]

    def connect_volume(self, props):
        """props: volume_id, target_nqn, and the namespace (vol_uuid, vol_nguid or ns_id);
        portals: a list of (address, port, transport) to connect to directly, or discovery: the
        same for discovery controllers (then target_nqn may be left out: the subsystem is the
        one the namespace is found in). Returns {'type': 'block', 'path': device,
        'attachment': {...}}."""
        spec = {}
        if props.get("target_nqn"):
            spec["subsysnqn"] = GLib.Variant("s", props["target_nqn"])
        for key in ("portals", "discovery"):
            if props.get(key):
                spec[key] = GLib.Variant("aa{ss}", [
                    {"transport": t, "traddr": a, "trsvcid": str(p)} for a, p, t in props[key]])
        if props.get("vol_uuid"):
            spec["uuid"] = GLib.Variant("s", props["vol_uuid"])
        if props.get("vol_nguid"):
            spec["nguid"] = GLib.Variant("s", props["vol_nguid"])
        if props.get("ns_id"):
            spec["nsid"] = GLib.Variant("u", int(props["ns_id"]))
        timeout_ms = int(props.get("timeout_ms", 30000))
        options = {"timeout-ms": GLib.Variant("u", timeout_ms)}
        device, attachment = self._call(
            "AttachVolume", GLib.Variant("(sa{sv}a{sv})", (props["volume_id"], spec, options)),
            "(sa{sv})", timeout_ms + 5000)
        return {"type": "block", "path": device, "attachment": attachment}

    def disconnect_volume(self, props, device_info=None):
        """Forgets the volume; stacd disconnects only what nothing else needs."""
        self._call("DetachVolume", GLib.Variant("(sa{sv})", (props["volume_id"], {})), "()", 120000)

    def volumes_info(self, ids=()):
        """Every attached volume (or those of `ids`), each with 'exists'."""
        return self._call("ListVolumes", GLib.Variant("(as)", (list(ids),)), "(aa{sv})")[0]


def main(argv):
    c = StasConnector()
    try:
        if argv[1:2] == ["properties"]:
            out = c.get_connector_properties()
        elif argv[1:2] == ["attach"] and len(argv) in (7, 8):
            out = c.connect_volume({"volume_id": argv[2], "target_nqn": argv[3], "vol_uuid": argv[4],
                                    "portals": [(argv[5], argv[6], "tcp")],
                                    "timeout_ms": argv[7] if len(argv) == 8 else 30000})
        elif argv[1:2] == ["attach-discovery"] and len(argv) in (7, 8):
            out = c.connect_volume({"volume_id": argv[2],
                                    "target_nqn": "" if argv[3] == "-" else argv[3],
                                    "vol_uuid": argv[4], "discovery": [(argv[5], argv[6], "tcp")],
                                    "timeout_ms": argv[7] if len(argv) == 8 else 30000})
        elif argv[1:2] == ["list"]:
            out = c.volumes_info(argv[2:])
        elif argv[1:2] == ["detach"] and len(argv) == 3:
            c.disconnect_volume({"volume_id": argv[2]})
            out = {}
        else:
            usage = __doc__.strip().split("scripts and tests:")[1]
            print("usage: " + " ".join(usage.split()), file=sys.stderr)
            return 2
    except VolumeError as e:
        print(f"stas_connector: {e}", file=sys.stderr)
        return 1
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
