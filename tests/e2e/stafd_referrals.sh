#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: referrals served by nvmet, followed on the real kernel. DC A (nvmet port 1,
# 127.0.0.1:8009) exposes SUB1; DC B (port 2, 127.0.0.1:8010) exposes SUB2, which A does not.
# stafd is configured with A only, stacd with nothing. A referral to B is added to port 1
# (ports/1/referrals/b, addr_* and enable): nvmet sends A's persistent connection the "log page
# changed" AEN, A's log page gets a referral entry, and stafd must connect B (a second live
# discovery controller in the kernel, at 127.0.0.1:8010), serve B's log page, and stacd must
# connect SUB2 through B's entry. Removing the referral (again an AEN on A) makes stafd
# disconnect and drop B, and stacd then drops SUB2 (it was only in B's log page); A and SUB1 stay.
# Before that, B refers back to A at A's IPv4-mapped address (a referral loop): stafd sees that
# it is A and does not connect it again; both DCs have a 30 s keep-alive.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

stas_setup 1 2
nvmet_add_subsystem "${SUB}2" 1
nvmet_setup_port 2 127.0.0.1 8010
nvmet_link 2 "${SUB}2"
stafd_conf_one_dc

# dc_live_at PORT: the kernel device of stafd's DC at 127.0.0.1:PORT, live in the kernel.
dc_live_at() {
  _d=$(stas_json staf ls | jq -r --arg s "$1" '.[] | select(.traddr == "127.0.0.1" and .trsvcid == $s) | .device') &&
    kernel_ctrl_live "$_d" "$WKDN" 127.0.0.1 "$1" && echo "$_d"
}
# kernel_dc_at PORT: how many discovery controllers the kernel has at 127.0.0.1:PORT (any state).
kernel_dc_at() {
  for _c in $(kernel_ctrls "$WKDN"); do
    case ",$(cat "/sys/class/nvme/$_c/address" 2>/dev/null)," in *",trsvcid=$1,"*) echo "$_c" ;; esac
  done | wc -l
}

log "stafd with DC A only, stacd"
start_stafd
wait_for "[ \"\$(dlp_count_port 8009)\" = 2 ]" 60
wait_for "dc_live_at 8009" 20
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 1 ]" 60
assert_eq 1 "$(stas_json staf ls | jq length)" "DCs stafd lists before the referral"
assert_eq 0 "$(kernel_dc_at 8010)" "kernel DCs at B before the referral"
assert_eq 0 "$(kernel_ctrl_count "${SUB}2")" "kernel controllers of ${SUB}2 before the referral"
dca=$(dc_live_at 8009)

log "referral A -> B on nvmet port 1"
R=$NVMET/ports/1/referrals/b
mkdir "$R" || fail "cannot create the referral (no referral support in nvmet?)"
echo tcp >"$R/addr_trtype" && echo ipv4 >"$R/addr_adrfam" && echo 127.0.0.1 >"$R/addr_traddr" &&
  echo 8010 >"$R/addr_trsvcid" && echo 2 >"$R/addr_portid" && echo 1 >"$R/enable" ||
  fail "cannot configure the referral"
