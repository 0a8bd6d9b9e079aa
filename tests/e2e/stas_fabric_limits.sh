#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: [Limits] on the real kernel (#13, finding 3, and the page read deadline of finding 6).
# Beside nvmet (127.0.0.1:8009, SUB1), two fake DCs (tests/fakedc/):
#  - 8010 serves 3,153 entries: itself, an rdma referral and an rdma nvme entry (a TCP DC
#    listing another transport), 100 referrals to closed ports 9001.., 50 entries whose traddr
#    would inject a connect option (refused) and 3,000 nvme entries on 127.0.0.2 (excluded in
#    stacd.conf, so stacd does not try thousands of connects);
#  - 8012 answers each Get Log Page command 1.5 s late, so its 100-entry page (27 commands)
#    would take about 40 s to read.
# stafd.conf: max-discovery-controllers=20, max-log-page-entries=400, log-page-read-timeout=8;
# stacd.conf: max-iocs-per-dc=100. Proves that:
#  - stafd reads 400 entries of 8010's page (the fake DC's records: no command reads past
#    entry 400), serves the 350 it accepts, and warns about the cut exactly once across 3 AENs;
#  - the 50 refused entries are summarised (finding 5): 6 warning lines (the first five and a
#    count) after the first read, and only "(as before)" debug lines after each AEN;
#  - stafd follows 64 referrals at most (max-referrals-per-dc) and holds 20 DCs in all
#    (stafctl ls), of which the kernel has the 3 configured ones live (sysfs);
#  - neither the rdma referral nor the rdma nvme entry is used: no rdma DC or I/O controller
#    in stafctl ls / stacctl ls, and each daemon says why once;
#  - the reads of 8012's page are abandoned at the deadline (the fake DC's records: no read gets
#    to the end of the page; the figures print each read's commands and span), retried 20 s
#    later, stafd serves no page for it, and says so once across the retry;
#  - stafctl status / stacctl status show the limits hit, by whom, and what they drop;
#  - stacd still connects SUB1 (nvmet), beside all that.
# e2e-timeout: 360
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/fakedc-lib.sh"
trap '[ $? -eq 0 ] || { stas_show_logs; fakedc_show_logs; echo "--- stafctl status ---";
  stafctl --json status 2>&1 | jq -c .limits; }' EXIT

BIG=8010
SLOW=8012
T0=$(date +%s)

cat_big() {
  cat >"$1" <<JSON
{
  "entries": [
    {"subtype": "current", "subnqn": "$WKDN", "traddr": "127.0.0.1", "trsvcid": "$BIG"},
    {"subtype": "referral", "trtype": "rdma", "subnqn": "$WKDN", "traddr": "127.0.0.1",
     "trsvcid": "8011"},
    {"trtype": "rdma", "subnqn": "${SUB}2", "traddr": "127.0.0.1", "trsvcid": "4420"},
    {"repeat": 100, "start": 9001, "template": {"subtype": "referral", "subnqn": "$WKDN",
     "traddr": "127.0.0.1", "trsvcid": "{i}"}},
    {"repeat": 50, "start": 1, "template": {"subnqn": "nqn.2014-08.org.example:evil{i}",
     "traddr": "127.0.0.1,hostnqn=evil{i}", "trsvcid": "4420"}},
    {"repeat": 3000, "start": 1, "template": {"subnqn": "nqn.2014-08.org.example:gen{i}",
     "traddr": "127.0.0.2", "trsvcid": "4420"}}
  ]
}
JSON
}

cat_slow() {
  cat >"$1" <<JSON
{
  "delays": {"get_log_page": 1.5},
  "entries": [
    {"repeat": 100, "start": 1, "template": {"subnqn": "nqn.2014-08.org.example:slow{i}",
     "traddr": "127.0.0.3", "trsvcid": "4420"}}
  ]
}
JSON
}

