#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: stacd adopts an existing kernel controller by its state. Two nvmet discovery ports:
# DC1 127.0.0.1:8009 exposes SUB1 and SUB2, DC2 127.0.0.1:8010 exposes SUB3; stafd serves both
# log pages. SUB3 is connected by hand (`nvme connect`, ctrl-loss-tmo=600), then port 2 is
# removed: the controller sits in state "connecting" (the kernel keeps trying), stafd keeps
# serving DC2's cached log page. stacd then starts. Proves, in the kernel, that:
#  - stacd connects SUB1 and SUB2 (live), and adopts the connecting SUB3 controller: it lists
#    SUB3 on that device, the kernel has no second controller of SUB3 and created none (no
#    'new ctrl' for SUB3 in its log), stacd did not try to connect one (no failed connection
#    attempt for SUB3 in its log) and did not delete it; stacd does not count it as connected
#    while it is not live (checked against the kernel, and against the "state" key of
#    `stacctl ls -d`, which must say what the kernel says);
#  - when port 2 returns, that same device becomes live and stacd lists it on that device: one
#    live controller per subsystem.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

# created NQN: how many controllers of NQN the kernel has created so far.
created() { dmesg_count "new ctrl: NQN \"$1\""; }
# detail NQN KEY: the KEY of NQN's entry in `stacctl --json ls -d` ("null" when it has none).
detail() {
  _j=$(stas_json stac ls -d) || return 1
  printf '%s\n' "$_j" | jq -r --arg n "$1" --arg k "$2" '.[] | select(.subsysnqn == $n) | .[$k]'
}

stas_setup 2 3
nvmet_setup_port 2 127.0.0.1 8010
nvmet_add_subsystem "${SUB}3" 2
nvmet_link 2 "${SUB}3"
cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
reconnect-delay = 2
ctrl-loss-tmo = -1
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8010
CONF
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
CONF

log "start stafd: DC1 and DC2"
start_stafd
wait_for "[ \"\$(dlp_count)\" = 3 ] && [ \"\$(dlp_count_port 8010)\" = 2 ]" 60
wait_for "[ \"\$(dc_connected_live)\" = 2 ]" 20

log "nvme connect to ${SUB}3 (127.0.0.1:8010)"
nvme connect -t tcp -a 127.0.0.1 -s 8010 -n "${SUB}3" --hostnqn="$HOSTNQN" --hostid="$HOSTID" \
  --ctrl-loss-tmo=600 --reconnect-delay=2 || fail "nvme connect to ${SUB}3 failed"
wait_for "[ -n \"\$(kernel_live_ctrls ${SUB}3)\" ]" 20
P=$(kernel_ctrls "${SUB}3")
assert_eq 600 "$(cat "/sys/class/nvme/$P/ctrl_loss_tmo")" "ctrl_loss_tmo of $P"
made3=$(created "${SUB}3")
log "nvme connect made $P (cntlid $(ctrl_cntlid "$P"))"

log "remove port 2: $P loses its target and keeps reconnecting"
nvmet_port_down 2 "${SUB}3"
wait_for "[ \"\$(ctrl_state $P)\" = connecting ]" 30
assert_eq 2 "$(dlp_count_port 8010)" "log page entries stafd serves for DC2 (cached)"

log "start stacd"
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 2 ]" 60
assert_each_subsystem_once 1 2
wait_for "[ \"\$(ioc_device ${SUB}3)\" = $P ]" 30
log "stacd adopted $P; ls -d: connected=$(detail "${SUB}3" connected) state=$(detail "${SUB}3" state)"
# For 8 s (more than twice stacd's 3 s connection retry; a stacctl call takes a second or two
# in the guest): one controller of SUB3, the same, not live, and stacd's.
end=$(($(date +%s) + 8))
n=0
while [ "$n" -lt 2 ] || [ "$(date +%s)" -lt "$end" ]; do
  n=$((n + 1))
  [ "$n" -le 20 ] || break
  assert_eq "$P" "$(kernel_ctrls "${SUB}3")" "the kernel's controllers of ${SUB}3 (check $n)"
  s=$(ctrl_state "$P")
  case "$s" in connecting | resetting) ;; *) fail "$P is '$s' while port 2 is down (check $n)" ;; esac
  det=$(stas_json stac ls -d) || fail "stacctl ls -d failed"
  assert_eq "$P" "$(echo "$det" | jq -r --arg n "${SUB}3" '.[] | select(.subsysnqn == $n) | .device')" \
    "stacd's device for ${SUB}3 (check $n)"
  st=$(echo "$det" | jq -r --arg n "${SUB}3" '.[] | select(.subsysnqn == $n) | .state')
  [ "$st" = "$s" ] || [ "$st" = connecting ] ||
    fail "stacctl ls -d shows state '$st' for ${SUB}3 while the kernel says '$s' (check $n)"
  sleep 1
done
assert_eq 2 "$(ioc_connected)" "I/O controllers stacd lists live in the kernel (${SUB}1, ${SUB}2)"
assert_eq "$made3" "$(created "${SUB}3")" "controllers the kernel created for ${SUB}3 (none)"
assert_eq 0 "$(grep -F "${SUB}3)" "$E2E/stacd.log" | grep -cE 'connect attempt|Failed to connect|Disconnected|disconnecting|no longer wanted' || [ $? -eq 1 ])" \
  "stacd's connection attempts, disconnections and removals for ${SUB}3"
assert_eq 1 "$(nlines "$E2E/stacd.log" "${SUB}3) | $P - Connection adopted")" "stacd's adoptions of $P"

log "restore port 2: $P becomes live"
nvmet_port_up 2 127.0.0.1 8010 "${SUB}3"
wait_for "kernel_ctrl_live $P ${SUB}3 127.0.0.1 8010" 40
wait_for "[ \"\$(ioc_connected)\" = 3 ]" 20
assert_ioc_live "${SUB}3" "$P" "after port 2 returned"
assert_each_subsystem_once 1 3
assert_kernel_io 3 "I/O controllers in the kernel"
assert_eq "$made3" "$(created "${SUB}3")" "controllers the kernel created for ${SUB}3 (still none)"
st=$(detail "${SUB}3" state)
[ "$st" = live ] || fail "stacctl ls -d shows state '$st' for the live ${SUB}3"
wait_for "[ \"\$(dc_connected_live)\" = 2 ]" 40
sleep 3  # a reconciliation (stafd's log_pages_changed for DC2, 1.5 s soak) to misbehave in
assert_ioc_live "${SUB}3" "$P" "a reconciliation later"
assert_stacd_disconnected_nothing

stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
log "PASS"