wait_for "[ \"\$(dlp_count_port 8009)\" = 3 ]" 60
grep -q "Received AEN: 0x70f002" "$E2E/stafd.log" || fail "stafd logged no AEN for the referral"
ref=$(stas_json staf dlp -a 127.0.0.1 -s 8009 | jq -c '.[] | select(.subtype == "referral")')
assert_contains "$ref" '"traddr":"127.0.0.1"' "A's referral entry"
assert_contains "$ref" '"trsvcid":"8010"' "A's referral entry"
wait_for "dc_live_at 8010" 60
dcb=$(dc_live_at 8010)
log "stafd follows the referral: B is $dcb ($(cat /sys/class/nvme/"$dcb"/address))"
assert_eq discovery "$(cat /sys/class/nvme/"$dcb"/cntrltype)" "cntrltype of $dcb"
assert_eq referral "$(stas_json staf ls -d | jq -r '.[] | select(.trsvcid == "8010") | .origin')" "the origin stafd gives B"
assert_eq 1 "$(kernel_dc_at 8010)" "kernel DCs at B"
assert_eq 2 "$(kernel_ctrl_count "$WKDN")" "kernel DCs"
wait_for "[ \"\$(dlp_count_port 8010)\" = 2 ]" 60
assert_contains "$(stas_json staf dlp -a 127.0.0.1 -s 8010 | jq -r '.[].subnqn')" "${SUB}2" "B's log page"
wait_for "[ \"\$(ioc_connected)\" = 2 ]" 60
assert_each_subsystem_once 1 2
assert_contains "$(cat "/sys/class/nvme/$(ioc_device "${SUB}2")/address")" "trsvcid=8010" \
  "the address of ${SUB}2's controller"
assert_eq "$dca" "$(dc_live_at 8009)" "A's device after the referral"

log "a referral loop: B refers back to A at its IPv4-mapped address"
R2=$NVMET/ports/2/referrals/a
mkdir "$R2" || fail "cannot create the referral B -> A"
echo tcp >"$R2/addr_trtype" && echo ipv6 >"$R2/addr_adrfam" && echo ::ffff:127.0.0.1 >"$R2/addr_traddr" &&
  echo 8009 >"$R2/addr_trsvcid" && echo 1 >"$R2/addr_portid" && echo 1 >"$R2/enable" ||
  fail "cannot configure the referral B -> A"
wait_for "[ \"\$(dlp_count_port 8010)\" = 3 ]" 60
wait_for "grep -q '::ffff:127.0.0.1, 8009.* is (tcp, 127.0.0.1, 8009.*referred to again' $E2E/stafd.log" 30
assert_eq 2 "$(stas_json staf ls | jq length)" "DCs stafd lists with the loop"
assert_eq 1 "$(kernel_dc_at 8009)" "kernel DCs at A with the loop"
assert_eq 2 "$(kernel_ctrl_count "$WKDN")" "kernel DCs with the loop"
assert_eq "$dca" "$(dc_live_at 8009)" "A's device with the loop"
echo 0 >"$R2/enable" && rmdir "$R2" || fail "cannot remove the referral B -> A"
wait_for "[ \"\$(dlp_count_port 8010)\" = 2 ]" 60
# Every discovery connection has an explicit keep-alive (sysfs shows it on 6.1 and later).
assert_eq 30 "$(cat "/sys/class/nvme/$dca/kato")" "A's keep-alive"
assert_eq 30 "$(cat "/sys/class/nvme/$dcb/kato")" "B's keep-alive"

log "referral removed: stafd drops B"
n_aen=$(nlines "$E2E/stafd.log" "Received AEN: 0x70f002")
echo 0 >"$R/enable" || fail "cannot disable the referral"
rmdir "$R" || fail "cannot remove the referral"
wait_for "[ \"\$(nlines $E2E/stafd.log 'Received AEN: 0x70f002')\" -gt $n_aen ]" 30
wait_for "[ \"\$(dlp_count_port 8009)\" = 2 ]" 60
wait_for "[ \"\$(kernel_dc_at 8010)\" = 0 ]" 60
wait_for "[ \"\$(stas_json staf ls | jq length)\" = 1 ]" 30
assert_eq "$dca" "$(dc_live_at 8009)" "A's device after the referral went"
wait_for "[ \"\$(kernel_ctrl_count ${SUB}2)\" = 0 ]" 60
wait_for "[ \"\$(ioc_listed)\" = 1 ]" 30
assert_each_subsystem_once 1 1
assert_kernel_io 1 "I/O controllers after the referral went"
log "B dropped: $(stafctl ls | tr '\n' ' ')"

stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
log "PASS"
