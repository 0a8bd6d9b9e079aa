#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: DH-HMAC-CHAP end to end on a kernel that has it (#17). The nvmet target on 127.0.0.1:8009
# requires our host to authenticate to SUB1..SUB3 (host entry with key K and controller key CK,
# hmac(sha256), DH group ffdhe2048); SUB4 is open to any host. A fake DC on 8010 requires
# authentication of discovery controllers (nvmet never authenticates its discovery subsystem),
# with its own keys KD and CKD. Every key is made by `stasadm gen-dhchap-key`. Both daemons run
# with tron (each connect string is logged, redacted). Proves that:
#  - stacd connects SUB1 with K (unidirectional: the kernel logs "authenticated with hash
#    hmac(sha256) dhgroup ffdhe2048" for its device, and no "controller authenticated"), SUB2
#    with K and CK (bidirectional: "controller authenticated" too), SUB4 without a key;
#  - SUB3, configured with a wrong key W: one "Authentication failed" error, and after three
#    refused connects (0 s, 3 s, 63 s) the retries stop: one "not retried" line, and no
#    fourth connect in the target's log;
#  - stafd connects the fake DC with KD and CKD: the fake DC records a successful bidirectional
#    authentication and stafd reads its log page; the nvmet DC (no key) is connected as before;
#  - a key rotation: the target's keys become K2 and CK2, stacd.conf gets them (and SUB3 the right
#    key K2), SIGHUP: SUB1 and SUB2 are re-authenticated in place (the kernel logs
#    "re-authenticating controller" for their devices, which do not change), SUB3 connects, SUB4
#    is left alone (same device, no re-authentication);
#  - the host key: with /etc/nvme/hostkey = K2 and SUB1's entry without a key, a restarted stacd
#    connects SUB1 authenticated with the host key;
#  - no key (K, CK, W, K2, CK2, KD, CKD) appears in the daemons' logs, the CLIs' outputs (ls -d,
#    status, plain and --json), the state files, or the kernel log; the connect lines show
#    "<redacted>".
# e2e-kernels: 6.12
# e2e-timeout: 420
# e2e-serial
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/fakedc-lib.sh"
trap '[ $? -eq 0 ] || { stas_show_logs; fakedc_show_logs; }' EXIT

OUT=$E2E/out
stas_setup 4
mkdir -p "$OUT"
[ -d /sys/module/nvme_auth ] || fail "this kernel has no NVMe authentication (nvme_auth)"

# key NAME [ARGS]: a new secret from stasadm, in $NAME, its base64 body's start in $NAME_BODY.
key() {
  _k=$("$B/ctl/stasadm" gen-dhchap-key "$@" 2>&1 | tail -n 1) || fail "stasadm gen-dhchap-key $*: $_k"
  case "$_k" in DHHC-1:0[0-3]:*:) ;; *) fail "stasadm gen-dhchap-key $*: '$_k' is not a DHHC-1 secret" ;; esac
  printf '%s\n' "$_k"
}
K=$(key)
CK=$(key --hmac 1 --nqn "${SUB}2")
W=$(key)
K2=$(key --key-length 48)
CK2=$(key --hmac 2 --key-length 48 --nqn "${SUB}2")
KD=$(key --hmac 1 --nqn "$HOSTNQN")
CKD=$(key)
ALL_KEYS="$K $CK $W $K2 $CK2 $KD $CKD"
echo "$ALL_KEYS" >"$E2E/keys"  # not searched: where the search must find each key

nvmet_auth_host "$HOSTNQN" "hmac(sha256)" ffdhe2048 "$K" "$CK"
for i in 1 2 3; do nvmet_only_host "$SUB$i" "$HOSTNQN"; done

cat >"$E2E/fakedc.json" <<JSON
{"identify": {"model": "FakeDC", "serial": "FDC-AUTH", "firmware": "1.0"},
 "dhchap": {"host_key": "$KD", "ctrl_key": "$CKD", "hash": "sha256"},
 "entries": [{"subtype": "current", "subnqn": "$WKDN", "trsvcid": "8010", "eflags": ["dupretinfo"]}]}
JSON
fakedc_start "$E2E/fakedc.json" 8010

cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8010;dhchap-secret=$KD;dhchap-ctrl-secret=$CKD
CONF
# stacd_conf K1 K2 CK2 K3: SUB1 with host secret K1 (none if "-"), SUB2 with K2 and CK2, SUB3
# with K3, SUB4 without a key.
stacd_conf() {
  _s1="dhchap-secret=$1"
  [ "$1" != - ] || _s1=""
  cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009;nqn=${SUB}1;$_s1
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009;nqn=${SUB}2;dhchap-secret=$2;dhchap-ctrl-secret=$3
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009;nqn=${SUB}3;dhchap-secret=$4
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009;nqn=${SUB}4
CONF
}
stacd_conf "$K" "$K" "$CK" "$W"

