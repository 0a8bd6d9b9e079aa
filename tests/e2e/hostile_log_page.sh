#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e scenario 8: a hostile discovery log page. nvmet accepts any configfs directory name as a
# subsystem NQN, so the DC on 127.0.0.1:8009 serves, beside 2 normal subsystems (SUB1, SUB2),
# 4 entries whose subnqn would inject options into the "key=value,key=value" connect string
# written to /dev/nvme-fabrics (the kernel splits it on ',' and '\n'): ",hostnqn=...",
# ",nr_io_queues=64", " tos=1" (a blank) and "\nhostnqn=..." (a newline). stacd.conf also holds
# a controller= entry with such an NQN. Proves that:
#  - nvmet really serves the 4 hostile entries (nvme discover sees 7 records);
#  - stafd rejects each of them with a log line naming the problem and serves only the 3 safe
#    entries (the current DC, SUB1, SUB2); nothing hostile appears in stafctl adlp;
#  - stacd rejects its hostile controller= entry with file:line and the reason;
#  - stacd connects SUB1 and SUB2 and nothing else: no kernel controller of a hostile NQN (or
#    any NQN containing "evil"), every kernel controller has our host NQN;
#  - strace of both daemons (started under strace -f): stafd wrote exactly one connect string
#    to /dev/nvme-fabrics (its DC) and stacd exactly two (SUB1, SUB2), none containing "evil",
#    each with exactly one nqn=, hostnqn= (ours) and no nr_io_queues/tos option.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

command -v strace >/dev/null || fail "strace is not installed on the host"

# hostile_subsystem NQN: a subsystem without namespace, open to any host, linked to port 1.
hostile_subsystem() {
  mkdir "$NVMET/subsystems/$1" || fail "nvmet refused the subsystem name '$1'"
  echo 1 >"$NVMET/subsystems/$1/attr_allow_any_host" || fail "cannot open '$1' to any host"
  nvmet_link 1 "$1"
}

H1="nqn.2014-08.org.example:evil,hostnqn=nqn.2014-08.org.example:intruder"
H2="nqn.2014-08.org.example:evil2,nr_io_queues=64"
H3="nqn.2014-08.org.example:evil3 tos=1"
H4=$(printf 'nqn.2014-08.org.example:evil4\nhostnqn=nqn.2014-08.org.example:intruder')

stas_setup 2
for h in "$H1" "$H2" "$H3" "$H4"; do hostile_subsystem "$h"; done

log "nvmet serves the hostile entries"
# (plain output: nvme-cli's JSON output does not escape the newline of H4)
disc=$(nvme discover -t tcp -a 127.0.0.1 -s 8009 --hostnqn="$HOSTNQN" --hostid="$HOSTID") ||
  fail "nvme discover failed"
echo "$disc" | grep -F subnqn
assert_eq 7 "$(echo "$disc" | grep -c '^=====Discovery Log Entry')" "records nvme discover sees"
for h in "$H1" "$H2" "$H3" "$(echo "$H4" | head -n 1)"; do
  assert_eq 1 "$(echo "$disc" | grep -cxF "subnqn:  $h")" "records of '$h' in nvme discover"
done
assert_eq 1 "$(echo "$disc" | grep -cxF "hostnqn=nqn.2014-08.org.example:intruder")" \
  "H4's second line in nvme discover"
wait_for "[ -z \"\$(ls /sys/class/nvme)\" ]" 20  # nvme discover's own connection is gone

stafd_conf_one_dc
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009;nqn=$H2
CONF
hline=4

log "start stafd and stacd under strace"
start_traced stafd
wait_for "[ \"\$(dlp_count)\" = 3 ]" 60
start_traced stacd
wait_for "[ \"\$(ioc_connected)\" = 2 ]" 90
sleep 3  # any further (bad) connection attempt of this reconciliation would show by now

log "stafd rejected the 4 hostile entries, naming the problem"
L=$E2E/stafd.log
grep -F "Rejected discovery log entry" "$L" || fail "stafd logged no rejected entry"
assert_eq 4 "$(nlines "$L" "Rejected discovery log entry")" "rejected entries"
assert_eq 2 "$(grep -F "Rejected discovery log entry" "$L" |
  grep -cF "(subnqn contains ',' (it would inject an option into the connect string))")" \
  "entries rejected for a ','"
for h in "$H1" "$H2"; do
  assert_eq 1 "$(nlines "$L" "subnqn='$h'")" "rejection lines showing '$h'"
