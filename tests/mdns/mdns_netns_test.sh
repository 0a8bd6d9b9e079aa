#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mDNS discovery against real avahi-daemons (docs/compatibility.md, "mDNS discovery"): two
# network namespaces
# joined by a veth pair, each with its own /run, system dbus-daemon and avahi-daemon.
#   "pub"  (192.0.2.1): avahi-publish of _nvme-disc._tcp/_udp records, valid and not, and TCP
#                       listeners standing in for the DCs' ports;
#   "host" (192.0.2.2): stafd on the simulated kernel (stafd-sim: the NVMe side is simulated,
#                       everything mDNS is real), inspected with stafctl.
# Then: a publisher stops (goodbye) -> the service goes, the DC ages out after the persistence;
# avahi-daemon restarts -> stafd recovers without a restart; exclude= and zeroconf=disabled on
# SIGHUP. Needs root. Usage: mdns_netns_test.sh BUILD_DIR
set -u
BUILD=$(realpath "${1:?usage: $0 BUILD_DIR}")
STAFD_SIM=$BUILD/tests/stafd-sim
STAFCTL=$BUILD/ctl/stafctl

fail() { echo "FAIL: $*"; [ -f "${W:-/nonexistent}/stafd.log" ] && tail -40 "$W/stafd.log"; exit 1; }
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root (network namespaces)"; exit 77; fi
for c in ip unshare nsenter dbus-daemon dbus-send avahi-daemon avahi-publish python3 jq; do
  command -v "$c" >/dev/null || fail "missing command: $c (scripts/install-deps.sh installs it)"
done

W=$(mktemp -d /tmp/stas-mdns-XXXXXX)
NS_PUB=stas-mdns-pub-$$
NS_HOST=stas-mdns-host-$$
PIDS=()  # everything we start, killed by PID at exit

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  ip netns del "$NS_PUB" 2>/dev/null
  ip netns del "$NS_HOST" 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT

# forget PID: a process we stopped and saw gone; cleanup must not signal its (reusable) PID.
forget() {
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls every 0.25 s.
wait_for() {
  local secs=$1 what=$2; shift 2
  local n=$((secs * 4))
  for _ in $(seq "$n"); do "$@" > /dev/null 2>&1 && return 0; sleep 0.25; done
  fail "timed out after ${secs}s waiting for: $what"
}

# A namespace pair with a private /run each, held open by a sleeping process.
ip netns add "$NS_PUB" || fail "ip netns add"
ip netns add "$NS_HOST" || fail "ip netns add"
ip link add name vp netns "$NS_PUB" type veth peer name vh netns "$NS_HOST" || fail "veth"
hold() {  # hold NS: prints the holder's PID
  ip netns exec "$1" unshare -m --propagation private sh -c \
    'mount -t tmpfs tmpfs /run && mkdir -p /run/dbus /run/avahi-daemon && : >/run/stas-holder && exec sleep 900' \
    > /dev/null 2>&1 &  # not our stdout: $(hold) would wait for it
  echo $!
}
HP=$(hold "$NS_PUB"); PIDS+=("$HP")
HH=$(hold "$NS_HOST"); PIDS+=("$HH")
in_pub() { nsenter -t "$HP" -m -n -- "$@"; }
in_host() { nsenter -t "$HH" -m -n -- "$@"; }
# Background processes are started with nsenter itself, never through a function: $! must be
# the process (nsenter execs it), not a subshell around it.
# Only once the holder's own /run is mounted: before that, its mount namespace may still be
# this machine's, and daemons started "in" it would use this machine's /run.
private_run() { nsenter -t "$1" -m -- test -e /run/stas-holder; }
wait_for 10 "private /run in pub" private_run "$HP"
wait_for 10 "private /run in host" private_run "$HH"
in_pub ip link set lo up
in_pub ip addr add 192.0.2.1/24 dev vp
in_pub ip link set vp multicast on up
in_host ip link set lo up
in_host ip addr add 192.0.2.2/24 dev vh
in_host ip link set vh multicast on up

. "$(dirname "$0")/avahi-lib.sh"
open_system_bus_conf > "$W/bus.conf"
avahi_conf stas-pub vp > "$W/avahi-pub.conf"
avahi_conf stas-host vh > "$W/avahi-host.conf"
start_avahi() {  # start_avahi HOLDER_PID CONF LOG: prints the PID
  nsenter -t "$1" -m -n -- avahi-daemon -f "$2" --no-chroot --no-drop-root --no-rlimits > "$3" 2>&1 &
  echo $!
}
bus_up() { "$1" test -S /run/dbus/system_bus_socket; }
avahi_up() { avahi_on_bus "$1"; }

nsenter -t "$HP" -m -n -- dbus-daemon --config-file="$W/bus.conf" --nofork > "$W/dbus-pub.log" 2>&1 &
PIDS+=($!)
nsenter -t "$HH" -m -n -- dbus-daemon --config-file="$W/bus.conf" --nofork > "$W/dbus-host.log" 2>&1 &
PIDS+=($!)
wait_for 10 "the system bus in pub" bus_up in_pub
wait_for 10 "the system bus in host" bus_up in_host
AP=$(start_avahi "$HP" "$W/avahi-pub.conf" "$W/avahi-pub.log"); PIDS+=("$AP")
AH=$(start_avahi "$HH" "$W/avahi-host.conf" "$W/avahi-host.log"); PIDS+=("$AH")
wait_for 15 "avahi-daemon in pub" avahi_up in_pub
wait_for 15 "avahi-daemon in host" avahi_up in_host

# The DCs' TCP ports (the reachability check connects to them): 8009 and 8011 answer, 8010 not.
nsenter -t "$HP" -m -n -- python3 -c '
import socket, time
socks = []
for port in (8009, 8011):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("192.0.2.1", port)); s.listen(64); socks.append(s)
time.sleep(900)' > /dev/null 2>&1 &
PIDS+=($!)

