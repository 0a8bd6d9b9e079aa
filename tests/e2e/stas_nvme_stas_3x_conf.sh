#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: a host configured only for nvme-stas 3.x (/etc/nvme/nvme-stas.conf and its .d/) is
# discovered and connected as the same host configured with nvme-stas 2.x's stafd.conf and
# stacd.conf, on the real kernel. nvmet: port 1 (127.0.0.1:8009, discovery and SUB1) and
# port 2 (127.0.0.1:4420, SUB2, which no log page lists).
#  1. 2.x files: stafd.conf names the DC at 8009; stacd.conf names SUB2 at 4420 with
#     ctrl-loss-tmo=120. The kernel's controllers are noted (subsystem, address, port,
#     keep-alive, ctrl-loss-tmo).
#  2. Everything is stopped and disconnected; stafd.conf and stacd.conf are emptied and the
#     same host is described in 3.x's format: [Discovery Controller] with its controller= path,
#     [Subsystem] nqn=SUB2 with the path in a drop-in whose [I/O Controller Defaults] sets
#     ctrl-loss-tmo = 2min (a systemd time span). The kernel then has the same controllers with
#     the same parameters; stafctl ls and stacctl ls list them.
#  3. A drop-in with a tier-1 error (a second [Host] in one file) is added and stafd and stacd
#     are reloaded: both log the error, keep the last good configuration, and disconnect
#     nothing.
# e2e-timeout: 300
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

CONF3=/etc/nvme/nvme-stas.conf

# controllers: the kernel's live controllers, one a line, without device names:
# "SUBSYSNQN TRADDR TRSVCID KATO CTRL_LOSS_TMO", sorted.
controllers() {
  for _c in /sys/class/nvme/nvme*; do
    [ "$(cat "$_c/state" 2>/dev/null)" = live ] || continue
    _a=$(cat "$_c/address")
    _ad=$(printf '%s' "$_a" | sed -n 's/.*traddr=\([^,]*\).*/\1/p')
    _sv=$(printf '%s' "$_a" | sed -n 's/.*trsvcid=\([^,]*\).*/\1/p')
    echo "$(cat "$_c/subsysnqn") $_ad $_sv $(cat "$_c/kato" 2>/dev/null) $(cat "$_c/ctrl_loss_tmo" 2>/dev/null)"
  done | sort
}

stas_setup 2
nvmet_unlink 1 "${SUB}2"
nvmet_setup_port 2 127.0.0.1 4420
nvmet_link 2 "${SUB}2"

log "1. nvme-stas 2.x files"
stafd_conf_one_dc
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=4420;nqn=${SUB}2;ctrl-loss-tmo=120
CONF
start_stafd
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 2 ] && [ \"\$(dc_connected_live)\" = 1 ]" 90
with_2x=$(controllers)
log "with the 2.x files: $(echo "$with_2x" | tr '\n' ';')"
assert_eq 3 "$(echo "$with_2x" | wc -l)" "live controllers with the 2.x files"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
timeout 30 nvme disconnect-all || fail "nvme disconnect-all failed"
wait_for "[ -z \"\$(controllers)\" ]" 30
rm -rf /run/stafd/* /run/stacd/*

log "2. the same host in nvme-stas 3.x's files only"
printf '[Global]\ntron = true\n' >"$E2E/stafd.conf"
printf '[Global]\ntron = true\n' >"$E2E/stacd.conf"
mkdir -p "$CONF3.d"
cat >"$CONF3" <<CONF
# nvme-stas 3.x: connectivity (libnvme INI format)
[Host]
hostnqn = $HOSTNQN
hostid = $HOSTID

[Discovery Controller]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
CONF
cat >"$CONF3.d/sub2.conf" <<CONF
[I/O Controller Defaults]
ctrl-loss-tmo = 2min

[Subsystem]
nqn = ${SUB}2
controller = transport=tcp;traddr=127.0.0.1;trsvcid=4420
CONF
start_stafd
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 2 ] && [ \"\$(dc_connected_live)\" = 1 ]" 90
with_3x=$(controllers)
log "with the 3.x files: $(echo "$with_3x" | tr '\n' ';')"
assert_eq "$with_2x" "$with_3x" "the kernel's controllers with the 3.x files"
grep -q "nvme-stas.conf" "$E2E/stafd.log" || fail "stafd did not say it read $CONF3"
grep -q "nvme-stas.conf" "$E2E/stacd.log" || fail "stacd did not say it read $CONF3"

log "3. a tier-1 error on reload keeps the last good configuration"
cat >"$CONF3.d/broken.conf" <<CONF
[Host]
hostnqn = nqn.2014-08.org.example:other
[Host]
hostnqn = nqn.2014-08.org.example:again
CONF
kill -HUP "$STAFD_PID" "$STACD_PID"
wait_for "grep -q 'broken.conf.*Host' $E2E/stafd.log && grep -q 'broken.conf.*Host' $E2E/stacd.log" 20
wait_for "grep -q 'keeping the last good' $E2E/stafd.log && grep -q 'keeping the last good' $E2E/stacd.log" 20
sleep 5
assert_eq "$with_3x" "$(controllers)" "the kernel's controllers after the broken reload"
assert_stacd_disconnected_nothing
assert_no_match "$E2E/stafd.log" "no longer wanted" "stafd dropped a DC after the broken reload"

rm -f "$CONF3.d/broken.conf"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
log "PASS"
