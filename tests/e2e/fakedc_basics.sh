#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: the fake discovery controller (tests/fakedc/) against the real Linux NVMe/TCP host.
# The fake DC on 127.0.0.1:8010 serves a scripted page of 43 entries (the DC itself, SUB1, SUB2
# and 40 generated ones: 44 KiB, more than one 4 KiB piece). Proves that:
#  - `nvme discover` (a non-persistent connection: ICReq, Connect, Property Get/Set, Identify,
#    Get Log Page) returns exactly the scripted entries, and the kernel host read the page in
#    pieces at contiguous offsets (from the record file);
#  - a persistent connection (`nvme discover -p`) is live, and sysfs shows the scripted model,
#    serial, firmware and cntrltype, with the cntlid the fake DC gave in its Connect response;
#  - stafd connects to it (persistent, with the hostnqn of /etc/nvme/hostnqn in the Connect),
#    serves the 43 entries, and after `fakedc_aen` (the kernel gets 0x70f002 on its held AER)
#    reads the log page again; after a reload with a 44th entry and an AEN it serves 44.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/fakedc-lib.sh"
trap '[ $? -eq 0 ] || { stas_show_logs; fakedc_show_logs; }' EXIT

P=8010
N=43
PAGE_SIZE=$(((N + 1) * 1024))

# scenario FILE EXTRA_ENTRIES: the page (plus EXTRA_ENTRIES generated "extra{i}" entries).
scenario() {
  cat >"$1" <<JSON
{
  "identify": {"model": "FakeDC-Model-1", "serial": "FDC-SERIAL-42", "firmware": "FDC1.0"},
  "genctr": 5,
  "entries": [
    {"subtype": "current", "subnqn": "$WKDN", "traddr": "127.0.0.1", "trsvcid": "$P",
     "eflags": ["epcsd", "dupretinfo"]},
    {"subnqn": "${SUB}1", "traddr": "127.0.0.1", "trsvcid": "4420", "portid": 1},
    {"subnqn": "${SUB}2", "traddr": "127.0.0.1", "trsvcid": "4420", "portid": 1},
    {"repeat": 40, "start": 1, "template": {"subnqn": "nqn.2014-08.org.example:gen{i}",
     "traddr": "127.0.0.1", "trsvcid": "4420", "portid": 2}},
    {"repeat": $2, "template": {"subnqn": "nqn.2014-08.org.example:extra{i}",
     "traddr": "127.0.0.1", "trsvcid": "4420", "portid": 3}}
  ]
}
JSON
}


# assert_pieces CONN: the reads of the whole page on connection CONN were several pieces, the
# first at offset 0 and each next one where the previous ended, up to the end of the page.
assert_pieces() {
  _pieces=$(fakedc_records $P ".conn == $1 and .name == \"get_log_page\" and .lid == 112" |
    jq -r '"\(.lpo) \(.len)"')
  log "log page reads of connection $1 (offset length): $(echo "$_pieces" | tr '\n' ',')"
  echo "$_pieces" | awk -v size=$PAGE_SIZE '
    $1 == 0 { at = $2; n = 1; next }
    at && $1 == at { at += $2; n++; if (at >= size && n > 1) done = 1 }
    END { if (!done) { print "no piecewise read of " size " bytes"; exit 1 } }' ||
    fail "the host did not read the page in contiguous pieces"
}

load_nvme_modules 0
stas_host_setup
scenario "$E2E/fakedc.json" 0
scenario "$E2E/fakedc-44.json" 1
fakedc_start "$E2E/fakedc.json" $P

log "nvme discover: the scripted entries"
disc=$(nvme discover -t tcp -a 127.0.0.1 -s $P -o json --hostnqn="$HOSTNQN" --hostid="$HOSTID") ||
  fail "nvme discover failed"
assert_eq $N "$(printf '%s\n' "$disc" | jq '.records | length')" "records nvme discover sees"
assert_eq 5 "$(printf '%s\n' "$disc" | jq '.genctr')" "genctr nvme discover sees"
subs=$(printf '%s\n' "$disc" | jq -r '.records[].subnqn')
assert_eq "$WKDN ${SUB}1 ${SUB}2" "$(echo "$subs" | head -n 3 | tr '\n' ' ' | sed 's/ $//')" \
  "the first 3 entries"
assert_eq "$(seq 1 40 | sed 's/^/nqn.2014-08.org.example:gen/')" "$(echo "$subs" | tail -n +4)" \
  "the 40 generated entries"
assert_eq "$P 4420" "$(printf '%s\n' "$disc" | jq -r '[.records[0].trsvcid, .records[1].trsvcid] | join(" ")')" \
  "trsvcid of entries 0 and 1"
c1=$(fakedc_records $P '.event == "accept"' | head -n 1 | jq .conn)
assert_eq "$HOSTNQN" "$(fakedc_records $P ".conn == $c1 and .name == \"connect\"" | jq -r .hostnqn)" \
  "the hostnqn of nvme discover's Connect"
assert_pieces "$c1"
wait_for "[ -z \"\$(fakedc_device $P)\" ]" 20  # nvme discover's own connection is gone

log "nvme discover -p: a persistent connection, the scripted identity in sysfs"
nvme discover -t tcp -a 127.0.0.1 -s $P -p --hostnqn="$HOSTNQN" --hostid="$HOSTID" >/dev/null ||
  fail "nvme discover -p failed"
