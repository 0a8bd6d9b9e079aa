#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: a discovery controller found by mDNS (TP8009), connected on the real kernel.
# A network namespace "tgt" behind a veth pair (v0 192.0.2.1 here, v1 192.0.2.2 there) holds
# the nvmet port (192.0.2.2:8009, two subsystems) and its own /run, system bus and avahi-daemon,
# which announces `_nvme-disc._tcp 8009 p=tcp`. Here: a system bus, an avahi-daemon on v0,
# stafd with no configured controller, and stacd. Both avahi-daemons use IPv4 and IPv6, so the
# service is seen twice: over IPv4 it resolves to 192.0.2.2, over IPv6 to v1's link-local
# address, where nvmet does not listen. stafd must find the DC through Avahi, check that its
# port answers, connect through v0 (host_iface in the kernel) at its IPv4 address only, fetch
# the log page, and stacd must connect both subsystems. The publisher stopping removes the service, not the
# connected DC (even past zeroconf-connections-persistence); SIGHUP with zeroconf=disabled
# stops browsing.
# e2e-timeout: 420
# e2e-serial
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"
trap '[ $? -eq 0 ] || { stas_show_logs; for f in "$E2E"/dbus-tgt.log "$E2E"/avahi-*.log \
  "$E2E"/publish.log; do [ -f "$f" ] && { echo "--- $f ---"; cat "$f"; }; done
  echo "--- stafctl status ---"; stafctl status 2>&1; }' EXIT

DCADDR=192.0.2.2

load_nvme_modules 2
nvmet_add_subsystem "${SUB}1" 0
nvmet_add_subsystem "${SUB}2" 1
cp dbus-interfaces/org.nvmexpress.staf.conf dbus-interfaces/org.nvmexpress.stac.conf \
  /usr/share/dbus-1/system.d/
start_system_bus
mkdir -p /etc/nvme "$E2E" /run/stafd /run/stacd /run/avahi-daemon
echo "$HOSTNQN" >/etc/nvme/hostnqn
echo "$HOSTID" >/etc/nvme/hostid
rm -f /etc/stas/sys.conf
: >"$E2E/stacd.conf"

log "network namespace tgt behind a veth pair"
ip netns add tgt
ip link add v0 type veth peer name v1 netns tgt
ip addr add 192.0.2.1/24 dev v0
ip link set v0 multicast on up
in_tgt() { nsenter --net=/run/netns/tgt -- "$@"; }
in_tgt ip link set lo up
in_tgt ip addr add $DCADDR/24 dev v1
in_tgt ip link set v1 multicast on up

# nvmet-tcp listens in the network namespace of the process that enables the port, i.e. that
# links the first subsystem (configfs stays mounted: only the network namespace changes).
nvmet_setup_port 1 $DCADDR 8009
in_tgt ln -s "$NVMET/subsystems/${SUB}1" "$NVMET/ports/1/subsystems/${SUB}1"
in_tgt ln -s "$NVMET/subsystems/${SUB}2" "$NVMET/ports/1/subsystems/${SUB}2"
wait_for "in_tgt ss -ltn | grep -q '$DCADDR:8009'" 10
if ss -ltn | grep -q "$DCADDR:8009"; then fail "the nvmet port listens outside the namespace"; fi

. "$STAS_SOURCE_DIR/tests/mdns/avahi-lib.sh"
avahi_conf stas-tgt v1 yes >"$E2E/avahi-tgt.conf"
avahi_conf stas-host v0 yes >"$E2E/avahi-host.conf"
open_system_bus_conf >"$E2E/bus-tgt.conf"

log "the announcer in tgt: its own /run, system bus, avahi-daemon and avahi-publish"
nsenter --net=/run/netns/tgt -- unshare -m --propagation private sh -c \
  'mount -t tmpfs tmpfs /run && mkdir -p /run/dbus /run/avahi-daemon && : >/run/stas-holder && exec sleep 600' \
  >/dev/null 2>&1 &
HOLDER=$!
# Only once the holder's own /run is mounted (before that, its mount namespace may still be
# ours, and a bus started "in" it would collide with this one).
wait_for "nsenter -t $HOLDER -m -- test -e /run/stas-holder" 20
in_holder() { nsenter -t "$HOLDER" -m -n -- "$@"; }
nsenter -t "$HOLDER" -m -n -- dbus-daemon --config-file="$E2E/bus-tgt.conf" --nofork \
  >"$E2E/dbus-tgt.log" 2>&1 &
wait_for "in_holder test -S /run/dbus/system_bus_socket" 10
# start_avahi NSENTER_ARGS CONF LOG: avahi-daemon, in the namespaces of NSENTER_ARGS ("-t 1 -n" for
# here), until it is on the bus; 3 tries (under load it has been seen to exit at start, its
# log then says why).
start_avahi() {
  for _try in 1 2 3; do
    # shellcheck disable=SC2086
    nsenter $1 -- avahi-daemon -f "$2" --no-chroot --no-drop-root --no-rlimits >"$3" 2>&1 &
    _pid=$!
    _n=0
    while [ $_n -lt 100 ] && pid_alive $_pid; do
      # shellcheck disable=SC2086
      if avahi_on_bus nsenter $1 --; then return 0; fi
      sleep 0.2
      _n=$((_n + 1))
    done
    log "avahi-daemon ($2) did not start, try $_try: $(cat "$3")"
    kill $_pid 2>/dev/null || true
  done
  fail "avahi-daemon ($2) did not start"
}
start_avahi "-t $HOLDER -m -n" "$E2E/avahi-tgt.conf" "$E2E/avahi-tgt.log"
# --no-fail: should avahi-daemon leave the bus for a moment, avahi-publish waits for it
# instead of exiting ("Daemon not running") and announcing nothing.
nsenter -t "$HOLDER" -m -n -- avahi-publish --no-fail -s "NVMe DC" _nvme-disc._tcp 8009 p=tcp \
  "nqn=$WKDN" >"$E2E/publish.log" 2>&1 &
