#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: the kernel removes an I/O controller stacd owns while stacd runs (an admin's
# `nvme disconnect -d nvmeX`, behind stacd's back). A DC on 127.0.0.1:8009 exposes SUB1 and SUB2,
# stacd (disconnect-scope=no-disconnect) connects both. Proves, in the kernel, that:
#  - stacd notices SUB1's controller going (udev "remove") and, since its rules still want SUB1,
#    makes a new connection: the kernel creates exactly one new controller for SUB1 ('new ctrl'
#    in the kernel log), it is live, and stacd lists it on that device; SUB2's controller is
#    untouched (same device, same cntlid);
#  - once SUB2 is excluded in stacd.conf (SIGHUP; no-disconnect: stacd lets go of it and the
#    kernel connection stays live), an admin's `nvme disconnect` of it is NOT followed by a
#    reconnection: no controller of SUB2 in the kernel and no new association for it after
#    several of stacd's 3 s reconnection delays, and stacd still lists only SUB1, on the same
#    live device.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

# created NQN: how many controllers of NQN the kernel has created so far.
created() { dmesg_count "new ctrl: NQN \"$1\""; }
# snapshot_of DEVICE: DEVICE's line of kernel_snapshot ("" when it is gone).
snapshot_of() { kernel_snapshot | awk -v d="$1" '$1 == d'; }

stas_setup 2
stafd_conf_one_dc
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
[I/O controller connection management]
disconnect-scope = no-disconnect
CONF

start_both_connected 2
D1=$(ioc_device "${SUB}1")
D2=$(ioc_device "${SUB}2")
assert_ioc_live "${SUB}1" "$D1" "at the start"
assert_ioc_live "${SUB}2" "$D2" "at the start"
S2=$(snapshot_of "$D2")
log "stacd connected ${SUB}1 on $D1, ${SUB}2 on $D2 ($S2)"
made1=$(created "${SUB}1")
made2=$(created "${SUB}2")
assert_eq 1 "$made1" "controllers the kernel created for ${SUB}1 so far"
removed=$(nlines "$E2E/stacd.log" "Device removed by the kernel")

log "nvme disconnect -d $D1 (${SUB}1), behind stacd's back"
nvme disconnect -d "$D1" || fail "nvme disconnect -d $D1 failed"
# The kernel deletes the controller before the write to delete_controller returns; stacd waits
# 3 s before it reconnects.
assert_eq 0 "$(kernel_ctrl_count "${SUB}1")" "kernel controllers of ${SUB}1 right after nvme disconnect"
wait_for "[ \"\$(nlines $E2E/stacd.log 'Device removed by the kernel')\" -gt $removed ]" 20
grep -F "Device removed by the kernel" "$E2E/stacd.log" | grep -F "${SUB}1)" | grep -qF "| $D1 - " ||
  fail "stacd's removal line is not about $D1 (${SUB}1)"
wait_for "[ \"\$(created ${SUB}1)\" -gt $made1 ]" 30
wait_for "[ \"\$(ioc_connected)\" = 2 ]" 30
N1=$(ioc_device "${SUB}1")
log "stacd reconnected ${SUB}1 on $N1 ($(snapshot_of "$N1"))"
assert_ioc_live "${SUB}1" "$N1" "after the reconnection"
assert_eq $((made1 + 1)) "$(created "${SUB}1")" "controllers the kernel created for ${SUB}1 (one new)"
assert_eq 2 "$(nlines "$E2E/stacd.log" "${SUB}1) | $N1 - Connection established!")" \
  "stacd's connections of ${SUB}1 (the first and the reconnection)"
assert_each_subsystem_once 1 2
assert_eq "$S2" "$(snapshot_of "$D2")" "${SUB}2's controller (untouched)"
assert_ioc_live "${SUB}2" "$D2" "after ${SUB}1's reconnection"
assert_eq "$made2" "$(created "${SUB}2")" "controllers the kernel created for ${SUB}2"
assert_kernel_io 2 "I/O controllers in the kernel after the reconnection"

log "exclude ${SUB}2 and SIGHUP stacd: it lets go, the kernel connection stays (no-disconnect)"
cat >>"$E2E/stacd.conf" <<CONF
[Controllers]
exclude = nqn=${SUB}2
CONF
kill -HUP "$STACD_PID"
wait_for "[ \"\$(ioc_listed)\" = 1 ]" 30
assert_eq 1 "$(nlines "$E2E/stacd.log" "${SUB}2) no longer wanted; keeping the kernel connection")" \
  "stacd's lines letting go of ${SUB}2"
assert_eq "$S2" "$(snapshot_of "$D2")" "${SUB}2's controller after the exclusion (kept, live)"
removed=$(nlines "$E2E/stacd.log" "Device removed by the kernel")
established=$(nlines "$E2E/stacd.log" "Connection established!")

log "nvme disconnect -d $D2 (${SUB}2, excluded): no reconnection"
nvme disconnect -d "$D2" || fail "nvme disconnect -d $D2 failed"
assert_eq 0 "$(kernel_ctrl_count "${SUB}2")" "kernel controllers of ${SUB}2 right after nvme disconnect"
n=0
while [ "$n" -lt 4 ]; do  # 8 s: more than twice stacd's 3 s reconnection delay
  sleep 2
  n=$((n + 1))
  assert_eq 0 "$(kernel_ctrl_count "${SUB}2")" "kernel controllers of ${SUB}2 (check $n)"
  assert_eq "$made2" "$(created "${SUB}2")" "controllers the kernel created for ${SUB}2 (check $n)"
done
assert_eq "$removed" "$(nlines "$E2E/stacd.log" "Device removed by the kernel")" \
  "removals stacd noticed (it no longer has ${SUB}2)"
assert_eq "$established" "$(nlines "$E2E/stacd.log" "Connection established!")" \
  "stacd's connections since the exclusion"
assert_eq 1 "$(ioc_listed)" "I/O controllers stacd lists"
assert_ioc_live "${SUB}1" "$N1" "at the end"
assert_kernel_io 1 "I/O controllers in the kernel at the end"
pid_alive "$STACD_PID" || fail "stacd died"

stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
log "PASS"
