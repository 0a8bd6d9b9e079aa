#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: the Debian package on a Debian 12 system that has never seen it (the QEMU guest: this
# machine's root, read-only, under a throw-away overlay). dpkg -i installs it (the postinst
# creates the host identity with stasadm), every file dpkg -L lists exists, the daemons start
# from /usr/sbin and own their names on the system bus through the installed policy; an
# unprivileged user may list controllers but not turn tracing on, root may; dpkg -r removes
# the programs and keeps the configuration, dpkg -P removes the rest.
# Environment: STAS_DEB, the package file.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
PKG=nvme-stas-cpp
[ -f "${STAS_DEB:-}" ] || fail "no package: STAS_DEB=${STAS_DEB:-}"
if dpkg -s $PKG >/dev/null 2>&1; then fail "$PKG is already installed on this machine"; fi
rm -f /etc/nvme/hostnqn /etc/nvme/hostid /etc/stas/sys.conf
# man-db's trigger would re-index every manual page over the emulated 9p share (minutes).
rm -f /var/lib/man-db/auto-update

log "dpkg -i $(basename "$STAS_DEB")"
dpkg -i "$STAS_DEB" || fail "dpkg -i failed"
dpkg -s $PKG | grep -q '^Status: install ok installed' || fail "not installed: $(dpkg -s $PKG)"
n=0
for f in $(dpkg -L $PKG); do
  [ -e "$f" ] || fail "dpkg -L lists $f, which does not exist"
  n=$((n + 1))
done
log "dpkg -L: $n paths, all present"
grep -q '^nqn.2014-08.org.nvmexpress:uuid:' /etc/nvme/hostnqn || fail "postinst: no hostnqn: $(cat /etc/nvme/hostnqn)"
[ -s /etc/nvme/hostid ] || fail "postinst: no hostid"
grep -q '^nqn = file:///etc/nvme/hostnqn' /etc/stas/sys.conf || fail "postinst: sys.conf: $(cat /etc/stas/sys.conf)"
[ -f /usr/share/man/man8/stafd.8.gz ] || fail "no stafd(8)"
WANTS=/etc/systemd/system/multi-user.target.wants/stafd.service
[ ! -e $WANTS ] || fail "a first install enabled stafd.service"

log "the installed daemons on the system bus, with the installed policy"
load_nvme_modules 0
start_system_bus
mkdir -p /run/stafd /run/stacd
RUNTIME_DIRECTORY=/run/stafd /usr/sbin/stafd >/tmp/stafd.log 2>&1 &
STAFD=$!
RUNTIME_DIRECTORY=/run/stacd /usr/sbin/stacd >/tmp/stacd.log 2>&1 &
STACD=$!
wait_for "busctl status org.nvmexpress.staf" 20
wait_for "busctl status org.nvmexpress.stac" 20
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
for ctl in stafctl stacctl; do
  assert_eq "[]" "$(as_nobody /usr/bin/$ctl --json ls)" "$ctl ls as nobody"
  if as_nobody /usr/bin/$ctl tron >/tmp/tron.out 2>&1; then
    fail "$ctl tron succeeded for an unprivileged user"
  fi
  log "$ctl tron as nobody: $(cat /tmp/tron.out)"
  /usr/bin/$ctl tron || fail "$ctl tron as root failed"
done
assert_eq "b true" "$(busctl get-property org.nvmexpress.staf /org/nvmexpress/staf org.nvmexpress.staf.debug tron)" "stafd tron"
if as_nobody busctl call org.nvmexpress.staf /org/nvmexpress/staf org.freedesktop.DBus.Properties Set ssv \
    org.nvmexpress.staf.debug tron b false 2>/tmp/set.out; then
  fail "an unprivileged Set of tron succeeded"
fi
assert_contains "$(cat /tmp/set.out)" "Access denied" "unprivileged Set"
if as_nobody timeout 10 /usr/sbin/stafd >/tmp/nobody.out 2>&1; then
  fail "stafd ran as an unprivileged user"
fi
assert_contains "$(cat /tmp/nobody.out)" "You need root privileges" "stafd as nobody"
kill "$STAFD" "$STACD"
wait_for "! pid_alive $STAFD && ! pid_alive $STACD" 20

log "dpkg -r keeps the configuration and masks the units; dpkg -P removes both"
systemctl enable stafd.service 2>&1 || fail "systemctl enable stafd failed"
[ -L $WANTS ] || fail "stafd.service could not be enabled"
echo "# local change" >>/etc/stas/stafd.conf
dpkg -r $PKG || fail "dpkg -r failed"
for f in /usr/sbin/stafd /usr/sbin/stacd /usr/bin/stafctl /usr/bin/stacctl /usr/bin/stasadm \
    /lib/systemd/system/stafd.service /usr/share/dbus-1/system.d/org.nvmexpress.staf.conf; do
  [ ! -e "$f" ] || fail "dpkg -r left $f"
done
grep -q '# local change' /etc/stas/stafd.conf || fail "dpkg -r did not keep the changed stafd.conf"
[ "$(readlink /etc/systemd/system/stafd.service)" = /dev/null ] || fail "dpkg -r did not mask stafd.service"
dpkg -P $PKG || fail "dpkg -P failed"
[ ! -e /etc/stas/stafd.conf ] || fail "dpkg -P left /etc/stas/stafd.conf"
[ ! -e /etc/stas ] || fail "dpkg -P left /etc/stas: $(ls -la /etc/stas)"
[ ! -L $WANTS ] || fail "dpkg -P left $WANTS"
[ ! -L /etc/systemd/system/stafd.service ] || fail "dpkg -P left stafd.service masked"
if dpkg -s $PKG >/dev/null 2>&1; then fail "still known to dpkg after purge"; fi
[ -s /etc/nvme/hostnqn ] || fail "purge removed /etc/nvme/hostnqn (nvme-cli's file too)"
log "PASS"
