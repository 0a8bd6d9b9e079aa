#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# lint.tidy: clang-tidy 14 (.clang-tidy) over the production sources, with the build's
# compile_commands.json; any finding fails. Tests (tests/, *_test.cc), their fakes
# (common/testing/) and generated code are not checked. Two files at a time.
# Usage: tidy_test.sh SOURCE_DIR BUILD_DIR [JOBS]
set -eu
src=$1
build=$2
jobs=${3:-2}

tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
if [ -z "$tidy" ]; then
  echo "lint.tidy: clang-tidy not found (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
db=$build/compile_commands.json
if [ ! -f "$db" ]; then
  echo "lint.tidy: $db is missing (configure with CMAKE_EXPORT_COMPILE_COMMANDS=ON)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -- '*.cc' >"$work/all"
else
  find . -path ./build -prune -o -type f -name '*.cc' -print | sed 's|^\./||' | sort >"$work/all"
fi
# Production sources that the build compiles (compile_commands.json names each by absolute path).
: >"$work/files"
grep -v -e '^tests/' -e '_test\.cc$' -e '^common/testing/' "$work/all" | while IFS= read -r f; do
  if [ -f "$f" ] && grep -q -F "\"$src/$f\"" "$db"; then
    echo "$f" >>"$work/files"
  fi
done
count=$(wc -l <"$work/files")
if [ "$count" -eq 0 ]; then
  echo "lint.tidy: no production source found in $db" >&2
  exit 1
fi

start=$(date +%s)
# One log per file; a file whose clang-tidy fails is listed in $work/failed.
# shellcheck disable=SC2016
xargs -P "$jobs" -I{} sh -c '
  log="$1/$(echo "$3" | tr / _).log"
  "$2" -p "$4" --quiet "$3" >"$log" 2>&1 || echo "$3" >>"$1/failed"' \
  sh "$work" "$tidy" {} "$build" <"$work/files"
elapsed=$(($(date +%s) - start))

# A header's finding is reported once per file that includes it: list each one once.
cat "$work"/*.log | grep -E '^[^ ].*:[0-9]+:[0-9]+: (warning|error): ' | sort -u >"$work/findings" || true
findings=$(wc -l <"$work/findings")
echo "lint.tidy: $("$tidy" --version | sed -n 's/.*version //p' | head -n 1), $count files, $jobs jobs: ${elapsed} s"
if [ -s "$work/failed" ] || [ "$findings" -ne 0 ]; then
  echo "lint.tidy: $findings findings:"
  sed "s|^$src/||" "$work/findings"
  echo
  echo "in full (each file that failed):"
  sort "$work/failed" 2>/dev/null | while IFS= read -r f; do
    echo "--- $f"
    grep -v -E '^[0-9]+ (warnings?|errors?)( and [0-9]+ errors?)? generated\.$|^Error while processing ' \
      "$work/$(echo "$f" | tr / _).log" | sed "s|^$src/||" | head -n 80
  done
  echo
  echo "Reproduce one with:  clang-tidy -p $build FILE"
  exit 1
fi
echo "lint.tidy: no findings"
