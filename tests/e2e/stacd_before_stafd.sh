#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e scenario 5 (stacd started before stafd): 3 subsystems on the target, stacd.conf without
# controllers, and one I/O connection to SUB1 made beforehand with nvme connect. stacd starts
# while stafd is absent: it asks stafd, gets no answer, and for 5 s connects nothing and
# disconnects nothing (the nvme-cli connection to SUB1 stays, no other controller appears, stacd
# lists nothing). stafd then starts: stacd notices it on the bus and, after its soak, connects the
# 3 subsystems; SUB1's existing connection is adopted (same kernel device), not duplicated:
# exactly one kernel controller per subsystem.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

stas_setup 3
stafd_conf_one_dc
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
CONF

log "an I/O connection to ${SUB}1 made by nvme-cli"
nvme connect -t tcp -a 127.0.0.1 -s 8009 -n "${SUB}1" --hostnqn="$HOSTNQN" ||
  fail "nvme connect to ${SUB}1 failed"
wait_for "[ \"\$(kernel_ctrl_count ${SUB}1)\" = 1 ]" 20
F=$(kernel_ctrls "${SUB}1")
wait_for "[ \"\$(ctrl_state $F)\" = live ]" 20
assert_kernel_io 1 "I/O controllers in the kernel before stacd"
SNAP=$(kernel_snapshot)

log "start stacd without stafd"
! busctl status org.nvmexpress.staf >/dev/null 2>&1 || fail "stafd is on the bus already"
start_stacd
# stacd did reconcile (its start-up soak) and found no stafd.
wait_for "grep -q 'stafd has not answered yet' $E2E/stacd.log" 20
n=0
while [ "$n" -lt 5 ]; do
  sleep 1
  n=$((n + 1))
  assert_eq 0 "$(ioc_listed)" "I/O controllers stacd lists without stafd (check $n)"
  # The nvme-cli connection to SUB1, as it was (same device and cntlid, live), and nothing else.
  assert_eq "$SNAP" "$(kernel_snapshot)" "the kernel's controllers without stafd (check $n)"
  assert_stacd_disconnected_nothing
done
assert_eq 0 "$(kernel_ctrl_count "$WKDN")" "discovery controllers (nobody should connect one)"
pid_alive "$STACD_PID" || fail "stacd died without stafd"

log "start stafd"
t0=$(cut -d' ' -f1 /proc/uptime)
start_stafd
wait_for "[ \"\$(dlp_count)\" = 4 ]" 60
wait_for "[ \"\$(ioc_connected)\" = 3 ]" 60
log "stacd connected $(ioc_connected) I/O controllers, $(echo "$(cut -d' ' -f1 /proc/uptime) $t0" | awk '{ printf "%.1f", $1 - $2 }') s after stafd was started"
assert_each_subsystem_once 1 3
assert_kernel_io 3 "I/O controllers in the kernel"
assert_ioc_live "${SUB}1" "$F" "${SUB}1's kernel controller (adopted, not duplicated)"
assert_eq "$(echo "$SNAP" | grep -F " ${SUB}1 ")" "$(kernel_snapshot | grep -F " ${SUB}1 ")" \
  "${SUB}1's controller (the same association: same cntlid)"
grep "Connection adopted" "$E2E/stacd.log" | grep -q "${SUB}1" ||
  fail "stacd did not log the adoption of ${SUB}1's connection"
for i in 2 3; do
  grep "Connection established" "$E2E/stacd.log" | grep -q "$SUB$i" ||
    fail "stacd did not log a new connection to $SUB$i"
done
assert_eq 1 "$(count_lines "$E2E/stacd.log" 'Connection adopted')" "stacd's adoptions"
assert_eq 2 "$(count_lines "$E2E/stacd.log" 'Connection established')" "stacd's new connections"
# A later reconciliation (stafd's log_pages_changed, 1.5 s soak) must not add anything.
sleep 3
assert_each_subsystem_once 1 3
assert_kernel_io 3 "I/O controllers in the kernel after settling"
assert_eq 3 "$(ioc_listed)" "I/O controllers stacd lists after settling"
assert_eq 3 "$(ioc_connected)" "I/O controllers stacd lists live in the kernel after settling"
SNAP=$(kernel_snapshot)
assert_stacd_disconnected_nothing

log "stop both: connections stay"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
assert_kernel_io 3 "I/O controllers after stopping the daemons"
assert_eq "$SNAP" "$(kernel_snapshot)" "the kernel's controllers after stopping the daemons"
[ "${STAS_E2E_SHOW_LOGS:-0}" != 1 ] || stas_show_logs
log "PASS"
