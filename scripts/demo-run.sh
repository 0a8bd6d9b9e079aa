#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The demo's body, as root on a kernel with the NVMe/TCP host and nvmet target (this machine's
# or the QEMU guest's, see scripts/demo.sh): a local NVMe/TCP target on 127.0.0.1:8009 with
# three subsystems, stafd and stacd on a private D-Bus bus, then what stafctl, stacctl and the
# kernel show. Everything it creates is removed at the end, and only that: the private bus, the
# two daemons (by PID), the demo's NVMe connections and its nvmet ports and subsystems.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${STAS_BUILD_DIR:-$ROOT/build}
NVMET=/sys/kernel/config/nvmet
SUB=nqn.2014-08.org.example:stas-demo
PORT=4242  # an nvmet port ID unlikely to be in use
WORK=$(mktemp -d /tmp/stas-demo.XXXXXX)
BUS_PID="" STAFD_PID="" STACD_PID=""
BEFORE=$(ls /sys/class/nvme 2>/dev/null | tr '\n' ' ')  # controllers that are not ours

say() { printf '\n== %s\n' "$*"; }
wait_until() {  # wait_until SECONDS CMD...: polls CMD every 0.2 s
  _n=$(($1 * 5)); shift
  while ! "$@" >/dev/null 2>&1; do
    _n=$((_n - 1)); [ "$_n" -gt 0 ] || return 1
    sleep 0.2
  done
}
stop() { [ -n "$1" ] && kill "$1" 2>/dev/null && wait_until 20 sh -c "! kill -0 $1" || true; }
cleanup() {
  set +e
  stop "$STACD_PID"; stop "$STAFD_PID"; stop "$BUS_PID"
  for i in 1 2 3; do nvme disconnect -n "$SUB$i" >/dev/null 2>&1; done
  for d in /sys/class/nvme/nvme*; do  # the demo's discovery controller, not one there before
    case " $BEFORE " in *" ${d##*/} "*) continue ;; esac
    [ "$(cat "$d/subsysnqn" 2>/dev/null)" = nqn.2014-08.org.nvmexpress.discovery ] &&
      [ "$(cat "$d/address" 2>/dev/null)" = "traddr=127.0.0.1,trsvcid=8009" ] &&
      echo 1 >"$d/delete_controller"
  done
  for i in 1 2 3; do
    rm -f "$NVMET/ports/$PORT/subsystems/$SUB$i"
    echo 0 >"$NVMET/subsystems/$SUB$i/namespaces/1/enable" 2>/dev/null
    rmdir "$NVMET/subsystems/$SUB$i/namespaces/1" "$NVMET/subsystems/$SUB$i" 2>/dev/null
  done
  rmdir "$NVMET/ports/$PORT" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "demo-run.sh: run as root" >&2; exit 1; }
modprobe -a nvmet nvmet-tcp nvme-tcp nvme-fabrics null_blk
grep -q ' /sys/kernel/config configfs ' /proc/mounts || mount -t configfs configfs /sys/kernel/config
[ -e /dev/nullb0 ] || { echo "demo-run.sh: null_blk has no /dev/nullb0" >&2; exit 1; }
[ -s /etc/nvme/hostnqn ] || {
  echo "demo-run.sh: no /etc/nvme/hostnqn; create one: nvme gen-hostnqn >/etc/nvme/hostnqn" >&2
  exit 1
}
[ ! -e "$NVMET/ports/$PORT" ] || { echo "demo-run.sh: nvmet port $PORT exists already" >&2; exit 1; }

say "A local NVMe/TCP target: 127.0.0.1:8009, three subsystems (nvmet, backed by null_blk)"
mkdir "$NVMET/ports/$PORT"
echo tcp >"$NVMET/ports/$PORT/addr_trtype"; echo ipv4 >"$NVMET/ports/$PORT/addr_adrfam"
echo 127.0.0.1 >"$NVMET/ports/$PORT/addr_traddr"; echo 8009 >"$NVMET/ports/$PORT/addr_trsvcid"
for i in 1 2 3; do
  s=$NVMET/subsystems/$SUB$i
  mkdir "$s"; echo 1 >"$s/attr_allow_any_host"; mkdir "$s/namespaces/1"
  echo /dev/nullb0 >"$s/namespaces/1/device_path"; echo 1 >"$s/namespaces/1/enable"
  ln -s "$s" "$NVMET/ports/$PORT/subsystems/$SUB$i"
  echo "  $SUB$i"
done

say "stafd and stacd, on a private D-Bus bus (the system's own bus is left alone)"
mkdir -p "$WORK/etc/stas" "$WORK/run/stafd" "$WORK/run/stacd"
printf '[Controllers]\ncontroller = transport=tcp;traddr=127.0.0.1;trsvcid=8009\n' >"$WORK/stafd.conf"
: >"$WORK/stacd.conf"
cat "$WORK/stafd.conf"
BUS=$(dbus-daemon --session --fork --print-address=1 --print-pid=1 --nopidfile)
export DBUS_SYSTEM_BUS_ADDRESS=$(echo "$BUS" | sed -n 1p)
BUS_PID=$(echo "$BUS" | sed -n 2p)
RUNTIME_DIRECTORY=$WORK/run/stafd "$B/staf/stafd" -f "$WORK/stafd.conf" >"$WORK/stafd.log" 2>&1 &
STAFD_PID=$!
RUNTIME_DIRECTORY=$WORK/run/stacd "$B/stac/stacd" -f "$WORK/stacd.conf" >"$WORK/stacd.log" 2>&1 &
STACD_PID=$!
connected() { [ "$("$B/ctl/stacctl" --json ls | grep -c '"device": "nvme[0-9]')" = 3 ]; }
if ! wait_until 90 connected; then
  echo "the three subsystems were not connected within 90 s; the daemons said:"
  cat "$WORK/stafd.log" "$WORK/stacd.log"
  exit 1
fi

say "stafctl ls: the discovery controller stafd connected"
"$B/ctl/stafctl" ls
say "stafctl dlp -a 127.0.0.1 -s 8009: its discovery log page"
"$B/ctl/stafctl" dlp -a 127.0.0.1 -s 8009
say "stacctl ls: the I/O controllers stacd connected from it"
"$B/ctl/stacctl" ls
say "The new block devices"
for d in /sys/class/nvme/nvme*; do
  case "$(cat "$d/subsysnqn")" in "$SUB"*) ;; *) continue ;; esac
  printf '  %s  %s  ' "$(basename "$d")" "$(cat "$d/subsysnqn")"
  ls -d "$d"/nvme*n1 2>/dev/null | xargs -n1 basename | tr '\n' ' '; echo
done
ls -l /dev/nvme*n1 2>/dev/null | grep -v "c[0-9]*n" || true
say "Stopping the daemons and removing the demo's connections and target"
