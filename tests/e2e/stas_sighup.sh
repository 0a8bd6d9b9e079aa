#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e scenario 6: configuration changes applied by SIGHUP (docs/compatibility.md, "Reload and
# stop").
# Two nvmet discovery ports on loopback: DC1 127.0.0.1:8009 exposes SUB1 and SUB2, DC2
# 127.0.0.1:8010 exposes SUB3 (nvmet's log page only lists the subsystems of the port it is
# asked on). stafd starts with DC1 only; stacd connects SUB1 and SUB2. Proves that:
#  1. stafd.conf gains DC2 and an exclude= of DC1 → SIGHUP stafd → stafd lists only DC2, its
#     kernel connection to DC1 is gone (an excluded DC is removed and disconnected), it serves
#     DC2's log page; stacd connects SUB3, and disconnects SUB1 and SUB2: their log page left
#     get_all_log_pages with DC1, and under the default disconnect-scope=only-stas-connections
#     stacd disconnects the connections it made once they are no longer wanted;
#  2. stacd.conf gains exclude=nqn=SUB3 → SIGHUP stacd → SUB3 disconnected (stafd still serves it);
#  3. a SIGHUP with broken lines in stafd.conf / stacd.conf logs an error naming file:line, the
#     daemons keep running with the valid rest of the file, and nothing is reconnected or dropped.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

# kernel_dc_count PORT: the kernel's discovery controllers (in any state) connected to
# 127.0.0.1:PORT. (That stafd's DC is live: dc_connected_live.)
kernel_dc_count() {
  _n=0
  for _c in /sys/class/nvme/nvme*; do
    [ -e "$_c/cntrltype" ] || continue
    [ "$(cat "$_c/cntrltype")" = discovery ] || continue
    _a=",$(cat "$_c/address"),"
    case "$_a" in *",traddr=127.0.0.1,"*) ;; *) continue ;; esac
    case "$_a" in *",trsvcid=$1,"*) _n=$((_n + 1)) ;; esac
  done
  echo "$_n"
}
# staf_ports: the trsvcid of every DC stafd lists, comma-separated, sorted.
staf_ports() {
  _j=$(stas_json staf ls) || return 1
  printf '%s\n' "$_j" | jq -r '[.[].trsvcid] | sort | join(",")'
}
# adlp_without NQN: stafctl adlp succeeds, and none of its lines contains NQN.
adlp_without() {
  _adlp=$(stafctl adlp) || fail "stafctl adlp failed"
  case "$_adlp" in *"$1"*) fail "stafd still serves $1: $_adlp" ;; esac
}

stas_setup 2 3
nvmet_setup_port 2 127.0.0.1 8010
nvmet_add_subsystem "${SUB}3" 2
nvmet_link 2 "${SUB}3"
stafd_conf_one_dc
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
CONF

log "start: stafd with DC1 only, stacd connects SUB1 and SUB2"
start_stafd
wait_for "[ \"\$(dlp_count)\" = 3 ]" 60
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 2 ]" 60
assert_eq 8009 "$(staf_ports)" "DCs stafd lists"
assert_eq 1 "$(dc_connected_live)" "stafd's DCs live in the kernel"
assert_eq 1 "$(kernel_dc_count 8009)" "kernel DC connections to 8009"
assert_eq 0 "$(kernel_dc_count 8010)" "kernel DC connections to 8010"
assert_each_subsystem_once 1 2
assert_eq 0 "$(kernel_ctrl_count "${SUB}3")" "kernel controllers of ${SUB}3"
assert_eq 2 "$(ioc_listed)" "I/O controllers stacd lists"

log "stafd.conf: add DC2, exclude DC1; SIGHUP stafd"
cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8010
exclude = transport=tcp;traddr=127.0.0.1;trsvcid=8009
CONF
kill -HUP "$STAFD_PID"
wait_for "[ \"\$(staf_ports)\" = 8010 ]" 30
wait_for "[ \"\$(dlp_count_port 8010)\" = 2 ]" 60
wait_for "[ \"\$(kernel_dc_count 8009)\" = 0 ]" 30
wait_for "[ \"\$(dc_connected_live)\" = 1 ]" 30
assert_eq 1 "$(kernel_dc_count 8010)" "kernel DC connections to 8010"
assert_eq 1 "$(nlines "$E2E/stafd.log" "(tcp, 127.0.0.1, 8009, $WKDN) no longer wanted (configured); removing")" \
  "DC1 removal lines"
adlp_without "${SUB}1"
adlp_without "${SUB}2"
adlp=$(stafctl adlp) || fail "stafctl adlp failed"
assert_contains "$adlp" "${SUB}3" "stafctl adlp"

