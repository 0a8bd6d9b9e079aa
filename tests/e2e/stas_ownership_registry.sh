#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: the ownership registry (/run/nvme/registry) on the real kernel, with systemd-udevd running
# the rule we install (udev/70-stas-nvmf-registry.rules). A DC on 127.0.0.1:8009 exposes 3
# subsystems. Before the daemons start, SUB1 is connected by hand and registered as the
# firmware's (owner "nbft", as on a host booted from NVMe/TCP), SUB2 by hand with no owner.
# stacd uses SUB1's controller and leaves its entry as it is, claims SUB2's ("stas"), and
# records its own connection to SUB3 ("stas", with a seqnum); stafd records its DC. The three
# subsystems leave the log page (SUB1 by no longer allowing this host, which keeps its
# connection up; SUB2 and SUB3 unlinked from the port): stacd disconnects SUB2 and SUB3 and
# removes their entries; SUB1's controller stays, nbft's. So it does when stacd restarts with
# the policy that disconnects the most (disconnect-scope
# all-connections-matching-disconnect-trtypes: its audit disconnects every other unwanted tcp
# controller). Then the rule: a
# controller removed by someone else (nvme disconnect) loses its entry; an entry newer than the
# remove event (a reused name) stays.
# e2e-init: systemd
# e2e-timeout: 300
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

REG=/run/nvme/registry
RULE=/lib/udev/rules.d/70-stas-nvmf-registry.rules
# owner_of DEVICE: the owner its registry entry names, "none" without one.
owner_of() { cat "$REG/$1/owner" 2>/dev/null || echo none; }
# owner_shown NQN: the owner `stacctl ls -d` shows for the controller of subsystem NQN.
owner_shown() {
  stacctl --json ls -d | jq -r --arg n "$1" '.[] | select(.subsysnqn == $n) | .owner // "none"'
}
# connect_by_hand NQN: as an admin would, with nvme-cli. Its exit status is not the test:
# nvme-cli 2.3 sometimes fails a connect made moments after a disconnect of the same subsystem
# although the kernel made the controller; the kernel's controller is what counts.
connect_by_hand() {
  nvme connect -t tcp -a 127.0.0.1 -s 8009 -n "$1" --hostnqn="$HOSTNQN" --hostid="$HOSTID" >/dev/null ||
    log "nvme connect to $1 said it failed"
  wait_for "[ \"\$(kernel_ctrl_count $1)\" = 1 ]" 20
}

systemd_install_units
[ -f "$RULE" ] || fail "$RULE is not installed"
timeout 60 systemctl start systemd-udevd.service || fail "systemd-udevd did not start"
stas_setup 3
: >"$E2E/stacd.conf"

log "SUB1 connected by hand and registered as nbft's, SUB2 connected by hand"
connect_by_hand "${SUB}1"
connect_by_hand "${SUB}2"
boot=$(kernel_ctrls "${SUB}1")
other=$(kernel_ctrls "${SUB}2")
mkdir -p "$REG/$boot"
echo nbft >"$REG/$boot/owner"
cat /sys/kernel/uevent_seqnum >"$REG/$boot/seqnum"

log "stafd and stacd"
stafd_conf_one_dc
start_stafd
wait_for "[ \"\$(dlp_count)\" = 4 ]" 60
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 3 ]" 60
assert_each_subsystem_once 1 3
assert_eq "$boot" "$(ioc_device "${SUB}1")" "SUB1's controller (adopted)"
assert_eq "$other" "$(ioc_device "${SUB}2")" "SUB2's controller (adopted)"
ours=$(ioc_device "${SUB}3")
dc=$(stafctl --json ls | jq -r '.[0].device')
assert_eq nbft "$(owner_of "$boot")" "the owner of SUB1's $boot"
assert_eq stas "$(owner_of "$other")" "the owner of SUB2's $other (claimed)"
assert_eq stas "$(owner_of "$ours")" "the owner of SUB3's $ours (connected by stacd)"
assert_eq stas "$(owner_of "$dc")" "the owner of stafd's DC $dc"
seq=$(cat "$REG/$ours/seqnum")
[ "$seq" -gt 0 ] && [ "$seq" -le "$(cat /sys/kernel/uevent_seqnum)" ] ||
  fail "the seqnum of $ours is $seq, the kernel's $(cat /sys/kernel/uevent_seqnum)"
