#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: transport and connection options on the real kernel. A network namespace "tgt" behind a
# veth pair (v0 here: 192.0.2.1, 192.0.2.3, fd00::1; v1 there: 192.0.2.2, fd00::2) holds the
# nvmet ports: 1 = 192.0.2.2:4420 (IPv4, SUB1), 2 = [fd00::2]:4420 (IPv6, SUB2),
# 3 = 192.0.2.2:4421 (SUB3, for a connection made with nvme connect).
# - stafd ([Global] ip-family=ipv6, ignore-iface=true) is given DC4 = port 1 and DC6 = port 2
#   with host-iface=v0: it connects DC6 only, over IPv6 (traddr fd00::2 in the kernel), without
#   an interface (no host_iface in the kernel's address).
# - stacd ([Global] ip-family=ipv4) is given SUB1 at port 1 with host-traddr=192.0.2.3 and
#   host-iface=v0: the kernel's controller has host_traddr, src_addr 192.0.2.3 and host_iface
#   v0; SUB2, listed by DC6 over IPv6, is not connected. Reloaded with ip-family=ipv6: SUB2 is
#   connected over IPv6 and SUB1 (IPv4 now) is disconnected.
# - [I/O controller connection management] disconnect-scope: SUB3 connected with nvme connect
#   is left alone with only-stas-connections (the default), and disconnected by stacd with
#   all-connections-matching-disconnect-trtypes. Made again with nvme connect WITHOUT
#   --host-iface while stacd is stopped, then wanted by stacd.conf with host-iface=v0, SUB3 is
#   adopted by the audit under the interface that owns its source address (v0) (#13, finding
#   9a): the kernel keeps exactly one controller of SUB3, the same device, never disconnected
#   (counted in dmesg's "new ctrl" lines: a replacement may get the same name). Without the
#   fix, stacd disconnected the adopted one and made a new one.
# - [Discovery controller connection management] persistent-connections: stafd stopped with
#   true (the default) leaves DC6 connected; restarted with false, it adopts DC6 and
#   disconnects it when it stops. (stacd has no such option: it always leaves its I/O
#   controllers when it stops.)
# e2e-timeout: 420
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

load_nvme_modules 3
for i in 1 2 3; do nvmet_add_subsystem "$SUB$i" $((i - 1)); done
stas_host_setup

log "network namespace tgt behind a veth pair, IPv4 and IPv6"
ip netns add tgt
ip link add v0 type veth peer name v1 netns tgt
ip addr add 192.0.2.1/24 dev v0
ip addr add 192.0.2.3/24 dev v0
ip addr add fd00::1/64 dev v0 nodad
ip link set v0 up
in_tgt() { nsenter --net=/run/netns/tgt -- "$@"; }
in_tgt ip link set lo up
in_tgt ip addr add 192.0.2.2/24 dev v1
in_tgt ip addr add fd00::2/64 dev v1 nodad
in_tgt ip link set v1 up
# port ID ADRFAM TRADDR TRSVCID NQN: an nvmet port, enabled (listening) in the namespace tgt.
port() {
  _p=$NVMET/ports/$1
  mkdir "$_p" && echo tcp >"$_p/addr_trtype" && echo "$2" >"$_p/addr_adrfam" &&
    echo "$3" >"$_p/addr_traddr" && echo "$4" >"$_p/addr_trsvcid" ||
    fail "cannot configure nvmet port $1"
  in_tgt ln -s "$NVMET/subsystems/$5" "$_p/subsystems/$5" || fail "cannot link $5 to port $1"
}
port 1 ipv4 192.0.2.2 4420 "${SUB}1"
port 2 ipv6 fd00::2 4420 "${SUB}2"
port 3 ipv4 192.0.2.2 4421 "${SUB}3"
wait_for "in_tgt ss -ltn | grep -qF '[fd00::2]:4420'" 10
wait_for "in_tgt ss -ltn | grep -qF '192.0.2.2:4421'" 10

# addr DEVICE: the kernel's address attribute of DEVICE, between commas.
addr() { echo ",$(cat "/sys/class/nvme/$1/address" 2>/dev/null),"; }
# kernel_dcs: the addresses of the kernel's discovery controllers, one a line.
kernel_dcs() { for _c in $(kernel_ctrls "$WKDN"); do addr "$_c"; done; }

cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
ip-family = ipv6
ignore-iface = true
[Controllers]
controller = transport=tcp;traddr=192.0.2.2;trsvcid=4420
controller = transport=tcp;traddr=fd00::2;trsvcid=4420;host-iface=v0
CONF
stacd_conf() {  # IP_FAMILY DISCONNECT_SCOPE
  cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
ip-family = $1
[I/O controller connection management]
disconnect-scope = $2
[Controllers]
controller = transport=tcp;traddr=192.0.2.2;trsvcid=4420;nqn=${SUB}1;host-traddr=192.0.2.3;host-iface=v0
CONF
}
stacd_conf ipv4 only-stas-connections

log "stafd: ip-family=ipv6, ignore-iface=true"
start_stafd
# dc6_field KEY: what stafd lists as KEY for DC6 (traddr fd00::2).
dc6_field() { stas_json staf ls | jq -r --arg k "$1" '.[] | select(.traddr == "fd00::2") | .[$k]'; }
dc6_live() { kernel_ctrl_live "$(dc6_field device)" "$WKDN" fd00::2 4420; }
wait_for dc6_live 60
wait_for "[ \"\$(stas_json staf dlp -a fd00::2 -s 4420 | jq length)\" = 2 ]" 60
dc6=$(dc6_field device)
log "DC6 is $dc6: $(addr "$dc6")"
assert_eq 1 "$(stas_json staf ls | jq length)" "DCs stafd lists (ip-family=ipv6: not the IPv4 one)"
assert_eq "$(addr "$dc6")" "$(kernel_dcs)" "the kernel's discovery controllers"
case "$(addr "$dc6")" in *host_iface=*) fail "ignore-iface=true, yet $dc6 is bound to an interface: $(addr "$dc6")" ;; esac
assert_eq "" "$(dc6_field host-iface)" "the host-iface stafd lists for DC6"

log "stacd: ip-family=ipv4, SUB1 with host-traddr and host-iface"
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 1 ]" 60
c1=$(ioc_device "${SUB}1")
a1=$(addr "$c1")
log "${SUB}1 is $c1: $a1"
assert_ioc_live "${SUB}1" "$c1" "${SUB}1 (IPv4)"
assert_contains "$a1" ",traddr=192.0.2.2,trsvcid=4420," "the kernel's address of $c1"
assert_contains "$a1" ",host_traddr=192.0.2.3," "the kernel's address of $c1 (host-traddr)"
assert_contains "$a1" ",host_iface=v0," "the kernel's address of $c1 (host-iface)"
assert_contains "$a1" ",src_addr=192.0.2.3," "the kernel's address of $c1 (the socket's source)"
# DC6's log page offers SUB2 over IPv6: not for an ipv4-only stacd. stacd's first
# reconciliation (which connected SUB1) had stafd's log pages, and lists at once every
# controller it wants, connected or not.
assert_no_match "$E2E/stacd.log" "stafd has not answered|stafd did not" "stacd without stafd's log pages"
assert_eq 1 "$(ioc_listed)" "I/O controllers stacd lists (ip-family=ipv4: not SUB2)"
assert_eq 0 "$(kernel_ctrl_count "${SUB}2")" "kernel controllers of ${SUB}2 (IPv6) with ip-family=ipv4"

log "stacd reloaded with ip-family=ipv6: SUB2 over IPv6, SUB1 (IPv4) disconnected"
stacd_conf ipv6 only-stas-connections
kill -HUP "$STACD_PID"
wait_for "[ \"\$(kernel_live_ctrls ${SUB}2)\" != '' ]" 60
wait_for "[ \"\$(kernel_ctrl_count ${SUB}1)\" = 0 ]" 60
wait_for "[ \"\$(ioc_connected)\" = 1 ]" 30
c2=$(ioc_device "${SUB}2")
assert_ioc_live "${SUB}2" "$c2" "${SUB}2 (IPv6)"
assert_contains "$(addr "$c2")" ",traddr=fd00::2,trsvcid=4420," "the kernel's address of $c2"
assert_eq 1 "$(ioc_listed)" "I/O controllers stacd lists (ip-family=ipv6: not SUB1)"

