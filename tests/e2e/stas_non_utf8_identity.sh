#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: a discovery controller whose Identify data is not UTF-8 does not stop discovery (#13,
# finding 1). stafd has two DCs: nvmet on 127.0.0.1:8009 (SUB1, SUB2) and the fake DC
# (tests/fakedc/) on 127.0.0.1:8010, whose Identify model is "Fake" ff fe "-DC-" c3 28 and serial
# "SN" 80 81 "-" ff (bytes that are not UTF-8), and whose log page lists itself and one I/O
# subsystem of its own (SUBX at 127.0.0.1:4421, where nothing listens). stacd runs with its
# default configuration. Proves that:
#  - the kernel really shows the raw bytes: /sys/class/nvme/<fake DC's device>/model and serial
#    hold ff fe c3 / 80 81 ff byte for byte (od);
#  - stafd connects both DCs (live in the kernel) and serves both log pages;
#  - `stafctl ls -d` (plain and --json) succeeds and shows the fake DC's model and serial
#    escaped: the text Fake\xff\xfe-DC-\xc3( and SN\x80\x81-\xff (printable ASCII only);
#  - `stafctl adlp -d` and get_all_log_pages(true) over D-Bus succeed, `stafctl --json adlp -d`
#    is valid JSON (jq) listing SUB1, SUB2 and the fake DC's SUBX;
#  - stacd learns the entries of BOTH DCs: it connects SUB1 and SUB2 (live in the kernel, each
#    once) and lists SUBX (from the fake DC; not connected: nothing listens there), and its log
#    has no "Cannot read stafd's log pages" (nor any other failure to get them);
#  - stafd and stacd are still running at the end, and the fake DC saw no transport error.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/fakedc-lib.sh"
trap '[ $? -eq 0 ] || { stas_show_logs; fakedc_show_logs; }' EXIT

P=8010
SUBX=nqn.2014-08.org.example:fake-dc-only
MODEL_HEX=46616b65fffe2d44432dc328  # "Fake" ff fe "-DC-" c3 "("
SERIAL_HEX=534e80812dff             # "SN" 80 81 "-" ff
MODEL_TEXT='Fake\xff\xfe-DC-\xc3('   # as stafd shows them: \xNN escapes, 4 characters each
SERIAL_TEXT='SN\x80\x81-\xff'
MODEL_REPR='Fake\\xff\\xfe-DC-\\xc3('  # as stafctl ls -d shows them (Python's repr)
SERIAL_REPR='SN\\x80\\x81-\\xff'

# hexof FILE: the bytes of FILE as one run of lowercase hex digits.
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }

stas_setup 2
cat >"$E2E/fakedc.json" <<JSON
{
  "comment": "Identify model and serial that are not UTF-8",
  "identify": {"model": {"hex": "$MODEL_HEX"}, "serial": {"hex": "$SERIAL_HEX"}, "firmware": "1.0"},
  "entries": [
    {"subtype": "current", "subnqn": "$WKDN", "traddr": "127.0.0.1", "trsvcid": "$P"},
    {"subnqn": "$SUBX", "traddr": "127.0.0.1", "trsvcid": "4421", "portid": 2}
  ]
}
JSON
fakedc_start "$E2E/fakedc.json" $P
cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
controller = transport=tcp;traddr=127.0.0.1;trsvcid=$P
CONF

log "start stafd: both DCs"
start_stafd
wait_for "[ \"\$(dlp_count)\" = 3 ]" 60
wait_for "[ \"\$(dlp_count_port $P)\" = 2 ]" 60
wait_for "[ \"\$(dc_connected_live)\" = 2 ]" 30
dev=$(fakedc_device $P)
[ -n "$dev" ] || fail "no kernel controller for the fake DC"
assert_eq discovery "$(cat "/sys/class/nvme/$dev/cntrltype")" "cntrltype of $dev"

log "the kernel shows the raw bytes of $dev"
model_hex=$(hexof "/sys/class/nvme/$dev/model")
serial_hex=$(hexof "/sys/class/nvme/$dev/serial")
log "$dev model bytes: $model_hex"
log "$dev serial bytes: $serial_hex"
case "$model_hex" in "$MODEL_HEX"*) ;; *) fail "$dev model is not the raw bytes $MODEL_HEX: $model_hex" ;; esac
case "$serial_hex" in "$SERIAL_HEX"*) ;; *) fail "$dev serial is not the raw bytes $SERIAL_HEX: $serial_hex" ;; esac

log "stafctl ls -d succeeds and shows the escaped identity"
stafctl ls -d >"$E2E/stafctl-ls.out" 2>"$E2E/stafctl-ls.err" ||
  { cat "$E2E/stafctl-ls.err"; fail "stafctl ls -d failed"; }
