#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: a host that booted from NVMe/TCP (NBFT), on the real kernel. QEMU gives the guest three
# ACPI tables that tests/e2e/vm/make-nbft.py writes (the lines below): a good NBFT (boot host
# NQN ...:boot-host, which is not /etc/nvme/hostnqn; SUB1 at 127.0.0.1:8009; a discovery
# record for 127.0.0.1:8009), one whose subsystem record has an NQN with a comma (the record is
# dropped), and one whose descriptor list points past its end (the table is refused). The
# scenario plays the boot tools: it connects SUB1 with the boot identity before the daemons
# start. stafd.conf names the DC at 8009 and sets nbft=enabled; stacd.conf sets the harshest
# policy, disconnect-scope=all-connections-matching-disconnect-trtypes. Proves that:
#  - both daemons read the tables, say so, and log the refused table and the dropped record;
#    stacctl status / stafctl status show the tables and the problems under "nbft";
#  - the boot connection is registered as owner nbft (/run/nvme/registry) and survives stacd's
#    audit, a reload of both daemons and a restart of stacd, on the same device, live;
#  - with nbft=enabled stafd keeps the NBFT's DC with the boot host NQN, and stacd, matching
#    that DC's entries with the boot host NQN, adopts the boot connection instead of making a
#    second one (it is not disconnected either); SUB2 is connected as usual.
# e2e-timeout: 300
# e2e-acpitable: --hostnqn nqn.2014-08.org.example:boot-host --hostid 5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d --hfi-ip 127.0.0.1 --hfi-prefix 8 --hfi-mac 52:54:00:aa:bb:01 --traddr 127.0.0.1 --trsvcid 8009 --subnqn nqn.2014-08.org.example:sub1 --nsid 1 --discovery-uri nvme+tcp://127.0.0.1:8009/
# e2e-acpitable: --hostnqn nqn.2014-08.org.example:boot-host --hfi-ip 127.0.0.1 --hfi-prefix 8 --traddr 127.0.0.1 --trsvcid 8009 --subnqn nqn.2014-08.org.example:sub2 --malformed nqn-comma
# e2e-acpitable: --hostnqn nqn.2014-08.org.example:boot-host --hfi-ip 127.0.0.1 --hfi-prefix 8 --traddr 127.0.0.1 --trsvcid 8009 --subnqn nqn.2014-08.org.example:sub2 --malformed descriptor-offset
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

BOOT_HOST=nqn.2014-08.org.example:boot-host
REG=/run/nvme/registry

# boot_ctrl: the kernel controller of SUB1 with the boot host NQN.
boot_ctrl() {
  for _c in $(kernel_ctrls "${SUB}1"); do
    [ "$(cat "/sys/class/nvme/$_c/hostnqn")" = "$BOOT_HOST" ] && echo "$_c"
  done
}
nbft_status() { stas_json "$1" status | jq -c .nbft; }

[ "$SUB" = "nqn.2014-08.org.example:sub" ] || fail "the tables name ${SUB}1; SUB is $SUB"
ls /sys/firmware/acpi/tables/ | grep NBFT >/dev/null || fail "the guest has no NBFT: $(ls /sys/firmware/acpi/tables/)"
log "ACPI tables: $(ls /sys/firmware/acpi/tables/ | grep NBFT | tr '\n' ' ')"
stas_setup 2

log "the boot tools connect SUB1 with the boot identity"
timeout 30 nvme connect -t tcp -a 127.0.0.1 -s 8009 -n "${SUB}1" --hostnqn="$BOOT_HOST" \
  --hostid=5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d >/dev/null || fail "nvme connect (boot) failed"
wait_for "[ -n \"\$(boot_ctrl)\" ] && kernel_ctrl_live \$(boot_ctrl) ${SUB}1 127.0.0.1 8009" 30
boot=$(boot_ctrl)
log "boot connection: $boot"

cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
[Service Discovery]
nbft = enabled
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
CONF
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
[I/O controller connection management]
disconnect-scope = all-connections-matching-disconnect-trtypes
disconnect-trtypes = tcp
CONF
start_stafd
start_stacd
wait_for "grep -q 'NBFT: .*NBFT[0-9]*: 1 interfaces, 1 subsystems, 1 discovery controllers' $E2E/stacd.log" 20
assert_eq nbft "$(cat "$REG/$boot/owner" 2>/dev/null)" "the registry's owner of $boot"
grep -q "NBFT: $boot .* is a boot connection of" "$E2E/stacd.log" "$E2E/stafd.log" ||
  fail "no daemon said it registered $boot"
for d in stafd stacd; do
  grep -q "NBFT: .*NBFT[0-9]*.*dropped" "$E2E/$d.log" || fail "$d did not log the dropped record"
  grep -q "NBFT: .*NBFT[0-9]*: not used: " "$E2E/$d.log" || fail "$d did not log the refused table"
done
st=$(nbft_status stac)
log "stacctl status .nbft: $(printf '%s' "$st" | cut -c1-300)"
assert_eq "${SUB}1" "$(printf '%s' "$st" | jq -r '[.tables[].subsystem[]."subsys-nqn"] | first')" "the NBFT subsystem stacctl status shows"
assert_eq "$BOOT_HOST" "$(printf '%s' "$st" | jq -r '.tables[0].host."host-nqn"')" "the NBFT host NQN"
[ "$(printf '%s' "$st" | jq '.problems | length')" -ge 2 ] || fail "stacctl status shows fewer than 2 NBFT problems"
[ "$(nbft_status staf | jq '.tables | length')" -ge 1 ] || fail "stafctl status shows no NBFT table"

log "stafd keeps the NBFT's DC with the boot host NQN; stacd matches the boot connection"
wait_for "[ \"\$(stas_json staf ls | jq --arg h $BOOT_HOST '[.[] | select(.\"host-nqn\" == \$h)] | length')\" = 1 ]" 30
wait_for "[ \"\$(ioc_connected)\" -ge 3 ]" 90
assert_eq "$boot" "$(stas_json stac ls | jq -r --arg h "$BOOT_HOST" '.[] | select(."host-nqn" == $h and .subsysnqn == "'"${SUB}1"'") | .device')" \
  "the device stacd uses for SUB1 with the boot host NQN"
assert_eq 1 "$(for c in $(kernel_ctrls "${SUB}1"); do cat /sys/class/nvme/$c/hostnqn; done | grep -c "$BOOT_HOST")" \
  "kernel controllers of SUB1 with the boot host NQN"
assert_eq nbft "$(cat "$REG/$boot/owner")" "the owner of $boot after stacd adopted it"

log "reload both, restart stacd, wait for its audit"
kill -HUP "$STAFD_PID" "$STACD_PID"
sleep 5
stop_pid "$STACD_PID"
start_stacd
wait_for "[ \"\$(ioc_connected)\" -ge 3 ]" 90
sleep 8
kernel_ctrl_live "$boot" "${SUB}1" 127.0.0.1 8009 || fail "the boot connection $boot is gone or not live"
assert_eq nbft "$(cat "$REG/$boot/owner")" "the owner of $boot at the end"
assert_no_match "$E2E/stacd.log" "$boot - (Disconnected|disconnecting)" "stacd disconnected the boot connection"

stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
log "PASS"
