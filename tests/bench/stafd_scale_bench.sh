#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Bench (test tier 6): stafd scale figures on the simulated kernel, printed as a Markdown table.
# Nothing here is a timed assertion: the script fails only when it cannot take a measurement
# (stafd-sim missing, the daemon not on the bus, a log page never ingested within its bound).
#
#   tests/bench/stafd_scale_bench.sh [BUILD_DIR]     (default /work/main/build)
#
# Three runs of stafd-sim, each on a private dbus-daemon and a fresh temp dir:
#   idle      no DC configured, empty simulated kernel;
#   1x1000    one DC (tcp 192.0.2.10:8009) whose log page has 1,000 entries;
#   10x100    ten DCs (tcp 192.0.2.10..19:8009), 100 entries each.
# Figures: VmRSS/VmHWM from /proc/PID/status; start -> all entries available over D-Bus;
# busctl process_info (fixed per-call overhead of a busctl round trip, fork+exec included:
# subtract it); get_all_log_pages(true/false) median and p95 of 20 calls; the time to re-ingest
# a changed log page (SIGUSR1 re-applies the scenario, the simulated kernel sends an AEN); RSS
# after those calls and re-fetches (it should not keep growing).
set -u

BUILD_DIR=${1:-/work/main/build}
SIM="$BUILD_DIR/tests/stafd-sim"
CALLS=20        # samples per timed D-Bus method
REFETCHES=6     # log page changes per run (alternately drop and restore one entry)
INGEST_BOUND=30 # seconds allowed for a log page to be ingested
BUS=org.nvmexpress.staf
OBJ=/org/nvmexpress/staf
DNQN=nqn.2014-08.org.nvmexpress.discovery

[ -x "$SIM" ] || { echo "stafd_scale_bench: $SIM not found (build the stafd-sim target)" >&2; exit 1; }
BENCH_NAME=stafd_scale_bench
# shellcheck source=tests/bench/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"
STAFD_PID=""

bcall() {  # bcall METHOD [SIGNATURE ARGS...]: one call on the private bus, reply on stdout
  local iface=$BUS
  [ "$1" = process_info ] && iface=$BUS.debug  # process_info is on org.nvmexpress.staf.debug
  timeout 15 busctl --address="$ADDR" --timeout=10 call "$BUS" "$OBJ" "$iface" "$@"
}

# --- Scenario generation --------------------------------------------------------------------
# Entry i: subnqn nqn.bench:i, trsvcid 4420, traddr spread over 198.51.100.0/24,
# 203.0.113.0/24 and 2001:db8::/64 ("various addresses").
entry_json() {
  local i=$1 a
  case $((i % 4)) in
    2) a="203.0.113.$((i % 250 + 1))" ;;
    3) a=$(printf '2001:db8::%x' $((i + 1))) ;;
    *) a="198.51.100.$((i % 250 + 1))" ;;
  esac
  printf '{"subnqn":"nqn.bench:%d","traddr":"%s","trsvcid":"4420"}' "$i" "$a"
}

# write_scenario FILE NDCS PER_DC DROP_LAST: DC k serves nqn.bench:k*PER_DC .. (k+1)*PER_DC-1;
# with DROP_LAST=1, DC 0 serves one entry less (a changed log page for the re-fetch figure).
write_scenario() {
  local file=$1 ndcs=$2 per=$3 drop=$4 k i n first=1
  {
    printf '{"connect_latency_ms":0,"ports":['
    for ((k = 0; k < ndcs; k++)); do
      ((k > 0)) && printf ','
      printf '{"traddr":"192.0.2.%d","trsvcid":"8009","dctype":"ddc","up":true,"log":[' $((10 + k))
      n=$per
      ((k == 0 && drop == 1)) && n=$((per - 1))
      first=1
      for ((i = k * per; i < k * per + n; i++)); do
        ((first)) || printf ','
        first=0
        entry_json "$i"
      done
      printf ']}'
    done
    printf ']}\n'
  } >"$file.tmp" && mv -f "$file.tmp" "$file"
}

write_conf() {  # write_conf FILE NDCS
  local file=$1 ndcs=$2 k
  {
    printf '[Global]\ntron=false\n\n[Service Discovery]\nzeroconf=disabled\n\n[Controllers]\n'
    for ((k = 0; k < ndcs; k++)); do
      printf 'controller=transport=tcp;traddr=192.0.2.%d;trsvcid=8009\n' $((10 + k))
    done
  } >"$file"
}

# --- Measurements ---------------------------------------------------------------------------
time_calls() {  # time_calls OUTFILE METHOD [SIG ARGS...]: CALLS samples (ns) of one busctl call;
  local out=$1 i t0 t1 c0 c1  # sets CPU_MS: stafd CPU time (user+sys) per call, in ms
  shift
  : >"$out"
  c0=$(cpu_ticks "$STAFD_PID")
  for ((i = 0; i < CALLS; i++)); do
    t0=$(now_ns)
    bcall "$@" >/dev/null || fail "busctl call $1 failed"
    t1=$(now_ns)
    echo $((t1 - t0)) >>"$out"
  done
  c1=$(cpu_ticks "$STAFD_PID")
  CPU_MS=$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v n="$CALLS" 'BEGIN {printf "%.1f", d * 1000 / hz / n}')
}

