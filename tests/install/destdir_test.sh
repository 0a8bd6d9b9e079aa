#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `cmake --install` into a DESTDIR with --prefix /usr gives exactly the tree a Debian system
# needs: the programs, the configuration (identical to etc/stas), the units naming the
# installed programs, the bus policy where the system bus reads it, the introspection XML,
# man pages and bash completions. Usage: destdir_test.sh BUILD_DIR SOURCE_DIR
set -eu
BUILD=$1
SRC=$2
D=$(mktemp -d /tmp/stas-destdir-XXXXXX)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

DESTDIR=$D cmake --install "$BUILD" --prefix /usr >/dev/null || fail "cmake --install failed"

# Every installed file, and nothing else.
(cd "$D" && find . -type f -o -type l | sed 's|^\.||' | LC_ALL=C sort) >"$D.actual"
LC_ALL=C sort "$SRC/tests/install/expected-tree.txt" >"$D.expected"
if ! diff -u "$D.expected" "$D.actual"; then
  rm -f "$D.actual" "$D.expected"
  fail "the installed tree differs from tests/install/expected-tree.txt (- expected, + installed)"
fi
rm -f "$D.actual" "$D.expected"

# Modes: programs 0755, everything else 0644.
for f in $(cd "$D" && find . -type f | sed 's|^\.||'); do
  mode=$(stat -c %a "$D$f")
  case "$f" in
    /usr/bin/* | /usr/sbin/*) want=755 ;;
    *) want=644 ;;
  esac
  [ "$mode" = "$want" ] || fail "$f has mode $mode, expected $want"
done

# The shipped configuration is the repository's.
for f in stafd.conf stacd.conf sys.conf.doc; do
  cmp -s "$SRC/etc/stas/$f" "$D/etc/stas/$f" || fail "/etc/stas/$f differs from etc/stas/$f"
done

# Units name programs that are installed, at their installed path.
for u in "$D"/lib/systemd/system/*.service; do
  for exe in $(sed -n 's/^Exec\(Start\|Reload\)=\([^ ]*\).*/\2/p' "$u"); do
    case "$exe" in
      /usr/*) [ -x "$D$exe" ] || fail "$(basename "$u") runs $exe, which is not installed" ;;
      /bin/kill) ;;  # procps, a dependency
      *) fail "$(basename "$u") runs $exe: not an installed program" ;;
    esac
  done
done

# The installed programs run (and say which version they are).
v=$("$D/usr/sbin/stafd" --version) || fail "stafd --version failed"
echo "$v" | grep -q '2\.' || fail "stafd --version: $v"
"$D/usr/bin/stasadm" --version >/dev/null || fail "stasadm --version failed"

# The bus policy: only root owns the names; everyone may call; Set is denied to others.
for n in staf stac; do
  p=$D/usr/share/dbus-1/system.d/org.nvmexpress.$n.conf
  grep -q "<allow own_prefix=\"org.nvmexpress.$n\"/>" "$p" || fail "$p: root does not own the name"
  grep -q 'send_member="Set"' "$p" || fail "$p: Set is not restricted"
done
echo "PASS: the installed tree is complete and correct"
