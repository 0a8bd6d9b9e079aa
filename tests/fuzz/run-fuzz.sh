#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs one fuzz target for a bounded number of executions (ctest -L fuzz, and run-long.sh).
# Fails on a crash, a sanitizer report or an invariant violation; the input that did it is
# left in WORK_DIR/artifacts/ as a reproducer (run the target with that file as argument).
# Usage: run-fuzz.sh TARGET_BINARY FUZZ_SOURCE_DIR WORK_DIR RUNS [extra libFuzzer flags]
set -eu
bin=$1
src=$2
work=$3
runs=$4
shift 4
name=$(basename "$bin" | sed 's/^fuzz_//')

# A scratch corpus in the build tree comes first: libFuzzer writes new inputs to the first
# directory only, so the committed seeds (second) are read, never changed.
mkdir -p "$work/corpus/$name" "$work/artifacts"
set -- -runs="$runs" -seed=1 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/$name-" "$@"
case $name in
  dlp_entry) set -- -max_len=8192 "$@" ;;  # up to 8 log page entries of 1,024 bytes
  nbft) set -- -max_len=65536 "$@" ;;       # a whole table, up to kNbftMaxTableBytes
  *) set -- -max_len=4096 "$@" ;;
esac
case $name in
  config | controller_entry) set -- -dict="$src/config.dict" "$@" ;;
  nvme_stas_conf) set -- -dict="$src/nvme_stas_conf.dict" "$@" ;;
  staf_log_pages | lkc | owned_controllers) set -- -dict="$src/json.dict" "$@" ;;
esac
exec "$bin" "$@" "$work/corpus/$name" "$src/corpus/$name"
