#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the dependencies, builds, and runs every test tier that can run on this machine.
# Usage: scripts/test.sh [extra ctest arguments, e.g. -L unit]
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTAS_WERROR=ON
cmake --build build
# Tiers are CTest labels: unit, cli, dbus, mdns (network namespaces, root), install, e2e (QEMU guest,
# root), lint (clang-format and clang-tidy: fails on unformatted code or a finding), bench
# (figures only); fuzz (libFuzzer targets, in build-fuzz/, below).
status=0
ctest --test-dir build --output-on-failure -j2 "$@" || status=$?

# The fuzz tier (label "fuzz") is a tree of its own, built with clang, ASan and UBSan
# (tests/fuzz/README.md): each libFuzzer target runs a bounded number of executions over its
# corpus. Part of a full run only (no ctest arguments); about 5 minutes to build from scratch on
# 2 busy cores, under a minute to run.
fuzz_status=0
if [ "$#" -eq 0 ]; then
  if cmake -S . -B build-fuzz -G Ninja -DSTAS_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTAS_WERROR=ON && cmake --build build-fuzz; then
    ctest --test-dir build-fuzz --output-on-failure -j2 -L fuzz || fuzz_status=$?
  else
    fuzz_status=1
  fi
fi

# Benchmarks print figures, not verdicts: show them even when they pass (CTest hides the output
# of passing tests).
log=build/Testing/Temporary/LastTest.log
if [ -f "$log" ] && grep -q 'Test: bench\.' "$log"; then
  echo
  echo "=== benchmark figures (tests/bench) ==="
  sed -n '/Test: bench\./,/^<end of output>/p' "$log" | grep -E '^\||^###|^WARNING' || true
fi
# Figures printed by other tests: the mDNS namespaces test, and the end-to-end scenarios (real
# kernel in the QEMU guest).
[ -f "$log" ] && grep -h -a '^STAS-FIGURE' "$log" || true
if ls build/e2e-logs/*.log >/dev/null 2>&1; then
  grep -h -a '^STAS-FIGURE' build/e2e-logs/*.log || true
fi
# CI keeps only the end of this output: name each failed test again, with the end of its output.
# Usage: show_failed BUILD_DIR
show_failed() {
  failed=$1/Testing/Temporary/LastTestsFailed.log
  log=$1/Testing/Temporary/LastTest.log
  [ -f "$failed" ] && [ -f "$log" ] || return 0
  echo
  echo "=== failed tests in $1: the last 40 lines of each one's output ==="
  cut -d: -f2- "$failed" | while IFS= read -r name; do
    echo "--- $name ---"
    # LastTest.log: "N/M Test: NAME", a header ending in a line of dashes, the output,
    # "<end of output>".
    awk -v t="$name" '$0 ~ /^[0-9]+\/[0-9]+ Test: / { on = ($NF == t); head = on; next }
      head { if (/^-----/) head = 0; next }
      on && /^<end of output>/ { on = 0 } on' "$log" | tail -n 40
  done
  echo "=== failed: $(cut -d: -f2- "$failed" | tr '\n' ' ')==="
}
[ "$status" -ne 0 ] && show_failed build
[ "$fuzz_status" -ne 0 ] && show_failed build-fuzz
[ "$status" -ne 0 ] && exit "$status"
exit "$fuzz_status"