# dmesg_dev DEVICE TEXT: kernel log lines of DEVICE ("nvme nvme3: ...") containing TEXT, since
# the last kmsg_mark (device names are reused).
dmesg_dev() { dmesg | tac | sed '/stas-e2e-mark/q' | grep -cF "nvme $1: $2" || true; }
kmsg_mark() { echo "stas-e2e-mark: $*" >/dev/kmsg; }
kmsg_mark "phase 1"
# auth_refusals NQN: how many connects of ours the target refused for authentication.
auth_refusals() { dmesg | grep -F "for subsystem $1 for NQN" | grep -cF "DH-HMAC-CHAP" || true; }
sub_dev() { kernel_ctrls "$SUB$1"; }

log "phase 1: stafd (nvmet DC without a key, fake DC with KD and CKD), stacd"
start_stafd
wait_for "[ \"\$(dc_connected_live)\" = 2 ]" 60
start_stacd
T0=$(cut -d. -f1 /proc/uptime)
wait_for "[ -n \"\$(sub_dev 1)\" ] && [ -n \"\$(sub_dev 2)\" ] && [ -n \"\$(sub_dev 4)\" ]" 60
wait_for "[ \"\$(ioc_connected)\" = 3 ]" 30
D1=$(sub_dev 1)
D2=$(sub_dev 2)
D4=$(sub_dev 4)
log "SUB1 on $D1, SUB2 on $D2, SUB4 on $D4"
dmesg | grep -E "nvme($D1|$D2|$D4):" || true
assert_eq 1 "$(dmesg_dev "$D1" "qid 0: authenticated with hash hmac(sha256) dhgroup ffdhe2048")" \
  "SUB1 authenticated (host)"
assert_eq 0 "$(dmesg_dev "$D1" "controller authenticated")" "SUB1: unidirectional"
assert_eq 1 "$(dmesg_dev "$D2" "qid 0: authenticated with hash hmac(sha256) dhgroup ffdhe2048")" \
  "SUB2 authenticated (host)"
assert_eq 1 "$(dmesg_dev "$D2" "qid 0: controller authenticated")" "SUB2: the controller too"
assert_eq 0 "$(dmesg_dev "$D4" "authenticated")" "SUB4: open, no authentication"
# the connect strings went to the kernel with their secrets, shown redacted
sub2_line=$(grep -F "connect ctrl, 'nqn=${SUB}2," "$E2E/stacd.log" | head -n 1)
assert_contains "$sub2_line" ",dhchap_secret=<redacted>,dhchap_ctrl_secret=<redacted>," "SUB2's connect line"

log "SUB3 has a wrong key: refused, said once"
# 6.12 sometimes loses a refusal: the target tears the connection down as it refuses, and when
# the host sees the teardown first its connect waits for the admin command timeout (60 s) and
# fails with an error that names no key. Either connect of the three may be the one: the waits
# below allow for one such minute. (Seen about once in three runs, with parallel connects.)
AUTHFAIL="${SUB}3) | nvme? - Authentication failed: the controller rejected the DH-HMAC-CHAP secret"
wait_for "[ \"\$(nlines $E2E/stacd.log '$AUTHFAIL')\" -ge 1 ]" 100
assert_eq 0 "$(kernel_ctrl_count "${SUB}3")" "kernel controllers of SUB3"

log "the fake DC: stafd authenticated to it both ways and read its log page"
BIDI_OK='.event == "auth" and .step == "success2" and .result == "success"'
wait_for "[ \"\$(fakedc_count 8010 '$BIDI_OK')\" -ge 1 ]" 30
fakedc_records 8010 '.event == "auth" and .result != null'
assert_eq 0 "$(fakedc_count 8010 '.event == "auth" and .result == "failure"')" \
  "failed authentications at the fake DC"
wait_for "[ \"\$(fakedc_count 8010 '.name == \"get_log_page\" and .lid == 112')\" -ge 1 ]" 30
DD=$(fakedc_device 8010)
[ -n "$DD" ] || fail "no kernel controller to the fake DC"
assert_eq 1 "$(dmesg_dev "$DD" "qid 0: controller authenticated")" "the fake DC proved itself"
stafd_line=$(grep -F "trsvcid=8010," "$E2E/stafd.log" | grep -F "connect ctrl, " | head -n 1)
assert_contains "$stafd_line" ",dhchap_secret=<redacted>,dhchap_ctrl_secret=<redacted>," "the fake DC's connect line"

