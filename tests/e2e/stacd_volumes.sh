#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: volumes (org.nvmexpress.stac.Volumes1) against the real kernel. nvmet port 1 on
# 127.0.0.1:8009 exposes SUB1 (two namespaces), SUB2 and SUB3 (one each); nvmet gives every
# namespace its own UUID, read from configfs. Only stacd runs: a volume names its portal.
#  (9) bad arguments of every kind: a named error each, nothing connected, stacd still serving;
#  (1) a volume by UUID: its block device, whose UUID is the one asked for; only its subsystem
#      is connected;
#  (3) the same attach again: the same device, no new controller; another spec under the same
#      id: Mismatch;
#  (2) two volumes of SUB1 share one controller; detaching one keeps it, the last disconnects;
#  (4) stacd stopped with SIGTERM, then SIGKILL, and restarted: nothing disconnected, the volume
#      listed again, attached, on the same device;
#  (5) the port goes away: the volume is missing and does not exist; back: attached again;
#  (8) the Python connector of contrib/ attaches, lists and detaches a volume, and names
#      stacd's refusal;
#  (6) SUB3 on two ports, native multipath: one head device, two live paths; one port away:
#      degraded, the device still there;
#  (10) a reboot, as stacd sees one (its runtime files and every connection gone): only the
#      volume attached with "persistent" is attached again;
#  then through discovery (port 1's discovery controller lists SUB1, SUB2 and SUB3):
#  (7) stafd not running: the attach fails at its timeout saying so, and what was connected
#      stays; an attach started without stafd succeeds once stafd starts within its timeout;
#  (1) that volume's subsystem is the only one connected from the DC, which stafd holds with
#      connect=volumes (stafctl ls and stacctl ls show it);
#      a volume given by its UUID alone: the DC's subsystems are connected until it is found,
#      then only its own stays;
#  (4) stafd stopped and started with those volumes attached: nothing disconnected;
#      the last detaches disconnect them and stafd lets the DC go;
#  connect=volumes in stafd.conf: the DC's subsystems are not connected until a volume needs one;
#  the host's exclusion list (/etc/nvme/exclusions.conf), written while stacd runs, stops the
#  next connect; once it cannot be read, it stops nothing;
#  figures: AttachVolume to device, next to `nvme connect` + waiting for the device (what
#  os-brick does) in the same guest.
# e2e-serial
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

OBJ=/org/nvmexpress/stac
VOL=org.nvmexpress.stac.Volumes1