publish() {  # publish NAME TYPE PORT TXT...: prints the PID
  local name=$1 type=$2 port=$3; shift 3
  nsenter -t "$HP" -m -n -- avahi-publish --no-fail -s "$name" "$type" "$port" "$@" >> "$W/publish.log" 2>&1 &
  echo $!
}
WKDN=nqn.2014-08.org.nvmexpress.discovery
P_A=$(publish "DC A" _nvme-disc._tcp 8009 p=tcp "nqn=$WKDN"); PIDS+=("$P_A")
P_LOST=$(publish "DC Lost" _nvme-disc._tcp 8011 P=TCP); PIDS+=("$P_LOST")  # keys: any case
P_ROCE=$(publish "DC RoCE" _nvme-disc._udp 4420 p=roce); PIDS+=("$P_ROCE")
P_DOWN=$(publish "DC Down" _nvme-disc._tcp 8010 p=tcp); PIDS+=("$P_DOWN")
P_FC=$(publish "Bad protocol" _nvme-disc._tcp 8009 p=fc); PIDS+=("$P_FC")
P_NOP=$(publish "No protocol" _nvme-disc._tcp 8009 "nqn=$WKDN"); PIDS+=("$P_NOP")
P_EVIL=$(publish "Evil, nqn" _nvme-disc._tcp 8009 p=tcp "nqn=nqn.x:y,transport,traddr"); PIDS+=("$P_EVIL")
P_CTRL=$(publish "Evil protocol" _nvme-disc._tcp 8009 "$(printf 'p=tcp\033[2J')"); PIDS+=("$P_CTRL")
# A DC whose host has only an IPv6 address, announced over IPv4 (avahi's publish-aaaa-on-ipv4).
nsenter -t "$HP" -m -n -- avahi-publish --no-fail -a -R v6-only.local 2001:db8::7 >> "$W/publish.log" 2>&1 &
PIDS+=($!)
nsenter -t "$HP" -m -n -- avahi-publish --no-fail -s -H v6-only.local "DC V6only" _nvme-disc._tcp 8009 p=tcp \
  >> "$W/publish.log" 2>&1 &
PIDS+=($!)

