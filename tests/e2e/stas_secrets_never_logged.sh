#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: no DH-HMAC-CHAP secret or TLS key is ever written to a log, in any mode (#13, #17). nvmet on
# 127.0.0.1:8009 serves SUB1 and SUB2; stafd and stacd run with tron = true (debug output on:
# each connect string written to /dev/nvme-fabrics is logged, as libnvme logged it). Seven
# secrets, each with a unique base64 body:
#   A, B  stacd.conf:4, SUB1's entry: dhchap-secret=A;dhchap-ctrl-secret=B (a valid entry);
#   C     stacd.conf:5, SUB2's entry with a mistyped key, dhchap-secert=C (unknown key warning
#         quoting the entry; the entry is kept, without it);
#   D     stacd.conf:6, an invalid entry (traddr "bad address") with dhchap-secret=D (rejected
#         with an error quoting the entry);
#   F     stafd.conf:4, the DC's entry with a mistyped key, dhchap-secert=F;
#   E     /etc/nvme/hostkey, the host key (phase 2 only: both daemons restarted with it);
#   G     stacd.conf:7, SUB7's entry: tls-key=G, a configured TLS PSK (which turns tls on).
# Debian's 6.1 kernel (CONFIG_NVME_AUTH unset) lists dhchap_secret and dhchap_ctrl_secret in
# /dev/nvme-fabrics, and would take them and connect without authenticating; it has no nvme_auth
# module, which is how the daemons tell (common/kernel/kernel_features.h). Proves that, on it:
#  - phase 1: stacd connects SUB2 (live in the kernel, once), whose connect line in the log has
#    no secret (C was dropped); SUB1, configured with secrets A and B, gets one error naming the
#    missing kernel feature and is never retried: after three retry periods there is still one
#    error line, no connect string for SUB1 was written (stacd logs each one, with tron), no
#    kernel controller of SUB1 exists; stacctl ls -d shows the reason ("unsupported by the
#    kernel") and process_info says that the kernel has no DH-HMAC-CHAP; SUB7, configured with
#    a TLS key, gets the same treatment (the kernel has no NVMe/TCP TLS);
#  - phase 2: with host key E, restarted daemons refuse SUB2 too, the same way (the host key
#    goes with every I/O connection), and stafd still connects its DC (no key goes to a DC);
#  (the 6.12 kernel, which authenticates, is tested by stas_dhchap_auth.sh)
#  - the configuration messages quote the entries with "<redacted>" in place of C, D and F
#    (stacd.conf:5, stacd.conf:6, stafd.conf:4); stacctl --json ls -d and stacd --dump-config
#    show SUB1's secrets and SUB7's TLS key as "<redacted>";
#  - no secret (the first 16 characters of the bodies of A..G) appears anywhere: both daemons'
#    logs (stdout and stderr, both phases), stafctl/stacctl ls -d and status (plain and --json),
#    stafctl adlp -d (plain and --json), stafd/stacd --dump-config (stdout and stderr), every file
#    under /run/stafd and /run/stacd and every *.json under /run, the kernel's sysfs attributes of
#    every controller, the kernel log (dmesg, which does not mention dhchap at all), and the
#    journal if there is one.
# e2e-kernels: 6.1
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"

SECRET_A=0qXsqdAYQTlM8xddbviPNaCIwOz8cGlW0w7YkAZI4bGhlSy0
SECRET_B=PyaZg6zpIzb48UBkY0ZNwPY8GhhnPgvrY/hls9YdMFrlo3hI
SECRET_C=rrKNR1IztZrwW0xOOD1VZXyDskUkJH8DevPRmvbXbEEZsh+1
SECRET_D=yb5uyX48TIklDJw54if43YNQX8nHCD22pda+109xAr1SCc+D
SECRET_E=16bLRXnJ+GH7deUyedNXvd2M+rJGrzzfBzNMWP5fw5JInLne
SECRET_F=Qm9keUZvclN0YWZkT25seUZGRkZGRkZGRkZGRkZGRkZGRkZG
# a TLS key is checked when the file is read (length, CRC): 32 bytes and their CRC-32
SECRET_G=U3Rhc1Rsc0tleU5ldmVyTG9nZ2VkLUctMzJieXRlcyFnSOCd
OUT=$E2E/out
NOAUTH="Not connecting: the kernel has no DH-HMAC-CHAP authentication"

stas_setup 2
mkdir -p "$OUT"
opts=$(cat /dev/nvme-fabrics) || fail "cannot read /dev/nvme-fabrics"
log "the kernel's connect options: $opts"
assert_contains "$opts" "dhchap_secret" "the kernel's option table"
[ ! -d /sys/module/nvme_auth ] || fail "this kernel has NVMe authentication: the scenario is for one without"
cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009;dhchap-secert=DHHC-1:00:$SECRET_F:
CONF
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009;nqn=${SUB}1;dhchap-secret=DHHC-1:00:$SECRET_A:;dhchap-ctrl-secret=DHHC-1:01:$SECRET_B:
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009;nqn=${SUB}2;dhchap-secert=DHHC-1:00:$SECRET_C:
controller = transport=tcp;traddr=bad address;trsvcid=8009;nqn=${SUB}9;dhchap-secret=DHHC-1:00:$SECRET_D:
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009;nqn=${SUB}7;tls-key=NVMeTLSkey-1:01:$SECRET_G:
CONF