cat "$E2E/stafctl-ls.out"
# Python-style output: repr() doubles the backslash of each escape
assert_eq 1 "$(nlines "$E2E/stafctl-ls.out" "'model': '$MODEL_REPR',")" "the fake DC's model in stafctl ls -d"
assert_eq 1 "$(nlines "$E2E/stafctl-ls.out" "'serial': '$SERIAL_REPR',")" "the fake DC's serial in stafctl ls -d"
ls_j=$(stas_json staf ls -d) || fail "stafctl --json ls -d failed"
assert_eq 2 "$(printf '%s\n' "$ls_j" | jq length)" "DCs in stafctl --json ls -d"
assert_eq "$MODEL_TEXT" "$(printf '%s\n' "$ls_j" | jq -r --arg p $P '.[] | select(.trsvcid == $p) | .model')" \
  "model of the fake DC in stafctl --json ls -d"
assert_eq "$SERIAL_TEXT" "$(printf '%s\n' "$ls_j" | jq -r --arg p $P '.[] | select(.trsvcid == $p) | .serial')" \
  "serial of the fake DC in stafctl --json ls -d"
assert_eq "$dev" "$(printf '%s\n' "$ls_j" | jq -r --arg p $P '.[] | select(.trsvcid == $p) | .device')" \
  "device of the fake DC in stafctl --json ls -d"
# every string stafd hands out is printable ASCII
printf '%s\n' "$ls_j" | LC_ALL=C grep -q '[^ -~]' && fail "stafctl --json ls -d has a byte that is not printable ASCII"

log "get_all_log_pages(true) succeeds"
adlp_d=$(stafctl adlp -d 2>"$E2E/stafctl-adlp.err") || { cat "$E2E/stafctl-adlp.err"; fail "stafctl adlp -d failed"; }
for s in "${SUB}1" "${SUB}2" "$SUBX"; do assert_contains "$adlp_d" "$s" "stafctl adlp -d"; done
adlp_j=$(stas_json staf adlp -d) || fail "stafctl --json adlp -d failed"
printf '%s\n' "$adlp_j" | jq -e 'type == "array" and length == 2' >/dev/null ||
  fail "stafctl --json adlp -d is not a JSON array of 2 DCs: $adlp_j"
assert_eq "$SUBX ${SUB}1 ${SUB}2" \
  "$(printf '%s\n' "$adlp_j" | jq -r '[.[]."log-pages"[].subnqn | select(startswith("nqn.2014-08.org.example:"))] | sort | join(" ")')" \
  "the I/O subsystems in stafctl --json adlp -d"
busctl --json=short call org.nvmexpress.staf /org/nvmexpress/staf org.nvmexpress.staf \
  get_all_log_pages b true >"$E2E/galp.out" || fail "get_all_log_pages(true) over D-Bus failed"
# busctl --json=short prints {"type":"s","data":["<the JSON text>"]}
jq -r '.data[0]' "$E2E/galp.out" | jq -e 'type == "array" and length == 2' >/dev/null ||
  fail "get_all_log_pages(true) is not a JSON array of 2 DCs: $(cat "$E2E/galp.out")"

log "stacd: learns from both DCs"
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 2 ]" 90
wait_for "[ \"\$(ioc_listed)\" = 3 ]" 30
assert_each_subsystem_once 1 2
assert_eq 1 "$(stas_listed stac | awk -F '\t' -v n="$SUBX" '$2 == n' | wc -l)" \
  "stacd lists $SUBX (from the fake DC)"
assert_eq 0 "$(kernel_ctrl_count "$SUBX" | tr -d ' ')" "kernel controllers of $SUBX (nothing listens there)"
assert_no_match "$E2E/stacd.log" "Cannot read stafd's log pages|stafd did not give its log pages|Cannot ask stafd for its log pages" \
  "stacd could not get stafd's log pages"
# stafd's view again, now that stacd has asked it (more than once) for everything
stafctl ls -d >/dev/null 2>&1 || fail "stafctl ls -d failed while stacd runs"
stas_json staf adlp -d | jq -e 'length == 2' >/dev/null || fail "stafctl --json adlp -d failed while stacd runs"
assert_eq 2 "$(dc_connected_live)" "DCs stafd lists live in the kernel"
pid_alive "$STAFD_PID" || fail "stafd died"
pid_alive "$STACD_PID" || fail "stacd died"

log "stop stacd, stafd, the fake DC"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
fakedc_stop
assert_eq 0 "$(fakedc_count $P '.event == "term"')" "transport errors in the fake DC's record"
if grep -q Traceback "$FAKEDC_DIR/$P/log"; then fail "the fake DC logged a Python traceback"; fi
log "stafd log:"
cat "$E2E/stafd.log"
log "stacd log:"
cat "$E2E/stacd.log"
log "PASS"
