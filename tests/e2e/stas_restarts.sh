#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e scenario 4 (daemon restarts): 3 subsystems, stafd and stacd connected to all of them.
#  (a) SIGTERM stafd, restart it: the DC connection stayed (persistent-connections) and is
#      adopted, not duplicated; the cached log page (last-known-config.json) is served at once;
#      stacd, which re-reads stafd once it is back, disconnects nothing.
#  (b) SIGKILL stafd, restart it: the same, from the last-known config written while it ran.
#  (c) SIGTERM stacd: the I/O connections stay; the restarted stacd re-adopts them from
#      /run/stacd/owned-controllers.json (same kernel devices, one controller per subsystem) and
#      can still disconnect them: unlinking SUB3 from the port (AEN -> stafd re-reads -> stacd)
#      makes stacd disconnect SUB3's controller (disconnect-scope only-stas-connections), and
#      nothing else.
#  (d) SIGKILL stacd, restart it: SUB1 and SUB2 re-adopted again, no duplicates, SUB3 stays gone.
# "Stayed" and "adopted" are checked in the kernel: the same controllers (device names, and each
# one's cntlid: a new connection would be a new controller of the target) in state live before
# and after each stop and restart, and the daemons list exactly those devices again.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

LKC=/run/stafd/last-known-config.json
OWNED=/run/stacd/owned-controllers.json
MON_PID=""