wait_for "[ -n \"\$(fakedc_device $P)\" ]" 20
dev=$(fakedc_device $P)
wait_for "[ \"\$(ctrl_state $dev)\" = live ]" 20
for f in model serial firmware_rev cntrltype subsysnqn; do
  log "$dev $f: '$(cat "/sys/class/nvme/$dev/$f")'"
done
# sysfs shows the whole space-padded fields (40, 20 and 8 bytes)
assert_eq "FakeDC-Model-1                          " "$(cat "/sys/class/nvme/$dev/model")" "model of $dev"
assert_eq "FDC-SERIAL-42       " "$(cat "/sys/class/nvme/$dev/serial")" "serial of $dev"
assert_eq "FDC1.0  " "$(cat "/sys/class/nvme/$dev/firmware_rev")" "firmware of $dev"
assert_eq discovery "$(cat "/sys/class/nvme/$dev/cntrltype")" "cntrltype of $dev"
assert_eq "$WKDN" "$(cat "/sys/class/nvme/$dev/subsysnqn")" "subsysnqn of $dev"
c2=$(fakedc_records $P '.event == "accept"' | tail -n 1 | jq .conn)
assert_eq "$(ctrl_cntlid "$dev")" "$(fakedc_records $P ".conn == $c2 and .name == \"connect\"" |
  jq .cntlid)" "cntlid of $dev"
wait_for "[ \$(fakedc_count $P '.conn == $c2 and .name == \"async_event_request\"') -ge 1 ]" 20
nvme disconnect -d "$dev" >/dev/null || fail "nvme disconnect -d $dev failed"
wait_for "[ -z \"\$(fakedc_device $P)\" ]" 20

log "stafd: connects, serves the entries"
cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=$P
CONF
start_stafd
wait_for "[ \"\$(dlp_count_port $P)\" = $N ]" 60
wait_for "[ \"\$(dc_connected_live)\" = 1 ]" 20
dev=$(fakedc_device $P)
adlp=$(stafctl adlp) || fail "stafctl adlp failed"
for s in "${SUB}1" "${SUB}2" nqn.2014-08.org.example:gen40; do assert_contains "$adlp" "$s" "stafctl adlp"; done
c3=$(fakedc_records $P '.event == "accept"' | tail -n 1 | jq .conn)
assert_eq "$HOSTNQN" "$(fakedc_records $P ".conn == $c3 and .name == \"connect\"" | jq -r .hostnqn)" \
  "the hostnqn of stafd's Connect"
assert_eq "$(ctrl_cntlid "$dev")" "$(fakedc_records $P ".conn == $c3 and .name == \"connect\"" |
  jq .cntlid)" "cntlid of stafd's $dev"
reads_before=$(fakedc_count $P ".conn == $c3 and .name == \"get_log_page\" and .lid == 112 and .lpo == 0")
assert_pieces "$c3"
wait_for "[ \$(fakedc_count $P '.conn == $c3 and .name == \"async_event_request\"') -ge 1 ]" 20
fetches_before=$(nlines "$E2E/stafd.log" "Received discovery log pages (num records=$N)")

log "fakedc_aen: the kernel gets 0x70f002, stafd reads the page again"
fakedc_aen $P
wait_for "[ \$(fakedc_count $P '.event == \"aen\" and .conn == $c3 and .state == \"sent\"') = 1 ]" 10
wait_for "grep -q 'Received AEN: 0x70f002' $E2E/stafd.log" 30
wait_for "[ \$(fakedc_count $P '.conn == $c3 and .name == \"get_log_page\" and .lid == 112 and .lpo == 0') -gt $reads_before ]" 30
wait_for "[ \$(nlines $E2E/stafd.log 'Received discovery log pages (num records=$N)') -gt $fetches_before ]" 30
aen_seq=$(fakedc_records $P '.event == "aen" and .state == "sent"' | jq .seq)
log "after the AEN (record $aen_seq): $(fakedc_records $P ".seq > $aen_seq and .conn == $c3 and .name == \"get_log_page\"" |
  jq -r '"lpo=\(.lpo) len=\(.len) genctr=\(.genctr)"' | tr '\n' ' ')"
assert_eq "$N" "$(dlp_count_port $P)" "entries stafd serves after the AEN"

log "reload with a 44th entry + AEN: stafd serves 44"
fakedc_reload_aen $P "$E2E/fakedc-44.json"
wait_for "[ \"\$(dlp_count_port $P)\" = $((N + 1)) ]" 60
assert_contains "$(stafctl adlp)" nqn.2014-08.org.example:extra0 "stafctl adlp after the reload"
assert_eq "$dev" "$(fakedc_device $P)" "the DC's device after the AENs (same connection)"

log "stop stafd, disconnect, stop the fake DC"
stop_pid "$STAFD_PID"
nvme disconnect -d "$dev" >/dev/null || fail "nvme disconnect -d $dev failed"
wait_for "[ -z \"\$(fakedc_device $P)\" ]" 20
fakedc_stop
assert_eq 0 "$(fakedc_count $P '.event == "term"')" "transport errors in the fake DC's record"
grep -q Traceback "$FAKEDC_DIR/$P/log" && fail "the fake DC logged a Python traceback"
log "fake DC: $(fakedc_count $P '.event == "cmd"') commands on $(fakedc_count $P '.event == "accept"') connections"
log "PASS"