log "disconnect-scope: a connection made by nvme connect"
nvme connect -t tcp -a 192.0.2.2 -s 4421 -n "${SUB}3" >/dev/null || fail "nvme connect ${SUB}3 failed"
wait_for "[ \"\$(kernel_live_ctrls ${SUB}3)\" != '' ]" 30
c3=$(kernel_live_ctrls "${SUB}3")
n_reload=$(nlines "$E2E/stacd.log" "Reloading")
kill -HUP "$STACD_PID"  # a reconciliation with the connection in the kernel
wait_for "[ \"\$(nlines $E2E/stacd.log Reloading)\" -gt $n_reload ]" 10
sleep 5
assert_eq live "$(ctrl_state "$c3")" "$c3 (nvme connect) with disconnect-scope=only-stas-connections"
assert_eq 1 "$(kernel_ctrl_count "${SUB}3")" "kernel controllers of ${SUB}3 (only-stas-connections)"
stacd_conf ipv6 all-connections-matching-disconnect-trtypes
kill -HUP "$STACD_PID"
wait_for "[ \"\$(kernel_ctrl_count ${SUB}3)\" = 0 ]" 60
log "stacd disconnected $c3 with all-connections-matching-disconnect-trtypes"
assert_ioc_live "${SUB}2" "$c2" "${SUB}2 (wanted) with all-connections-matching-disconnect-trtypes"
assert_kernel_io 1 "I/O controllers after the scope changed"

log "audit: a connection made without an interface is known by the one of its source address"
stop_pid "$STACD_PID"
nvme connect -t tcp -a 192.0.2.2 -s 4421 -n "${SUB}3" >/dev/null || fail "nvme connect ${SUB}3 failed"
wait_for "[ \"\$(kernel_live_ctrls ${SUB}3)\" != '' ]" 30
c3=$(kernel_live_ctrls "${SUB}3")
a3=$(addr "$c3")
log "${SUB}3 is $c3: $a3"
case "$a3" in *host_iface=*) fail "nvme connect without --host-iface, yet $c3 has one: $a3" ;; esac
assert_contains "$a3" ",src_addr=192.0.2." "the kernel's address of $c3 (a source address of v0)"
new3=$(dmesg_count "new ctrl: NQN \"${SUB}3\"")
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
ip-family = ipv4+ipv6
[I/O controller connection management]
disconnect-scope = all-connections-matching-disconnect-trtypes
[Controllers]
controller = transport=tcp;traddr=192.0.2.2;trsvcid=4421;nqn=${SUB}3;host-iface=v0
CONF
before=$(wc -l <"$E2E/stacd.log")
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 2 ]" 60
sleep 5  # the audit's reconciliation and stafd's have run (a duplicate would be made by now)
assert_ioc_live "${SUB}3" "$c3" "${SUB}3 (nvme connect) adopted by the audit"
assert_eq v0 "$(stas_json stac ls | jq -r --arg n "${SUB}3" '.[] | select(.subsysnqn == $n) | .["host-iface"]')" \
  "the host-iface stacd lists for ${SUB}3"
assert_eq "$new3" "$(dmesg_count "new ctrl: NQN \"${SUB}3\"")" "controllers the kernel made for ${SUB}3 since nvme connect"
tail -n +$((before + 1)) "$E2E/stacd.log" >"$E2E/stacd-audit.log"
assert_no_match "$E2E/stacd-audit.log" "Disconnected|no longer wanted|disconnecting" \
  "stacd dropped a controller after its restart"
assert_ioc_live "${SUB}2" "$c2" "${SUB}2 after stacd's restart"

log "persistent-connections: stafd stopped with true (the default) keeps DC6"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
kernel_ctrl_live "$dc6" "$WKDN" fd00::2 4420 || fail "DC6 ($dc6) is gone after stafd stopped with persistent-connections=true"
assert_ioc_live_after_stop() { kernel_ctrl_live "$c2" "${SUB}2" fd00::2 4420 || fail "$c2 is gone after stacd stopped"; }
assert_ioc_live_after_stop
printf '[Discovery controller connection management]\npersistent-connections = false\n' >>"$E2E/stafd.conf"
start_stafd
wait_for dc6_live 60
assert_eq "$dc6" "$(dc6_field device)" "DC6's device after the restart (adopted)"
log "stafd stopped with persistent-connections=false disconnects DC6"
stop_pid "$STAFD_PID"
assert_eq 0 "$(kernel_ctrl_count "$WKDN")" "kernel discovery controllers after stafd stopped with persistent-connections=false"
assert_ioc_live_after_stop
log "PASS"
