#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: 64 volumes attached at once (the figure of #15): 64 subsystems on one nvmet port, each
# with one namespace (its own UUID); one client sends 64 AttachVolume calls without waiting for
# any answer, as an orchestrator attaching a node's volumes after a reboot would. Every call
# must return the block device whose UUID it asked for, none may time out, and 64 detaches
# at once must leave no I/O controller. Prints the time until the last device is returned.
# e2e-timeout: 480
# e2e-serial
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

N=64
load_nvme_modules 1
nvmet_setup_port 1 127.0.0.1 8009
SUBS=""
i=1
while [ "$i" -le "$N" ]; do
  SUBS="$SUBS $SUB$i"
  i=$((i + 1))
done
# shellcheck disable=SC2086
nvmet_add_subsystems 0 1 $SUBS
# shellcheck disable=SC2086
nvmet_link_all 1 $SUBS
stas_host_setup
printf '[Global]\nnr-io-queues = 1\n' >"$E2E/stacd.conf"
start_stacd
for s in $SUBS; do
  echo "$s $(cat "$NVMET/subsystems/$s/namespaces/1/device_uuid")"
done >"$E2E/volumes.txt"

# All calls at once from one process: "ATTACH <id> <ms> <device>|<error>" per answer, then
# "ALL <ms>" when the last one is in. The same for detaches.
/usr/bin/python3 - "$E2E/volumes.txt" >"$E2E/calls.out" 2>&1 <<'PY' || fail "the client failed: $(cat "$E2E/calls.out")"
import sys, time
from gi.repository import Gio, GLib
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
vols = [line.split() for line in open(sys.argv[1])]
loop = GLib.MainLoop()

def run(method, make_args, out_type, timeout_ms):
    pending = {"n": len(vols)}
    t0 = time.monotonic()
    def done(conn, res, vid):
        ms = int((time.monotonic() - t0) * 1000)
        try:
            r = conn.call_finish(res).unpack()
            print(method, vid, ms, r[0] if r else "-")
        except GLib.Error as e:
            print(method, vid, ms, "ERROR", Gio.DBusError.get_remote_error(e))
        pending["n"] -= 1
        if pending["n"] == 0:
            print("ALL", method, int((time.monotonic() - t0) * 1000))
            loop.quit()
    for nqn, uuid in vols:
        vid = "vol-" + nqn.rsplit(":", 1)[1]
        bus.call("org.nvmexpress.stac", "/org/nvmexpress/stac", "org.nvmexpress.stac.Volumes1",
                 method, make_args(vid, nqn, uuid), GLib.VariantType.new(out_type),
                 Gio.DBusCallFlags.NONE, timeout_ms, None, done, vid)
    loop.run()

portal = [{"transport": "tcp", "traddr": "127.0.0.1", "trsvcid": "8009"}]
run("AttachVolume", lambda vid, nqn, uuid: GLib.Variant("(sa{sv}a{sv})", (vid, {
    "subsysnqn": GLib.Variant("s", nqn), "uuid": GLib.Variant("s", uuid),
    "portals": GLib.Variant("aa{ss}", portal)}, {"timeout-ms": GLib.Variant("u", 120000)})),
    "(sa{sv})", 130000)
sys.stdout.flush()
PY
ATTACH_ERRORS=$(grep -c '^AttachVolume .* ERROR' "$E2E/calls.out" || true)
[ "$ATTACH_ERRORS" = 0 ] || fail "$ATTACH_ERRORS attaches failed: $(grep ERROR "$E2E/calls.out" | head -5)"
assert_eq "$N" "$(grep -c '^AttachVolume ' "$E2E/calls.out")" "AttachVolume answers"
# Each volume's device has the UUID it asked for, and no two share one.
while read -r nqn uuid; do
  dev=$(awk -v v="vol-${nqn##*:}" '$1 == "AttachVolume" && $2 == v { print $4 }' "$E2E/calls.out")
  assert_eq "$uuid" "$(cat "/sys/block/${dev#/dev/}/uuid")" "the UUID of $dev ($nqn)"
done <"$E2E/volumes.txt"
assert_eq "$N" "$(awk '$1 == "AttachVolume" { print $4 }' "$E2E/calls.out" | sort -u | wc -l)" "distinct devices"
assert_eq "$N" "$(kernel_io_count)" "the kernel's I/O controllers"
T_ALL=$(awk '$1 == "ALL" { print $3 }' "$E2E/calls.out")
T_FIRST=$(awk '$1 == "AttachVolume" { print $3 }' "$E2E/calls.out" | sort -n | head -n 1)
echo "STAS-FIGURE volumes64: $N AttachVolume calls at once -> all $N devices returned: ${T_ALL} ms (first ${T_FIRST} ms; none timed out)"

T0=$(date +%s%N)
for s in $SUBS; do
  echo "vol-${s##*:}"
done | xargs -P 8 -n 1 sh -c 'gdbus call --system --timeout 120 --dest org.nvmexpress.stac \
  --object-path /org/nvmexpress/stac --method org.nvmexpress.stac.Volumes1.DetachVolume "$0" "{}" >/dev/null' ||
  fail "a DetachVolume failed"
T_DETACH=$((($(date +%s%N) - T0) / 1000000))
assert_eq 0 "$(kernel_io_count)" "the kernel's I/O controllers after the detaches"
echo "STAS-FIGURE volumes64: $N DetachVolume calls, 8 at a time -> no controller left: ${T_DETACH} ms"
log "PASS"