# ns_uuid NQN NSID: the UUID nvmet gave that namespace.
ns_uuid() { cat "$NVMET/subsystems/$1/namespaces/$2/device_uuid"; }
# gcall METHOD ARGS...: a Volumes1 call through gdbus (GVariant text in and out); stderr has
# the D-Bus error name when it fails.
gcall() {
  _m=$1
  shift
  gdbus call --system --timeout 60 --dest org.nvmexpress.stac --object-path $OBJ \
    --method "$VOL.$_m" "$@"
}
# dspec NQN UUID: a spec through port 1's discovery controller ("" NQN: by the UUID alone).
dspec() {
  _n=""
  [ -z "$1" ] || _n="'subsysnqn': <'$1'>, "
  echo "{$_n'uuid': <'$2'>, 'discovery': <[{'transport': 'tcp', 'traddr': '127.0.0.1', 'trsvcid': '8009'}]>}"
}
# spec NQN UUID: a spec with one portal, port 1.
spec() {
  echo "{'subsysnqn': <'$1'>, 'uuid': <'$2'>, 'portals': <[{'transport': 'tcp', 'traddr': '127.0.0.1', 'trsvcid': '8009'}]>}"
}
OPTS="{'timeout-ms': <uint32 30000>, 'reconnect-delay': <uint32 2>}"
# attach ID NQN UUID: the device AttachVolume returns.
attach() {
  _out=$(gcall AttachVolume "$1" "$(spec "$2" "$3")" "$OPTS") || fail "AttachVolume $1 failed"
  printf '%s\n' "$_out" | sed -n "s/^('\([^']*\)'.*/\1/p"
}
detach() { gcall DetachVolume "$1" "{}" >/dev/null || fail "DetachVolume $1 failed"; }
# refused ERROR METHOD ARGS...: the call fails with org.nvmexpress.stac.Volumes1.Error.ERROR.
refused() {
  _want=$1
  shift
  if gcall "$@" >"$E2E/call.out" 2>"$E2E/call.err"; then
    fail "$* was accepted: $(cat "$E2E/call.out")"
  fi
  grep -q "org.nvmexpress.stac.Volumes1.Error.$_want" "$E2E/call.err" ||
    fail "$* did not fail with $_want: $(cat "$E2E/call.err")"
}
# vstate ID KEY: the KEY of volume ID in ListVolumes, as JSON text ("null" when not listed).
vget() {
  busctl --json=short call org.nvmexpress.stac $OBJ $VOL ListVolumes as 1 "$1" |
    jq -c --arg k "$2" '.data[0][0][$k].data'
}
# kernel_io_subsystems: the subsystems of the kernel's I/O controllers, sorted, one line.
kernel_io_subsystems() {
  for _c in /sys/class/nvme/nvme*; do
    [ -r "$_c/cntrltype" ] && read -r _t <"$_c/cntrltype" || continue
    [ "$_t" = io ] && cat "$_c/subsysnqn"
  done | sort | tr '\n' ' '
}
# stafd_reads: how often stacd logged that stafd had read its DCs.
stafd_reads() { grep -c 'stafd has read its discovery controllers' "$E2E/stacd.log" || true; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

load_nvme_modules 2
nvmet_setup_port 1 127.0.0.1 8009
nvmet_add_subsystems 0 2 "${SUB}1"
nvmet_add_subsystems 0 1 "${SUB}2" "${SUB}3"
nvmet_link_all 1 "${SUB}1" "${SUB}2" "${SUB}3"
stas_host_setup
printf '[Global]\ntron = true\nnr-io-queues = 1\n' >"$E2E/stacd.conf"
start_stacd
U11=$(ns_uuid "${SUB}1" 1)
U12=$(ns_uuid "${SUB}1" 2)
U2=$(ns_uuid "${SUB}2" 1)
U3=$(ns_uuid "${SUB}3" 1)
log "namespace UUIDs: SUB1 $U11 $U12, SUB2 $U2, SUB3 $U3"

log "(9) bad arguments"
GOOD=$(spec "${SUB}2" "$U2")
refused InvalidArgument AttachVolume "" "$GOOD" "{}"
refused InvalidArgument AttachVolume "$(printf 'v%.0s' $(seq 1 300))" "$GOOD" "{}"
refused InvalidArgument AttachVolume "a b" "$GOOD" "{}"
refused InvalidArgument AttachVolume vol-x "{}" "{}"
refused InvalidArgument AttachVolume vol-x "{'colour': <'blue'>}" "{}"
refused InvalidArgument AttachVolume vol-x "{'uuid': <uint32 1>, 'subsysnqn': <'${SUB}2'>}" "{}"
refused InvalidArgument AttachVolume vol-x "$(spec "${SUB}2" not-a-uuid)" "{}"
refused InvalidArgument AttachVolume vol-x "$(spec "${SUB}2" "$U2" | sed 's/127.0.0.1/127.0.0.1,hostnqn=evil/')" "{}"
refused InvalidArgument AttachVolume vol-x "$(spec "nqn.x$(printf 'y%.0s' $(seq 1 600))" "$U2")" "{}"
refused InvalidArgument AttachVolume vol-x "$GOOD" "{'timeout-ms': <'soon'>}"
refused InvalidArgument AttachVolume vol-x "$GOOD" "{'nr-io-queues': <'many'>}"
refused InvalidArgument AttachVolume vol-x "$GOOD" "{'colour': <'blue'>}"
refused InvalidArgument DetachVolume "" "{}"
refused InvalidArgument DetachVolume vol-x "{'force': <true>}"
refused InvalidArgument AttachVolume vol-x \
  "{'uuid': <'$U2'>, 'discovery': <[{'transport': 'tcp', 'traddr': '127.0.0.1', 'trsvcid': '8009', 'host-nqn': 'x'}]>}" "{}"
refused InvalidArgument AttachVolume vol-x "$(dspec "" "$U2" | sed 's/127.0.0.1/127.0.0.1,trsvcid=1/')" "{}"
refused InvalidArgument AttachVolume vol-x "{'nsid': <uint32 1>, 'discovery': <[{'transport': 'tcp', 'traddr': '127.0.0.1', 'trsvcid': '8009'}]>}" "{}"
# A non-UTF-8 id cannot even be sent (the bus refuses it); a non-ASCII one is refused by stacd.
refused InvalidArgument AttachVolume "vol-é" "$GOOD" "{}"
assert_eq 0 "$(kernel_io_count)" "I/O controllers after the bad calls"
pid_alive "$STACD_PID" || fail "stacd died"
assert_eq "[]" "$(busctl --json=short call org.nvmexpress.stac $OBJ $VOL ListVolumes as 0 | jq -c '.data[0]')" \
  "ListVolumes after the bad calls"
gcall GetConnectorInfo >"$E2E/connector.out"
assert_contains "$(cat "$E2E/connector.out")" "'nqn': <'$HOSTNQN'>" "GetConnectorInfo"
assert_contains "$(cat "$E2E/connector.out")" "'nvme_native_multipath': <true>" "GetConnectorInfo"

log "(1) one volume by UUID"
T0=$(now_ms)
DEV_A=$(attach vol-a "${SUB}2" "$U2")
T_ATTACH=$(($(now_ms) - T0))
[ -b "$DEV_A" ] || fail "AttachVolume returned $DEV_A, not a block device"
assert_eq "$U2" "$(cat "/sys/block/${DEV_A#/dev/}/uuid")" "the UUID of $DEV_A"
assert_eq "${SUB}2 " "$(kernel_io_subsystems)" "the subsystems connected"
assert_eq '"attached"' "$(vget vol-a state)" "vol-a's state"
assert_eq true "$(vget vol-a exists)" "vol-a exists"
log "vol-a is $DEV_A (${T_ATTACH} ms)"

log "(3) the same attach again; another spec under the same id"
NEW_CTRLS=$(dmesg_count 'new ctrl: NQN')
assert_eq "$DEV_A" "$(attach vol-a "${SUB}2" "$U2")" "the device of the second attach"
assert_eq "$NEW_CTRLS" "$(dmesg_count 'new ctrl: NQN')" "controllers the kernel created for it"
refused Mismatch AttachVolume vol-a "$(spec "${SUB}3" "$U3")" "$OPTS"
assert_eq "${SUB}2 " "$(kernel_io_subsystems)" "the subsystems connected after the mismatch"

log "(2) two volumes of SUB1 (the second through stacctl), watched by stacctl watch"
stacctl watch >"$E2E/watch.out" 2>&1 &
WATCH_PID=$!
sleep 1
DEV_B=$(attach vol-b "${SUB}1" "$U11")
DEV_C=$(stacctl attach vol-c --subsysnqn "${SUB}1" --uuid "$U12" \
  --portal transport=tcp,traddr=127.0.0.1,trsvcid=8009 --option reconnect-delay=2) ||
  fail "stacctl attach vol-c failed"
[ -b "$DEV_C" ] || fail "stacctl attach printed $DEV_C, not a block device"
assert_eq "$DEV_C attached true" \
  "$(stacctl --json volumes vol-c | jq -r '.[0] | "\(.device) \(.state) \(.exists)"')" "stacctl volumes vol-c"
# A refusal says what it is.
if stacctl attach vol-c --subsysnqn "${SUB}3" --uuid "$U3" \
  --portal transport=tcp,traddr=127.0.0.1,trsvcid=8009 2>"$E2E/stacctl.err"; then
  fail "stacctl attach with another spec succeeded"
fi
assert_contains "$(cat "$E2E/stacctl.err")" "stacctl: Mismatch: volume vol-c" "stacctl's refusal"
stacctl detach vol-b || fail "stacctl detach vol-b failed"
assert_eq "${SUB}1 ${SUB}2 " "$(kernel_io_subsystems)" "after detaching vol-b (vol-c still needs SUB1)"
wait_for "grep -qx 'vol-b detached $DEV_B' $E2E/watch.out" 10
kill "$WATCH_PID"
grep -qx "vol-b attaching " "$E2E/watch.out" || fail "stacctl watch: no 'vol-b attaching': $(cat "$E2E/watch.out")"
grep -qx "vol-b attached $DEV_B" "$E2E/watch.out" || fail "stacctl watch: no 'vol-b attached': $(cat "$E2E/watch.out")"
grep -qx "vol-c attached $DEV_C" "$E2E/watch.out" || fail "stacctl watch: no 'vol-c attached': $(cat "$E2E/watch.out")"
DEV_B=$(attach vol-b "${SUB}1" "$U11")
[ "$DEV_B" != "$DEV_C" ] || fail "two namespaces, one device $DEV_B"
assert_eq "${SUB}1 ${SUB}2 " "$(kernel_io_subsystems)" "the subsystems connected"
detach vol-b
assert_eq "${SUB}1 ${SUB}2 " "$(kernel_io_subsystems)" "after detaching vol-b (vol-c still needs SUB1)"
assert_eq null "$(vget vol-b state)" "vol-b listed after its detach"
detach vol-c
assert_eq "${SUB}2 " "$(kernel_io_subsystems)" "after detaching vol-c"
detach never-attached

log "(8) the Python connector (contrib/stas_connector)"
PYC="/usr/bin/python3 $STAS_SOURCE_DIR/contrib/stas_connector/stas_connector.py"
_out=$($PYC attach vol-py "${SUB}3" "$U3" 127.0.0.1 8009) || fail "the Python connector's attach failed"
DEV_PY=$(printf '%s\n' "$_out" | jq -r .path)
[ -b "$DEV_PY" ] || fail "the Python connector's attach returned $DEV_PY"
assert_eq "$U3" "$(cat "/sys/block/${DEV_PY#/dev/}/uuid")" "the UUID of $DEV_PY"
assert_eq "true attached" "$($PYC list vol-py | jq -r '.[0] | "\(.exists) \(.state)"')" \
  "the Python connector's volumes_info"
assert_eq "$HOSTNQN" "$($PYC properties | jq -r .nqn)" "the Python connector's properties"
if $PYC attach vol-py "${SUB}2" "$U2" 127.0.0.1 8009 2>"$E2E/py.err"; then
  fail "the Python connector attached vol-py with another spec"
fi
assert_contains "$(cat "$E2E/py.err")" "Mismatch:" "the Python connector's error"
$PYC detach vol-py >/dev/null || fail "the Python connector's detach failed"
assert_eq "${SUB}2 " "$(kernel_io_subsystems)" "after the Python connector's detach"

log "(4) stacd restarted with vol-a attached"
SNAP=$(kernel_snapshot)
for sig in TERM KILL; do
  if [ $sig = TERM ]; then stop_pid "$STACD_PID"; else kill9_pid "$STACD_PID"; fi
  assert_eq "$SNAP" "$(kernel_snapshot)" "the kernel's controllers after SIG$sig of stacd"
  grep -q vol-a /run/stacd/volumes.json || fail "volumes.json lacks vol-a after SIG$sig"
  start_stacd
  wait_for "[ \"\$(vget vol-a state)\" = '\"attached\"' ]" 30
  assert_eq "\"$DEV_A\"" "$(vget vol-a device)" "vol-a's device after stacd's SIG$sig restart"
  # Once is enough to show that the pass after stacd's wait for stafd (there is none) keeps it.
  [ $sig = TERM ] || sleep 12
  assert_eq "$SNAP" "$(kernel_snapshot)" "the kernel's controllers after stacd's SIG$sig restart"
done

log "(5) the port goes away and comes back"
nvmet_port_down 1 "${SUB}1" "${SUB}2" "${SUB}3"
wait_for "[ \"\$(vget vol-a state)\" = '\"missing\"' ]" 20
assert_eq false "$(vget vol-a exists)" "vol-a exists while its port is away"
nvmet_port_up 1 127.0.0.1 8009 "${SUB}1" "${SUB}2" "${SUB}3"
wait_for "[ \"\$(vget vol-a state)\" = '\"attached\"' ]" 40
assert_eq true "$(vget vol-a exists)" "vol-a exists once its port is back"

log "(6) SUB3 through two ports"
nvmet_setup_port 2 127.0.0.1 8010
nvmet_link 2 "${SUB}3"
MP_SPEC="{'subsysnqn': <'${SUB}3'>, 'uuid': <'$U3'>, 'portals': <[{'transport': 'tcp', 'traddr': '127.0.0.1', 'trsvcid': '8009'}, {'transport': 'tcp', 'traddr': '127.0.0.1', 'trsvcid': '8010'}]>}"
_out=$(gcall AttachVolume vol-mp "$MP_SPEC" "{'multipath': <true>, 'reconnect-delay': <uint32 2>}") ||
  fail "AttachVolume vol-mp failed"
DEV_MP=$(printf '%s\n' "$_out" | sed -n "s/^('\([^']*\)'.*/\1/p")
[ -b "$DEV_MP" ] || fail "vol-mp: $DEV_MP is not a block device"
assert_eq "$U3" "$(cat "/sys/block/${DEV_MP#/dev/}/uuid")" "the UUID of $DEV_MP"
# AttachVolume answers once one path is live; the second follows.
wait_for "[ \"\$(vget vol-mp state)\" = '\"attached\"' ]" 20
assert_eq "live live" "$(vget vol-mp paths | jq -r '[.[].state] | join(" ")')" "vol-mp's paths"
_head=${DEV_MP#/dev/nvme}
assert_eq 2 "$(ls -d /sys/class/nvme/nvme*/nvme${_head%%n*}c*n${_head#*n} 2>/dev/null | wc -l)" \
  "path nodes of the head device $DEV_MP"
nvmet_port_down 2 "${SUB}3"
wait_for "[ \"\$(vget vol-mp state)\" = '\"degraded\"' ]" 20
assert_eq true "$(vget vol-mp exists)" "vol-mp exists with one path left"
detach vol-mp
assert_eq "${SUB}2 " "$(kernel_io_subsystems)" "after detaching vol-mp"

log "figures: os-brick's way (nvme discover, nvme connect, then wait for the device) for SUB3"
T0=$(now_ms)
nvme discover -t tcp -a 127.0.0.1 -s 8009 >/dev/null || fail "nvme discover failed"
nvme connect -t tcp -a 127.0.0.1 -s 8009 -n "${SUB}3" -i 1 >/dev/null || fail "nvme connect failed"
wait_for "grep -lqx '$U3' /sys/block/nvme*n*/uuid 2>/dev/null" 30
T_NVME=$(($(now_ms) - T0))
nvme disconnect -n "${SUB}3" >/dev/null || fail "nvme disconnect failed"
echo "STAS-FIGURE volumes: AttachVolume -> device: ${T_ATTACH} ms; nvme discover + nvme connect + waiting for the device: ${T_NVME} ms"

log "(10) a reboot: only the persistent volume comes back"
stacctl attach vol-p --subsysnqn "${SUB}3" --uuid "$U3" --persistent \
  --portal transport=tcp,traddr=127.0.0.1,trsvcid=8009 >/dev/null || fail "stacctl attach vol-p failed"
wait_for "grep -q vol-p /var/lib/stacd/volumes.json" 10
if grep -q vol-a /var/lib/stacd/volumes.json; then fail "vol-a is persistent"; fi
stop_pid "$STACD_PID"
rm -f /run/stacd/volumes.json /run/stacd/owned-controllers.json
nvme disconnect-all >/dev/null 2>&1 || true
wait_for "[ \"\$(kernel_io_count)\" = 0 ]" 20
start_stacd
wait_for "[ \"\$(vget vol-p state)\" = '\"attached\"' ]" 30
assert_eq true "$(vget vol-p exists)" "vol-p exists after the reboot"
assert_eq null "$(vget vol-a state)" "vol-a (not persistent) after the reboot"
assert_eq "${SUB}3 " "$(kernel_io_subsystems)" "the subsystems connected after the reboot"
detach vol-p
wait_for "! grep -q vol-p /var/lib/stacd/volumes.json" 10
assert_eq "" "$(kernel_io_subsystems)" "the subsystems connected after the last detach"

log "(7) through discovery without stafd"
attach vol-keep "${SUB}2" "$U2" >/dev/null
refused Timeout AttachVolume vol-d1 "$(dspec "${SUB}1" "$U11")" "{'timeout-ms': <uint32 4000>}"
assert_contains "$(cat "$E2E/call.err")" "stafd is not on the D-Bus system bus" "the Timeout's reason"
assert_eq "${SUB}2 " "$(kernel_io_subsystems)" "the subsystems connected after the failed attach"
assert_eq null "$(vget vol-d1 state)" "vol-d1 listed after its failed attach"
# Started without stafd, it waits; stafd starts within its timeout.
printf '[Global]\ntron = true\n' >"$E2E/stafd.conf"
stacctl attach vol-d1 --subsysnqn "${SUB}1" --uuid "$U11" --timeout-ms 40000 \
  --discovery transport=tcp,traddr=127.0.0.1,trsvcid=8009 --option reconnect-delay=2 \
  >"$E2E/attach-d1.out" 2>"$E2E/attach-d1.err" &
ATTACH_PID=$!
wait_for "[ \"\$(vget vol-d1 state)\" = '\"attaching\"' ]" 10
sleep 2
start_stafd
wait "$ATTACH_PID" || fail "stacctl attach vol-d1 through discovery failed: $(cat "$E2E/attach-d1.err")"
DEV_D1=$(cat "$E2E/attach-d1.out")
[ -b "$DEV_D1" ] || fail "vol-d1: $DEV_D1 is not a block device"
assert_eq "$U11" "$(cat "/sys/block/${DEV_D1#/dev/}/uuid")" "the UUID of $DEV_D1"

log "(1) through discovery: only the volume's subsystem"
assert_eq "${SUB}1 ${SUB}2 " "$(kernel_io_subsystems)" "the subsystems connected (the DC lists SUB3 too)"
assert_eq "127.0.0.1 8009 volumes" \
  "$(stafctl --json ls | jq -r '.[] | "\(.traddr) \(.trsvcid) \(.connect)"')" "stafctl ls"
assert_eq volumes "$(stacctl --json ls | jq -r --arg n "${SUB}1" '.[] | select(.subsysnqn == $n) | .connect')" \
  "stacctl ls of SUB1's controller"
sleep 4  # past stacd's soak: a later pass connects nothing more
assert_eq "${SUB}1 ${SUB}2 " "$(kernel_io_subsystems)" "the subsystems connected a pass later"
detach vol-keep
assert_eq "${SUB}1 " "$(kernel_io_subsystems)" "after detaching vol-keep"
# By its UUID alone: found in SUB3; SUB2, connected meanwhile, goes.
T0=$(now_ms)
_out=$(gcall AttachVolume vol-d3 "$(dspec "" "$U3")" "$OPTS") || fail "AttachVolume vol-d3 failed"
T_D3=$(($(now_ms) - T0))
DEV_D3=$(printf '%s\n' "$_out" | sed -n "s/^('\([^']*\)'.*/\1/p")
assert_eq "$U3" "$(cat "/sys/block/${DEV_D3#/dev/}/uuid")" "the UUID of $DEV_D3"
wait_for "[ \"\$(kernel_io_subsystems)\" = '${SUB}1 ${SUB}3 ' ]" 20
grep -q '"found-subsysnqn":"'"${SUB}3"'"' /run/stacd/volumes.json || fail "volumes.json lacks where vol-d3 is"

log "(4) stafd stopped and started with volumes attached through it"
SNAP=$(kernel_snapshot)
stop_pid "$STAFD_PID"
sleep 3
assert_eq "$SNAP" "$(kernel_snapshot)" "the kernel's controllers while stafd is stopped"
assert_eq '"attached" "attached"' "$(vget vol-d1 state) $(vget vol-d3 state)" "the volumes while stafd is stopped"
_reads=$(stafd_reads)
start_stafd
wait_for "[ \$(stafd_reads) -gt $_reads ]" 20
sleep 4
assert_eq "$SNAP" "$(kernel_snapshot)" "the kernel's controllers after stafd's restart"
assert_eq "127.0.0.1 8009 volumes" \
  "$(stafctl --json ls | jq -r '.[] | "\(.traddr) \(.trsvcid) \(.connect)"')" "stafctl ls after its restart"
detach vol-d3
assert_eq "${SUB}1 " "$(kernel_io_subsystems)" "after detaching vol-d3"
detach vol-d1
assert_eq "" "$(kernel_io_subsystems)" "after detaching vol-d1"
wait_for "[ \"\$(stafctl --json ls | jq length)\" = 0 ]" 10

log "connect=volumes in stafd.conf"
stop_pid "$STAFD_PID"
printf '[Global]\ntron = true\n[Controllers]\ncontroller = transport=tcp;traddr=127.0.0.1;trsvcid=8009;connect=volumes\n' \
  >"$E2E/stafd.conf"
_reads=$(stafd_reads)
start_stafd
wait_for "[ \"\$(stafctl --json ls | jq -r '.[0].connect')\" = volumes ]" 10
wait_for "[ \$(stafd_reads) -gt $_reads ]" 20
sleep 4
assert_eq "" "$(kernel_io_subsystems)" "the subsystems connected from a connect=volumes DC"
T0=$(now_ms)
DEV_D2=$(gcall AttachVolume vol-d2 "$(dspec "${SUB}2" "$U2")" "$OPTS" | sed -n "s/^('\([^']*\)'.*/\1/p")
T_D2=$(($(now_ms) - T0))
echo "STAS-FIGURE volumes: AttachVolume through a DC stafd holds -> device: ${T_D2} ms (by subsystem and UUID), ${T_D3} ms (by UUID alone)"
[ -b "$DEV_D2" ] || fail "vol-d2: $DEV_D2 is not a block device"
assert_eq "${SUB}2 " "$(kernel_io_subsystems)" "the subsystems connected for vol-d2"
detach vol-d2
assert_eq "" "$(kernel_io_subsystems)" "after detaching vol-d2"
assert_eq "127.0.0.1 8009 volumes" \
  "$(stafctl --json ls | jq -r '.[] | "\(.traddr) \(.trsvcid) \(.connect)"')" "the configured DC stays"

log "the host's exclusion list"
mkdir -p /etc/nvme
printf '[exclusions]\nexclusion = traddr=127.0.0.1;nqn=%s\n' "${SUB}3" >/etc/nvme/exclusions.conf
refused Timeout AttachVolume vol-x "$(spec "${SUB}3" "$U3")" "{'timeout-ms': <uint32 3000>}"
assert_eq "" "$(kernel_io_subsystems)" "the subsystems connected while SUB3 is excluded"
grep -q "excluded by the host's exclusion list (/etc/nvme/exclusions.conf:2)" "$E2E/stacd.log" ||
  fail "stacd did not log the exclusion"
rm /etc/nvme/exclusions.conf
mkdir /etc/nvme/exclusions.conf  # cannot be read as a file: excludes nothing
attach vol-x "${SUB}3" "$U3" >/dev/null
assert_eq "${SUB}3 " "$(kernel_io_subsystems)" "the subsystems connected once the list is unreadable"
detach vol-x
rmdir /etc/nvme/exclusions.conf
assert_eq "[]" "$(busctl --json=short call org.nvmexpress.stac $OBJ $VOL ListVolumes as 0 | jq -c '.data[0]')" \
  "ListVolumes at the end"
log "PASS"
