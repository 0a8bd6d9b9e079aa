#!/bin/sh
# Stage 2 of the e2e guest: PID 1 after the initramfs's /init (build-initramfs.sh) has switched
# into the overlay of the host's root and prepared /proc, /sys, /dev, /run, /tmp, configfs, lo and
# the host name. No systemd, no udevd. Runs the scenario as root from the repository root, prints
# "STAS-E2E-RESULT: <rc>" on the console and powers the guest off. Not meant to be run by hand.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb

finish() {  # RC: print the marker and power off; never returns
  dmesg -n 1 2>/dev/null  # keep kernel messages from splitting the marker line
  printf '\nSTAS-E2E-RESULT: %s\n' "$1"
  # PID 1 must not run from the 9p share while power-off shuts the share down (a page fault there
  # kills PID 1 and panics the kernel): switch to the static busybox that /init copied to /run.
  exec /run/stas-e2e/busybox sh -c 'echo o >/proc/sysrq-trigger; sleep 30; exit 1'
}

# Copied here by /init: the variables written by run-in-vm.sh, and the scenario (its original
# path is still used when it is visible, so that it can find files beside it).
. /run/stas-e2e/env
: "${STAS_E2E_GUEST_TIMEOUT:=200}"
script=$STAS_E2E_SCRIPT
case "$script" in /tmp/*) script=/run/stas-e2e/$(basename "$script") ;; esac

cd "$STAS_SOURCE_DIR" || finish 125
printf "\nSTAS-E2E-BEGIN: %s\n" "$STAS_E2E_SCRIPT (kernel $(uname -r), guest timeout ${STAS_E2E_GUEST_TIMEOUT}s)"
if [ -x "$script" ]; then
  timeout -k 5 "$STAS_E2E_GUEST_TIMEOUT" "$script" </dev/null 2>&1
else
  timeout -k 5 "$STAS_E2E_GUEST_TIMEOUT" /bin/sh "$script" </dev/null 2>&1
fi
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "--- dmesg (last 20 lines) ---"
  dmesg 2>/dev/null | tail -n 20
  echo "--- guest processes (no kernel threads) ---"
  ps --ppid 2 -p 2 --deselect -o pid,ppid,stat,etime,args 2>/dev/null | tail -n 20
  [ "$rc" -eq 124 ] && echo "stas-e2e: scenario timed out after ${STAS_E2E_GUEST_TIMEOUT}s"
fi
finish "$rc"
