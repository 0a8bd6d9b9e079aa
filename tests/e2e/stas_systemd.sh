#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: the installed units under systemd as PID 1, sandbox and all. The build is installed with
# `cmake --install --prefix /usr` (the package's layout); `systemctl start stafd stacd` runs
# stas-config@hostnqn/hostid (creating the host identity with stasadm), starts both as
# Type=dbus services with the shipped policy, and they connect a DC on 127.0.0.1:8009 and its
# three subsystems through the sandbox. `systemctl reload` is a SIGHUP; `systemctl stop` keeps
# the connections and /run/stafd; a restart adopts them; reloads that exclude a subsystem
# (stacd) and drop the DC (stafd) disconnect them through the sandbox. Logs go to the journal.
# e2e-init: systemd
# e2e-timeout: 420
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"
trap '[ $? -eq 0 ] || { systemctl --no-pager status stafd stacd stas-config@hostnqn 2>&1 | tail -40;
  journalctl --no-pager -b -u stafd -u stacd -u stas-config@hostnqn 2>&1 | tail -60; }' EXIT

systemd_install_units

load_nvme_modules 3
nvmet_local_port "$SUB" 3
rm -f /etc/nvme/hostnqn /etc/nvme/hostid /etc/stas/sys.conf
cat >/etc/stas/stafd.conf <<CONF
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
CONF
: >/etc/stas/stacd.conf

log "systemctl start stafd stacd"
systemctl start stafd.service stacd.service || fail "systemctl start failed"
assert_eq active "$(systemctl is-active stafd)" "stafd"
assert_eq active "$(systemctl is-active stacd)" "stacd"
grep -q '^nqn.2014-08.org.nvmexpress:uuid:' /etc/nvme/hostnqn || fail "stas-config@hostnqn did not create /etc/nvme/hostnqn"
[ -s /etc/nvme/hostid ] || fail "stas-config@hostid did not create /etc/nvme/hostid"
HOSTNQN=$(cat /etc/nvme/hostnqn)
wait_for "[ \"\$(stafctl --json dlp -a 127.0.0.1 -s 8009 -q $HOSTNQN | jq length)\" = 4 ]" 60
wait_for "[ \"\$(ioc_connected)\" = 3 ]" 60
assert_each_subsystem_once 1 3
log "connected through the sandbox: $(stacctl --json ls | jq -c '[.[].device]')"
dc=$(stafctl --json ls | jq -r '.[0].device')
assert_eq "$HOSTNQN" "$(cat /sys/class/nvme/$dc/hostnqn)" "the DC connection's host NQN"
[ -f /run/udev/rules.d/70-nvmf-autoconnect.rules ] || fail "stafd could not write its udev override"
# The ownership registry is written through the sandbox too.
assert_eq stas "$(cat /run/nvme/registry/$dc/owner)" "the registry's owner of stafd's DC $dc"
io=$(ioc_device "${SUB}1")
assert_eq stas "$(cat /run/nvme/registry/$io/owner)" "the registry's owner of stacd's $io"
assert_contains "$(journalctl --no-pager -b -u stafd)" "Connection established" "stafd's journal"
for u in stafd stacd; do
  log "$u: $(systemctl show -p MainPID -p NoNewPrivileges -p ProtectSystem -p CapabilityBoundingSet $u | tr '\n' ' ')"
done

log "systemctl reload: SIGHUP, same process"
pid=$(systemctl show -p MainPID --value stafd)
systemctl reload stafd stacd || fail "systemctl reload failed"
assert_eq "$pid" "$(systemctl show -p MainPID --value stafd)" "stafd's PID after reload"
assert_eq active "$(systemctl is-active stafd)" "stafd after reload"

log "systemctl stop: connections and state stay"
assert_eq 1 "$(dc_connected_live)" "stafd's DC live in the kernel"
snap=$(kernel_snapshot)
systemctl stop stacd stafd
assert_eq inactive "$(systemctl is-active stafd)" "stafd after stop"
assert_kernel_io 3 "I/O controllers after stop"
assert_eq "$snap" "$(kernel_snapshot)" "the kernel's controllers after stop (the same, live)"
[ -f /run/stafd/last-known-config.json ] || fail "RuntimeDirectoryPreserve: /run/stafd/last-known-config.json is gone"
[ ! -e /run/udev/rules.d/70-nvmf-autoconnect.rules ] || fail "the udev override outlived stafd"

log "systemctl start again: the connections are adopted"
systemctl start stafd stacd
wait_for "[ \"\$(ioc_connected)\" = 3 ]" 60
wait_for "[ \"\$(dc_connected_live)\" = 1 ]" 60
assert_each_subsystem_once 1 3
assert_eq "$snap" "$(kernel_snapshot)" "the kernel's controllers after the restart (adopted, not re-made)"

# Disconnecting writes the controllers' sysfs delete_controller files: the sandbox (no
# CAP_DAC_OVERRIDE, ProtectSystem=full) must allow it.
log "systemctl reload stacd with ${SUB}3 excluded: disconnected through the sandbox"
printf '[Controllers]\nexclude = nqn=%s\n' "${SUB}3" >/etc/stas/stacd.conf
systemctl reload stacd || fail "systemctl reload stacd failed"
wait_for "[ \"\$(kernel_ctrl_count ${SUB}3)\" = 0 ]" 30
assert_eq 0 "$(journalctl --no-pager -b -u stafd -u stacd | grep -c 'ownership registry')" \
  "journal lines about the ownership registry (a write that failed)"
assert_kernel_io 2 "I/O controllers after the exclusion"
assert_eq "$(echo "$snap" | grep -vF " ${SUB}3 ")" "$(kernel_snapshot)" "the other controllers after the exclusion"
log "systemctl reload stafd without its DC: the DC disconnected through the sandbox"
: >/etc/stas/stafd.conf
systemctl reload stafd || fail "systemctl reload stafd failed"
wait_for "[ \"\$(kernel_ctrl_count $WKDN)\" = 0 ]" 30
# The DC's log page went with it: stacd disconnects the I/O controllers it listed.
wait_for "[ \"\$(kernel_io_count)\" = 0 ]" 30
assert_eq active "$(systemctl is-active stafd)" "stafd after the DC went"
assert_eq active "$(systemctl is-active stacd)" "stacd after the DC went"
systemctl stop stacd stafd
log "PASS"
