# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# What the bench scripts share: a private dbus-daemon, the simulated host identity, process
# control limited to PIDs the script started, and figures from /proc. Source it; it sets
# TMP, ADDR and DBUS_PID, and an EXIT trap that stops DBUS_PID and every PID in BENCH_PIDS.
#
#   BENCH_NAME=<name for messages>; . bench_lib.sh

HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:6b1d4a36-2f5e-4c1c-9d0a-3c2b7e1f0a55
HOSTID=6b1d4a36-2f5e-4c1c-9d0a-3c2b7e1f0a55
BENCH_PIDS=()
DBUS_PID=""

for tool in busctl dbus-daemon awk sort timeout; do
  command -v "$tool" >/dev/null || { echo "$BENCH_NAME: $tool not found" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/$BENCH_NAME.XXXXXX") || exit 1

stop_pid() {  # stop_pid PID: TERM, up to 5 s, then KILL; only PIDs this script started
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null  # reaps our children; dbus-daemon forked away, not a child
  return 0
}
# shellcheck disable=SC2317  # invoked by the EXIT trap
bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do stop_pid "$pid"; done
  BENCH_PIDS=()
  stop_pid "$DBUS_PID"; DBUS_PID=""
  rm -rf "$TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# fail MESSAGE: prints it and the end of RUNLOG (if set), exits 1.
fail() {
  echo "$BENCH_NAME: $*" >&2
  local log
  for log in ${RUNLOGS:-}; do
    [ -f "$log" ] || continue
    echo "--- last lines of $log ---" >&2
    tail -n 20 "$log" >&2
  done
  exit 1
}

now_ns() { date +%s%N; }
ms_since() { awk -v d=$(($(now_ns) - $1)) 'BEGIN {printf "%.0f", d / 1e6}'; }

# Figures of process PID from /proc (KiB, clock ticks, thread count).
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
threads_of() { awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
# utime + stime (fields 14 and 15; the comm of our daemons has no space)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
HZ=$(getconf CLK_TCK)

# stats FILE -> "median p95" in ms (nearest rank p95), from ns samples one per line
stats() {
  sort -n "$1" | awk '{v[NR] = $1} END {
    if (NR == 0) { print "n/a n/a"; exit }
    med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    r = int(0.95 * NR); if (r < 0.95 * NR) r++
    printf "%.1f %.1f\n", med / 1e6, v[r] / 1e6 }'
}

# --- Private bus and host identity ----------------------------------------------------------
BUSINFO=$(dbus-daemon --session --fork --print-address=1 --print-pid=1 --nopidfile) ||
  fail "cannot start dbus-daemon"
ADDR=$(sed -n 1p <<<"$BUSINFO")
pid=$(sed -n 2p <<<"$BUSINFO")
if [[ "$pid" =~ ^[0-9]+$ ]]; then DBUS_PID=$pid; fi  # the forked bus daemon, stopped on exit
if [ -z "$ADDR" ] || [ -z "$DBUS_PID" ]; then fail "unexpected dbus-daemon output: $BUSINFO"; fi

mkdir -p "$TMP/etc/nvme" "$TMP/etc/stas"
echo "$HOSTNQN" >"$TMP/etc/nvme/hostnqn"
echo "$HOSTID" >"$TMP/etc/nvme/hostid"

# start_sim BIN CONF SCENARIO RUNTIME LOG: a daemon of the harness in the background; sets
# SIM_PID and adds it to BENCH_PIDS.
start_sim() {
  DBUS_SYSTEM_BUS_ADDRESS="$ADDR" STAS_SIM_SCENARIO="$3" STAS_SIM_ETC="$TMP/etc" \
    RUNTIME_DIRECTORY="$4" "$1" -f "$2" >"$5" 2>&1 &
  SIM_PID=$!
  BENCH_PIDS+=("$SIM_PID")
}

# stop_sim PID: stops it and forgets it.
stop_sim() {
  local p keep=()
  stop_pid "$1"
  for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  BENCH_PIDS=("${keep[@]}")
}
