#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: slow discovery controllers take only their budget of stafd's workers (#13, finding 6).
# stafd has four DCs: nvmet on 127.0.0.1:8009 (SUB1) and three fake DCs (tests/fakedc/) on
# 8010..8012 that answer every Get Log Page command (supported log pages, and each piece of the
# discovery log page) after $DELAY s, with [Limits] discovery-read-workers = 2. stacd runs with
# its default configuration. Proves that, on the real kernel:
#  - stafd connects all four DCs (live in the kernel) at once: connects do not wait for reads;
#  - while the slow DCs' reads are in progress (a slow DC's page is not served yet, its fake DC
#    is still being asked for pieces), nvmet's page is served and stacd connects SUB1;
#  - `stafctl status` shows the budget (limit 2, reads in flight, peak of waiting reads >= 1),
#    and stafd's log says when reads had to wait;
#  - every slow DC's page is served in the end, and at most 2 of the fake DCs' log page commands
#    were ever outstanding at once (from their record files: the lane really bounds the reads).
# What only the unit tests show (BoundedRunnerPoolTest): that without the lane, slow reads
# numerous enough to fill the pool (128 workers here) would make connects wait.
# e2e-serial
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/fakedc-lib.sh"
trap '[ $? -eq 0 ] || { stas_show_logs; fakedc_show_logs; }' EXIT

SLOW="8010 8011 8012"
DELAY=4  # seconds per Get Log Page command: a supported-log-pages query 4 s, a page read ~12 s
BUDGET=2

# slow_served: how many slow DCs' pages stafd serves.
slow_served() {
  _n=0
  for _p in $SLOW; do
    [ "$(dlp_count_port "$_p")" = 1 ] && _n=$((_n + 1))
  done
  echo "$_n"
}
# glp_answered: Get Log Page commands the slow DCs have answered so far.
glp_answered() {
  _n=0
  for _p in $SLOW; do
    _n=$((_n + $(fakedc_count "$_p" '.name == "get_log_page"')))
  done
  echo "$_n"
}
# budget: stafd's read budget from `stafctl status`, as "limit in-flight queued peak".
budget() {
  stas_json staf status | jq -r '."discovery read workers" | "\(.limit) \(."in flight") \(.queued) \(."peak queued")"'
}

stas_setup 1
for p in $SLOW; do
  cat >"$E2E/slow-$p.json" <<JSON
{
  "comment": "a slow DC: every Get Log Page command is answered after $DELAY s",
  "delays": {"get_log_page": $DELAY},
  "entries": [{"subtype": "current", "subnqn": "$WKDN", "traddr": "127.0.0.1", "trsvcid": "$p"}]
}
JSON
  fakedc_start "$E2E/slow-$p.json" "$p"
done
{
  cat <<CONF
[Global]
tron = true
[Discovery controller connection management]
persistent-connections = false
[Limits]
discovery-read-workers = $BUDGET
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
CONF
  for p in $SLOW; do echo "controller = transport=tcp;traddr=127.0.0.1;trsvcid=$p"; done
} >"$E2E/stafd.conf"

log "start stafd and stacd: one healthy DC, three slow ones, $BUDGET read workers"
t0=$(date +%s)
start_stafd
start_stacd
wait_for "[ \"\$(dc_connected_live)\" = 4 ]" 30
log "all 4 DCs live after $(($(date +%s) - t0)) s"
wait_for "[ \"\$(ioc_connected)\" = 1 ]" 60
t_sub1=$(($(date +%s) - t0))
served=$(slow_served)
answered=$(glp_answered)
b=$(budget)
log "SUB1 connected by stacd after $t_sub1 s; slow DCs served: $served of 3; slow Get Log Page commands answered: $answered; budget (limit in-flight queued peak): $b"
assert_eq 2 "$(dlp_count)" "entries stafd serves for nvmet's DC"
assert_each_subsystem_once 1 1
[ "$served" -lt 3 ] || fail "the slow DCs' reads were all over before SUB1 was connected: nothing was shown"
set -- $b
assert_eq $BUDGET "$1" "the read budget's limit in stafctl status"
[ "$2" -ge 1 ] || fail "no read in flight while a slow DC's page is not served yet ($b)"
[ "$2" -le $BUDGET ] || fail "more reads in flight than the budget ($b)"
[ "$4" -ge 1 ] || fail "no read ever waited for a worker ($b)"
stafctl status >"$E2E/status.out" || fail "stafctl status failed"
assert_contains "$(cat "$E2E/status.out")" "discovery read workers" "stafctl status"
[ "$(nlines "$E2E/stafd.log" "workers for discovery reads are busy")" -ge 1 ] ||
  fail "stafd did not log that discovery reads waited"

log "the slow DCs' pages are served in the end"
wait_for "[ \"\$(slow_served)\" = 3 ]" 90
log "all slow DCs served after $(($(date +%s) - t0)) s; Get Log Page commands answered: $(glp_answered)"
assert_eq 4 "$(dc_connected_live)" "DCs live in the kernel"
assert_eq 1 "$(ioc_connected)" "I/O controllers stacd has live"
# The fake DCs record a command when they answer it, with its arrival time (ts - delay): never
# more than $BUDGET of their Get Log Page commands were outstanding at once.
for p in $SLOW; do fakedc_records "$p" '.name == "get_log_page"' | jq -c --argjson d $DELAY '[.ts - $d, .ts]'; done |
  jq -s 'map([.[0], 1], [.[1], -1]) | sort_by(.[0], .[1]) | reduce .[] as $e ({n: 0, max: 0}; .n += $e[1] | .max = ([.max, .n] | max)) | .max' \
    >"$E2E/max-outstanding"
log "most slow Get Log Page commands outstanding at once: $(cat "$E2E/max-outstanding")"
[ "$(cat "$E2E/max-outstanding")" -le $BUDGET ] || fail "more than $BUDGET slow reads at once"
pid_alive "$STAFD_PID" || fail "stafd died"
pid_alive "$STACD_PID" || fail "stacd died"

log "stop stacd, stafd, the fake DCs"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
fakedc_stop
for p in $SLOW; do
  assert_eq 0 "$(fakedc_count "$p" '.event == "term"')" "transport errors in fake DC $p's record"
  if grep -q Traceback "$FAKEDC_DIR/$p/log"; then fail "fake DC $p logged a Python traceback"; fi
done
log "PASS"
