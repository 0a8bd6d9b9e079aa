#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e scenario: 160 controllers through a storm of faults (#14). 80 subsystems, each with 3
# namespaces, exposed on two nvmet ports (127.0.0.1:8009 and :8010); stafd has both ports as DCs,
# stacd connects the 80 × 2 I/O controllers (480 namespace paths; one I/O queue each, so that
# the guest's 2 CPUs and 2 GiB hold them). Then, one fault after the other without waiting for
# recovery in between:
#   1. both ports down (longer than the reconnect delay), stafd restarted while they are, both up;
#   2. port 2 flaps 5 times (down 1 s, up 2 s), stacd restarted during the third flap;
#   3. subsystem 80 removed from the target (stacd must disconnect its two controllers, and only
#      those), then added again (stacd must connect both again).
# At the end: every one of the 160 paths is live with its 3 namespaces, no subsystem has a
# duplicated controller, none of subsystems 1..79 was disconnected or re-created (the kernel logs
# each creation and each removal; its log is followed from the start), and what stafd and stacd
# report matches the target and the kernel (no event lost). Figures: connect time of the 160,
# time from the last fault to full recovery, the daemons' peak RSS and CPU seconds (all
# instances).
# e2e-timeout: 900
# e2e-serial
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

N=80
NS=3
P1=8009
P2=8010
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# all_subsystems: SUB1..SUB<N>, one a word.
all_subsystems() {
  _i=1
  while [ "$_i" -le "$N" ]; do
    printf '%s ' "$SUB$_i"
    _i=$((_i + 1))
  done
}
# (used unquoted: one argument per subsystem)
SUBS=$(all_subsystems)

# Namespace k of every subsystem is backed by /dev/nullb<k-1> (nvmet_add_subsystems): 3 devices
# instead of 240 keep the guest's set-up short.
load_nvme_modules $NS
# Kernel messages go to the file below, not to the console (160 controllers reconnecting log
# thousands of lines).
dmesg -n 1
mkdir -p "$E2E"
# The kernel's log, followed from the start: a storm of reconnect messages would push the first
# controller creations out of its ring buffer.
dmesg -w >"$E2E/kmsg.log" 2>&1 &
KMSG_PID=$!
nvmet_add_subsystems 0 $NS $SUBS
nvmet_port_up 1 127.0.0.1 $P1 $SUBS
nvmet_port_up 2 127.0.0.1 $P2 $SUBS
stas_host_setup
# tron off: with 160 controllers the debug log would be most of the CPU time measured.
cat >"$E2E/stafd.conf" <<CONF
[Global]
reconnect-delay = 2
ctrl-loss-tmo = -1
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=$P1
controller = transport=tcp;traddr=127.0.0.1;trsvcid=$P2
CONF
cat >"$E2E/stacd.conf" <<CONF
[Global]
reconnect-delay = 2
ctrl-loss-tmo = -1
nr-io-queues = 1
CONF

# What every daemon instance cost, added up when it stops: peak RSS (KiB, the largest) and CPU
# time (ms).
STAFD_HWM=0 STACD_HWM=0 STAFD_CPU=0 STACD_CPU=0
# account PID VAR_PREFIX: adds the process's peak RSS and CPU time to <VAR_PREFIX>_HWM/_CPU.
account() {
  _hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$1/status")
  _cpu=$(cpu_ms "$1")
  eval "[ \"\$_hwm\" -le \"\$${2}_HWM\" ] || ${2}_HWM=\$_hwm; ${2}_CPU=\$((${2}_CPU + _cpu))"
}
restart_stafd() {
  account "$STAFD_PID" STAFD
  stop_pid "$STAFD_PID"
  start_stafd
}
restart_stacd() {
  account "$STACD_PID" STACD
  stop_pid "$STACD_PID"
  start_stacd
}

# io_paths: one line per kernel I/O controller, "SUBSYSNQN TRSVCID STATE NAMESPACE_PATHS",
# sorted (shell builtins only: a process per controller is slow in the guest).
io_paths() {
  for _c in /sys/class/nvme/nvme*; do
    [ -r "$_c/subsysnqn" ] && read -r _q <"$_c/subsysnqn" || continue
    [ "$_q" != "$WKDN" ] || continue
    read -r _st <"$_c/state" || _st=gone
    read -r _a <"$_c/address" || _a=""
    _s=${_a##*trsvcid=}
    _np=0
    for _p in "$_c"/nvme*c*n*; do
      [ -e "$_p" ] && _np=$((_np + 1))
    done
    echo "$_q ${_s%%,*} $_st $_np"
  done | sort
}
# expected_paths: what io_paths prints when each subsystem has exactly one live controller on
# each port, each with its NS namespace paths.
expected_paths() {
  _i=1
  while [ "$_i" -le "$N" ]; do
    echo "$SUB$_i $P1 live $NS"
    echo "$SUB$_i $P2 live $NS"
    _i=$((_i + 1))
  done | sort
}
EXPECTED_PATHS=$(expected_paths)
# assert_all_paths WHAT: io_paths is expected_paths (no controller missing, duplicated, not live
# or short of a namespace).
assert_all_paths() {
  _got=$(io_paths)
  [ "$_got" = "$EXPECTED_PATHS" ] ||
    fail "$1: the kernel's I/O controllers differ from one live controller per port and subsystem:
$(printf '%s\n' "$EXPECTED_PATHS" >/tmp/expected-paths; printf '%s\n' "$_got" | diff /tmp/expected-paths - | head -n 40)"
}
# kernel_counts TEXT: "NQN COUNT" for each subsystem named in the followed kernel log's lines
# '<TEXT>: NQN "<nqn>"', sorted.
kernel_counts() {
  awk -v t="$1: NQN \"" 'index($0, t) {
      s = substr($0, index($0, t) + length(t)); n[substr(s, 1, index(s, "\"") - 1)]++ }
    END { for (q in n) print q, n[q] }' "$E2E/kmsg.log" | sort
}
# expected_counts C_DCS C_OTHERS C_LAST: "NQN COUNT" lines: C_DCS for the discovery NQN,
# C_OTHERS for SUB1..SUB<N-1>, C_LAST for SUB<N> (a count of 0 is no line), sorted.
expected_counts() {
  {
    [ "$1" = 0 ] || echo "$WKDN $1"
    _i=1
    while [ "$_i" -le "$N" ]; do
      _n=$2
      [ "$_i" != "$N" ] || _n=$3
      [ "$_n" = 0 ] || echo "$SUB$_i $_n"
      _i=$((_i + 1))
    done
  } | sort
}

