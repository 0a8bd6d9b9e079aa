#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: a reply over the bus's message limit does not take stafd off the bus (#13, finding 2).
# The private system bus accepts messages of at most 512 KiB (/etc/dbus-1/system-local.conf,
# as an administrator would set it; Debian's default is 32 MiB), and stafd.conf lowers
# [Limits] max-dbus-reply-size to match (450,000). stafd has three fake DCs (tests/fakedc/) on
# 127.0.0.1:8010..8012, each serving itself and 500 entries with long NQNs at 127.0.0.2
# (excluded in stacd.conf): about 0.7 MB of get_all_log_pages JSON together, about 0.25 MB
# per DC. Only the DC on 8011 also lists SUB1, the nvmet subsystem on 127.0.0.1:8009. Proves that:
#  - get_all_log_pages(true) is answered with org.nvmexpress.staf.Error.ReplyTooLarge, saying
#    the size, the bound and what to call instead; stafd is still running with the same PID and
#    still owns org.nvmexpress.staf (before the fix, the bus disconnected it and it exited);
#  - each DC's page alone is served (stafctl dlp: 501 and 502 entries);
#  - stacd says once that it reads DC by DC, and connects SUB1 (known only from the DC on
#    8011's big page), live in the kernel, once; nothing at 127.0.0.2;
#  - stafd restarted with the large last-known-config.json it saved restores the three pages,
#    comes up, answers ReplyTooLarge again (to us and to stacd, which asks again when stafd
#    reappears) and stays up with the same PID.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/fakedc-lib.sh"
trap '[ $? -eq 0 ] || { stas_show_logs; fakedc_show_logs; }' EXIT

BUS_LIMIT=524288
BOUND=450000
BULK=500
BULK_ADDR=127.0.0.2
TOO_LARGE=org.nvmexpress.staf.Error.ReplyTooLarge
# Long NQNs (216 bytes; NVMe allows 223), so that few entries make large pages: 3 x 500
# entries are about 0.7 MB of JSON, one DC's about 0.25 MB as get_log_pages' aa{ss}.
LONG=a-subsystem-name-long-enough-to-make-three-pages-larger-than-the-bus-accepts-in-one-message
LONG=$LONG-$LONG

# The bus's limit, in the file Debian's system.conf includes last for local settings.
mkdir -p /etc/dbus-1
cat >/etc/dbus-1/system-local.conf <<XML
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <limit name="max_message_size">$BUS_LIMIT</limit>
</busconfig>
XML
stas_setup 1

# fakedc_scenario PORT EXTRA_ENTRY: the page of the fake DC on PORT.
fakedc_scenario() {
  cat >"$E2E/fakedc-$1.json" <<JSON
{
  "comment": "itself and $BULK entries at $BULK_ADDR, excluded in stacd.conf",
  "entries": [
    {"subtype": "current", "subnqn": "$WKDN", "traddr": "127.0.0.1", "trsvcid": "$1"},
    $2
    {"repeat": $BULK, "template": {"subnqn": "nqn.2014-08.org.example:$LONG-$1-{i}",
                                   "traddr": "$BULK_ADDR", "trsvcid": "4420"}}
  ]
}
JSON
}
fakedc_scenario 8010 ""
fakedc_scenario 8011 "{\"subnqn\": \"${SUB}1\", \"traddr\": \"127.0.0.1\", \"trsvcid\": \"8009\"},"
fakedc_scenario 8012 ""
for p in 8010 8011 8012; do fakedc_launch "$E2E/fakedc-$p.json" $p; done
for p in 8010 8011 8012; do fakedc_wait_ready $p; done

cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
[Limits]
max-dbus-reply-size = $BOUND
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8010
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8011
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8012
CONF
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
[Controllers]
exclude = traddr=$BULK_ADDR
CONF