log "SUB3: three refusals (0 s, 3 s, 63 s), then no more retries"
wait_for "grep -qF '${SUB}3) | nvme? - Keys refused 3 times in a row: not retried' $E2E/stacd.log" 160
refusals=$(auth_refusals "${SUB}3")
sleep 5
assert_eq "$refusals" "$(auth_refusals "${SUB}3")" "connects of SUB3 the target saw after the third refusal"
# Four when the first connect's refusal was lost (above): stacd took it for a failed connect.
case "$refusals" in
  3) ;;
  4) grep -F "${SUB}3) | " "$E2E/stacd.log" | grep -qF "connect attempt 1 failed" ||
       fail "SUB3: 4 refusals at the target, and stacd's first connect did not fail otherwise" ;;
  *) fail "SUB3: $refusals connects refused by the target, expected 3" ;;
esac
assert_eq 1 "$(nlines "$E2E/stacd.log" "$AUTHFAIL")" "'Authentication failed' errors for SUB3"
log "retries stopped $(( $(cut -d. -f1 /proc/uptime) - T0 ))s after stacd started"

log "phase 2: the keys rotate (target, then stacd.conf), SIGHUP"
nvmet_auth_host "$HOSTNQN" "hmac(sha256)" ffdhe2048 "$K2" "$CK2"
stacd_conf "$K2" "$K2" "$CK2" "$K2"
kill -HUP "$STACD_PID"
wait_for "[ \"\$(dmesg_dev $D1 're-authenticating controller')\" -ge 1 ] && [ \"\$(dmesg_dev $D2 're-authenticating controller')\" -ge 1 ]" 30
wait_for "[ -n \"\$(sub_dev 3)\" ]" 30
# 60 s: SUB2 may take a reconnect (below).
wait_for "[ \"\$(ioc_connected)\" = 4 ]" 60
sleep 3  # the re-authentications finish in the background
dmesg | grep -E "nvme($D1|$D2|$D4|$(sub_dev 3)):" || true
assert_each_subsystem_once 1 4
assert_eq "$D1 $D2 $D4" "$(sub_dev 1) $(sub_dev 2) $(sub_dev 4)" "devices after the rotation"
assert_eq 0 "$(dmesg_dev "$D4" "re-authenticating")" "SUB4 re-authenticated"
assert_eq 0 "$(dmesg | grep -E "nvme$D1:" | grep -cF "authentication failed" || true)" \
  "failed re-authentications of SUB1"
# SUB2 has two keys, each written to its own sysfs attribute, and each write starts a
# re-authentication: when the kernel runs the first one before the second write (a loaded
# guest), it proves the new host key but checks the controller with the old controller key,
# fails once, and recovers by reconnecting with both new keys (the same device).
sub2_failed=$(dmesg | grep -E "nvme$D2:" | grep -cF "controller authentication failed" || true)
[ "$sub2_failed" -le 1 ] || fail "SUB2: $sub2_failed failed re-authentications of the controller"
assert_eq 1 "$(dmesg_dev "$(sub_dev 3)" "qid 0: authenticated with hash")" "SUB3 authenticated"
assert_eq 1 "$(nlines "$E2E/stacd.log" "${SUB}1) | $D1 - Re-authenticating with the new secrets")" \
  "stacd's word on SUB1"

log "phase 3: the host key (/etc/nvme/hostkey = K2), SUB1 without a key of its own"
stop_pid "$STACD_PID"
nvme disconnect -n "${SUB}1" >/dev/null || fail "nvme disconnect -n ${SUB}1 failed"
wait_for "[ -z \"\$(sub_dev 1)\" ]" 20
echo "$K2" >/etc/nvme/hostkey
kmsg_mark "phase 3"
stacd_conf - "$K2" "$CK2" "$K2"
start_stacd
wait_for "[ -n \"\$(sub_dev 1)\" ]" 60
wait_for "[ \"\$(ioc_connected)\" = 4 ]" 30
assert_eq 1 "$(dmesg_dev "$(sub_dev 1)" "qid 0: authenticated with hash")" "SUB1 with the host key"

log "no key anywhere"
for d in staf stac; do
  for args in "ls -d" "--json ls -d" "status" "--json status"; do
    # shellcheck disable=SC2086
    "$B/ctl/${d}ctl" $args >"$OUT/${d}ctl $args" 2>&1 || fail "${d}ctl $args failed"
  done
done
dmesg >"$OUT/dmesg"
set -- "$E2E/stafd.log" "$E2E/stacd.log" "$OUT"/*
for f in $(find /run/stafd /run/stacd -type f); do set -- "$@" "$f"; done
log "searching $# files for 7 keys"
for k in $ALL_KEYS; do
  body=$(printf '%s' "$k" | cut -d: -f3 | cut -c1-20)
  grep -qF -- "$body" "$E2E/keys" || fail "key $body... not found where it is: the search is broken"
  rc=0
  hits=$(grep -lF -- "$body" "$@") || rc=$?
  [ "$rc" -le 1 ] || fail "grep failed"
  [ -z "$hits" ] || fail "a key ($body...) is in: $hits"
done

stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
fakedc_stop
log "PASS"
