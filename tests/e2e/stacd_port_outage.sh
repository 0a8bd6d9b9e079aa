#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e scenario 3 (target port outage): 3 subsystems on nvmet port 1 (127.0.0.1:8009), stafd and
# stacd connected to all of them. The port is then removed from the target, so the DC and the 3
# I/O connections lose connectivity (the kernel keeps reconnecting: reconnect-delay=2,
# ctrl-loss-tmo=-1 in both confs). While it is down:
#   - stafd keeps serving its cached log page (4 entries) and keeps its DC;
#   - stacd keeps listing the 3 I/O controllers and disconnects nothing (missing information is
#     never a reason to disconnect); the kernel controllers still exist, not live.
# The port is then restored with the same configuration: the DC reconnects (kernel state live,
# stafctl ls -d connected True, stafd re-reads the log page) and the 3 I/O controllers are live
# again, on the same kernel devices, still exactly one controller per subsystem.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

# dc_connected: what stafctl ls -d says about the (only) DC's connection.
dc_connected() {
  _j=$(stas_json staf ls -d) || return 1
  printf '%s\n' "$_j" | jq -r '.[0].connected'
}
# kernel_devices: the names of the kernel's controllers (any state), sorted, on one line.
kernel_devices() { kernel_snapshot | awk '{ print $1 }' | sort | tr '\n' ' '; }
# all_ioc_state STATE: each of the recorded I/O controllers is in STATE.
all_ioc_state() {
  for _d in $DEVS; do [ "$(ctrl_state "$_d")" = "$1" ] || return 1; done
}
# no_ioc_state STATE: none of the recorded I/O controllers is in STATE.
no_ioc_state() {
  for _d in $DEVS; do [ "$(ctrl_state "$_d")" != "$1" ] || return 1; done
}

stas_setup 3
cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
reconnect-delay = 2
ctrl-loss-tmo = -1
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
CONF
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
reconnect-delay = 2
ctrl-loss-tmo = -1
CONF

start_both_connected 3
DC=$(kernel_ctrls "$WKDN")
DEVS=""
for i in 1 2 3; do
  d=$(ioc_device "$SUB$i")
  assert_ioc_live "$SUB$i" "$d" "before the outage"
  DEVS="$DEVS $d"
done
log "DC $DC, I/O controllers$DEVS"
assert_eq live "$(ctrl_state "$DC")" "state of the DC $DC"
# What the daemons claim and what the kernel has, to compare during and after the outage.
STAF_DEVS=$(stas_devices staf)
STAC_DEVS=$(stas_devices stac)
KDEVS=$(kernel_devices)
assert_eq "$(printf '%s\n' $DC $DEVS | sort | tr '\n' ' ')" "$KDEVS" "the kernel's controllers"
assert_eq True "$(dc_connected)" "stafctl ls -d connected (before the outage)"
# The settings that let the kernel ride out the outage really reached it.
for d in $DC $DEVS; do
  assert_eq 2 "$(cat "/sys/class/nvme/$d/reconnect_delay")" "reconnect_delay of $d"
  assert_eq off "$(cat "/sys/class/nvme/$d/ctrl_loss_tmo")" "ctrl_loss_tmo of $d (-1)"
done
logpages_before=$(count_lines "$E2E/stafd.log" 'Received discovery log pages (num records=4)')

log "outage: remove nvmet port 1"
# (stafd must not get the chance to read a shorter log page: see nvmet_port_down)
nvmet_port_down 1 "${SUB}1" "${SUB}2" "${SUB}3"
wait_for "[ \"\$(ctrl_state $DC)\" != live ] && no_ioc_state live" 30
log "connectivity lost: DC $(ctrl_state "$DC"), I/O$(for d in $DEVS; do printf ' %s' "$(ctrl_state "$d")"; done)"

# Several of the kernel's 2 s reconnect attempts fail while we look. (Few processes per check:
# the guest is slow under TCG.)
n=0
while [ "$n" -lt 4 ]; do
  sleep 2
  n=$((n + 1))
  assert_eq 4 "$(dlp_count)" "log page entries stafd serves during the outage (check $n)"
  # Both daemons still claim the same devices, and the kernel still has exactly those (DC + 3
  # I/O): none gone, none duplicated, none live.
  assert_eq "$STAC_DEVS" "$(stas_devices stac)" "stacd's controllers during the outage (check $n)"
  assert_eq "$STAF_DEVS" "$(stas_devices staf)" "stafd's DC during the outage (check $n)"
  assert_eq "$KDEVS" "$(kernel_devices)" "kernel controllers during the outage (check $n)"
  for d in $DC $DEVS; do
    s=$(ctrl_state "$d")
    [ -n "$s" ] || fail "$d vanished during the outage"
    [ "$s" != live ] || fail "$d is live although the port is gone"
  done
  assert_stacd_disconnected_nothing
done
pid_alive "$STAFD_PID" || fail "stafd died during the outage"
pid_alive "$STACD_PID" || fail "stacd died during the outage"
log "outage checks passed; states: DC $(ctrl_state "$DC"), I/O$(for d in $DEVS; do printf ' %s' "$(ctrl_state "$d")"; done)"

log "restore nvmet port 1"
nvmet_port_up 1 127.0.0.1 8009 "${SUB}1" "${SUB}2" "${SUB}3"
wait_for "[ \"\$(ctrl_state $DC)\" = live ]" 40
log "DC $DC live again"
wait_for "all_ioc_state live" 40
log "I/O controllers live again"
wait_for "[ \"\$(dc_connected)\" = True ]" 20
wait_for "[ \"\$(dc_connected_live)\" = 1 ]" 20
# The reconnected DC was asked again for its log page (rediscover/connected event).
wait_for "[ \"\$(count_lines $E2E/stafd.log 'Received discovery log pages (num records=4)')\" -gt $logpages_before ]" 30
assert_eq 4 "$(dlp_count)" "log page entries after the outage"
assert_eq 1 "$(kernel_ctrl_count "$WKDN")" "discovery controllers after the outage"
assert_eq "$DC" "$(kernel_ctrls "$WKDN")" "the DC's device after the outage"
# Give stacd a reconciliation (1.5 s soak after stafd's log_pages_changed) to misbehave in.
sleep 3
assert_each_subsystem_once 1 3
assert_kernel_io 3 "I/O controllers in the kernel after the outage"
assert_eq 3 "$(ioc_connected)" "I/O controllers stacd lists live in the kernel after the outage"
i=1
for d in $DEVS; do
  assert_ioc_live "$SUB$i" "$d" "after the outage"
  i=$((i + 1))
done
assert_eq "$STAC_DEVS" "$(stas_devices stac)" "stacd's controllers after the outage"
assert_eq "$STAF_DEVS" "$(stas_devices staf)" "stafd's DC after the outage"
assert_eq "$KDEVS" "$(kernel_devices)" "kernel controllers after the outage"
assert_stacd_disconnected_nothing

log "stop both: connections stay"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
assert_kernel_io 3 "I/O controllers after stopping the daemons"
assert_eq "$KDEVS" "$(kernel_devices)" "kernel controllers after stopping the daemons"
assert_eq live "$(ctrl_state "$DC")" "the DC after stopping stafd (persistent-connections)"
[ "${STAS_E2E_SHOW_LOGS:-0}" != 1 ] || stas_show_logs
log "PASS"
