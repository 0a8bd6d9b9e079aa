#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e scenario 10: 64 subsystems appear in one log page change → how long until stacd has
# connected all of them, next to nvme-cli's `connect-all` for the same 64 in the same guest.
# Figures, not assertions: the test checks that every subsystem ends connected exactly once.
# Under TCG (no KVM) absolute times are several times those of real hardware; the ratio is
# what matters. The kernel serialises writes to /dev/nvme-fabrics (nvmf_dev_mutex), so
# parallel connects overlap only in what happens outside that lock.
# e2e-timeout: 900
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

N=64
now_ms() { echo $(($(date +%s%N) / 1000000)); }

stas_setup 0 $((N + 1))
i=1
while [ "$i" -le "$N" ]; do
  nvmet_add_subsystem "$SUB$i" $((i - 1))
  i=$((i + 1))
done
# The port listens once a subsystem is linked: a small "seed" subsystem keeps the DC reachable.
nvmet_add_subsystem "${SUB}seed" "$N"
nvmet_link 1 "${SUB}seed"
stafd_conf_one_dc
# One I/O queue each: the guest has 2 CPUs and runs 65 controllers.
printf '[Global]\nnr-io-queues = 1\n' >"$E2E/stacd.conf"
start_stafd
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 1 ]" 60

log "link $N subsystems at once"
t0=$(now_ms)
i=1
while [ "$i" -le "$N" ]; do
  ln -s "$NVMET/subsystems/$SUB$i" "$NVMET/ports/1/subsystems/$SUB$i" || fail "link $SUB$i"
  i=$((i + 1))
done
t_linked=$(now_ms)
wait_for "[ \"\$(dlp_count)\" = $((N + 2)) ]" 120
t_dlp=$(now_ms)
wait_for "[ \"\$(ioc_connected)\" = $((N + 1)) ]" 240
t_stacd=$(now_ms)
assert_each_subsystem_once 1 "$N"
threads=$(awk '/^Threads:/ {print $2}' "/proc/$STACD_PID/status")
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$STACD_PID/status")

log "the same $N with nvme connect-all, the daemons stopped and every connection removed"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
nvme disconnect-all >/dev/null || fail "nvme disconnect-all"
wait_for "[ \"\$(ls /sys/class/nvme | wc -l)\" = 0 ]" 120
t1=$(now_ms)
nvme connect-all -t tcp -a 127.0.0.1 -s 8009 --hostnqn="$HOSTNQN" --hostid="$HOSTID" \
  --nr-io-queues=1 >/dev/null 2>&1 || log "nvme connect-all exited with $?"
wait_for "[ \"\$(kernel_live_io_count)\" = $((N + 1)) ]" 240
t_cli=$(now_ms)
assert_each_subsystem_once 1 "$N"

stacd_ms=$((t_stacd - t0))
echo "STAS-FIGURE scale64: linking the $N subsystems in configfs: $((t_linked - t0)) ms"
echo "STAS-FIGURE scale64: link start -> stafd serves all $N entries: $((t_dlp - t0)) ms"
echo "STAS-FIGURE scale64: link start -> stacd has all $N connected: $stacd_ms ms (includes stacd's 1.5 s soak)"
echo "STAS-FIGURE scale64: stafd serving all -> stacd all connected: $((t_stacd - t_dlp)) ms"
echo "STAS-FIGURE scale64: nvme connect-all of the same $N (sequential): $((t_cli - t1)) ms"
echo "STAS-FIGURE scale64: stacd threads at the end: $threads, VmRSS: $rss KiB"
log "PASS"
