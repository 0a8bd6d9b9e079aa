#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The long fuzz run (not part of CI): every target for RUNS executions (default 10 million)
# from the committed corpus plus what earlier long runs found, then one line of figures per
# target. Inputs found are kept in BUILD_DIR/tests/fuzz/long/corpus/<target>; merge the useful
# ones into tests/fuzz/corpus/ by hand (see tests/fuzz/README.md). A finding stops that target
# and leaves its reproducer in BUILD_DIR/tests/fuzz/long/artifacts/.
# Usage: run-long.sh BUILD_DIR [RUNS [extra libFuzzer flags, e.g. -max_total_time=600]]
# JOBS=N runs N targets at a time (default 2).
set -eu
build=$1
runs=${2:-10000000}
[ $# -ge 2 ] && shift 2 || shift 1
src=$(cd "$(dirname "$0")" && pwd)
work=$build/tests/fuzz/long
jobs=${JOBS:-2}
targets="dlp_entry staf_log_pages lkc owned_controllers config controller_entry zeroconf_txt zeroconf_services"
mkdir -p "$work/logs"

run_one() {
  t=$1
  shift
  start=$(date +%s)
  status=0
  "$src/run-fuzz.sh" "$build/tests/fuzz/fuzz_$t" "$src" "$work" "$runs" "$@" \
    >"$work/logs/$t.log" 2>&1 || status=$?
  echo "$status $(($(date +%s) - start))" >"$work/logs/$t.status"
}

n=0
for t in $targets; do
  run_one "$t" "$@" &
  n=$((n + 1))
  if [ "$n" -ge "$jobs" ]; then
    wait
    n=0
  fi
done
wait

echo "| target | executions | exec/s | cov | ft | corpus (units/bytes) | seconds | findings |"
echo "|---|---|---|---|---|---|---|---|"
failed=0
for t in $targets; do
  log=$work/logs/$t.log
  read -r status secs <"$work/logs/$t.status"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  # The last status line of libFuzzer: "#N  NEW|REDUCE|pulse|DONE  cov: C ft: F corp: U/S ...".
  last=$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -n 1)
  cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p')
  findings=$(find "$work/artifacts" -name "$t-*" 2>/dev/null | wc -l)
  [ "$status" -ne 0 ] && failed=1
  echo "| $t | ${execs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $secs | $findings |"
  if [ "$status" -ne 0 ]; then
    grep -E 'INVARIANT VIOLATED|ERROR: |runtime error|SUMMARY' "$log" | head -n 5 | sed 's/^/    /'
  fi
done
exit "$failed"
