#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e scenario 7: stacd adopts an I/O connection made by `nvme connect` before it started
# (docs/compatibility.md, "Adopting existing kernel connections"). A DC on 127.0.0.1:8009
# exposes 3 subsystems; SUB1 is connected by hand
# first. Proves that stafd + stacd end with 3 I/O controllers listed and exactly one kernel
# controller per subsystem: SUB1's is the very controller nvme connect created (same device
# name, same controller ID: it was not disconnected and re-made), stacd logs the adoption for it
# and "Connection established!" for the 2 others. The adopted connection is then stacd's (default
# disconnect-scope=only-stas-connections): excluding SUB1 and reloading disconnects it, and only
# it.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

# ioc_log_lines NQN STRING: stacd log lines about subsystem NQN (its TID ends with "NQN)")
# that contain STRING. (A missing log fails, it does not count 0.)
ioc_log_lines() {
  _about=$(grep -F -- "$1)" "$E2E/stacd.log") || [ $? -eq 1 ] || fail "cannot read $E2E/stacd.log"
  printf '%s\n' "$_about" | grep -cF -- "$2" || [ $? -eq 1 ]
}

stas_setup 3
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
CONF

log "nvme connect to ${SUB}1 before the daemons start"
nvme connect -t tcp -a 127.0.0.1 -s 8009 -n "${SUB}1" --hostnqn="$HOSTNQN" --hostid="$HOSTID" ||
  fail "nvme connect to ${SUB}1 failed"
wait_for "[ \"\$(kernel_ctrl_count ${SUB}1)\" = 1 ]" 20
pre=$(kernel_ctrls "${SUB}1")
pre_cntlid=$(cat "/sys/class/nvme/$pre/cntlid")
log "nvme connect made $pre (cntlid $pre_cntlid)"
assert_eq live "$(ctrl_state "$pre")" "state of $pre"
assert_kernel_io 1 "I/O controllers before the daemons"
assert_eq "$HOSTNQN" "$(cat "/sys/class/nvme/$pre/hostnqn")" "hostnqn of $pre"

log "start stafd and stacd"
stafd_conf_one_dc
start_stafd
wait_for "[ \"\$(dlp_count)\" = 4 ]" 60
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 3 ]" 60
assert_eq 3 "$(ioc_listed)" "I/O controllers stacd lists"
assert_each_subsystem_once 1 3
assert_kernel_io 3 "I/O controllers in the kernel"

log "SUB1 adopted, not re-made"
assert_ioc_live "${SUB}1" "$pre" "${SUB}1 adopted"
assert_eq "$pre_cntlid" "$(cat "/sys/class/nvme/$pre/cntlid")" "cntlid of $pre"
assert_eq 1 "$(ioc_log_lines "${SUB}1" "| $pre - Connection adopted (existing kernel controller)")" \
  "adoption lines for ${SUB}1"
assert_eq 0 "$(ioc_log_lines "${SUB}1" "Connection established!")" "new connections to ${SUB}1"
for i in 2 3; do
  d=$(ioc_device "$SUB$i")
  assert_ioc_live "$SUB$i" "$d" "$SUB$i connected"
  assert_eq 1 "$(ioc_log_lines "$SUB$i" "| $d - Connection established!")" "connect lines for $SUB$i"
  assert_eq 0 "$(ioc_log_lines "$SUB$i" "Connection adopted")" "adoption lines for $SUB$i"
done
assert_eq 1 "$(nlines "$E2E/stacd.log" "Connection adopted")" "adoptions in the stacd log"
det=$(stacctl --json ls -d)
assert_eq True "$(echo "$det" | jq -r --arg n "${SUB}1" '.[] | select(.subsysnqn == $n) | .connected')" \
  "connected of ${SUB}1 in stacctl ls -d"
assert_eq "$pre_cntlid" "$(cat "/sys/class/nvme/$pre/cntlid")" "cntlid of $pre a while later"
# The controllers that must survive the exclusion of SUB1.
others=$(kernel_snapshot | grep -vF " ${SUB}1 ")

log "the adopted connection is stacd's: exclude ${SUB}1 and reload"
cat >>"$E2E/stacd.conf" <<CONF
[Controllers]
exclude = nqn=${SUB}1
CONF
kill -HUP "$STACD_PID"
wait_for "[ \"\$(kernel_ctrl_count ${SUB}1)\" = 0 ]" 30
wait_for "[ \"\$(ioc_listed)\" = 2 ]" 10
pid_alive "$STACD_PID" || fail "stacd died on SIGHUP"
assert_eq 1 "$(ioc_log_lines "${SUB}1" "no longer wanted; disconnecting")" "disconnect lines for ${SUB}1"
assert_each_subsystem_once 2 3
assert_kernel_io 2 "I/O controllers in the kernel after the exclusion"
assert_eq "$others" "$(kernel_snapshot)" "the other controllers after the exclusion (untouched)"

stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
assert_kernel_io 2 "I/O controllers after stopping the daemons"
assert_eq "$others" "$(kernel_snapshot)" "the controllers after stopping the daemons"
log "PASS"
