#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: EPCSD-driven discovery controller persistence (TP8014) on the real kernel.
# nvmet (127.0.0.1:8009) exposes SUB1. Three fake DCs (tests/fakedc/), each listing its own
# entry (subtype "current") and SUB1:
#  - 8010 does not set EPCSD in its own entry (and sets it in an entry of another port, which
#    must not count);
#  - 8011 sets EPCSD;
#  - 8012 does not set it, and is configured persistent=force.
# stafd.conf: persistent=auto, epcsd-poll-interval-minutes=1. Proves that:
#  - 8010 is parked: read, then disconnected (no kernel controller at 8010, stafctl ls shows
#    it without a device and "parked, next read" in its details), its log page still served;
#    stafd does not take the removal it caused for the kernel's (no reconnect);
#  - 8011 is held (a live discovery controller in the kernel) and so is 8012, with one log line
#    saying that force overrides the missing EPCSD;
#  - stacd's I/O controller of SUB1 stays on the same device through the park;
#  - a reload (SIGHUP) does not connect the parked DC; the poll does, about a minute later:
#    the page it reads then (an entry added meanwhile, without an AEN) is served, and the DC is
#    parked again.
# e2e-timeout: 300
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/fakedc-lib.sh"
trap '[ $? -eq 0 ] || { stas_show_logs; fakedc_show_logs; }' EXIT

PARKED=8010
HELD=8011
FORCED=8012

# scenario FILE PORT EFLAGS [EXTRA_ENTRY]: a page of the DC's own entry (eflags EFLAGS, a JSON
# list), an entry of another port of it with EPCSD, SUB1 on nvmet, and EXTRA_ENTRY.
scenario() {
  cat >"$1" <<JSON
{
  "entries": [
    {"subtype": "current", "subnqn": "$WKDN", "traddr": "127.0.0.1", "trsvcid": "$2",
     "eflags": $3},
    {"subtype": "current", "subnqn": "$WKDN", "traddr": "127.0.0.1", "trsvcid": "1$2",
     "eflags": ["epcsd"]},
    {"subnqn": "${SUB}1", "traddr": "127.0.0.1", "trsvcid": "8009"}${4:+,
    $4}
  ]
}
JSON
}
# kernel_dc_at PORT: how many discovery controllers the kernel has at 127.0.0.1:PORT.
kernel_dc_at() {
  for _c in $(kernel_ctrls "$WKDN"); do
    case ",$(cat "/sys/class/nvme/$_c/address" 2>/dev/null)," in *",trsvcid=$1,"*) echo "$_c" ;; esac
  done | wc -l
}
# connects_to PORT: how many Connect commands the fake DC on PORT received.
connects_to() { fakedc_records "$1" '.name == "connect"' | wc -l; }
dc_json() { stas_json staf ls -d | jq -c --arg s "$1" '.[] | select(.trsvcid == $s)'; }

stas_setup 1
scenario "$E2E/parked.json" $PARKED '[]'
scenario "$E2E/held.json" $HELD '["epcsd"]'
scenario "$E2E/forced.json" $FORCED '["dupretinfo"]'
fakedc_launch "$E2E/parked.json" $PARKED
fakedc_launch "$E2E/held.json" $HELD
fakedc_launch "$E2E/forced.json" $FORCED
for p in $PARKED $HELD $FORCED; do fakedc_wait_ready $p; done

cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
[Discovery controller connection management]
persistent = auto
epcsd-poll-interval-minutes = 1
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=$PARKED
controller = transport=tcp;traddr=127.0.0.1;trsvcid=$HELD
controller = transport=tcp;traddr=127.0.0.1;trsvcid=$FORCED;persistent=force
CONF
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
[Controllers]
exclude = traddr=127.0.0.2
CONF