dc_count() {  # dc_count K: entries stafd serves for DC K (get_log_pages), "" if no answer
  bcall get_log_pages sssssss tcp "192.0.2.$((10 + $1))" 8009 "$DNQN" "" "" "$HOSTNQN" 2>/dev/null |
    awk '{print $2; exit}'
}

all_count() {  # entries of every DC, counted in get_all_log_pages(false)
  bcall get_all_log_pages b false 2>/dev/null | grep -o 'nqn\.bench:[0-9]*' | wc -l
}

wait_on_bus() {  # the daemon owns its name and answers
  local end=$(($(date +%s) + 10))
  until bcall process_info >/dev/null 2>&1; do
    kill -0 "$STAFD_PID" 2>/dev/null || fail "stafd-sim exited before it answered on the bus"
    (($(date +%s) < end)) || fail "stafd-sim not answering on the bus after 10 s"
    sleep 0.02
  done
}

# wait_count WANT K: poll until DC K serves WANT entries (K=all: the sum over every DC)
wait_count() {
  local want=$1 k=$2 got end=$(($(date +%s) + INGEST_BOUND))
  while :; do
    if [ "$k" = all ]; then got=$(all_count); else got=$(dc_count "$k"); fi
    [ "$got" = "$want" ] && return 0
    kill -0 "$STAFD_PID" 2>/dev/null || fail "stafd-sim exited while waiting for $want entries"
    (($(date +%s) < end)) || fail "DC $k: $want entries not available within ${INGEST_BOUND} s (last: '${got}')"
    sleep 0.01
  done
}

start_stafd() {  # stafd-sim with $RUNDIR/{stafd.conf,scenario.json}, in the background
  RUNLOGS="$RUNDIR/stafd.log"
  START_NS=$(now_ns)
  start_sim "$SIM" "$RUNDIR/stafd.conf" "$RUNDIR/scenario.json" "$RUNDIR/run" "$RUNLOGS"
  STAFD_PID=$SIM_PID
}

declare -A R  # R[run,figure]

# run_bench NAME NDCS PER_DC
run_bench() {
  local name=$1 ndcs=$2 per=$3 total=$(($2 * $3)) t i r want c0
  RUNDIR="$TMP/$name"
  mkdir -p "$RUNDIR/run"
  write_conf "$RUNDIR/stafd.conf" "$ndcs"
  write_scenario "$RUNDIR/scenario.json" "$ndcs" "$per" 0
  start_stafd
  wait_on_bus
  t=$(now_ns)
  R[$name,onbus]=$(awk -v d=$((t - START_NS)) 'BEGIN {printf "%.0f", d / 1e6}')
  SOAK=$(bcall process_info | grep -o 'config soak timer[^,]*' | sed -e 's/[\\\\"]//g' -e 's/:/ /')
  if ((ndcs == 0)); then
    sleep 0.5  # let start-up settle: this is the idle figure
    R[$name,avail]="–"
  else
    if ((ndcs == 1)); then wait_count "$total" 0; else wait_count "$total" all; fi
    t=$(now_ns)
    R[$name,avail]=$(awk -v d=$((t - START_NS)) 'BEGIN {printf "%.0f", d / 1e6}')
  fi
  R[$name,rss]=$(rss_kib "$STAFD_PID")
  R[$name,hwm]=$(hwm_kib "$STAFD_PID")

  time_calls "$RUNDIR/pi" process_info
  R[$name,pi]=$(stats "$RUNDIR/pi")
  R[$name,pi_cpu]=$CPU_MS
  time_calls "$RUNDIR/gat" get_all_log_pages b true
  R[$name,gat]=$(stats "$RUNDIR/gat")
  R[$name,gat_cpu]=$CPU_MS
  time_calls "$RUNDIR/gaf" get_all_log_pages b false
  R[$name,gaf]=$(stats "$RUNDIR/gaf")
  R[$name,gaf_cpu]=$CPU_MS
  bcall get_all_log_pages b true >"$RUNDIR/all.txt" || fail "busctl call get_all_log_pages failed"
  R[$name,entries]=$(grep -o 'nqn\.bench:[0-9]*' "$RUNDIR/all.txt" | sort -u | wc -l)
  R[$name,bytes]=$(wc -c <"$RUNDIR/all.txt")
  R[$name,rss_calls]=$(rss_kib "$STAFD_PID")

  if ((ndcs > 0)); then
    : >"$RUNDIR/refetch"
    c0=$(cpu_ticks "$STAFD_PID")
    for ((r = 0; r < REFETCHES; r++)); do
      # even r: DC 0 drops its last entry; odd r: it is back. The harness re-applies every
      # port's log on SIGUSR1, so every DC gets an AEN and re-fetches, not only DC 0.
      write_scenario "$RUNDIR/scenario.json" "$ndcs" "$per" $(((r + 1) % 2))
      want=$((per - (r + 1) % 2))
      t=$(now_ns)
      kill -USR1 "$STAFD_PID" || fail "stafd-sim gone"
      wait_count "$want" 0
      echo $(($(now_ns) - t)) >>"$RUNDIR/refetch"
    done
    R[$name,refetch]=$(stats "$RUNDIR/refetch")
    R[$name,refetch_cpu]=$(awk -v d=$(($(cpu_ticks "$STAFD_PID") - c0)) -v hz="$HZ" -v n="$REFETCHES" 'BEGIN {printf "%.0f", d * 1000 / hz / n}')
    R[$name,rss_refetch]=$(rss_kib "$STAFD_PID")
    R[$name,hwm_end]=$(hwm_kib "$STAFD_PID")
  else
    R[$name,refetch]="– –"
    R[$name,refetch_cpu]="–"
    R[$name,rss_refetch]="–"
    R[$name,hwm_end]=$(hwm_kib "$STAFD_PID")
  fi

  stop_sim "$STAFD_PID"
  STAFD_PID=""
  RUNLOGS=""
}

