#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# lint.format: every C++ source and header is as clang-format 14 (.clang-format) writes it.
# Usage: format_test.sh SOURCE_DIR
set -eu
src=$1
cd "$src"

format=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$format" ]; then
  echo "lint.format: clang-format not found (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

# The tracked files; a tree that is not a git checkout (a release tarball) is searched instead.
list=$(mktemp)
trap 'rm -f "$list"' EXIT
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -- '*.cc' '*.h' >"$list"
else
  find . -path ./build -prune -o -type f \( -name '*.cc' -o -name '*.h' \) -print |
    sed 's|^\./||' | sort >"$list"
fi
# A file deleted in the work tree but not yet in the index is not there to check.
files=$(while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done <"$list")
count=$(printf '%s\n' "$files" | grep -c . || true)

differ=""
for f in $files; do
  if ! "$format" --dry-run -Werror "$f" >/dev/null 2>&1; then
    differ="$differ $f"
  fi
done

if [ -n "$differ" ]; then
  echo "lint.format: these files differ from $("$format" --version | sed 's/.*version //'):"
  for f in $differ; do
    echo "  $f"
  done
  echo "first differences:"
  # shellcheck disable=SC2086
  "$format" --dry-run $differ 2>&1 | head -n 60
  echo
  echo "Fix them with:  cd $src && clang-format -i \$(git ls-files '*.cc' '*.h')"
  exit 1
fi
echo "lint.format: $count files formatted as .clang-format says"