# conf_line FILE LINE: the messages the daemon logged about FILE:LINE.
conf_line() { grep -F "$E2E/$1:$2: " "$E2E/${1%.conf}.log" || true; }

# capture NAME CMD...: CMD's stdout and stderr in $OUT/NAME.out / .err; fails if CMD fails.
capture() {
  _n=$1
  shift
  "$@" >"$OUT/$_n.out" 2>"$OUT/$_n.err" || { cat "$OUT/$_n.err"; fail "$* failed"; }
}

# capture_all PHASE: every output the CLIs and the daemons give, into $OUT.
capture_all() {
  for _d in staf stac; do
    capture "$1-${_d}ctl-ls-d" "$B/ctl/${_d}ctl" ls -d
    capture "$1-${_d}ctl-json-ls-d" "$B/ctl/${_d}ctl" --json ls -d
    capture "$1-${_d}ctl-status" "$B/ctl/${_d}ctl" status
    capture "$1-${_d}ctl-json-status" "$B/ctl/${_d}ctl" --json status
    capture "$1-${_d}d-dump-config" "$B/$_d/${_d}d" -f "$E2E/${_d}d.conf" --dump-config
  done
  capture "$1-stafctl-adlp-d" "$B/ctl/stafctl" adlp -d
  capture "$1-stafctl-json-adlp-d" "$B/ctl/stafctl" --json adlp -d
}

# connect_lines NQN: the debug lines in stacd's log of its connect strings to NQN.
connect_lines() { grep -F "connect ctrl, 'nqn=$1," "$E2E/stacd.log" || true; }

log "phase 1: stafd and stacd, no host key"
start_stafd
wait_for "[ \"\$(dlp_count)\" = 3 ]" 60
wait_for "[ \"\$(dc_connected_live)\" = 1 ]" 20
# tron: the debug line of each connect string reaches the log
grep -F "connect ctrl, 'nqn=$WKDN," "$E2E/stafd.log" || fail "no connect line for the DC in stafd's log"
start_stacd
# The kernel would take secrets A and B and connect without authenticating: stacd does not ask it.
wait_for "[ \"\$(ioc_connected)\" = 1 ]" 60
assert_each_subsystem_once 2 2
wait_for "grep -F '${SUB}1) | nvme? - $NOAUTH (needed for dhchap_secret, dhchap_ctrl_secret); not retried' $E2E/stacd.log" 60
log "no retry: the quick one (3 s after a failure) would have come three times over in 10 s"
sleep 10
assert_eq 1 "$(nlines "$E2E/stacd.log" "$NOAUTH")" "errors about the kernel's missing authentication"
assert_eq "" "$(connect_lines "${SUB}1")" "connect strings written for ${SUB}1"
assert_eq 0 "$(kernel_ctrl_count "${SUB}1")" "kernel controllers of ${SUB}1"
# TLS (a TLS key turns it on): the same, for a kernel without NVMe/TCP TLS
assert_eq 1 "$(nlines "$E2E/stacd.log" "${SUB}7) | nvme? - Not connecting: the kernel has no NVMe/TCP TLS (needed for tls); not retried")" \
  "errors about the kernel's missing TLS"
assert_eq "" "$(connect_lines "${SUB}7")" "connect strings written for ${SUB}7"
assert_eq "the kernel has no DH-HMAC-CHAP authentication (needed for dhchap_secret, dhchap_ctrl_secret)" \
  "$(stacctl --json ls -d | jq -r --arg n "${SUB}1" '.[] | select(.subsysnqn == $n) | ."unsupported by the kernel"')" \
  "stacctl ls -d: why ${SUB}1 is not connected"
assert_eq "False" "$(stacctl --json status | jq -r '."kernel support.DH-HMAC-CHAP"')" \
  "process_info: kernel support.DH-HMAC-CHAP"
sub2=$(connect_lines "${SUB}2")
echo "$sub2"
[ -n "$sub2" ] || fail "no connect line for ${SUB}2 in stacd's log"
case "$sub2" in *dhchap*) fail "${SUB}2's connect string has a secret (C's key was mistyped)" ;; esac

log "phase 1: the configuration messages quote the entries, redacted"
for f in "stafd.conf 4" "stacd.conf 5" "stacd.conf 6"; do
  # shellcheck disable=SC2086
  msg=$(conf_line $f)
  [ -n "$msg" ] || fail "no message about $f"
  echo "$msg"
  assert_contains "$msg" "<redacted>" "the message about $f"