# owner_pid: the PID of the process that owns org.nvmexpress.staf on the bus ("" if none).
owner_pid() {
  busctl status org.nvmexpress.staf 2>/dev/null | sed -n 's/^PID=//p'
}
# expect_too_large: get_all_log_pages(true) answers ReplyTooLarge, with a message that says why.
expect_too_large() {
  if dbus-send --system --print-reply --dest=org.nvmexpress.staf /org/nvmexpress/staf \
    org.nvmexpress.staf.get_all_log_pages boolean:true >"$E2E/galp.out" 2>"$E2E/galp.err"; then
    fail "get_all_log_pages answered ($(wc -c <"$E2E/galp.out") bytes)"
  fi
  cat "$E2E/galp.err"
  assert_contains "$(cat "$E2E/galp.err")" "Error $TOO_LARGE: The reply to get_all_log_pages would be" \
    "the get_all_log_pages error"
  assert_contains "$(cat "$E2E/galp.err")" "more than the $BOUND bytes" "the get_all_log_pages error"
  assert_contains "$(cat "$E2E/galp.err")" "get_log_pages for each discovery controller" \
    "the get_all_log_pages error"
}
# refusals: how many get_all_log_pages calls stafd refused so far (its debug lines; tron is on).
refusals() { nlines "$E2E/stafd.log" "The reply to get_all_log_pages would be"; }

log "start stafd: three big pages"
start_stafd
wait_for "[ \"\$(dlp_count_port 8010)\" = $((BULK + 1)) ]" 90
wait_for "[ \"\$(dlp_count_port 8011)\" = $((BULK + 2)) ]" 90
wait_for "[ \"\$(dlp_count_port 8012)\" = $((BULK + 1)) ]" 90
assert_eq "$STAFD_PID" "$(owner_pid)" "the owner of org.nvmexpress.staf"

log "get_all_log_pages(true) is refused, and stafd stays on the bus"
expect_too_large
assert_eq "$STAFD_PID" "$(owner_pid)" "the owner of org.nvmexpress.staf after get_all_log_pages"

log "stacd reads the pages DC by DC and connects ${SUB}1"
start_stacd
wait_for "[ \"\$(ioc_connected)\" = 1 ]" 90
assert_each_subsystem_once 1 1
assert_eq 0 "$(cat /sys/class/nvme/nvme*/address | grep -cF "traddr=$BULK_ADDR," || true)" \
  "kernel controllers at $BULK_ADDR"
assert_eq 1 "$(nlines "$E2E/stacd.log" "reading them discovery controller by discovery controller")" \
  "stacd's notices that it reads DC by DC"
pid_alive "$STAFD_PID" || fail "stafd exited"
assert_eq "$STAFD_PID" "$(owner_pid)" "the owner of org.nvmexpress.staf after stacd's call"
[ "$(refusals)" -ge 2 ] || fail "stafd refused get_all_log_pages $(refusals) times, expected ours and stacd's"

log "stafd restarted with its large saved state"
stop_pid "$STAFD_PID"
lkc=/run/stafd/last-known-config.json
log "$lkc: $(wc -c <"$lkc") bytes"
[ "$(wc -c <"$lkc")" -gt "$BOUND" ] || fail "$lkc is smaller than max-dbus-reply-size"
before=$(refusals)
start_stafd
expect_too_large
assert_eq 3 "$(nlines "$E2E/stafd.log" "restored from the last known config (50")" \
  "DCs restored with their 501 or 502 entries"
# stacd asks again once it has seen stafd come back (10 s later): refused too, not disconnected
wait_for "[ \"\$(refusals)\" -ge $((before + 2)) ]" 40
pid_alive "$STAFD_PID" || fail "the restarted stafd exited"
assert_eq "$STAFD_PID" "$(owner_pid)" "the owner of org.nvmexpress.staf after the restart"
assert_eq 1 "$(ioc_connected)" "I/O controllers stacd lists live in the kernel"
assert_no_match "$E2E/stafd.log" "Lost the D-Bus connection" "stafd lost the bus"

log "stop stacd, stafd, the fake DCs"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
fakedc_stop
log "PASS"
