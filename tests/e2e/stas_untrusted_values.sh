#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: values that reach a connect string from the fabric, from a state file or from a D-Bus
# caller are checked on the real kernel (#13, findings 8 and 9).
# stafd has two DCs: nvmet on 127.0.0.1:8009 (SUB1, on the same port) and the fake DC
# (tests/fakedc/) on 127.0.0.1:8010, whose page lists itself and SUB1 at trsvcid "08009": the
# kernel reads a port with base 0 (kstrtou16), so a leading zero makes it octal ("04420" is
# port 2320) or invalid ("08009"). stafd.conf sets zeroconf-connections-persistence=1e300 (a
# number no duration can hold). Proves that:
#  - stafd refuses the "08009" entry, saying why, and serves only the fake DC itself for 8010;
#    stacd connects SUB1 once, through 8009, and never lists a controller at port 08009;
#  - get_log_pages and controller_info with an unknown transport answer an empty result, as
#    nvme-stas does (not an error);
#  - stafd's last-known-config.json and stacd's owned-controllers.json are untrusted input: with
#    a traddr rewritten to "127.0.0.1,host_iface=lo" (which the kernel would take as a second
#    option), each daemon restarts, says it ignores the file and why, and the kernel never gets
#    a controller with host_iface=lo; both daemons come back: both DCs live, SUB1's controller
#    the same one as before (stacd keeps I/O connections when it stops), once;
#  - stafd runs with the 1e300 persistence (capped, not undefined).
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/fakedc-lib.sh"
trap '[ $? -eq 0 ] || { stas_show_logs; fakedc_show_logs; }' EXIT

P=8010
LKC=/run/stafd/last-known-config.json
OWNED=/run/stacd/owned-controllers.json
INJECTED=127.0.0.1,host_iface=lo

# injected_ctrls: the kernel controllers (any state) whose address carries host_iface=lo.
injected_ctrls() {
  for _c in /sys/class/nvme/nvme*; do
    [ -r "$_c/address" ] || continue
    case "$(cat "$_c/address" 2>/dev/null)" in *host_iface=lo*) echo "${_c##*/}" ;; esac
  done
}

stas_setup 1
cat >"$E2E/fakedc.json" <<JSON
{
  "comment": "SUB1 at a port with a leading zero",
  "entries": [
    {"subtype": "current", "subnqn": "$WKDN", "traddr": "127.0.0.1", "trsvcid": "$P"},
    {"subnqn": "${SUB}1", "traddr": "127.0.0.1", "trsvcid": "08009", "portid": 2}
  ]
}
JSON
fakedc_start "$E2E/fakedc.json" $P
cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
[Discovery controller connection management]
zeroconf-connections-persistence = 1e300
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
controller = transport=tcp;traddr=127.0.0.1;trsvcid=$P
CONF

log "start stafd: the entry at port 08009 is refused"
start_stafd
wait_for "[ \"\$(dlp_count_port 8009)\" = 2 ]" 60
wait_for "[ \"\$(dlp_count_port $P)\" = 1 ]" 60
wait_for "[ \"\$(dc_connected_live)\" = 2 ]" 30
grep -F "08009" "$E2E/stafd.log" | grep -F "Rejected" || fail "stafd did not say it refused the entry at 08009"
assert_eq 1 "$(grep -F "Rejected discovery log entry" "$E2E/stafd.log" | grep -F "08009" |
  grep -cF "no leading zero" || true)" "warnings about trsvcid 08009 (with the reason)"
assert_eq 0 "$(stas_json staf adlp | jq '[.. | objects | select(.trsvcid? == "08009")] | length')" \
  "entries at 08009 that stafd serves"

log "stacd: SUB1 once, through 8009"
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 1 ]" 60
assert_each_subsystem_once 1 1
assert_eq 0 "$(stas_json stac ls | jq '[.[] | select(.trsvcid == "08009")] | length')" \
  "controllers stacd lists at 08009"

log "an unknown transport finds nothing (as nvme-stas)"
glp=$(busctl call org.nvmexpress.staf /org/nvmexpress/staf org.nvmexpress.staf get_log_pages \
  sssssss xyz 127.0.0.1 8009 "$WKDN" "" "" "") || fail "get_log_pages with an unknown transport failed"
assert_eq "aa{ss} 0" "$glp" "get_log_pages of transport xyz"
for d in staf stac; do
  ci=$(busctl call "org.nvmexpress.$d" "/org/nvmexpress/$d" "org.nvmexpress.$d.debug" \
    controller_info sssssss xyz 127.0.0.1 8009 "${SUB}1" "" "" "") ||
    fail "$d controller_info with an unknown transport failed"
  assert_eq 's "{}"' "$ci" "$d controller_info of transport xyz"
done

log "stop both; rewrite a traddr in each state file"
before=$(kernel_snapshot | grep -F " ${SUB}1 ")
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
[ -s "$LKC" ] || fail "stafd left no $LKC"
[ -s "$OWNED" ] || fail "stacd left no $OWNED"
jq -c --arg bad "$INJECTED" \
  '(.. | objects | select(.traddr? == "127.0.0.1" and .trsvcid? == "8009")).traddr = $bad' "$LKC" \
  >"$LKC.new" && mv "$LKC.new" "$LKC"
grep -qF "$INJECTED" "$LKC" || fail "could not rewrite $LKC: $(cat "$LKC")"
jq -c --arg bad "$INJECTED" '.controllers[].traddr = $bad' "$OWNED" >"$OWNED.new" && mv "$OWNED.new" "$OWNED"
grep -qF "$INJECTED" "$OWNED" || fail "could not rewrite $OWNED: $(cat "$OWNED")"

log "restart both: each ignores its file, nothing with host_iface=lo reaches the kernel"
start_stafd
wait_for "[ \"\$(dlp_count_port 8009)\" = 2 ]" 60
wait_for "[ \"\$(dc_connected_live)\" = 2 ]" 30
grep -F "Ignoring the last known config" "$E2E/stafd.log" ||
  fail "stafd did not say it ignored its rewritten last-known-config.json"
assert_eq 1 "$(grep -F "Ignoring the last known config" "$E2E/stafd.log" | grep -cF "controller identity" || true)" \
  "warnings naming the bad controller identity"
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 1 ]" 60
grep -F "Ignoring $OWNED" "$E2E/stacd.log" || fail "stacd did not say it ignored its rewritten $OWNED"
# Give a restored identity time to be connected, had it been taken (connects start at once).
sleep 3
assert_eq "" "$(injected_ctrls)" "kernel controllers with host_iface=lo"
assert_each_subsystem_once 1 1
assert_eq "$before" "$(kernel_snapshot | grep -F " ${SUB}1 ")" "SUB1's controller (name, cntlid, state): kept, not re-made"
assert_eq 2 "$(dc_connected_live)" "DCs live"
pid_alive "$STAFD_PID" || fail "stafd died"
pid_alive "$STACD_PID" || fail "stacd died"

log "stop stacd, stafd, the fake DC"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
fakedc_stop
log "PASS"