done
assert_eq 1 "$(grep -F "Rejected discovery log entry" "$L" | grep -F "(subnqn contains a blank)" |
  grep -cF "subnqn='$H3'")" "rejection lines for '$H3'"
assert_eq 1 "$(grep -F "Rejected discovery log entry" "$L" |
  grep -F "(subnqn contains a control character)" | grep -cF "evil4")" "rejection lines for evil4"
assert_eq 1 "$(nlines "$L" "Received discovery log pages (num records=3).")" "log page lines"
adlp=$(stafctl adlp) || fail "stafctl adlp failed"
for i in 1 2; do assert_contains "$adlp" "$SUB$i" "stafctl adlp"; done
case "$adlp" in *evil*) fail "stafd serves a hostile entry: $adlp" ;; esac

log "stacd rejected its hostile controller= line"
grep -F "$E2E/stacd.conf:$hline: " "$E2E/stacd.log" || fail "no diagnostic for stacd.conf:$hline"
assert_contains "$(grep -F "$E2E/stacd.conf:$hline: " "$E2E/stacd.log")" \
  "nqn \"$H2\" contains ',' (it would inject an option into the connect string); entry ignored" \
  "the stacd.conf:$hline diagnostic"
assert_eq 0 "$(nlines "$E2E/stacd.log" "Rejected log page entry from stafd")" \
  "entries stacd had to reject from stafd"

log "stacd connected SUB1 and SUB2 only"
assert_eq 2 "$(ioc_listed)" "I/O controllers stacd lists"
assert_each_subsystem_once 1 2
assert_eq 2 "$(ioc_connected)" "I/O controllers stacd lists live in the kernel"
ls_out=$(stacctl ls) || fail "stacctl ls failed"
case "$ls_out" in *evil*) fail "stacd lists a hostile controller: $ls_out" ;; esac
# Every kernel controller is one of the 3 expected ones (so none of a hostile NQN), with our
# host NQN.
n=0
for c in /sys/class/nvme/nvme*; do
  n=$((n + 1))
  nqn=$(cat "$c/subsysnqn")
  case "$nqn" in "$WKDN" | "${SUB}1" | "${SUB}2") ;; *) fail "$c is connected to '$nqn'" ;; esac
  assert_eq "$HOSTNQN" "$(cat "$c/hostnqn")" "hostnqn of $c"
  assert_eq live "$(cat "$c/state")" "state of $c"
done
assert_eq 3 "$n" "kernel controllers (1 DC + 2 I/O)"

log "stop both; what they wrote to /dev/nvme-fabrics"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
wait_for "! pid_alive $STACD_STRACE_PID && ! pid_alive $STAFD_STRACE_PID" 20
fabrics_writes stafd >"$E2E/stafd.writes"
fabrics_writes stacd >"$E2E/stacd.writes"
for d in stafd stacd; do
  echo "--- $d: connect strings ---"
  cat "$E2E/$d.writes"
done
assert_eq 1 "$(wc -l <"$E2E/stafd.writes")" "stafd's writes to /dev/nvme-fabrics"
assert_eq 2 "$(wc -l <"$E2E/stacd.writes")" "stacd's writes to /dev/nvme-fabrics"
cat "$E2E/stafd.writes" "$E2E/stacd.writes" >"$E2E/all.writes"
seen=" "
while read -r w; do
  case "$w" in
    "nqn=$WKDN,transport=tcp,traddr=127.0.0.1,trsvcid=8009,"*) seen="${seen}dc " ;;
    "nqn=${SUB}1,transport=tcp,traddr=127.0.0.1,trsvcid=8009,"*) seen="${seen}sub1 " ;;
    "nqn=${SUB}2,transport=tcp,traddr=127.0.0.1,trsvcid=8009,"*) seen="${seen}sub2 " ;;
    *) fail "unexpected connect string: $w" ;;
  esac
  # strace shows a newline or a control character as a backslash escape
  case "$w" in *evil* | *intruder* | *nr_io_queues* | *tos=* | *' '* | *'\'*)
    fail "a connect string carries hostile content: $w" ;;
  esac
  case ",$w," in *,nqn=*,nqn=*) fail "more than one nqn= in: $w" ;; esac
  case ",$w," in *,hostnqn=*,hostnqn=*) fail "more than one hostnqn= in: $w" ;; esac
  case ",$w," in *",hostnqn=$HOSTNQN,"*) ;; *) fail "not our hostnqn= in: $w" ;; esac
done <"$E2E/all.writes"
for want in dc sub1 sub2; do
  case "$seen" in *" $want "*) ;; *) fail "no connect string for $want (saw:$seen)" ;; esac
done
log "PASS"