done
assert_contains "$(conf_line stafd.conf 4)" 'unknown key "dhchap-secert"' "the message about stafd.conf:4"
assert_contains "$(conf_line stacd.conf 5)" 'unknown key "dhchap-secert"' "the message about stacd.conf:5"
assert_contains "$(conf_line stacd.conf 6)" "entry ignored" "the message about stacd.conf:6"

capture_all phase1
cat "$OUT/phase1-stacctl-ls-d.out"
assert_eq "<redacted> <redacted>" \
  "$(jq -r --arg n "${SUB}1" '.[] | select(.subsysnqn == $n) | "\(."dhchap-secret") \(."dhchap-ctrl-secret")"' \
    "$OUT/phase1-stacctl-json-ls-d.out")" "SUB1's secrets in stacctl --json ls -d"
assert_contains "$(cat "$OUT/phase1-stacd-dump-config.out")" '"dhchap-secret": "<redacted>"' "stacd --dump-config"
assert_eq "<redacted>" \
  "$(jq -r --arg n "${SUB}7" '.[] | select(.subsysnqn == $n) | ."tls-key"' "$OUT/phase1-stacctl-json-ls-d.out")" \
  "SUB7's TLS key in stacctl --json ls -d"
assert_contains "$(cat "$OUT/phase1-stacd-dump-config.out")" '"tls-key": "<redacted>"' "stacd --dump-config"

log "phase 2: host key E in /etc/nvme/hostkey, both daemons restarted"
stop_pid "$STACD_PID"
for i in 1 2; do
  [ "$(kernel_ctrl_count "$SUB$i")" = 0 ] || nvme disconnect -n "$SUB$i" >/dev/null ||
    fail "nvme disconnect -n $SUB$i failed"
done
wait_for "[ \"\$(kernel_io_count)\" = 0 ]" 20
stop_pid "$STAFD_PID"
echo "DHHC-1:00:$SECRET_E:" >/etc/nvme/hostkey
start_stafd
wait_for "[ \"\$(dlp_count)\" = 3 ]" 60
start_stacd
wait_for "grep -F '${SUB}2) | nvme? - $NOAUTH (needed for dhchap_secret); not retried' $E2E/stacd.log" 60
assert_eq 0 "$(kernel_io_count)" "kernel I/O controllers in phase 2"
wait_for "[ \"\$(dc_connected_live)\" = 1 ]" 20
capture_all phase2

log "no secret anywhere"
dmesg >"$OUT/dmesg" || fail "dmesg failed"
if grep -i dhchap "$OUT/dmesg"; then fail "the kernel log mentions dhchap (see above)"; fi
# the kernel's controllers as sysfs shows them (a kernel with NVMe authentication shows root the
# dhchap_* secrets it was given, by design: not a log; 6.1 without it has no such attribute)
for f in /sys/class/nvme/nvme*/*; do
  case "${f##*/}" in dhchap_*) continue ;; esac
  [ -f "$f" ] || continue
  printf '%s: %s\n' "$f" "$(cat "$f" 2>/dev/null)"
done >"$OUT/sysfs"
find /run -name '*.json' -type f >"$OUT/run-json-files"
[ -s "$OUT/run-json-files" ] || fail "no state file under /run"
if command -v journalctl >/dev/null && { [ -d /run/log/journal ] || [ -d /var/log/journal ]; }; then
  journalctl --no-pager -o cat >"$OUT/journal" 2>&1 || true
fi
# every file to search: the logs, the outputs, the state files (one grep per secret: TCG is slow)
find /run/stafd /run/stacd -type f >>"$OUT/run-json-files"
log "state files: $(sort -u "$OUT/run-json-files" | tr '\n' ' ')"
set -- "$E2E/stafd.log" "$E2E/stacd.log" "$OUT"/*
while read -r f; do set -- "$@" "$f"; done <"$OUT/run-json-files"
for f in "$@"; do [ -r "$f" ] || fail "cannot read $f"; done
for s in A B C D E F G; do
  eval "body=\$SECRET_$s"
  pat=$(echo "$body" | cut -c1-16)
  # the search does find each secret where it is (so that a miss means something)
  grep -qF -- "$pat" "$E2E/stafd.conf" "$E2E/stacd.conf" /etc/nvme/hostkey ||
    fail "secret $s is in no configuration file: the search is broken"
  rc=0
  hits=$(grep -lF -- "$pat" "$@") || rc=$?
  [ "$rc" -le 1 ] || fail "grep failed looking for secret $s"
  [ -z "$hits" ] || { grep -nF -- "$pat" $hits; fail "secret $s ($pat...) is in: $hits"; }
done
log "no secret in $# files: the 2 daemon logs, $(ls "$OUT" | wc -l) outputs, $(sort -u "$OUT/run-json-files" | wc -l) state files"

log "stop stacd, stafd"
stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
log "stacd log:"
cat "$E2E/stacd.log"
log "stafd log:"
cat "$E2E/stafd.log"
log "PASS"
