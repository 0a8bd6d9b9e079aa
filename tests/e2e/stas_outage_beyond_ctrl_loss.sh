#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: a target outage longer than ctrl-loss-tmo (stacd_port_outage.sh covers one the kernel rides
# out). 3 subsystems on nvmet port 1 (127.0.0.1:8009); stafd and stacd connect the DC and the 3
# subsystems with reconnect-delay=1 and ctrl-loss-tmo=4 ([Global] of both confs). The port is
# removed. Proves, in the kernel, that:
#  - the 4 controllers go through state "connecting" and, ctrl-loss-tmo later, the kernel
#    deletes them all (/sys/class/nvme empty);
#  - the daemons notice (each logs the removal of each of its devices);
# then the port is restored as soon as the last controller is gone: each daemon tries again 3 s
# and 6 s after a removal, then every 60 s, so a restore later than 6 s after the first removal
# would wait a minute. kato=2 keeps the controllers' removals close together: an idle controller
# notices the lost connection only when a keep-alive fails (up to kato later). Then stafd and
# stacd make new connections (the kernel creates a new DC and 3 new I/O controllers, 'new ctrl'
# in its log), live, on the devices the daemons report, one per
# subsystem; stafd serves the log page read from the new DC connection, and stacd never dropped
# or disconnected a subsystem (stafd kept serving its cached log page while the DC was gone).
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

# created NQN: how many controllers of NQN the kernel has created so far.
created() { dmesg_count "new ctrl: NQN \"$1\""; }

stas_setup 3
cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
kato = 2
reconnect-delay = 1
ctrl-loss-tmo = 4
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
CONF
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
kato = 2
reconnect-delay = 1
ctrl-loss-tmo = 4
CONF

start_both_connected 3
DC=$(kernel_ctrls "$WKDN")
DEVS=""
for i in 1 2 3; do DEVS="$DEVS $(ioc_device "$SUB$i")"; done
log "DC $DC, I/O controllers$DEVS"
for d in $DC $DEVS; do
  assert_eq 1 "$(cat "/sys/class/nvme/$d/reconnect_delay")" "reconnect_delay of $d"
  assert_eq 4 "$(cat "/sys/class/nvme/$d/ctrl_loss_tmo")" "ctrl_loss_tmo of $d"
done
assert_eq 1 "$(created "$WKDN")" "DCs the kernel created"
for i in 1 2 3; do assert_eq 1 "$(created "$SUB$i")" "controllers the kernel created for $SUB$i"; done
logpages=$(count_lines "$E2E/stafd.log" 'Received discovery log pages (num records=4)')
f_removed=$(nlines "$E2E/stafd.log" "Device removed by the kernel")
c_removed=$(nlines "$E2E/stacd.log" "Device removed by the kernel")

log "outage: remove nvmet port 1"
nvmet_port_down 1 "${SUB}1" "${SUB}2" "${SUB}3"
# Until every controller is gone: which of them the kernel showed as "connecting" (the states are
# read by the shell: a process per read would make the guest miss short states).
seen=" "
n=0
while [ "$n" -lt 150 ]; do  # 30 s
  left=0
  for d in $DC $DEVS; do
    s=""
    [ -r "/sys/class/nvme/$d/state" ] && read -r s <"/sys/class/nvme/$d/state" 2>/dev/null
    [ -z "$s" ] || left=$((left + 1))
    if [ "$s" = connecting ]; then
      case "$seen" in *" $d "*) ;; *) seen="$seen$d " ;; esac
    fi
  done
  [ "$left" -gt 0 ] || break
  sleep 0.2
  n=$((n + 1))
done
[ "$left" = 0 ] || fail "$left controllers still exist 30 s into the outage: $(kernel_snapshot | tr '\n' ';')"
log "the kernel deleted every controller; seen connecting before:$seen"
for d in $DC $DEVS; do
  case "$seen" in *" $d "*) ;; *) fail "$d was never seen connecting before it was deleted" ;; esac
done
assert_eq "" "$(ls /sys/class/nvme)" "/sys/class/nvme after ctrl-loss-tmo"
log "restore nvmet port 1"
nvmet_port_up 1 127.0.0.1 8009 "${SUB}1" "${SUB}2" "${SUB}3"
t_up=$(date +%s)

wait_for "[ \"\$(nlines $E2E/stafd.log 'Device removed by the kernel')\" = $((f_removed + 1)) ]" 20
wait_for "[ \"\$(nlines $E2E/stacd.log 'Device removed by the kernel')\" = $((c_removed + 3)) ]" 20
for d in $DC; do
  grep -F "Device removed by the kernel" "$E2E/stafd.log" | grep -qF "| $d - " ||
    fail "stafd logged no removal of $d"
done
for d in $DEVS; do
  grep -F "Device removed by the kernel" "$E2E/stacd.log" | grep -qF "| $d - " ||
    fail "stacd logged no removal of $d"
done
# 90 s: should the port have come back after a daemon's second retry (6 s after a removal), the
# next one is 60 s later.
wait_for "[ \"\$(dc_connected_live)\" = 1 ]" 90
wait_for "[ \"\$(ioc_connected)\" = 3 ]" 90
log "both daemons reconnected $(($(date +%s) - t_up)) s after the port came back"
assert_eq 2 "$(created "$WKDN")" "DCs the kernel created (a new one)"
for i in 1 2 3; do
  assert_eq 2 "$(created "$SUB$i")" "controllers the kernel created for $SUB$i (a new one)"
  assert_ioc_live "$SUB$i" "$(ioc_device "$SUB$i")" "after the outage"
done
assert_each_subsystem_once 1 3
assert_kernel_io 3 "I/O controllers in the kernel after the outage"
assert_eq 1 "$(kernel_ctrl_count "$WKDN")" "discovery controllers after the outage"
DC2=$(kernel_ctrls "$WKDN")
assert_eq live "$(ctrl_state "$DC2")" "state of the new DC $DC2"
assert_eq "$WKDN $DC2" "$(stas_devices staf)" "the device stafd claims for its DC"
assert_eq 3 "$(ioc_listed)" "I/O controllers stacd lists"
wait_for "[ \"\$(count_lines $E2E/stafd.log 'Received discovery log pages (num records=4)')\" -gt $logpages ]" 30
assert_eq 4 "$(dlp_count)" "log page entries after the outage"
assert_stacd_disconnected_nothing
log "after the outage: $(kernel_snapshot | tr '\n' ';')"

stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
log "PASS"
