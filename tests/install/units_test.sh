#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The systemd units as installed: `systemd-analyze verify` reports nothing (the programs, the
# kill command and the man pages they name all exist), and `systemd-analyze security` gives
# each daemon's exposure score (a figure, printed as STAS-FIGURE). Needs root (a private mount
# namespace lays the installed tree over /usr, without touching this machine's files).
# Usage: units_test.sh BUILD_DIR
set -eu
BUILD=$1
fail() { echo "FAIL: $*"; exit 1; }
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root (mount namespace)"; exit 77; fi
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (package systemd)"
D=$(mktemp -d /tmp/stas-units-XXXXXX)
trap 'rm -rf "$D"' EXIT
DESTDIR=$D cmake --install "$BUILD" --prefix /usr >/dev/null || fail "cmake --install failed"

# Every directory the package installs into is overlaid, read-only, on this machine's own; one
# this machine lacks (/etc/stas) is reached by overlaying its nearest existing parent. Nothing
# is created or changed outside the private mount namespace.
dirs=$(cd "$D" && find . -type f | sed 's|^\.||; s|/[^/]*$||' | sort -u)
out=$(unshare -m --propagation private sh -c '
  set -e
  for d in '"$(echo $dirs)"'; do
    while [ ! -d "$d" ]; do d=$(dirname "$d"); done
    real=$(readlink -f "$d")            # /lib is /usr/lib on a merged-/usr system
    grep -q " $real overlay " /proc/self/mounts && continue
    [ -d "'"$D"'$d" ] || continue
    mount -t overlay overlay -o "lowerdir='"$D"'$d:$real" "$real"
  done
  cd /
  systemd-analyze verify stafd.service stacd.service stas-config.target \
    stas-config@hostnqn.service stas-config@hostid.service 2>&1
  for u in stafd stacd; do
    systemd-analyze security --offline=yes /lib/systemd/system/$u.service 2>&1 |
      sed -n "s/^→ Overall exposure level for \(.*\): \(.*\)/STAS-FIGURE systemd-analyze security \1: \2/p"
  done
') || true  # verify exits non-zero on problems: they are reported below
echo "$out" | grep '^STAS-FIGURE' || true
problems=$(echo "$out" | grep -v '^STAS-FIGURE' || true)
[ -z "$problems" ] || fail "systemd-analyze verify reported:
$problems"
[ "$(echo "$out" | grep -c '^STAS-FIGURE')" -eq 2 ] || fail "no exposure scores: $out"
echo "PASS: units verify cleanly"
