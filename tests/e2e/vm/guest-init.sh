#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
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

# run_scenario: runs it (bounded), shows what helps on failure, prints the marker, powers off.
run_scenario() {
  cd "$STAS_SOURCE_DIR" || finish 125
  printf "\nSTAS-E2E-BEGIN: %s\n" "$STAS_E2E_SCRIPT (kernel $(uname -r), guest timeout ${STAS_E2E_GUEST_TIMEOUT}s)"
  if [ -x "$script" ]; then
    timeout -k 5 "$STAS_E2E_GUEST_TIMEOUT" "$script" </dev/null 2>&1
  else
    timeout -k 5 "$STAS_E2E_GUEST_TIMEOUT" /bin/sh "$script" </dev/null 2>&1
  fi
  rc=$?
  if [ "$rc" -ne 0 ]; then
    timed_out=false
    # 124: timed out and ended by SIGTERM; 137: it needed the SIGKILL that followed.
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
      timed_out=true
      echo "stas-e2e: scenario timed out after ${STAS_E2E_GUEST_TIMEOUT}s"
    fi
    echo "--- dmesg (last 20 lines) ---"
    dmesg 2>/dev/null | tail -n 20
    # Bounded: ps reads each process's memory map lock, which a hung kernel call may hold.
    echo "--- guest processes (no kernel threads): where each one sleeps ---"
    timeout -k 2 10 ps --ppid 2 -p 2 --deselect -o pid,ppid,stat,etime,wchan:28,args 2>/dev/null |
      tail -n 25
    if [ "$timed_out" = true ]; then
      # A scenario that timed out waits for something: the kernel stacks of the processes in
      # uninterruptible sleep show what.
      for st in /proc/[0-9]*/stat; do
        case "$(cut -d')' -f2 "$st" 2>/dev/null)" in
          " D "*)
            p=${st#/proc/}
            p=${p%/stat}
            echo "--- kernel stack of $p ($(cat "/proc/$p/comm" 2>/dev/null)), in D state ---"
            timeout 5 cat "/proc/$p/stack" 2>/dev/null
            ;;
        esac
      done
    fi
  fi
  finish "$rc"
}

if [ "${1:-}" = --run-scenario ]; then
  run_scenario  # as the service that systemd runs (below)
fi

# A scenario with "# e2e-init: systemd" runs under systemd as PID 1 (to test the units): a
# oneshot service on the console runs this script again with --run-scenario. Nothing else is
# started unless the scenario asks for it.
if [ "${STAS_E2E_INIT:-}" = systemd ]; then
  u=/etc/systemd/system
  cat >$u/stas-e2e.target <<UNIT
[Unit]
Description=stas end-to-end scenario
Wants=stas-e2e.service
AllowIsolate=yes
UNIT
  cat >$u/stas-e2e.service <<UNIT
[Unit]
Description=stas end-to-end scenario
DefaultDependencies=no
[Service]
Type=oneshot
StandardInput=null
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/console
ExecStart=/bin/sh $0 --run-scenario
UNIT
  # Boot-time housekeeping that would rewrite the shared root's /tmp (where CI's clone and
  # this build may live), set the clock or wait for hardware is masked.
  for m in systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service \
      systemd-tmpfiles-clean.service systemd-tmpfiles-clean.timer tmp.mount \
      systemd-timesyncd.service systemd-pcrphase.service systemd-pcrphase-sysinit.service \
      systemd-update-utmp.service systemd-random-seed.service apt-daily.timer \
      apt-daily-upgrade.timer e2scrub_all.timer; do
    ln -sf /dev/null "$u/$m"
  done
  rm -f /etc/machine-id && systemd-machine-id-setup >/dev/null 2>&1
  exec /lib/systemd/systemd --unit=stas-e2e.target --log-level=warning --show-status=false
fi
run_scenario