log "start stafd and stacd: $N subsystems x 2 ports x $NS namespaces"
start_stafd
wait_for "[ \"\$(dlp_count_port $P1)\" = $((N + 1)) ] && [ \"\$(dlp_count_port $P2)\" = $((N + 1)) ]" 120
t0=$(now_ms)
start_stacd
wait_kernel_live_total $((2 * N + 2)) 300
t_connected=$(now_ms)
assert_all_paths "after the first connects"
wait_for "[ \"\$(ioc_connected)\" = $((2 * N)) ]" 60
BEFORE=$(kernel_snapshot | awk -v s="$SUB$N" '$2 != s && $2 != "'"$WKDN"'" { print $1, $2 }')
assert_eq $((2 * N - 2)) "$(printf '%s\n' "$BEFORE" | wc -l)" "controllers of subsystems 1..$((N - 1))"
log "all $((2 * N)) connected in $((t_connected - t0)) ms"

log "fault 1: both ports down, stafd restarted while they are"
nvmet_port_down 1 $SUBS
nvmet_port_down 2 $SUBS
wait_kernel_live_total 0 60
sleep 3
restart_stafd
sleep 2
nvmet_port_up 1 127.0.0.1 $P1 $SUBS
nvmet_port_up 2 127.0.0.1 $P2 $SUBS

log "fault 2: port 2 flaps 5 times, stacd restarted during the third"
f=1
while [ "$f" -le 5 ]; do
  sleep 2
  nvmet_port_down 2 $SUBS
  [ "$f" != 3 ] || restart_stacd
  sleep 1
  nvmet_port_up 2 127.0.0.1 $P2 $SUBS
  f=$((f + 1))
done

log "fault 3: $SUB$N removed from the target, then added again"
nvmet_remove_subsystem "$SUB$N"
wait_for "[ \"\$(kernel_ctrl_count $SUB$N)\" = 0 ]" 120
log "stacd disconnected both controllers of $SUB$N"
nvmet_add_subsystem "$SUB$N" 0 $NS
nvmet_link 1 "$SUB$N"
nvmet_link 2 "$SUB$N"
t_last_fault=$(now_ms)

log "recovery"
wait_kernel_live_total $((2 * N + 2)) 300
t_recovered=$(now_ms)
assert_all_paths "after the storm"
wait_for "[ \"\$(ioc_connected)\" = $((2 * N)) ]" 60
assert_eq $((2 * N)) "$(ioc_listed)" "I/O controllers stacd lists"
wait_for "[ \"\$(dc_connected_live)\" = 2 ]" 30
assert_eq 2 "$(kernel_ctrl_count "$WKDN")" "discovery controllers in the kernel"
wait_for "[ \"\$(dlp_count_port $P1)\" = $((N + 1)) ] && [ \"\$(dlp_count_port $P2)\" = $((N + 1)) ]" 30

# None of subsystems 1..79 lost its controllers, nor stafd its DCs: the same devices, each
# created once (the kernel logs 'new ctrl' on creation, not on reconnection) and never removed;
# stacd disconnected only the removed subsystem's two.
AFTER=$(kernel_snapshot | awk -v s="$SUB$N" '$2 != s && $2 != "'"$WKDN"'" { print $1, $2 }')
assert_eq "$BEFORE" "$AFTER" "the controllers of subsystems 1..$((N - 1)) after the storm"
assert_eq "$(expected_counts 2 2 4)" "$(kernel_counts "new ctrl")" \
  "controllers the kernel created per subsystem (2 each, 4 for $SUB$N)"
assert_eq "$(expected_counts 0 0 2)" "$(kernel_counts "Removing ctrl")" \
  "controllers the kernel removed (only $SUB$N's 2)"
assert_eq 2 "$(grep -E 'no longer wanted' "$E2E/stacd.log" | grep -cE "$SUB$N[,)]")" \
  "stacd's removals of $SUB$N's controllers"
assert_no_match "$E2E/stacd.log" "no longer wanted.*$SUB([1-9]|[1-7][0-9])[,)]" \
  "stacd removed a controller of a subsystem that stayed"
pid_alive "$STAFD_PID" || fail "stafd died"
pid_alive "$STACD_PID" || fail "stacd died"

account "$STAFD_PID" STAFD
account "$STACD_PID" STACD
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
kill "$KMSG_PID"
echo "STAS-FIGURE scale160: stacd start -> all $((2 * N)) I/O controllers ($((2 * N * NS)) namespace paths) live: $((t_connected - t0)) ms"
echo "STAS-FIGURE scale160: last fault ($SUB$N added again) -> every path live: $((t_recovered - t_last_fault)) ms"
echo "STAS-FIGURE scale160: stafd (2 instances): peak RSS $STAFD_HWM KiB, CPU $STAFD_CPU ms"
echo "STAS-FIGURE scale160: stacd (2 instances): peak RSS $STACD_HWM KiB, CPU $STACD_CPU ms"
log "PASS"