log "stacd: SUB3 connected; SUB1 and SUB2 (DC1's) disconnected"
wait_for "[ \"\$(kernel_ctrl_count ${SUB}3)\" = 1 ]" 60
wait_for "[ \"\$(kernel_ctrl_count ${SUB}1)\" = 0 ] && [ \"\$(kernel_ctrl_count ${SUB}2)\" = 0 ]" 30
wait_for "[ \"\$(ioc_connected)\" = 1 ]" 30
assert_eq 1 "$(ioc_listed)" "I/O controllers stacd lists"
assert_each_subsystem_once 3 3
assert_ioc_live "${SUB}3" "$(ioc_device "${SUB}3")" "after stafd's reload"
assert_kernel_io 1 "I/O controllers in the kernel"
for i in 1 2; do
  assert_eq 1 "$(nlines "$E2E/stacd.log" "$SUB$i) no longer wanted; disconnecting")" \
    "disconnect lines for $SUB$i"
done

log "stacd.conf: exclude SUB3; SIGHUP stacd"
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
[Controllers]
exclude = nqn=${SUB}3
CONF
kill -HUP "$STACD_PID"
wait_for "[ \"\$(kernel_ctrl_count ${SUB}3)\" = 0 ]" 30
wait_for "[ \"\$(ioc_listed)\" = 0 ]" 10
assert_eq 1 "$(nlines "$E2E/stacd.log" "${SUB}3) no longer wanted; disconnecting")" \
  "disconnect lines for ${SUB}3"
assert_eq 0 "$(kernel_io_count)" "I/O controllers in the kernel"
adlp=$(stafctl adlp) || fail "stafctl adlp failed"
assert_contains "$adlp" "${SUB}3" "stafctl adlp (the exclusion is stacd's own)"
pid_alive "$STAFD_PID" || fail "stafd died"
pid_alive "$STACD_PID" || fail "stacd died"

log "SIGHUP with broken lines"
fline=$(($(wc -l <"$E2E/stafd.conf") + 1))
cat >>"$E2E/stafd.conf" <<CONF
controller = transport=tcp;trsvcid=8011
CONF
gline=$((fline + 1))
echo "this line is: not an option" >>"$E2E/stafd.conf"
cline=$(($(wc -l <"$E2E/stacd.conf") + 1))
echo "controller = transport=tcp;traddr=127.0.0.1;trsvcid=8010" >>"$E2E/stacd.conf"
cat -n "$E2E/stafd.conf" "$E2E/stacd.conf"
dc2=$(stafctl --json ls | jq -r '.[0].device')
snap=$(kernel_snapshot)
staf_devs=$(stas_devices staf)
assert_eq 1 "$(dc_connected_live)" "stafd's DC2 live in the kernel before the broken reload"
reloads_f=$(nlines "$E2E/stafd.log" "Reloading")
reloads_c=$(nlines "$E2E/stacd.log" "Reloading")
kill -HUP "$STAFD_PID"
kill -HUP "$STACD_PID"
wait_for "grep -qF '$E2E/stafd.conf:$fline: ' $E2E/stafd.log" 20
wait_for "grep -qF '$E2E/stafd.conf:$gline: ' $E2E/stafd.log" 20
wait_for "grep -qF '$E2E/stacd.conf:$cline: ' $E2E/stacd.log" 20
grep -F "$E2E/stafd.conf:" "$E2E/stafd.log"
grep -F "$E2E/stacd.conf:" "$E2E/stacd.log"
assert_contains "$(grep -F "$E2E/stafd.conf:$fline: " "$E2E/stafd.log")" "traddr is missing" \
  "the stafd.conf:$fline line"
assert_contains "$(grep -F "$E2E/stacd.conf:$cline: " "$E2E/stacd.log")" "nqn is missing" \
  "the stacd.conf:$cline line"
assert_eq $((reloads_f + 1)) "$(nlines "$E2E/stafd.log" "Reloading")" "stafd reloads"
assert_eq $((reloads_c + 1)) "$(nlines "$E2E/stacd.log" "Reloading")" "stacd reloads"
# Let both reconciliations (1.5 s soak) run, then check nothing changed.
sleep 5
pid_alive "$STAFD_PID" || fail "stafd died on a SIGHUP with a broken stafd.conf"
pid_alive "$STACD_PID" || fail "stacd died on a SIGHUP with a broken stacd.conf"
assert_eq 8010 "$(staf_ports)" "DCs stafd lists after the broken reload"
assert_eq "$dc2" "$(stafctl --json ls | jq -r '.[0].device')" "DC2 device after the broken reload"
assert_eq "$staf_devs" "$(stas_devices staf)" "stafd's DC after the broken reload"
assert_eq "$snap" "$(kernel_snapshot)" "the kernel's controllers after the broken reload (same, live)"
assert_eq 1 "$(dc_connected_live)" "stafd's DC2 live in the kernel after the broken reload"
assert_eq 0 "$(kernel_dc_count 8009)" "kernel DC connections to 8009 after the broken reload"
assert_eq 1 "$(kernel_dc_count 8010)" "kernel DC connections to 8010 after the broken reload"
assert_eq 2 "$(dlp_count_port 8010)" "DC2 log page entries after the broken reload"
assert_eq 0 "$(ioc_listed)" "I/O controllers stacd lists after the broken reload"
assert_eq 0 "$(kernel_io_count)" "I/O controllers in the kernel after the broken reload"

stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
log "PASS"