# stafd in "host", on the simulated kernel: the DC at 192.0.2.1:8009 serves two subsystems.
mkdir -p "$W/etc/stas" "$W/etc/nvme" "$W/run"
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:7d1ea52c-0e36-4f4a-a0b2-6b8a6e2a1a01
echo "$HOSTNQN" > "$W/etc/nvme/hostnqn"
echo "7d1ea52c-0e36-4f4a-a0b2-6b8a6e2a1a01" > "$W/etc/nvme/hostid"
: > "$W/etc/stas/sys.conf"
cat > "$W/scenario.json" <<'EOF'
{"ports": [{"traddr": "192.0.2.1", "trsvcid": "8009", "dctype": "cdc",
  "log": [{"subnqn": "nqn.1988-11.com.example:mdns-1", "traddr": "192.0.2.1", "trsvcid": "4420"},
          {"subnqn": "nqn.1988-11.com.example:mdns-2", "traddr": "192.0.2.1", "trsvcid": "4420"}]}]}
EOF
write_conf() {  # write_conf EXTRA_LINES
  printf '[Global]\ntron=true\n[Service Discovery]\nzeroconf=%s\n' "${ZEROCONF:-enabled}" > "$W/stafd.conf"
  printf '[Discovery controller connection management]\nzeroconf-connections-persistence=3\n' >> "$W/stafd.conf"
  printf '[Controllers]\n%s' "$1" >> "$W/stafd.conf"
}
write_conf ""
nsenter -t "$HH" -m -n -- env STAS_SIM_SCENARIO="$W/scenario.json" STAS_SIM_ETC="$W/etc" RUNTIME_DIRECTORY="$W/run" \
  "$STAFD_SIM" -f "$W/stafd.conf" > "$W/stafd.log" 2>&1 &
STAFD=$!; PIDS+=("$STAFD")

