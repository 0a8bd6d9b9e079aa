#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the dependencies, builds, and runs every test tier that can run on this machine; then
# the trees of their own (built in the background while the normal tiers run): the unit, cli and dbus tiers built with ASan+UBSan (build-asan), the
# unit tests of the loop, the worker pool and the services built with TSan (build-tsan), and the
# libFuzzer targets built with clang (build-fuzz, label fuzz, tests/fuzz/README.md).
# Usage: scripts/test.sh [extra ctest arguments, e.g. -L unit]
# STAS_SANITIZERS: which of those trees run after the normal one, "address thread fuzz" when no
# ctest argument is given and none otherwise; e.g. STAS_SANITIZERS=thread scripts/test.sh -L unit.
set -eu
cd "$(dirname "$0")/.."

if [ $# -eq 0 ]; then
  sanitizers=${STAS_SANITIZERS-address thread fuzz}
else
  sanitizers=${STAS_SANITIZERS-}
fi

./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTAS_WERROR=ON
cmake --build build

# tree_settings NAME: the build directory, targets, labels and title of a sanitizer tree.
tree_settings() {
  case $1 in
    address)
      dir=build-asan
      targets="stas_unit_tests stas_cli_tests stas_dbus_tests man"
      labels="unit|cli|dbus"
      title="ASan+UBSan: the unit, cli and dbus tiers" ;;
    thread)
      dir=build-tsan
      targets="stas_unit_tests"
      labels="unit"
      title="TSan: the unit tests of the loop, the worker pool and the services" ;;
    fuzz)
      dir=build-fuzz
      targets="all"
      labels="fuzz"
      title="libFuzzer: a bounded number of executions of each fuzz target" ;;
    *)
      echo "test.sh: STAS_SANITIZERS: unknown tree '$1' (address, thread, fuzz)" >&2
      exit 2 ;;
  esac
}

# The sanitizer trees (each with only the targets its tests need) are built in the background,
# at the lowest priority, while the normal tests run: they take whatever CPU the tests leave (the
# end-to-end scenarios that run alone leave most of one core). Each tree's build
# output goes to <tree>/build.log and its exit status to <tree>/build.status.
for s in $sanitizers; do
  tree_settings "$s"
  rm -f "$dir/build.status" "$dir/ctest-output.log" "$dir/Testing/Temporary/LastTestsFailed.log"
  if [ "$s" = fuzz ]; then
    cmake -S . -B "$dir" -G Ninja -DSTAS_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTAS_WERROR=ON >/dev/null
  else
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTAS_WERROR=ON \
      -DSTAS_SANITIZE="$s" >/dev/null
  fi
done
background_builds() {
  for s in $sanitizers; do
    tree_settings "$s"
    rc=0
    # shellcheck disable=SC2086
    nice -n 19 cmake --build "$dir" --target $targets >"$dir/build.log" 2>&1 || rc=$?
    echo "$rc" >"$dir/build.status"
  done
}
builds_pid=""
if [ -n "$sanitizers" ]; then
  background_builds &
  builds_pid=$!
fi
# Tiers are CTest labels: unit, cli, dbus, mdns (network namespaces, root), install, e2e (QEMU guest,
# root), lint (clang-format and clang-tidy: fails on unformatted code or a finding), bench
# (figures only); fuzz (in build-fuzz, below).
status=0
rm -f build/Testing/Temporary/LastTestsFailed.log
ctest --test-dir build --output-on-failure -j2 --output-log build/ctest-output.log "$@" || status=$?

if [ -n "$builds_pid" ]; then
  echo
  echo "=== waiting for the sanitizer trees' builds ==="
  wait "$builds_pid" || true
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
  # Which kernel each scenario ran on, how long it took, and its verdict (run-in-vm.sh).
  echo
  echo "=== end-to-end scenarios: kernel, time, verdict ==="
  grep -h -a '^STAS-E2E-RAN:' build/e2e-logs/*.log | sed 's/^STAS-E2E-RAN: //' || true
fi

# The sanitizer tiers' tests, each tree built in the background above. Their tests keep their
# labels and are named asan.* and tsan.*; a finding in a test binary or in a program it runs
# fails that test (tests/sanitizers/default_options.cc).
ran="build"
for s in $sanitizers; do
  tree_settings "$s"
  echo
  echo "=== $title ($dir) ==="
  ran="$ran $dir"
  if [ "$(cat "$dir/build.status" 2>/dev/null)" != 0 ]; then
    tail -n 60 "$dir/build.log" 2>/dev/null || true
    echo "build failed" >"$dir/ctest-output.log"
    status=1
    continue
  fi
  # GCC 12's TSan cannot map its shadow memory under the 32 bits of mmap randomization some
  # kernels use (vm.mmap_rnd_bits); without randomization it always can.
  norandom=""
  if [ "$s" = thread ] && setarch "$(uname -m)" -R true 2>/dev/null; then
    norandom="setarch $(uname -m) -R"
  fi
  $norandom ctest --test-dir "$dir" --output-on-failure -j2 --output-log "$dir/ctest-output.log" \
    -L "$labels" || status=$?
done

# One line per run, and CI keeps only the end of this output: name each failed test again, with
# the end of its output.
echo
echo "=== summary ==="
for dir in $ran; do
  line=$(grep -h -a -E 'tests passed|No tests were found|build failed' "$dir/ctest-output.log" \
    2>/dev/null | tail -n 1)
  printf '%-11s %s\n' "$dir:" "${line:-no result}"
done
failed_all=""
for dir in $ran; do
  log=$dir/Testing/Temporary/LastTest.log
  failed=$dir/Testing/Temporary/LastTestsFailed.log
  if [ "$status" -ne 0 ] && [ -f "$failed" ] && [ -f "$log" ]; then
    echo
    echo "=== failed tests in $dir: the last 40 lines of each one's output ==="
    cut -d: -f2- "$failed" | while IFS= read -r name; do
      echo "--- $name ---"
      # LastTest.log: "N/M Test: NAME", a header ending in a line of dashes, the output,
      # "<end of output>".
      awk -v t="$name" '$0 ~ /^[0-9]+\/[0-9]+ Test: / { on = ($NF == t); head = on; next }
        head { if (/^-----/) head = 0; next }
        on && /^<end of output>/ { on = 0 } on' "$log" | tail -n 40
    done
    failed_all="$failed_all$(cut -d: -f2- "$failed" | tr '\n' ' ')"
  fi
done
[ -n "$failed_all" ] && echo "=== failed: $failed_all==="
exit "$status"
