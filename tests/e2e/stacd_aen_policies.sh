#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e scenario 2: a subsystem linked to the DC's port while everything runs → nvmet's AEN →
# stafd re-fetches the log page → stacd connects it. Unlinked again → stacd disconnects it
# under disconnect-scope=only-stas-connections (the default); after a SIGHUP switching stacd to
# disconnect-scope=no-disconnect, an unlinked subsystem's connection is kept.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

stas_setup 3 5
stafd_conf_one_dc
printf '[Global]\ntron = true\n' >"$E2E/stacd.conf"
start_stafd
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 3 ]" 60
log "3 subsystems connected"

log "link ${SUB}4: AEN, re-fetch, connect"
nvmet_add_subsystem "${SUB}4" 3
nvmet_link 1 "${SUB}4"
wait_for "[ \"\$(dlp_count)\" = 5 ]" 60
grep -q "Received AEN: 0x70f002" "$E2E/stafd.log" || fail "stafd did not log the AEN"
wait_for "[ \"\$(ioc_connected)\" = 4 ]" 60
assert_each_subsystem_once 1 4
assert_ioc_live "${SUB}4" "$(ioc_device "${SUB}4")" "${SUB}4 after the AEN"
others=$(kernel_snapshot | grep -vF " ${SUB}4 ")

log "unlink ${SUB}4 under only-stas-connections: disconnected"
nvmet_unlink 1 "${SUB}4"
wait_for "[ \"\$(dlp_count)\" = 4 ]" 60
wait_for "[ \"\$(kernel_ctrl_count ${SUB}4)\" = 0 ]" 60
assert_eq 3 "$(ioc_listed)" "I/O controllers stacd lists"
assert_each_subsystem_once 1 3
assert_eq "$others" "$(kernel_snapshot)" "the other controllers after ${SUB}4 left (untouched)"
assert_eq 3 "$(ioc_connected)" "I/O controllers stacd lists live in the kernel"

log "SIGHUP: disconnect-scope=no-disconnect"
printf '[Global]\ntron = true\n[I/O controller connection management]\ndisconnect-scope = no-disconnect\n' >"$E2E/stacd.conf"
kill -HUP "$STACD_PID"
wait_for "grep -q Reloading $E2E/stacd.log" 10
nvmet_add_subsystem "${SUB}5" 4
nvmet_link 1 "${SUB}5"
wait_for "[ \"\$(ioc_connected)\" = 4 ]" 60
dev5=$(ioc_device "${SUB}5")
assert_ioc_live "${SUB}5" "$dev5" "${SUB}5 after the AEN"
log "${SUB}5 connected as $dev5; unlink it"
nvmet_unlink 1 "${SUB}5"
wait_for "grep -q '${SUB}5.*no longer wanted; keeping the kernel connection' $E2E/stacd.log" 60
assert_eq 3 "$(ioc_listed)" "I/O controllers stacd lists"
# stacd let go of it, the kernel still has it: nvmet dropped its association when the subsystem
# left the port, so the kernel keeps trying to reconnect to the vanished subsystem.
assert_eq "$dev5" "$(kernel_ctrls "${SUB}5")" "kernel controller of ${SUB}5"
wait_for "[ \"\$(ctrl_state $dev5)\" = connecting ]" 20
assert_each_subsystem_once 1 3
assert_eq 3 "$(ioc_connected)" "I/O controllers stacd lists live in the kernel"
assert_no_match "$E2E/stacd.log" "${SUB}5.*disconnecting" "stacd disconnected ${SUB}5"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
log "PASS"
