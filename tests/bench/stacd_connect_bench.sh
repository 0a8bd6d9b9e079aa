#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Bench (test tier 6): how fast stacd connects new subsystems, and its memory with many I/O
# controllers, on the simulated kernel, printed as a Markdown table. Nothing here is a timed
# assertion: the script fails only when it cannot take a measurement (a binary missing, a
# daemon not on the bus, the connections not made within their bound).
#
#   tests/bench/stacd_connect_bench.sh [BUILD_DIR]     (default /work/main/build)
#
# For N = 64 and N = 1,000: stafd-sim and stacd-sim on a private bus, stacd's simulated kernel
# taking LATENCY_MS per connect (the time a TCP + NVMe connect takes on a LAN). stafd's DC first
# serves an empty log page; then its log page gets N new subsystems (SIGUSR1, an AEN as nvmet
# sends it), stafd emits log_pages_changed, stacd soaks 1.5 s, asks stafd for the log pages
# and connects the N subsystems. Measured from the AEN to the first poll of stacd's
# list_controllers that shows all N with a kernel device.
set -u

BUILD_DIR=${1:-/work/main/build}
STAFD_SIM="$BUILD_DIR/tests/stafd-sim"
STACD_SIM="$BUILD_DIR/tests/stacd-sim"
LATENCY_MS=50
CONNECT_BOUND=120  # seconds allowed for N connections (serially, 1,000 would take 50 s)
SOAK_MS=1500       # stacd's soak after log_pages_changed, as nvme-stas's
STAF=org.nvmexpress.staf
STAC=org.nvmexpress.stac

for bin in "$STAFD_SIM" "$STACD_SIM"; do
  [ -x "$bin" ] || { echo "stacd_connect_bench: $bin not found (build it)" >&2; exit 1; }
done
BENCH_NAME=stacd_connect_bench
# shellcheck source=tests/bench/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"

call() {  # call SERVICE INTERFACE METHOD [SIGNATURE ARGS...]
  local svc=$1 iface=$2
  shift 2
  timeout 15 busctl --address="$ADDR" --timeout=10 call "$svc" "/${svc//.//}" "$iface" "$@"
}

# "connected listed": from `list_controllers b false` as busctl prints it (aa{ss} COUNT ...).
stacd_counts() {
  call "$STAC" "$STAC" list_controllers b false 2>/dev/null |
    awk '{n = $2; u = gsub(/"nvme\?"/, ""); print n - u, n}'
}

# write_scenario FILE N ENTRIES: the DC at 192.0.2.10:8009 serves ENTRIES of the N subsystems
# nqn.bench:0..N-1, all exposed by the I/O port 198.51.100.1:4420.
write_scenario() {
  local file=$1 n=$2 entries=$3 i
  {
    printf '{"connect_latency_ms":%d,"ports":[' "$LATENCY_MS"
    printf '{"traddr":"192.0.2.10","trsvcid":"8009","log":['
    for ((i = 0; i < entries; i++)); do
      ((i > 0)) && printf ','
      printf '{"subnqn":"nqn.bench:%d","traddr":"198.51.100.1","trsvcid":"4420"}' "$i"
    done
    printf ']},{"traddr":"198.51.100.1","trsvcid":"4420","subsystems":['
    for ((i = 0; i < n; i++)); do
      ((i > 0)) && printf ','
      printf '"nqn.bench:%d"' "$i"
    done
    printf ']}]}\n'
  } >"$file.tmp" && mv -f "$file.tmp" "$file"
}

wait_on_bus() {  # wait_on_bus SERVICE PID
  local end=$(($(date +%s) + 10))
  until call "$1" "$1.debug" process_info >/dev/null 2>&1; do
    kill -0 "$2" 2>/dev/null || fail "$1: the daemon exited before it answered on the bus"
    (($(date +%s) < end)) || fail "$1: not answering on the bus after 10 s"
    sleep 0.02
  done
}

declare -A R  # R[N,figure]