ctl() { in_host "$STAFCTL" --json "$@"; }
status() { ctl status; }
dcs() { ctl ls | jq -r '.[] | "\(.transport) \(.traddr) \(.trsvcid) \(.["host-iface"])"' | sort; }
has_dc() { dcs | grep -qx "$1"; }
no_dc() { ! dcs | grep -qx "$1"; }
service() { status | jq -c --arg k "$1" '.avahi.services[$k]'; }
reachable() { [ "$(service "$1" | jq -r .reachable)" = "$2" ]; }
no_service() { [ "$(service "$1")" = null ]; }
seen() { ! no_service "$1"; }
logged() { grep -qF -- "$1" "$W/stafd.log"; }
resolver_timed_out() { grep -F "Avahi resolver timeout" "$W/stafd.log" | grep -qF "name=$1"; }
rdma_listed() { dcs | grep -q '^rdma 192.0.2.1 4420 '; }
dlp_count() { [ "$(ctl dlp -t tcp -a 192.0.2.1 -s 8009 -f vh -q "$HOSTNQN" | jq length)" = "$1" ]; }
service_count() { [ "$(status | jq '.avahi.services | length')" = "$1" ]; }
service_types() { [ "$(status | jq -c '.avahi["service types"]')" = "$1" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
KEY() { echo "(vh, IPv4, $1.local, ${2:-_nvme-disc._tcp})"; }

wait_for 15 "stafd on the bus" status
service_types '["_nvme-disc._tcp","_nvme-disc._udp"]' || fail "service types: $(status | jq -c '.avahi')"

T0=$(date +%s%N)
wait_for 30 "DC A connected through vh" has_dc "tcp 192.0.2.1 8009 vh"
T1=$(date +%s%N)
wait_for 30 "DC Lost listed" has_dc "tcp 192.0.2.1 8011 vh"
wait_for 30 "DC RoCE listed" rdma_listed
echo "STAS-FIGURE mdns-netns: mDNS announcement -> DC listed by stafctl: $(( (T1 - T0) / 1000000 )) ms (since stafd answered)"
wait_for 10 "DC A's log page" dlp_count 2

# The unreachable and the invalid announcements are seen, but none becomes a controller.
wait_for 30 "DC Down known and unreachable" reachable "$(KEY 'DC Down')" False
reachable "$(KEY 'DC A')" True || fail "DC A: $(service "$(KEY 'DC A')")"
[ "$(service "$(KEY 'DC A')" | jq -c 'del(.reachable)')" = \
  "{\"transport\":\"tcp\",\"traddr\":\"192.0.2.1\",\"trsvcid\":\"8009\",\"host-iface\":\"vh\",\"subsysnqn\":\"$WKDN\"}" ] ||
  fail "DC A's avahi entry: $(service "$(KEY 'DC A')")"
for name in "Bad protocol" "No protocol" "Evil, nqn" "Evil protocol"; do
  wait_for 15 "$name seen and not a candidate" reachable "$(KEY "$name")" False
done
wait_for 10 "rejections logged" logged "Received invalid/undefined protocol in mDNS TXT field"
logged "Invalid nqn" || fail "the hostile nqn was not reported"
# A service seen over IPv4 is resolved to an IPv4 address only. nvme-stas asked Avahi for any
# family and got whichever of the host's A and AAAA records came first (here the AAAA), so a
# DC that listens on IPv4 only could be probed, in vain, at its IPv6 (often link-local) address.
wait_for 15 "DC V6only seen" seen "$(KEY 'DC V6only')"
wait_for 15 "DC V6only's resolution given up (no A record)" resolver_timed_out "DC V6only"
[ "$(service "$(KEY 'DC V6only')")" = '{"reachable":"False"}' ] ||
  fail "DC V6only (seen over IPv4, host has only an IPv6 address): $(service "$(KEY 'DC V6only')")"
[ "$(dcs | wc -l)" -eq 3 ] || fail "expected exactly 3 DCs, got: $(dcs)"
ctl ls | jq -r '.[].subsysnqn' | grep -v -x "$WKDN" && fail "a subsysnqn other than the well-known NQN"

# The publisher of DC Lost stops (goodbye packet): the service goes at once, the DC stays
# until it has been unreachable for the persistence (3 s); SIGHUP runs the check.
kill "$P_LOST"
wait_for 10 "the DC Lost publisher gone" gone "$P_LOST"
forget "$P_LOST"
wait_for 15 "DC Lost's service removed" no_service "$(KEY 'DC Lost')"
sleep 4
has_dc "tcp 192.0.2.1 8011 vh" || fail "DC Lost removed before it aged"
kill -HUP "$STAFD"
wait_for 20 "DC Lost aged out" no_dc "tcp 192.0.2.1 8011 vh"
logged "Will be removed by" || fail "no aging log line"
has_dc "tcp 192.0.2.1 8009 vh" || fail "DC A removed with DC Lost"

# avahi-daemon restarts: the services go, connected DCs stay, and stafd recovers by itself.
kill "$AH"
wait_for 10 "avahi-daemon gone" gone "$AH"
forget "$AH"
wait_for 15 "services dropped" service_count 0
wait_for 5 "unavailability logged" logged "avahi-daemon not available"
# The lost-DC check (SIGHUP runs it) must spare DC A: it is connected.
kill -HUP "$STAFD"
sleep 5  # longer than the persistence (3 s) and the soak (1.5 s)
has_dc "tcp 192.0.2.1 8009 vh" || fail "DC A (connected) removed while avahi-daemon was away"
AH=$(start_avahi "$HH" "$W/avahi-host.conf" "$W/avahi-host2.log"); PIDS+=("$AH")
T2=$(date +%s%N)
wait_for 90 "DC A reported again after the restart" reachable "$(KEY 'DC A')" True
T3=$(date +%s%N)
echo "STAS-FIGURE mdns-netns: avahi-daemon restarted -> DC A reported again: $(( (T3 - T2) / 1000000 )) ms"
logged "avahi-daemon service available, zeroconf supported." || fail "no recovery log line"

# exclude= removes an mDNS DC at once (SIGHUP); zeroconf=disabled stops browsing.
write_conf "exclude=transport=tcp;traddr=192.0.2.1;trsvcid=8009"
kill -HUP "$STAFD"
wait_for 10 "DC A excluded" no_dc "tcp 192.0.2.1 8009 vh"
ZEROCONF=disabled write_conf ""
kill -HUP "$STAFD"
wait_for 10 "browsing stopped" service_types '[]'

kill "$STAFD"
wait_for 10 "stafd exited" gone "$STAFD"
forget "$STAFD"
grep -E 'AddressSanitizer|runtime error:|terminate called' "$W/stafd.log" &&
  fail "stafd crashed or misbehaved (sanitizer/exception output above)"
echo "PASS: mDNS discovery across namespaces"
