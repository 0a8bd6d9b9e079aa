#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e smoke test: proves the QEMU harness. The guest's nvmet target exposes 3 subsystems on
# 127.0.0.1:8009; the kernel's NVMe/TCP host discovers them with nvme-cli, connects to one, sees
# its block device and controller, and disconnects. Also records the kernel, the options of
# /dev/nvme-fabrics, and checks that a "kernel" uevent monitor sees the new controller.
# Run by tests/e2e/vm/run-in-vm.sh (ctest -L e2e), as root in the guest, on both kernels.
# e2e-kernels: 6.1 6.12
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"

SUB=nqn.2014-08.org.example:sub

log "kernel: $(uname -r)"
load_nvme_modules 3
log "/dev/nvme-fabrics options: $(cat /dev/nvme-fabrics)"

nvmet_local_port "$SUB" 3

log "nvme discover"
out=$(timeout 30 nvme discover -t tcp -a 127.0.0.1 -s 8009) || fail "nvme discover failed: $out"
echo "$out"
for i in 1 2 3; do
  assert_contains "$out" "subnqn:  $SUB$i" "nvme discover"
done
assert_contains "$out" "subnqn:  nqn.2014-08.org.nvmexpress.discovery" "nvme discover"
assert_eq 4 "$(echo "$out" | grep -c '^=====Discovery Log Entry')" "number of discovery log entries"

# A uevent monitor on the kernel source (no systemd-udevd runs in the guest).
timeout 90 udevadm monitor --kernel --subsystem-match=nvme >/tmp/uevents 2>&1 &
monitor_pid=$!
wait_for "grep -q 'monitor will print' /tmp/uevents" 10

log "nvme connect"
timeout 30 nvme connect -t tcp -a 127.0.0.1 -s 8009 -n "${SUB}1" || fail "nvme connect failed"
wait_for "ls /dev/nvme*n1" 10
log "block devices: $(ls /dev/nvme*n1)"

ctrl=""
for c in /sys/class/nvme/nvme*; do
  if [ "$(cat "$c/subsysnqn" 2>/dev/null)" = "${SUB}1" ]; then
    ctrl=$(basename "$c")
  fi
done
[ -n "$ctrl" ] || fail "no controller in /sys/class/nvme with subsysnqn ${SUB}1"
log "controller $ctrl: transport $(cat "/sys/class/nvme/$ctrl/transport")," \
  "address $(cat "/sys/class/nvme/$ctrl/address"), state $(cat "/sys/class/nvme/$ctrl/state")"
assert_eq tcp "$(cat "/sys/class/nvme/$ctrl/transport")" "transport of $ctrl"
assert_eq live "$(cat "/sys/class/nvme/$ctrl/state")" "state of $ctrl"

# The daemons rely on these uevents (libudev monitor on the "kernel" netlink source).
wait_for "grep -q 'add .*/$ctrl (nvme)' /tmp/uevents" 10
log "udevadm monitor --kernel saw: $(grep "/$ctrl (nvme)" /tmp/uevents | tr -s ' ' | tr '\n' ';')"
kill "$monitor_pid" 2>/dev/null || true

log "nvme disconnect-all"
timeout 30 nvme disconnect-all || fail "nvme disconnect-all failed"
wait_for "! [ -e /sys/class/nvme/$ctrl ]" 10
log "smoke test passed"