run_bench() {  # run_bench N
  local n=$1 dir="$TMP/n$1" t0 c0 counts connected listed threads peak=0 end
  mkdir -p "$dir/run-stafd" "$dir/run-stacd"
  printf '[Controllers]\ncontroller=transport=tcp;traddr=192.0.2.10;trsvcid=8009\n' >"$dir/stafd.conf"
  printf '[Global]\ntron=false\n' >"$dir/stacd.conf"
  write_scenario "$dir/scenario.json" "$n" 0
  RUNLOGS="$dir/stafd.log $dir/stacd.log"
  start_sim "$STAFD_SIM" "$dir/stafd.conf" "$dir/scenario.json" "$dir/run-stafd" "$dir/stafd.log"
  local stafd_pid=$SIM_PID
  start_sim "$STACD_SIM" "$dir/stacd.conf" "$dir/scenario.json" "$dir/run-stacd" "$dir/stacd.log"
  local stacd_pid=$SIM_PID
  wait_on_bus "$STAF" "$stafd_pid"
  wait_on_bus "$STAC" "$stacd_pid"
  sleep 3  # both soaks over: stacd has asked stafd once and has nothing to connect
  R[$n,rss_idle]=$(rss_kib "$stacd_pid")
  R[$n,threads_idle]=$(threads_of "$stacd_pid")

  write_scenario "$dir/scenario.json" "$n" "$n"
  c0=$(cpu_ticks "$stacd_pid")
  t0=$(now_ns)
  kill -USR1 "$stafd_pid" || fail "stafd-sim gone"
  end=$(($(date +%s) + CONNECT_BOUND))
  while :; do
    threads=$(threads_of "$stacd_pid")
    ((${threads:-0} > peak)) && peak=$threads
    read -r connected listed <<<"$(stacd_counts)"
    [ "${connected:-0}" = "$n" ] && break
    kill -0 "$stacd_pid" 2>/dev/null || fail "stacd-sim exited while connecting"
    (($(date +%s) < end)) || fail "N=$n: only '${connected:-}' of $n connected after ${CONNECT_BOUND} s"
    sleep 0.02
  done
  R[$n,total]=$(ms_since "$t0")
  R[$n,connect]=$((R[$n,total] - SOAK_MS))
  R[$n,serial]=$((n * LATENCY_MS))
  R[$n,cpu]=$(awk -v d=$(($(cpu_ticks "$stacd_pid") - c0)) -v hz="$HZ" 'BEGIN {printf "%.0f", d * 1000 / hz}')
  R[$n,cpu_per]=$(awk -v d=$(($(cpu_ticks "$stacd_pid") - c0)) -v hz="$HZ" -v n="$n" 'BEGIN {printf "%.2f", d * 1000 / hz / n}')
  R[$n,peak_threads]=$peak
  R[$n,rss]=$(rss_kib "$stacd_pid")
  : >"$dir/ls"
  for ((i = 0; i < 10; i++)); do
    t0=$(now_ns)
    call "$STAC" "$STAC" list_controllers b true >/dev/null || fail "list_controllers failed"
    echo $(($(now_ns) - t0)) >>"$dir/ls"
  done
  R[$n,ls]=$(stats "$dir/ls")
  sleep 1
  R[$n,rss_after]=$(rss_kib "$stacd_pid")
  R[$n,hwm]=$(hwm_kib "$stacd_pid")
  R[$n,state]=$(wc -c <"$dir/run-stacd/owned-controllers.json")
  stop_sim "$stacd_pid"
  stop_sim "$stafd_pid"
  RUNLOGS=""
}

run_bench 64
run_bench 1000

row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }
fig() { row "$1" "${R[64,$2]}" "${R[1000,$2]}"; }
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null)
echo
echo "### stacd connect bench (stacd-sim + stafd-sim, ${LATENCY_MS} ms per connect, ${BUILD_TYPE:-unknown build type}, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo
row "Figure" "64 new subsystems" "1,000 new subsystems"
row "---" "---:" "---:"
fig "AEN → all connected, polled over D-Bus (ms)" total
fig "… minus stacd's ${SOAK_MS} ms soak: connecting (ms)" connect
fig "The same connects one after the other would take (ms)" serial
fig "stacd threads at peak (loop + sd-bus + workers)" peak_threads
fig "stacd threads before (idle)" threads_idle
fig "stacd CPU from the AEN to all connected (ms)" cpu
fig "… per connect: stacd's own cost outside the kernel (ms; goal at 1,000: at most 2)" cpu_per
fig "stacd VmRSS before, no controller (KiB)" rss_idle
fig "stacd VmRSS with all connected (KiB)" rss
fig "stacd VmRSS after 10 list_controllers(true) (KiB)" rss_after
fig "stacd VmHWM (KiB)" hwm
row "busctl \`list_controllers(true)\`, median / p95 of 10 (ms)" "${R[64,ls]/ / / }" "${R[1000,ls]/ / / }"
fig "owned-controllers.json (bytes)" state
echo
echo "\"All connected\" is the first 20 ms poll of list_controllers(false) that shows every controller"
echo "with a kernel device, so it includes the polls' own cost and the D-Bus path stafd → stacd."
exit 0