# getall_calls: how many times stacd (the only caller) asked stafd for get_all_log_pages.
getall_calls() {
  count_lines "$E2E/monitor.log" 'member=get_all_log_pages'
}
# stacd_removals: how many I/O controllers stacd dropped ("no longer wanted") so far.
stacd_removals() {
  count_lines "$E2E/stacd.log" 'no longer wanted'
}
# assert_devices_unchanged FIRST LAST: SUB<FIRST>..SUB<LAST> each have exactly one kernel
# controller, the one recorded in DEV<i> at the start, and stacd reports that one.
assert_devices_unchanged() {
  assert_each_subsystem_once "$1" "$2"
  _i=$1
  while [ "$_i" -le "$2" ]; do
    eval "_want=\$DEV$_i"
    assert_eq "$_want" "$(kernel_ctrls "$SUB$_i")" "kernel controller of $SUB$_i ($3)"
    assert_eq "$_want" "$(ioc_device "$SUB$_i")" "stacd's device for $SUB$_i ($3)"
    _i=$((_i + 1))
  done
}
# wait_stacd_reread WHAT: stacd asked stafd for its log pages again since the last mark_getall,
# then had a moment to act on the answer.
mark_getall() {
  GETALL_MARK=$(getall_calls)
}
wait_stacd_reread() {
  wait_for "[ \"\$(getall_calls)\" -gt $GETALL_MARK ]" 40
  sleep 2
  log "stacd re-read stafd's log pages ($1)"
}
# restart_stafd SIGNAL: stop stafd with SIGNAL (TERM or KILL), check what must survive, start it
# again and check the warm restart.
restart_stafd() {
  _snap=$(kernel_snapshot)
  _staf=$(stas_devices staf)
  _stac=$(stas_devices stac)
  assert_eq 1 "$(dc_connected_live)" "stafd's DC live in the kernel before the $1"
  grep -q "${SUB}3" "$LKC" || fail "last-known config lacks the log page before the $1"
  if [ -f "$E2E/stafd-start.mark" ]; then
    # The file SIGKILL leaves behind must be one that the running stafd wrote, not the one its
    # predecessor wrote when it stopped.
    wait_for "[ -n \"\$(find $LKC -newer $E2E/stafd-start.mark)\" ]" 20
  fi
  _restored=$(count_lines "$E2E/stafd.log" 'restored from the last known config (4 log page entries)')
  _adopted=$(count_lines "$E2E/stafd.log" 'Connection adopted')
  _vanished=$(count_lines "$E2E/stacd.log" 'stafd left the bus')
  if [ "$1" = TERM ]; then stop_pid "$STAFD_PID"; else kill9_pid "$STAFD_PID"; fi
  assert_eq "$DC" "$(kernel_ctrls "$WKDN")" "the DC connection after SIG$1 of stafd"
  wait_for "[ \"\$(count_lines $E2E/stacd.log 'stafd left the bus')\" -gt $_vanished ]" 20
  assert_eq "$_snap" "$(kernel_snapshot)" "the kernel's controllers while stafd is away"
  mark_getall
  touch "$E2E/stafd-start.mark"
  start_stafd
  # The cache is there before the DC is even looked at.
  wait_for "[ \"\$(dlp_count)\" = 4 ]" 3
  assert_eq $((_restored + 1)) \
    "$(count_lines "$E2E/stafd.log" 'restored from the last known config (4 log page entries)')" \
    "'restored from the last known config' lines"
  wait_for "[ \"\$(count_lines $E2E/stafd.log 'Connection adopted')\" -gt $_adopted ]" 30
  assert_eq "$DC" "$(kernel_ctrls "$WKDN")" "the DC connection after the restart (adopted, no duplicate)"
  assert_eq True "$(stafctl --json ls -d | jq -r '.[0].connected')" "stafctl ls -d connected"
  assert_eq "$_staf" "$(stas_devices staf)" "stafd's DC after its SIG$1 restart"
  assert_eq 1 "$(dc_connected_live)" "stafd's DC live in the kernel after its SIG$1 restart"
  wait_stacd_reread "stafd restarted after SIG$1"
  assert_eq 4 "$(dlp_count)" "log page entries after the restart"
  assert_eq 0 "$(stacd_removals)" "I/O controllers stacd dropped"
  assert_no_match "$E2E/stacd.log" 'Disconnected|disconnecting' "stacd disconnected something"
  assert_devices_unchanged 1 3 "after stafd's SIG$1 restart"
  assert_eq "$_stac" "$(stas_devices stac)" "stacd's controllers after stafd's SIG$1 restart"
  assert_eq "$_snap" "$(kernel_snapshot)" "the kernel's controllers after stafd's SIG$1 restart"
}
# restart_stacd SIGNAL N: stop stacd with SIGNAL, check that its N I/O connections stay, start it
# again and check that it re-adopted SUB1..SUB<N>, without duplicates.
restart_stacd() {
  for _i in $(seq 1 "$2"); do
    grep -q "$SUB$_i" "$OWNED" || fail "$OWNED lacks $SUB$_i before the $1"
  done
  _readopt=$(count_lines "$E2E/stacd.log" 'owned before the restart; re-adopting')
  _adopted=$(count_lines "$E2E/stacd.log" 'Connection adopted')
  _snap=$(kernel_snapshot)
  _stac=$(stas_devices stac)
  assert_eq "$2" "$(ioc_connected)" "stacd's controllers live in the kernel before the $1"
  if [ "$1" = TERM ]; then stop_pid "$STACD_PID"; else kill9_pid "$STACD_PID"; fi
  assert_eq "$_snap" "$(kernel_snapshot)" "the kernel's controllers after SIG$1 of stacd"
  assert_devices_in_kernel "$2" "after SIG$1 of stacd"
  mark_getall
  start_stacd
  wait_for "[ \"\$(count_lines $E2E/stacd.log 'owned before the restart; re-adopting')\" -ge $((_readopt + $2)) ]" 20
  wait_for "[ \"\$(count_lines $E2E/stacd.log 'Connection adopted')\" -ge $((_adopted + $2)) ]" 30
  assert_eq $((_readopt + $2)) "$(count_lines "$E2E/stacd.log" 'owned before the restart; re-adopting')" \
    "'re-adopting' lines after stacd's SIG$1 restart"
  for _i in $(seq 1 "$2"); do
    grep "owned before the restart; re-adopting" "$E2E/stacd.log" | tail -n "$2" | grep -q "$SUB$_i" ||
      fail "stacd did not re-adopt $SUB$_i"
  done
  wait_for "[ \"\$(ioc_connected)\" = $2 ]" 30
  wait_stacd_reread "stacd restarted after SIG$1"
  assert_devices_unchanged 1 "$2" "after stacd's SIG$1 restart"
  assert_eq "$_stac" "$(stas_devices stac)" "stacd's controllers after its SIG$1 restart"
  assert_eq "$_snap" "$(kernel_snapshot)" "the kernel's controllers after stacd's SIG$1 restart"
}
# assert_devices_in_kernel N: DEV1..DEV<N> still exist with their subsystem.
assert_devices_in_kernel() {
  for _i in $(seq 1 "$1"); do
    eval "_want=\$DEV$_i"
    assert_eq "$_want" "$(kernel_ctrls "$SUB$_i")" "kernel controller of $SUB$_i ($2)"
  done
}