log "stafd (persistent=auto) and stacd"
start_stafd
T_PARK=$(date +%s)
start_stacd
wait_for "grep -q '127.0.0.1, $PARKED, .*Parking: the DC does not set EPCSD' $E2E/stafd.log" 60
wait_for "[ \"\$(kernel_dc_at $PARKED)\" = 0 ]" 20
wait_for "[ \"\$(ioc_connected)\" = 1 ]" 60
wait_for "[ \"\$(kernel_dc_at $HELD)\" = 1 ] && [ \"\$(kernel_dc_at $FORCED)\" = 1 ]" 30
io=$(ioc_device "${SUB}1")
log "parked: $(dc_json $PARKED | jq -c '{device, "parked, next read"}'); SUB1 on $io"

assert_eq "nvme?" "$(dc_json $PARKED | jq -r .device)" "the parked DC's device (stafctl ls)"
dc_json $PARKED | jq -e 'has("parked, next read")' >/dev/null ||
  fail "stafctl ls -d does not show the DC at $PARKED as parked: $(dc_json $PARKED)"
assert_eq 3 "$(dlp_count_port $PARKED)" "entries served for the parked DC"
assert_eq 1 "$(connects_to $PARKED)" "connects to the parked DC"
assert_no_match "$E2E/stafd.log" "127.0.0.1, $PARKED, .*Device removed by the kernel" \
  "stafd took its own parking disconnect for the kernel's"
for p in $HELD $FORCED; do
  d=$(dc_json $p | jq -r .device)
  kernel_ctrl_live "$d" "$WKDN" 127.0.0.1 $p || fail "the DC at $p is not live on $d"
  dc_json $p | jq -e 'has("parked, next read") | not' >/dev/null || fail "the DC at $p is parked"
done
assert_eq 1 "$(count_lines "$E2E/stafd.log" "127.0.0.1, $FORCED, .*held anyway (persistent=force)")" \
  "lines saying force holds the DC at $FORCED"
assert_no_match "$E2E/stafd.log" "127.0.0.1, $HELD, .*(Parking|held anyway)" "the DC at $HELD (EPCSD set)"

log "a reload does not connect the parked DC"
kill -HUP "$STAFD_PID"
wait_for "grep -q 'Reloading' $E2E/stafd.log" 10
sleep 3
assert_eq 1 "$(connects_to $PARKED)" "connects to the parked DC after the reload"
assert_eq 0 "$(kernel_dc_at $PARKED)" "kernel DCs at $PARKED after the reload"

log "the page changes without an AEN (the DC is not connected); the poll reads it"
scenario "$E2E/parked2.json" $PARKED '[]' \
  "{\"subnqn\": \"nqn.2014-08.org.example:later\", \"traddr\": \"127.0.0.2\", \"trsvcid\": \"4420\"}"
fakedc_ctl $PARKED reload "$E2E/parked2.json" >/dev/null
wait_for "[ \"\$(connects_to $PARKED)\" = 2 ]" 90
T_POLL=$(date +%s)
log "polled $((T_POLL - T_PARK)) s after stafd started"
[ $((T_POLL - T_PARK)) -ge 55 ] || fail "the parked DC was connected again after $((T_POLL - T_PARK)) s, before its poll"
wait_for "[ \"\$(dlp_count_port $PARKED)\" = 4 ]" 30
wait_for "[ \"\$(count_lines $E2E/stafd.log '127.0.0.1, $PARKED, .*Parking:')\" = 2 ]" 30
wait_for "[ \"\$(kernel_dc_at $PARKED)\" = 0 ]" 20
grep -q "127.0.0.1, $PARKED, .*Parked: connecting to read the log page again" "$E2E/stafd.log" ||
  fail "stafd did not say why it connected the parked DC"

log "stacd's I/O controller stayed through both parks"
assert_eq "$io" "$(ioc_device "${SUB}1")" "SUB1's device"
kernel_ctrl_live "$io" "${SUB}1" 127.0.0.1 8009 || fail "SUB1 is not live on $io"
assert_stacd_disconnected_nothing
assert_eq 1 "$(kernel_dc_at $HELD)" "kernel DCs at $HELD at the end"

stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
fakedc_stop
log "PASS"
