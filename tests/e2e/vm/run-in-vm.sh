#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs one end-to-end scenario as root inside a throw-away QEMU guest that boots Debian's kernel on
# the host's root filesystem (9p, read-only, with a tmpfs overlay), so that the scenario meets the
# real Linux NVMe/TCP host and nvmet target. See docs/ARCHITECTURE.md, "The end-to-end guest".
#
# usage: run-in-vm.sh SCRIPT [TIMEOUT_SECONDS]     (default timeout 240 s)
#
# SCRIPT runs in the guest from the repository root, with STAS_SOURCE_DIR, STAS_BUILD_DIR (when
# set here) and every other STAS_* variable of this environment. The guest's console goes to
# $STAS_E2E_LOGDIR/<name>.log (else /tmp/stas-e2e-<name>.log); STAS_E2E_VERBOSE=1 also streams it
# here. Exit status: the scenario's, read from the "STAS-E2E-RESULT: <rc>" line the guest prints
# before it powers off; 1 when that line is missing or the guest outlives TIMEOUT_SECONDS.
# STAS_E2E_KERNEL_ARGS adds kernel parameters (e.g. "loglevel=7" to see every boot message);
# STAS_E2E_SMP sets the number of guest CPUs (default 2).
# The guest boots the Debian kernel of series STAS_E2E_KERNEL ("6.1", Debian 12's own, or
# "6.12", its security suite's, with NVMe authentication and TLS); unset, the first series of
# the scenario's "# e2e-kernels: SERIES..." line, else 6.1. On a series other than 6.1 the
# console log and the other files of the run are named <name>@<series>. The log ends with a
# "STAS-E2E-RAN:" line: the scenario, the kernel release it ran on, the time and the verdict.
set -eu

die() { echo "run-in-vm: $*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: run-in-vm.sh SCRIPT [TIMEOUT_SECONDS]"
TIMEOUT=${2:-240}
case "$TIMEOUT" in ''|*[!0-9]*) die "TIMEOUT_SECONDS must be a whole number, got '$TIMEOUT'" ;; esac
[ -f "$1" ] || die "no scenario $1"
SCRIPT=$(realpath "$1")
VMDIR=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(cd "$VMDIR/../../.." && pwd)
NAME=$(basename "$SCRIPT" .sh)
SERIES=${STAS_E2E_KERNEL:-$(sed -n 's/^# e2e-kernels: *\([^ ]*\).*/\1/p' "$SCRIPT" | head -n 1)}
SERIES=${SERIES:-6.1}
[ "$SERIES" = 6.1 ] || NAME=$NAME@$SERIES
case "$SCRIPT$VMDIR" in *[[:space:]]*) die "paths with white space are not supported: $SCRIPT" ;; esac

for tool in qemu-system-x86_64 modprobe cpio timeout; do
  command -v "$tool" >/dev/null ||
    die "$tool not found: run tests/e2e/vm/install-vm-deps.sh (or scripts/install-deps.sh) as root"
done

if [ -n "${STAS_E2E_LOGDIR:-}" ]; then
  mkdir -p "$STAS_E2E_LOGDIR"
  LOGDIR=$(cd "$STAS_E2E_LOGDIR" && pwd)
  LOG=$LOGDIR/$NAME.log
  ENVFILE=$LOGDIR/$NAME.env
else
  LOG=/tmp/stas-e2e-$NAME.log
  ENVFILE=/tmp/stas-e2e-$NAME.env
fi
case "$LOG" in *[[:space:]]*) die "paths with white space are not supported: $LOG" ;; esac

if [ -n "${STAS_BUILD_DIR:-}" ]; then
  IMGDIR=$STAS_BUILD_DIR/e2e-vm/$SERIES
else
  IMGDIR=/tmp/stas-e2e-vm/$SERIES
fi
"$VMDIR/build-initramfs.sh" "$IMGDIR" "$SERIES"
KVER=$(cat "$IMGDIR/version")
KERNEL=$(cat "$IMGDIR/kernel")

# KVM only when it can really be used; TCG (software emulation) otherwise.
ACCEL=tcg
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qE '^flags.*\b(vmx|svm)\b' /proc/cpuinfo; then
  ACCEL=kvm
fi

# The guest learns everything else from this file, read through the shared root.
# The guest's own limit leaves time for the boot (20 s under TCG) and for its report on a timeout
# (where every process sleeps, the kernel's log), before the host stops it.
GUEST_TIMEOUT=$((TIMEOUT > 300 ? TIMEOUT - 70 : TIMEOUT > 80 ? TIMEOUT - 40 : TIMEOUT / 2))
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
  echo "# written by run-in-vm.sh for $SCRIPT"
  env | grep -E '^STAS_[A-Za-z0-9_]*=' | while IFS='=' read -r var value; do
    case "$var" in STAS_E2E_SCRIPT|STAS_E2E_GUEST_TIMEOUT|STAS_SOURCE_DIR|STAS_E2E_LOG) continue ;; esac
    echo "export $var=$(quote "$value")"
  done
  echo "export STAS_SOURCE_DIR=$(quote "$SOURCE_DIR")"
  echo "export STAS_E2E_SCRIPT=$(quote "$SCRIPT")"
  echo "export STAS_E2E_GUEST_TIMEOUT=$GUEST_TIMEOUT"
  echo "export STAS_E2E_LOG=$(quote "$LOG")"
  # "# e2e-init: systemd" in the scenario: the guest boots systemd as PID 1 (guest-init.sh).
  if grep -q '^# e2e-init: systemd$' "$SCRIPT"; then echo "export STAS_E2E_INIT=systemd"; fi
} >"$ENVFILE"

