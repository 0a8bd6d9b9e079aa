#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e scenario 9 (TP8010): stafd's DIM registration attempt against Linux nvmet's discovery
# controller, and the clean fallback. nvmet's DC reports dctype "none" (neither a DDC nor a
# CDC) and answers Get Supported Log Pages with an NVMe error. This proves that stafd:
#  - reads dctype "none" from the kernel, logs that it skips the DIM registration and never
#    sends it (no "Registered"/"Registration error"/"Failed to register" line, no register op);
#  - asks for the supported log pages once (pleo=enabled), logs the refusal, falls back to
#    lsp=0 without an error and without the 5 s retry loop, and fetches the log page;
#  - shows dctype/cntrltype/op states in `stafctl --json ls -d` and serves the log page;
#  - on SIGHUP with pleo=disabled re-runs the registration step (skipped again) and fetches the
#    log page again without asking for the supported log pages.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

NO_DIM="No DIM registration: the controller is neither a DDC nor a CDC (dctype none)"
REFUSED="Get Supported Log Pages refused"
GOT_LOG="Received discovery log pages (num records=3)."
L=$E2E/stafd.log

stas_setup 2
stafd_conf_one_dc

log "start stafd"
start_stafd
wait_for "[ \"\$(dlp_count)\" = 3 ]" 60
wait_for "grep -qF '$GOT_LOG' $L" 10

log "the kernel's view of nvmet's DC"
dev=$(stafctl --json ls | jq -r '.[0].device')
case "$dev" in nvme[0-9]*) ;; *) fail "stafd lists no device for its DC: '$dev'" ;; esac
assert_eq discovery "$(cat /sys/class/nvme/$dev/cntrltype)" "cntrltype of $dev"
kernel_ctrl_live "$dev" "$WKDN" 127.0.0.1 8009 || fail "$dev is not a live DC at 127.0.0.1:8009"
cntlid=$(ctrl_cntlid "$dev")
assert_eq none "$(cat /sys/class/nvme/$dev/dctype)" "dctype of $dev (nvmet is neither DDC nor CDC)"

log "registration skipped, supported log pages refused, log page fetched"
assert_eq 1 "$(nlines $L "$dev - $NO_DIM")" "'$NO_DIM' lines"
for bad in "Registered with Discovery Controller" "Registration error" "Failed to register" \
  "Failed to get supported log pages" "Failed to retrieve log pages" "DIM registration not supported"; do
  assert_eq 0 "$(nlines $L "$bad")" "'$bad' lines"
done
assert_eq 1 "$(nlines $L "$dev - $REFUSED")" "'$REFUSED' lines"
assert_eq 1 "$(nlines $L "$dev - Discovery log page support: none")" "log page support lines"
assert_eq 1 "$(nlines $L "$GOT_LOG")" "'$GOT_LOG' lines"
# The refusal must not start the 5 s retry loop of a failed Get Supported Log Pages.
sleep 11
assert_eq 1 "$(nlines $L "$REFUSED")" "'$REFUSED' lines 11 s later (no retry loop)"
assert_eq 1 "$(nlines $L "$NO_DIM")" "'$NO_DIM' lines 11 s later (no registration retry)"

log "stafctl --json ls -d"
det=$(stafctl --json ls -d)
echo "$det"
assert_eq 1 "$(echo "$det" | jq length)" "DCs listed"
ok="{'fail count': 0, 'completed': True, 'alive': True}"
assert_eq "$dev" "$(echo "$det" | jq -r '.[0].device')" "device"
assert_eq none "$(echo "$det" | jq -r '.[0].dctype')" "dctype in ls -d"
assert_eq discovery "$(echo "$det" | jq -r '.[0].cntrltype')" "cntrltype in ls -d"
assert_eq True "$(echo "$det" | jq -r '.[0].connected')" "connected in ls -d"
assert_eq "$HOSTNQN" "$(echo "$det" | jq -r '.[0].hostnqn')" "hostnqn in ls -d"
assert_eq false "$(echo "$det" | jq '.[0] | has("register operation")')" "a register operation exists"
assert_eq "$ok" "$(echo "$det" | jq -r '.[0]["get supported log page operation"]')" \
  "get supported log page operation"
assert_eq "$ok" "$(echo "$det" | jq -r '.[0]["get log page operation"]')" "get log page operation"

log "the log page is served"
dlp=$(stafctl --json dlp -a 127.0.0.1 -s 8009)
for i in 1 2; do
  assert_eq nvme "$(echo "$dlp" | jq -r --arg n "$SUB$i" '.[] | select(.subnqn == $n) | .subtype')" \
    "subtype of $SUB$i"
done
assert_eq discovery "$(echo "$dlp" | jq -r --arg n "$WKDN" '.[] | select(.subnqn == $n) | .subtype')" \
  "subtype of the current DC entry"
adlp=$(stafctl adlp)
for i in 1 2; do assert_contains "$adlp" "$SUB$i" "stafctl adlp"; done

log "SIGHUP with pleo = disabled: registration skipped again, no supported-log-pages query"
sed -i 's/^tron = true$/tron = true\npleo = disabled/' "$E2E/stafd.conf"
assert_contains "$(cat "$E2E/stafd.conf")" "pleo = disabled" "stafd.conf"
kill -HUP "$STAFD_PID"
wait_for "[ \$(grep -cF '$GOT_LOG' $L) -ge 2 ]" 30
pid_alive "$STAFD_PID" || fail "stafd died on SIGHUP"
assert_eq 2 "$(nlines $L "$dev - $NO_DIM")" "'$NO_DIM' lines after SIGHUP"
assert_eq 1 "$(nlines $L "$REFUSED")" "'$REFUSED' lines after SIGHUP with pleo=disabled"
assert_eq 0 "$(nlines $L "Failed to")" "'Failed to' lines"
assert_eq 3 "$(dlp_count)" "log page entries after SIGHUP"
assert_eq "$dev" "$(stafctl --json ls | jq -r '.[0].device')" "DC device after SIGHUP"
kernel_ctrl_live "$dev" "$WKDN" 127.0.0.1 8009 || fail "$dev is no longer a live DC after SIGHUP"
assert_eq "$cntlid" "$(ctrl_cntlid "$dev")" "cntlid of $dev after SIGHUP (the same connection)"

stop_pid "$STAFD_PID"
log "PASS"
