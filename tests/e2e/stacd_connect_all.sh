#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e scenario 1: a configured DC → stafd connects and fetches the log page (3 subsystems) →
# stacd connects all 3 with the connect options of stacd.conf; stafctl ls/dlp/adlp, stacctl ls
# and status, nvme list-subsys and /sys/class/nvme agree; the namespaces' block devices exist.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

stas_setup 3
stafd_conf_one_dc
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
nr-io-queues = 1
queue-size = 32
reconnect-delay = 5
ctrl-loss-tmo = 90
CONF

log "start stafd and stacd"
start_stafd
wait_for "[ \"\$(dlp_count)\" = 4 ]" 60
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 3 ]" 60
log "stacd connected $(ioc_connected) I/O controllers"
assert_each_subsystem_once 1 3
assert_kernel_io 3 "I/O controllers in the kernel"

log "connect options reached the kernel"
for i in 1 2 3; do
  c=$(ioc_device "$SUB$i")
  assert_ioc_live "$SUB$i" "$c" "$SUB$i"
  assert_eq io "$(cat /sys/class/nvme/$c/cntrltype)" "cntrltype of $c"
  assert_eq "$HOSTNQN" "$(cat /sys/class/nvme/$c/hostnqn)" "hostnqn of $c"
  assert_eq 2 "$(cat /sys/class/nvme/$c/queue_count)" "queue_count of $c (1 I/O queue + admin)"
  assert_eq 31 "$(cat /sys/class/nvme/$c/sqsize)" "sqsize of $c (queue-size 32)"
  assert_eq 5 "$(cat /sys/class/nvme/$c/reconnect_delay)" "reconnect_delay of $c"
  # the kernel rounds ctrl-loss-tmo up to a multiple of reconnect-delay: 90 = 18 x 5
  assert_eq 90 "$(cat /sys/class/nvme/$c/ctrl_loss_tmo)" "ctrl_loss_tmo of $c"
done

log "what the tools show"
out=$(stafctl ls) || fail "stafctl ls failed"
echo "$out"
assert_contains "$out" "'traddr': '127.0.0.1'" "stafctl ls"
out=$(stafctl dlp -a 127.0.0.1 -s 8009) || fail "stafctl dlp failed"
for i in 1 2 3; do assert_contains "$out" "'subnqn': '$SUB$i'" "stafctl dlp"; done
out=$(stafctl adlp) || fail "stafctl adlp failed"
for i in 1 2 3; do assert_contains "$out" "$SUB$i" "stafctl adlp"; done
out=$(stacctl ls) || fail "stacctl ls failed"
echo "$out"
for i in 1 2 3; do assert_contains "$out" "'subsysnqn': '$SUB$i'" "stacctl ls"; done
assert_eq 3 "$(stacctl --json status | jq '.controllers | length')" "controllers in stacctl status"
assert_eq '"True"' "$(stacctl --json ls -d | jq '[.[].connected] | unique | .[0]')" "connected"
out=$(nvme list-subsys) || fail "nvme list-subsys failed"
echo "$out"
for i in 1 2 3; do assert_contains "$out" "$SUB$i" "nvme list-subsys"; done
# Each controller's namespace 1, and its block device: nvme<C>n1, or with native multipath the
# path nvme<S>c<C>n1 on the controller and the block device nvme<S>n1 of its subsystem.
for i in 1 2 3; do
  c=$(ioc_device "$SUB$i")
  ns=$(ls -d /sys/class/nvme/"$c"/nvme*n1) || fail "no namespace on $c ($SUB$i)"
  assert_eq 1 "$(echo "$ns" | wc -l)" "namespaces on $c"
  bdev=$(echo "${ns##*/}" | sed 's/^\(nvme[0-9]*\)c[0-9]*\(n1\)$/\1\2/')
  [ -b "/dev/$bdev" ] || fail "no block device /dev/$bdev for $c ($SUB$i)"
  [ "$(cat "/sys/block/$bdev/size")" -gt 0 ] || fail "/dev/$bdev has no capacity"
done

log "stop both: I/O connections stay"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
assert_kernel_io 3 "I/O controllers after stopping stacd"
log "PASS"
