#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: stafd's override of nvme-cli's udev rule, on the real system under systemd as PID 1.
# nvme-cli installs /usr/lib/udev/rules.d/70-nvmf-autoconnect.rules: on a discovery
# controller's "discovery log page changed" uevent (NVME_AEN=0x70f002) it starts
# nvmf-connect@<options>.service (nvme connect-all). While stafd runs, its
# /run/udev/rules.d/70-nvmf-autoconnect.rules shadows that file. `udevadm test` (systemd's own
# rule engine) is given a change uevent of stafd's live DC that carries NVME_AEN=0x70f002 (the
# kernel's uevent file of the device, with that line added, bind-mounted over it in a private
# mount namespace): while stafd runs, udev reads stafd's file instead of nvme-cli's and queues
# no nvmf-connect@; once stafd has stopped (systemctl stop), nvme-cli's rule is back and the same
# event queues nvmf-connect@ for the DC. After a crash (SIGKILL of the main PID) stafd cannot
# remove its file: the unit's ExecStopPost does, before Restart=on-failure starts stafd again
# (RestartSec=5s), which writes it again.
# e2e-init: systemd
# e2e-timeout: 420
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"
RULE=/run/udev/rules.d/70-nvmf-autoconnect.rules
CLI_RULE=/usr/lib/udev/rules.d/70-nvmf-autoconnect.rules
trap '[ $? -eq 0 ] || { systemctl --no-pager status stafd 2>&1 | tail -30;
  journalctl --no-pager -b -u stafd 2>&1 | tail -60; }' EXIT

[ -f "$CLI_RULE" ] || fail "nvme-cli's $CLI_RULE is not installed (tests/e2e/vm/install-vm-deps.sh)"
command -v udevadm >/dev/null || fail "udevadm is not installed"
systemd_install_units

load_nvme_modules 1
nvmet_local_port "$SUB" 1
rm -f /etc/stas/sys.conf "$RULE"
cat >/etc/stas/stafd.conf <<CONF
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
CONF

# aen_test DEVICE: what `udevadm test` does with a change uevent of DEVICE that carries
# NVME_AEN=0x70f002 (udev reads a device's properties from its sysfs uevent file: a copy with
# that line added is bind-mounted over it, for udevadm only).
aen_test() {
  _u=$(realpath "/sys/class/nvme/$1/uevent") || fail "no uevent file for $1"
  { cat "$_u" && echo NVME_AEN=0x70f002; } >/tmp/uevent-aen
  unshare -m --propagation private sh -c 'mount --bind /tmp/uevent-aen "$1" && exec udevadm test --action=change "$2"' \
    sh "$_u" "/sys/class/nvme/$1" 2>&1
}
# The RUN entry nvme-cli's rule adds for DEVICE's AEN.
connect_run() { echo "run: '/usr/bin/systemctl --no-block start nvmf-connect@--device=$1"; }

log "systemctl start stafd"
systemctl start stafd.service || fail "systemctl start stafd failed"
wait_for "[ \"\$(dc_connected_live)\" = 1 ]" 60
dc=$(stafctl --json ls | jq -r '.[0].device')
[ -f "$RULE" ] || fail "no udev override $RULE while stafd runs"

log "udevadm test of $dc's AEN while stafd runs"
out=$(aen_test "$dc")
echo "$out" | grep -E "70-nvmf|NVME_AEN|^run:" || true
assert_contains "$out" "NVME_AEN=0x70f002" "udevadm test's properties of $dc"
assert_contains "$out" "Reading rules file: $RULE" "udevadm test's output (the rule files it read)"
assert_contains "$out" "Skipping overridden file '$CLI_RULE'" "udevadm test's output (the rule files it read)"
case "$out" in *"Reading rules file: $CLI_RULE"*) fail "udevadm read nvme-cli's $CLI_RULE while stafd runs" ;; esac
case "$out" in *"nvmf-connect@"*) fail "nvme-cli's autoconnect RUN for $dc while stafd runs" ;; esac

log "systemctl stop stafd: the override goes, nvme-cli's rule is back"
systemctl stop stafd.service
[ ! -e "$RULE" ] || fail "the udev override outlived systemctl stop stafd"
out=$(aen_test "$dc")
echo "$out" | grep -E "70-nvmf|^run:" || true
assert_contains "$out" "Reading rules file: $CLI_RULE" "udevadm test's output after stafd stopped"
assert_contains "$out" "$(connect_run "$dc")" "udevadm test's RUN for $dc's AEN after stafd stopped"

log "systemctl start stafd, then SIGKILL: ExecStopPost removes the override"
systemctl start stafd.service || fail "systemctl start stafd failed"
# systemctl returns once stafd owns its bus name (Type=dbus), which it requests just before it
# writes the override (CI once checked in between).
wait_for "[ -f $RULE ]" 10
pid=$(systemctl show -p MainPID --value stafd)
kill -KILL "$pid"
# Between the crash and the restart (RestartSec=5s) the unit waits in "auto-restart": the file
# must be gone by then, with the killed stafd unable to remove it.
wait_for "[ \"\$(systemctl show -p SubState --value stafd)\" = auto-restart ]" 10
[ ! -e "$RULE" ] || fail "the udev override outlived the crash of stafd ($(systemctl show -p SubState --value stafd))"
log "override gone after the crash ($(systemctl show -p SubState -p NRestarts stafd | tr '\n' ' '))"
wait_for "[ \"\$(systemctl show -p SubState --value stafd)\" = running ]" 30
assert_eq 1 "$(systemctl show -p NRestarts --value stafd)" "stafd's restarts"
[ "$(systemctl show -p MainPID --value stafd)" != "$pid" ] || fail "stafd was not restarted"
wait_for "[ -f $RULE ]" 20
log "restarted stafd (PID $(systemctl show -p MainPID --value stafd)) wrote the override again"
systemctl stop stafd.service
[ ! -e "$RULE" ] || fail "the udev override outlived systemctl stop stafd"
log "PASS"