stas_setup 1
cat_big "$E2E/big.json"
cat_slow "$E2E/slow.json"
fakedc_start "$E2E/big.json" $BIG
fakedc_start "$E2E/slow.json" $SLOW

cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
[Limits]
max-discovery-controllers = 20
max-log-page-entries = 400
log-page-read-timeout = 8
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
controller = transport=tcp;traddr=127.0.0.1;trsvcid=$BIG
controller = transport=tcp;traddr=127.0.0.1;trsvcid=$SLOW
CONF
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
[Limits]
max-iocs-per-dc = 100
[Controllers]
exclude = traddr=127.0.0.2
exclude = traddr=127.0.0.3
CONF

L=$E2E/stafd.log
# Only 8010's page has 350 accepted entries.
pages_read() { nlines "$L" "Received discovery log pages (num records=350)."; }
# The Get Log Page commands (LID 0x70) of the slow DC, and the reads (a read starts with the
# 1 KiB header at offset 0, the first 4 KiB piece also starts at 0; an abandoned read never
# gets to the second header read).
slow_cmds() { fakedc_records $SLOW '.name == "get_log_page" and .lid == 112'; }
slow_reads() { slow_cmds | jq -s 'map(select(.lpo == 0 and .len == 1024)) | length'; }

log "start stafd"
start_stafd
wait_for "[ \"\$(dlp_count_port $BIG)\" = 350 ]" 60
wait_for "[ \"\$(dlp_count)\" = 2 ]" 30  # nvmet: itself and SUB1

log "8010's page: 400 of 3153 entries read, 350 of them served"
end=$(fakedc_records $BIG '.name == "get_log_page" and .lid == 112' | jq -s 'map(.lpo + .len) | max')
log "the furthest byte stafd's reads reached: $end"
assert_eq $((1024 * 401)) "$end" "the end of the furthest Get Log Page command"

log "three AENs: the page is read again each time, the cut is warned about once"
for i in 1 2 3; do
  n=$(pages_read)
  fakedc_aen $BIG
  wait_for "[ \"\$(pages_read)\" -gt $n ]" 30
done
assert_eq 4 "$(pages_read)" "reads of 8010's page"
grep -F "[Limits] max-log-page-entries" "$L" | head -n 3
assert_eq 1 "$(nlines "$L" "[Limits] max-log-page-entries=400 reached")" \
  "warnings about the cut page"
assert_eq 1 "$(nlines "$L" "the first 400 are used; entries dropped (2753): [Limits]")" \
  "warnings that say how much was cut"
rejected=$(grep -F "Rejected discovery log entry" "$L" | grep -cvF "(as before)" || true)
assert_eq 6 "$rejected" "warning lines about the 50 refused entries over 4 reads"
repeated=$(grep -F "Rejected discovery log entry" "$L" | grep -cF "(as before)" || true)
assert_eq 18 "$repeated" "debug lines repeating them after the 3 AENs"
assert_eq 1 "$(grep -F "and 45 more refused entries (50 in all)" "$L" | grep -cvF "(as before)" || true)" \
  "warnings with the count of refused entries (the repeats are debug lines)"

log "referrals: 64 followed at most, 20 DCs in all, no rdma"
wait_for "[ \"\$(stas_json staf ls | jq length)\" = 20 ]" 30
ls_json=$(stas_json staf ls)
assert_eq 17 "$(echo "$ls_json" | jq '[.[] | select(.trsvcid | startswith("90"))] | length')" \
  "referred DCs stafd holds"
assert_eq 0 "$(echo "$ls_json" | jq '[.[] | select(.transport != "tcp")] | length')" \
  "DCs of another transport than tcp"
assert_eq 3 "$(kernel_ctrl_count "$WKDN")" "discovery controllers in the kernel"
assert_eq 1 "$(nlines "$L" "[Limits] max-referrals-per-dc=64 reached")" "referral warnings"
assert_eq 1 "$(nlines "$L" "[Limits] max-discovery-controllers=20 reached")" "DC count warnings"
assert_eq 1 "$(nlines "$L" "not followed (rdma 127.0.0.1 8011 $WKDN) (1): [Limits]")" "cross-transport warnings"