stas_setup 3
stafd_conf_one_dc
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
CONF
# Every get_all_log_pages call on the bus (only stacd makes them): shows when stacd re-read stafd.
dbus-monitor --system "type='method_call',interface='org.nvmexpress.staf',member='get_all_log_pages'" \
  >"$E2E/monitor.log" 2>&1 &
MON_PID=$!
sleep 1
pid_alive "$MON_PID" || fail "dbus-monitor did not start: $(cat "$E2E/monitor.log")"

start_both_connected 3
DC=$(kernel_ctrls "$WKDN")
DEV1=$(ioc_device "${SUB}1")
DEV2=$(ioc_device "${SUB}2")
DEV3=$(ioc_device "${SUB}3")
log "DC $DC, I/O controllers $DEV1 $DEV2 $DEV3"
[ "$(getall_calls)" -gt 0 ] || fail "the bus monitor saw no get_all_log_pages call from stacd"
wait_for "grep -q '${SUB}3' $OWNED" 10
wait_for "grep -q '${SUB}3' $LKC" 10

log "(a) SIGTERM stafd, restart"
restart_stafd TERM
log "(b) SIGKILL stafd, restart"
restart_stafd KILL

log "(c) SIGTERM stacd, restart"
restart_stacd TERM 3
assert_eq 0 "$(stacd_removals)" "I/O controllers stacd dropped"
log "unlink ${SUB}3 from the port: stacd must disconnect the controller it re-adopted"
# The kernel's controllers but SUB3's: they must stay as they are.
SNAP_NOT3=$(kernel_snapshot | grep -vF " ${SUB}3 ")
nvmet_unlink 1 "${SUB}3"
wait_for "[ \"\$(dlp_count)\" = 3 ]" 30
wait_for "[ \"\$(kernel_ctrl_count ${SUB}3)\" = 0 ]" 30
wait_for "grep -q 'Disconnected' $E2E/stacd.log" 10
assert_eq 1 "$(stacd_removals)" "I/O controllers stacd dropped"
grep 'no longer wanted; disconnecting' "$E2E/stacd.log" | grep -q "${SUB}3" ||
  fail "stacd did not log the disconnection of ${SUB}3"
assert_kernel_io 2 "I/O controllers after ${SUB}3 left"
assert_eq 2 "$(ioc_listed)" "I/O controllers stacd lists after ${SUB}3 left"
assert_devices_unchanged 1 2 "after ${SUB}3 left"
assert_eq "$SNAP_NOT3" "$(kernel_snapshot)" "the kernel's other controllers after ${SUB}3 left"
wait_for "[ -r $OWNED ] && ! grep -q '${SUB}3' $OWNED" 10

log "(d) SIGKILL stacd, restart"
restart_stacd KILL 2
assert_eq 0 "$(kernel_ctrl_count "${SUB}3")" "kernel controllers of ${SUB}3 (stays gone)"
assert_eq 2 "$(ioc_listed)" "I/O controllers stacd lists"
assert_eq 1 "$(stacd_removals)" "I/O controllers stacd dropped"
assert_eq "$DC" "$(kernel_ctrls "$WKDN")" "the DC connection at the end"

log "stop both: connections stay"
SNAP=$(kernel_snapshot)
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
assert_kernel_io 2 "I/O controllers after stopping the daemons"
assert_eq "$SNAP" "$(kernel_snapshot)" "the kernel's controllers after stopping the daemons"
kill "$MON_PID" 2>/dev/null || true
[ "${STAS_E2E_SHOW_LOGS:-0}" != 1 ] || stas_show_logs
log "PASS"