# "# e2e-acpitable: ARGS" lines in the scenario: each is an ACPI table that make-nbft.py writes
# from ARGS (its options but --out), given to the guest with -acpitable (in line order: the
# first is NBFT, the next NBFT1...).
set --
n_acpi=0
while IFS= read -r args; do
  [ -n "$args" ] || continue
  n_acpi=$((n_acpi + 1))
  table=$IMGDIR/$NAME-acpi-$n_acpi.bin
  # shellcheck disable=SC2086 # ARGS are options, split as written
  python3 "$VMDIR/make-nbft.py" --out "$table" $args || die "make-nbft.py $args failed"
  set -- "$@" -acpitable "file=$table"
done <<TABLES
$(sed -n 's/^# e2e-acpitable: //p' "$SCRIPT")
TABLES

echo "run-in-vm: $NAME on $KVER ($ACCEL), timeout ${TIMEOUT}s, console log: $LOG"
start=$(date +%s.%N)
qemu_status=0
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
  -machine q35 -accel "$ACCEL" -cpu max -smp "${STAS_E2E_SMP:-2}" -m 2048 -nographic -no-reboot -nic none \
  -kernel "$KERNEL" -initrd "$IMGDIR/initrd.gz" \
  -append "console=ttyS0 quiet panic=-1 ${STAS_E2E_KERNEL_ARGS:-} stas_e2e_stage2=$VMDIR/guest-init.sh stas_e2e_env=$ENVFILE" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  "$@" </dev/null >"$LOG" 2>&1 &
qpid=$!
trap 'kill "$qpid" 2>/dev/null; exit 143' TERM
trap 'kill "$qpid" 2>/dev/null; exit 130' INT
trap 'kill "$qpid" 2>/dev/null; exit 129' HUP
if [ "${STAS_E2E_VERBOSE:-0}" = 1 ]; then
  tail -n +1 -f --pid="$qpid" "$LOG" &
fi
wait "$qpid" || qemu_status=$?
trap - TERM INT HUP
elapsed=$(echo "$(date +%s.%N) $start" | awk '{ printf "%.1f", $1 - $2 }')

rc=$(tr -d '\r' <"$LOG" | sed -n 's/.*STAS-E2E-RESULT: \([0-9][0-9]*\).*/\1/p' | tail -n 1)
# ran VERDICT: the last line of the console log, which scripts/test.sh prints for every scenario.
ran() { echo "STAS-E2E-RAN: $NAME on $KVER ($ACCEL), ${elapsed}s: $1" >>"$LOG"; }
# fail_with VERDICT: says why first (a summary of a long CI log keeps its first lines), then
# the scenario's steps, the console's last lines (long ones cut), and the verdict again.
fail_with() {
  echo "run-in-vm: FAIL $NAME: $1"
  # The scenario's own steps (log lines, "[uptime] text", unlike the kernel's "[  uptime]") and
  # its verdict, which daemon logs printed after it may have pushed out of the tail.
  echo "run-in-vm: the scenario's steps:"
  tr -d '\r' <"$LOG" | grep -a -E '^\[[0-9]+\.[0-9]+\] |^FAIL: ' | sed 's/^/  | /'
  echo "run-in-vm: last 40 lines of $LOG:"
  tr -d '\r' <"$LOG" | tail -n 40 | cut -c1-300 | sed 's/^/  | /'
  echo "run-in-vm: FAIL $NAME: $1"
}
if [ "$qemu_status" -eq 124 ] || [ "$qemu_status" -eq 137 ]; then
  fail_with "the guest was still running after ${TIMEOUT}s (${elapsed}s)"
  ran "FAIL (timeout)"
  exit 1
fi
if [ -z "$rc" ]; then
  fail_with "no STAS-E2E-RESULT line (qemu exit status $qemu_status, ${elapsed}s)"
  ran "FAIL (no result)"
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  why=$(tr -d '\r' <"$LOG" | grep -a '^FAIL: ' | tail -n 1)
  fail_with "scenario exit status $rc (${elapsed}s): ${why:-no FAIL line, see the steps}"
  ran "FAIL ($rc)"
  exit "$rc"
fi
if [ "${STAS_E2E_VERBOSE:-0}" != 1 ]; then
  tr -d '\r' <"$LOG" | sed -n '/STAS-E2E-BEGIN/,/STAS-E2E-RESULT/p' | sed 's/^/  | /'
fi
echo "run-in-vm: PASS $NAME (${elapsed}s)"
ran PASS