log "the slow DC: its first read abandoned near the 8 s deadline"
wait_for "[ \"\$(nlines $L 'Discovery log page read abandoned')\" -ge 1 ]" 30
grep -F "Discovery log page read abandoned" "$L"
assert_eq 0 "$(dlp_count_port $SLOW)" "entries stafd serves for the slow DC"

log "status shows the limits hit"
limits=$(stas_json staf status | jq -c .limits)
echo "$limits" | jq .
assert_eq 2753 "$(echo "$limits" | jq '.["max-log-page-entries"].dropped')" "entries cut"
assert_eq 36 "$(echo "$limits" | jq '.["max-referrals-per-dc"].dropped')" "referrals dropped"
assert_eq 47 "$(echo "$limits" | jq '.["max-discovery-controllers"].dropped')" "DCs not created"
assert_eq 1 "$(echo "$limits" | jq '.["cross-transport-entries"].dropped')" "rdma referrals"
assert_eq 1 "$(echo "$limits" | jq '.["log-page-read-timeout"]["hit-by"] | length')" \
  "DCs whose read timed out"
assert_contains "$(echo "$limits" | jq -r '.["log-page-read-timeout"]["hit-by"][0]')" \
  "$SLOW" "the DC whose read timed out"

log "stacd: SUB1 connected, 100 entries of 8010 taken (then excluded), no rdma"
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 1 ]" 60
assert_each_subsystem_once 1 1
ioc_json=$(stas_json stac ls)
assert_eq 0 "$(echo "$ioc_json" | jq '[.[] | select(.transport != "tcp")] | length')" \
  "I/O controllers of another transport than tcp"
climits=$(stas_json stac status | jq -c .limits)
echo "$climits" | jq .
assert_eq 147 "$(echo "$climits" | jq '.["max-iocs-per-dc"].dropped')" \
  "tcp nvme entries of 8010 over max-iocs-per-dc (247 served)"
assert_eq 1 "$(echo "$climits" | jq '.["cross-transport-entries"].dropped')" "rdma nvme entries"
assert_eq 1 "$(nlines "$E2E/stacd.log" "[Limits] max-iocs-per-dc=100 reached")" "stacd warnings"
assert_eq 1 "$(nlines "$E2E/stacd.log" "not connected (rdma 127.0.0.1 4420 ${SUB}2) (1): [Limits]")" \
  "stacd's cross-transport warnings"

log "the slow DC: retried 20 s later, abandoned again, no new warning; never read to the end"
wait_for "[ \"\$(slow_reads)\" -ge 2 ]" 40
wait_for "[ \"\$(nlines $L 'as before: [Limits] log-page-read-timeout=8s')\" -ge 1 ]" 20
assert_eq 1 "$(nlines "$L" "[Limits] log-page-read-timeout=8s reached")" "read timeout warnings"
assert_eq 0 "$(dlp_count_port $SLOW)" "entries stafd serves for the slow DC"
# Figures: the commands and the span of each read (the page needs 27 commands).
slow_cmds | jq -s -r '[foreach .[] as $c (-1; if $c.lpo == 0 and $c.len == 1024 then . + 1 else . end;
  {r: ., ts: $c.ts})] | group_by(.r)[] |
  "read \(.[0].r + 1): \(length) Get Log Page commands in \((.[-1].ts - .[0].ts) * 10 | round / 10) s"'
furthest=$(slow_cmds | jq -s 'map(.lpo + .len) | max')
log "the furthest byte of the slow page read: $furthest of $((1024 * 101))"
[ "$furthest" -lt $((1024 * 101)) ] || fail "the slow page was read to its end"

stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
fakedc_stop
log "guest time of the scenario: $(($(date +%s) - T0)) s"
log "PASS"
