#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The main job, end to end: installs what is missing, builds, then runs scripts/demo-run.sh: a
# local NVMe/TCP target with three subsystems, stafd and stacd connecting them, and what
# stafctl ls, stacctl ls and the kernel show; everything is cleaned up afterwards.
# Here on this machine when its kernel has the NVMe/TCP host and nvmet target modules (and we
# are root); otherwise inside a throw-away QEMU guest that boots Debian's kernel (about a
# minute under emulation; see tests/e2e/vm/run-in-vm.sh).
set -eu
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then ./scripts/install-deps.sh >/dev/null; fi
cmake -S . -B build -G Ninja >/dev/null
cmake --build build >/dev/null
export STAS_BUILD_DIR=$PWD/build

if [ "$(id -u)" = 0 ] && modprobe -n -q nvmet-tcp 2>/dev/null && modprobe -n -q nvme-tcp 2>/dev/null &&
  modprobe -n -q null_blk 2>/dev/null; then
  echo "This kernel has NVMe/TCP and nvmet: running the demo here."
  exec ./scripts/demo-run.sh
fi

echo "This kernel has no NVMe/TCP modules: running the demo in a QEMU guest (Debian's kernel)..."
logdir=$(mktemp -d /tmp/stas-demo-XXXXXX)
trap 'rm -rf "$logdir"' EXIT
rc=0
STAS_E2E_LOGDIR=$logdir ./tests/e2e/vm/run-in-vm.sh scripts/demo-run.sh 300 >"$logdir/run.out" 2>&1 || rc=$?
# The guest's console: the demo's own lines, without the kernel's messages.
sed -n '/^STAS-E2E-BEGIN/,/^STAS-E2E-RESULT/p' "$logdir/demo-run.log" |
  grep -v -e '^\[ *[0-9]*\.[0-9]*\] ' -e '^STAS-E2E-' || true
if [ "$rc" != 0 ]; then
  echo "The demo failed (status $rc):"
  cat "$logdir/run.out"
fi
exit "$rc"
