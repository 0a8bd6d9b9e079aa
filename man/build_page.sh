#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds one man page: scdoc SRC.scd -> roff OUT, written atomically so that a failed build
# leaves no half page behind. Used by man/CMakeLists.txt.
#
# scdoc only allows A-Z a-z 0-9 - _ . in the page name of the preamble, which rules out
# stas-config@.service(8): '@' on the first line is swapped for a placeholder before scdoc
# runs, and restored in the .TH line it generates.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 SCDOC SRC OUT" >&2; exit 2; }
scdoc=$1 src=$2 out=$3
trap 'rm -f "$out.in.tmp" "$out.tmp"' EXIT
sed '1s/@/_AT_/g' "$src" > "$out.in.tmp"
"$scdoc" < "$out.in.tmp" > "$out.tmp"
sed -i '/^\.TH /s/_AT_/@/g' "$out.tmp"
mv "$out.tmp" "$out"