assert_eq nbft "$(owner_shown "${SUB}1")" "the owner stacctl ls -d shows for SUB1"
assert_eq stas "$(owner_shown "${SUB}3")" "the owner stacctl ls -d shows for SUB3"

log "the subsystems leave the log page"
echo 0 >"$NVMET/subsystems/${SUB}1/attr_allow_any_host" || fail "cannot disallow ${SUB}1's hosts"
for i in 2 3; do nvmet_unlink 1 "$SUB$i"; done
wait_for "[ \"\$(ioc_listed)\" = 0 ]" 60
wait_for "[ \"\$(kernel_ctrl_count ${SUB}2)\" = 0 ] && [ \"\$(kernel_ctrl_count ${SUB}3)\" = 0 ]" 30
assert_eq "$boot" "$(kernel_ctrls "${SUB}1")" "SUB1's controller after it left the log page"
assert_eq nbft "$(owner_of "$boot")" "the owner of $boot after SUB1 left the log page"
wait_for "[ \"\$(owner_of $other)\" = none ] && [ \"\$(owner_of $ours)\" = none ]" 20
grep -q "$boot - Owned by \"nbft\" (ownership registry): left connected" "$E2E/stacd.log" ||
  fail "stacd did not say why it left $boot connected"

log "stacd restarted with disconnect-scope=all-connections-matching-disconnect-trtypes"
stop_pid "$STACD_PID"
# An unowned controller nothing wants (SUB3 by hand, then hidden from the log page as SUB1 is):
# the audit adopts it (to disconnect it), which shows that the audit ran and passed SUB1's by.
nvmet_link 1 "${SUB}3"
wait_for "[ \"\$(dlp_count)\" = 2 ]" 30
connect_by_hand "${SUB}3"
unwanted=$(kernel_ctrls "${SUB}3")
echo 0 >"$NVMET/subsystems/${SUB}3/attr_allow_any_host" || fail "cannot disallow ${SUB}3's hosts"
wait_for "[ \"\$(dlp_count)\" = 1 ]" 30
cat >"$E2E/stacd.conf" <<CONF
[I/O controller connection management]
disconnect-scope = all-connections-matching-disconnect-trtypes
disconnect-trtypes = tcp
CONF
n_audit=$(nlines "$E2E/stacd.log" "stafd has read")
start_stacd
# The audit runs once stacd has taken back its controllers; the pass once stafd answered.
wait_for "[ \"\$(nlines $E2E/stacd.log 'stafd has read')\" -gt $n_audit ]" 30
wait_for "grep -q 'audit: adopting $unwanted\$' $E2E/stacd.log" 30
grep -q "audit: adopting $boot\$" "$E2E/stacd.log" && fail "the audit adopted nbft's $boot"
assert_eq "$boot" "$(kernel_ctrls "${SUB}1")" "SUB1's controller after stacd restarted"
assert_eq live "$(ctrl_state "$boot")" "the state of $boot"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"

log "the udev rule removes the entry of a controller removed by someone else"
nvmet_link 1 "${SUB}2"
connect_by_hand "${SUB}2"
gone=$(kernel_ctrls "${SUB}2")
mkdir -p "$REG/$gone"
echo discoverd >"$REG/$gone/owner"
cat /sys/kernel/uevent_seqnum >"$REG/$gone/seqnum"
nvme disconnect -d "$gone" >/dev/null || fail "nvme disconnect -d $gone failed"
wait_for "[ ! -e $REG/$gone ]" 20
log "an entry newer than the remove event stays"
connect_by_hand "${SUB}2"
reused=$(kernel_ctrls "${SUB}2")
mkdir -p "$REG/$reused"
echo discoverd >"$REG/$reused/owner"
echo $(($(cat /sys/kernel/uevent_seqnum) + 1000000)) >"$REG/$reused/seqnum"
nvme disconnect -d "$reused" >/dev/null || fail "nvme disconnect -d $reused failed"
udevadm settle -t 20 || fail "udev did not settle"
assert_eq discoverd "$(owner_of "$reused")" "the newer entry of $reused"
assert_eq nbft "$(owner_of "$boot")" "the owner of $boot at the end"
log "PASS"