run_bench idle 0 0
run_bench 1x1000 1 1000
run_bench 10x100 10 100

# --- Report ---------------------------------------------------------------------------------
med() { echo "${1%% *}"; }
p95() { echo "${1##* }"; }
mp() { echo "$(med "$1") / $(p95 "$1")"; }
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; }
fig() { row "$1" "${R[idle,$2]}" "${R[1x1000,$2]}" "${R[10x100,$2]}"; }
figmp() { row "$1" "$(mp "${R[idle,$2]}")" "$(mp "${R[1x1000,$2]}")" "$(mp "${R[10x100,$2]}")"; }

BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null)
echo
echo "### stafd scale bench (stafd-sim, ${BUILD_TYPE:-unknown build type}, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r))"
echo
row "Figure" "idle, no DC" "1 DC × 1,000 entries" "10 DCs × 100 entries"
row "---" "---:" "---:" "---:"
fig "VmRSS when ingested / idle (KiB)" rss
fig "VmHWM when ingested / idle (KiB)" hwm
fig "Start → answering on D-Bus (ms)" onbus
fig "Start → all entries available on D-Bus (ms)" avail
figmp "busctl \`process_info\`, baseline per-call overhead, median / p95 (ms)" pi
fig "stafd CPU per \`process_info\` call (ms)" pi_cpu
figmp "busctl \`get_all_log_pages(true)\`, median / p95 (ms)" gat
fig "stafd CPU per \`get_all_log_pages(true)\` call (ms)" gat_cpu
figmp "busctl \`get_all_log_pages(false)\`, median / p95 (ms)" gaf
fig "stafd CPU per \`get_all_log_pages(false)\` call (ms)" gaf_cpu
fig "Distinct entries in \`get_all_log_pages(true)\`" entries
fig "\`get_all_log_pages(true)\` reply as printed by busctl (bytes)" bytes
fig "VmRSS after $((3 * CALLS)) calls (KiB)" rss_calls
figmp "Logs re-applied (SIGUSR1, AEN to every DC) → DC 0 change served, median / p95 of $REFETCHES (ms)" refetch
fig "stafd CPU per re-fetch round, polls included (ms)" refetch_cpu
fig "VmRSS after $REFETCHES re-fetches (KiB)" rss_refetch
fig "VmHWM at the end (KiB)" hwm_end
echo
echo "Times are wall clock around one \`busctl call\` (fork + exec + D-Bus round trip), $CALLS calls each;"
echo "subtract the \`process_info\` baseline for the server-side cost. \"Start → available\" runs from"
echo "launching stafd-sim to the first poll that sees every entry (a poll is one busctl call + 10 ms);"
echo "it includes stafd's ${SOAK:-config soak timer} before the first reconciliation. \"stafd CPU per call\" is"
echo "the daemon's own user+sys time (/proc/PID/stat) over the $CALLS calls divided by $CALLS (1 tick = $((1000 / HZ)) ms)."

# Observations, not assertions: flag figures that look wrong.
for run in 1x1000 10x100; do
  for m in gat gaf; do
    net=$(awk -v a="$(med "${R[$run,$m]}")" -v b="$(med "${R[$run,pi]}")" 'BEGIN {printf "%.1f", a - b}')
    if awk -v n="$net" 'BEGIN {exit !(n > 100)}'; then
      echo "WARNING: $run: get_all_log_pages median exceeds the baseline by $net ms (> 100 ms)"
    fi
    if awk -v c="${R[$run,${m}_cpu]}" 'BEGIN {exit !(c > 100)}'; then
      echo "WARNING: $run: stafd spends ${R[$run,${m}_cpu]} ms of CPU per get_all_log_pages call (> 100 ms)"
    fi
  done
  grow=$((R[$run,rss_refetch] - R[$run,rss]))
  if ((grow > 4096)); then
    echo "WARNING: $run: VmRSS grew by $grow KiB between ingest and the end of the run"
  fi
done
exit 0