PUBLISHER=$!

log "here: avahi-daemon on v0, stafd (zeroconf only), stacd"
start_avahi "-t 1 -n" "$E2E/avahi-host.conf" "$E2E/avahi-host.log"
cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
[Service Discovery]
zeroconf = enabled
[Discovery controller connection management]
zeroconf-connections-persistence = 1
CONF
T0=$(date +%s%3N)
start_stafd
start_stacd

# dc_listed: stafd lists the DC at $DCADDR through v0, on a device live in the kernel at that address.
dc_listed() {
  _d=$(stafctl --json ls | jq -r --arg a $DCADDR '.[] | select(.traddr == $a and .["host-iface"] == "v0") | .device') &&
    kernel_ctrl_live "$_d" "$WKDN" $DCADDR 8009 v0
}
wait_for dc_listed 60
T1=$(date +%s%3N)
log "stafd connected the mDNS DC: $(stafctl ls)"
dc=$(stafctl --json ls | jq -r '.[0].device')
assert_eq discovery "$(cat /sys/class/nvme/$dc/cntrltype)" "cntrltype of $dc"
addr=$(cat /sys/class/nvme/$dc/address)
assert_contains "$addr" "traddr=$DCADDR" "address of $dc"
assert_contains "$addr" "trsvcid=8009" "address of $dc"
assert_contains "$addr" "host_iface=v0" "address of $dc (the interface Avahi saw it on)"

dlp_mdns() { stafctl --json dlp -a $DCADDR -s 8009 -f v0 2>/dev/null | jq length; }
wait_for "[ \"\$(dlp_mdns)\" = 3 ]" 60
status=$(stafctl --json status)
key="(v0, IPv4, NVMe DC.local, _nvme-disc._tcp)"
assert_eq '{"transport":"tcp","traddr":"192.0.2.2","trsvcid":"8009","host-iface":"v0","subsysnqn":"nqn.2014-08.org.nvmexpress.discovery","reachable":"True"}' \
  "$(echo "$status" | jq -c --arg k "$key" '.avahi.services[$k]')" "the avahi section of stafctl status"
# Seen over IPv6 too: resolved to an IPv6 address (link-local, v1's), which does not answer.
key6="(v0, IPv6, NVMe DC.local, _nvme-disc._tcp)"
v6_probed() { stafctl --json status | jq -e --arg k "$key6" '.avahi.services[$k] | (.traddr | startswith("fe80:")) and .reachable == "False"'; }
wait_for v6_probed 30
wait_for "grep -q 'Unable to verify TCP connectivity.*fe80:.*Connection refused' '$E2E/stafd.log'" 30
assert_eq 1 "$(stafctl --json ls | jq length)" "DCs listed (the IPv4 one only)"
assert_eq 1 "$(kernel_ctrl_count "$WKDN")" "kernel DC connections"

wait_for "[ \"\$(ioc_connected)\" = 2 ]" 90
T2=$(date +%s%3N)
assert_each_subsystem_once 1 2
for i in 1 2; do
  c=$(ioc_device "$SUB$i")
  assert_contains "$(cat /sys/class/nvme/$c/address)" "traddr=$DCADDR" "address of $c"
done
log "stacd connected both subsystems of the mDNS DC"
echo "STAS-FIGURE mdns: stafd start -> mDNS DC connected: $((T1 - T0)) ms; -> both subsystems connected by stacd: $((T2 - T0)) ms (TCG guest)"

log "the announcement stops (goodbye): the service goes, the connected DC stays"
kill "$PUBLISHER"
no_service() { [ "$(stafctl --json status | jq '.avahi.services | length')" = 0 ]; }
wait_for no_service 20
kill -HUP "$STAFD_PID"  # runs the lost-DC check now; the persistence is 1 s
sleep 4
dc_listed >/dev/null || fail "the connected mDNS DC was removed when the announcement stopped"
assert_eq "$dc" "$(stafctl --json ls | jq -r '.[0].device')" "the mDNS DC's device after the announcement stopped"
assert_eq 2 "$(ioc_connected)" "I/O controllers after the announcement stopped"

log "SIGHUP with zeroconf disabled: no more browsing"
printf '[Global]\ntron = true\n[Service Discovery]\nzeroconf = disabled\n' >"$E2E/stafd.conf"
kill -HUP "$STAFD_PID"
wait_for "[ \"\$(stafctl --json status | jq -c '.avahi[\"service types\"]')\" = '[]' ]" 20

stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
assert_stacd_disconnected_nothing
log "PASS"
