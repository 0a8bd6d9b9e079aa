#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: NVMe/TCP TLS (TP8011) is asked for and never done without, on a kernel that has it (#17).
# nvmet serves SUB2 in clear on 127.0.0.1:8009 and SUB1, SUB3 on 127.0.0.1:8010, a port that
# requires TLS 1.3 (addr_tsas tls1.3, addr_treq required). A fake DC on 8011 (clear) lists SUB1
# at 8010 with TSAS SECTYPE TLS 1.3 and TREQ "not required" (the TSAS alone asks for TLS), SUB2
# at 8009 with neither, and a referral to a DC at 8010 with TREQ "required" (the TREQ alone
# asks for it); stacd.conf configures SUB3 at 8010 with tls=true. The PSK
# of SUB3 is put in the kernel's .nvme keyring by `stasadm tls-key-insert`, derived from a fixed
# configured PSK (identity "NVMe0R01 <hostnqn> <nqn>"), and removed by `stasadm tls-key-remove`;
# SUB1 has none. Debian 12 has no TLS handshake agent (tlshd), so no TLS connection can
# complete: what is proved is everything up to the kernel's handshake request. Proves that:
#  - SUB2 is connected, in clear;
#  - every connect string for SUB1, SUB3 and the referred DC carries "tls" (stacd and stafd log
#    each one with tron), and no controller of theirs exists: nothing went in clear; stafctl
#    dlp shows SUB1's "sectype";
#  - SUB1 (no PSK): the kernel refuses at once ("no valid PSK found"); stacd says so once,
#    naming the keyring;
#  - SUB3 (PSK in the keyring): the kernel found the key and asked for the handshake ("failed to
#    start TLS: -3", no agent); stacd says once that no handshake agent runs;
#  - stasadm tls-key-insert adds a psk key with that identity (keyctl show, stasadm
#    tls-key-list), and tls-key-remove takes it out again;
#  - SUB4 at 8010, configured with tls-key= (the same configured PSK) and keyring=stas-e2e (a
#    keyring the test makes): stacd derives its TLS PSK, puts it in that keyring under SUB4's
#    identity, and connects with tls,keyring=<its serial>,tls_key=<the key's serial>; the
#    kernel takes both and asks for the handshake; the configured key is in no log;
#  - SUB5 at 8010, configured only in an nvme-stas 3.x file (/etc/nvme/nvme-stas.conf, its
#    [Subsystem] section with tls = yes), is asked for with TLS too (and, without a PSK, refused).
# e2e-kernels: 6.12
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"
. "$STAS_SOURCE_DIR/tests/e2e/vm/fakedc-lib.sh"
trap '[ $? -eq 0 ] || { stas_show_logs; fakedc_show_logs; }' EXIT

load_nvme_modules 5
assert_contains ",$(cat /dev/nvme-fabrics)," ",tls," "the kernel's option table"
nvmet_setup_port 1 127.0.0.1 8009
nvmet_setup_port 2 127.0.0.1 8010
echo tls1.3 >"$NVMET/ports/2/addr_tsas" && echo required >"$NVMET/ports/2/addr_treq" ||
  fail "cannot make nvmet port 2 require TLS"
nvmet_add_subsystem "${SUB}1" 0
nvmet_add_subsystem "${SUB}2" 1
nvmet_add_subsystem "${SUB}3" 2
nvmet_add_subsystem "${SUB}4" 3
nvmet_add_subsystem "${SUB}5" 4
nvmet_link 2 "${SUB}1"
nvmet_link 1 "${SUB}2"
nvmet_link 2 "${SUB}3"
nvmet_link 2 "${SUB}4"
nvmet_link 2 "${SUB}5"
stas_host_setup

log "SUB3's PSK in the .nvme keyring, by stasadm tls-key-insert"
# libnvme's test key (SHA-256): only the identity matters here, no handshake can complete.
TLS_KEY="NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
IDENTITY="NVMe0R01 $HOSTNQN ${SUB}3"
psk=$("$B/ctl/stasadm" tls-key-insert --key "$TLS_KEY" --subsysnqn "${SUB}3" --hostnqn "$HOSTNQN") ||
  fail "stasadm tls-key-insert failed: $psk"
printf '%s\n' "$psk" | grep -qxE '[0-9]+' || fail "tls-key-insert printed '$psk', not a serial"
keyctl show %:.nvme
keyctl show %:.nvme | grep -F "psk: $IDENTITY" | grep -qE "^ *$psk " ||
  fail "keyctl show %:.nvme has no psk key $psk '$IDENTITY'"
listed=$("$B/ctl/stasadm" tls-key-list) || fail "stasadm tls-key-list failed: $listed"
printf '%s\n' "$listed"
assert_eq "$psk $IDENTITY" "$listed" "stasadm tls-key-list"
RING=$(keyctl newring stas-e2e @u) || fail "keyctl newring stas-e2e failed"

cat >"$E2E/fakedc.json" <<JSON
{"identify": {"model": "FakeDC", "serial": "FDC-TLS", "firmware": "1.0"},
 "entries": [{"subtype": "current", "subnqn": "$WKDN", "trsvcid": "8011"},
             {"subnqn": "${SUB}1", "trsvcid": "8010", "treq": 2, "tsas": {"sectype": 2}},
             {"subnqn": "${SUB}2", "trsvcid": "8009"},
             {"subtype": "referral", "subnqn": "$WKDN", "trsvcid": "8010", "treq": 1}]}
JSON
fakedc_start "$E2E/fakedc.json" 8011
cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8011
CONF
cat >"$E2E/stacd.conf" <<CONF
[Global]
tron = true
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8010;nqn=${SUB}3;tls=true
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8010;nqn=${SUB}4;tls-key=$TLS_KEY;keyring=stas-e2e
CONF
mkdir -p /etc/nvme
cat >/etc/nvme/nvme-stas.conf <<CONF
[Subsystem]
nqn = ${SUB}5
tls = yes
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8010
CONF

start_stafd
start_stacd
wait_for "[ -n \"\$(kernel_ctrls ${SUB}2)\" ]" 60
NOPSK="TLS failed: the kernel found no TLS PSK for this host and subsystem in the keyring \".nvme\""
NOAGENT="TLS failed: the kernel found no handshake agent (tlshd) to run the TLS handshake"
SUB1_NOPSK="${SUB}1) | nvme? - $NOPSK"
SUB5_NOPSK="${SUB}5) | nvme? - $NOPSK"
SUB3_NOAGENT="${SUB}3) | nvme? - $NOAGENT"
SUB4_NOAGENT="${SUB}4) | nvme? - $NOAGENT"
wait_for "grep -qF '$SUB1_NOPSK' $E2E/stacd.log" 30
wait_for "grep -qF '$SUB5_NOPSK' $E2E/stacd.log" 30
wait_for "grep -qF '$SUB3_NOAGENT' $E2E/stacd.log" 30
wait_for "grep -qF '$SUB4_NOAGENT' $E2E/stacd.log" 30
out=$(stafctl dlp -a 127.0.0.1 -s 8011) || fail "stafctl dlp failed"
# One entry per line: the dicts are printed over several lines each.
printf '%s\n' "$out" | tr '\n' ' ' | tr '}' '\n' | grep -F "'subnqn': '${SUB}1'" |
  grep -qF "'sectype': 'tls13'" ||
  fail "stafctl dlp does not show SUB1's TSAS: $out"
log "the referred DC at 8010"
wait_for "grep -F 'connect ctrl, ' $E2E/stafd.log | grep -qF ',trsvcid=8010,'" 30
sleep 5  # the quick retries (3 s) come and fail the same way
dmesg | grep -E "nvme|TLS|PSK" | tail -n 30

# connect_lines DAEMON NQN PORT: the connect strings DAEMON logged for NQN at PORT.
connect_lines() {
  grep -F "connect ctrl, 'nqn=$2,transport=tcp,traddr=127.0.0.1,trsvcid=$3," "$E2E/$1.log" || true
}
for what in "stacd ${SUB}1" "stacd ${SUB}3" "stacd ${SUB}5" "stafd $WKDN"; do
  # shellcheck disable=SC2086
  set -- $what
  lines=$(connect_lines "$1" "$2" 8010)
  [ -n "$lines" ] || fail "$1 never tried $2 at 8010"
  printf '%s\n' "$lines"
  clear=$(printf '%s\n' "$lines" | grep -v ',tls' || true)
  [ -z "$clear" ] || fail "$1 tried $2 at 8010 without TLS: $clear"
done
assert_eq 1 "$(nlines "$E2E/stacd.log" "$SUB1_NOPSK")" "errors about SUB1's missing PSK"
assert_eq 1 "$(nlines "$E2E/stacd.log" "$SUB5_NOPSK")" "errors about SUB5's missing PSK"
assert_eq 1 "$(nlines "$E2E/stacd.log" "$SUB3_NOAGENT")" "SUB3: errors about the handshake agent"
assert_eq 1 "$(nlines "$E2E/stacd.log" "$SUB4_NOAGENT")" "SUB4: errors about the handshake agent"
assert_eq "" "$(kernel_ctrls "${SUB}1")$(kernel_ctrls "${SUB}3")$(kernel_ctrls "${SUB}4")$(kernel_ctrls "${SUB}5")" \
  "controllers of SUB1, SUB3, SUB4, SUB5"
log "SUB4: its PSK in stas-e2e, named by serial in the connect string"
keyctl show "$RING"
SUB4_KEY=$(keyctl show "$RING" | sed -n "s/^ *\([0-9][0-9]*\) .*psk: NVMe0R01 $HOSTNQN ${SUB}4\$/\1/p")
[ -n "$SUB4_KEY" ] || fail "stacd put no psk key 'NVMe0R01 $HOSTNQN ${SUB}4' in stas-e2e"
sub4=$(connect_lines stacd "${SUB}4" 8010)
printf '%s\n' "$sub4"
[ -n "$sub4" ] || fail "stacd never tried SUB4"
# Each connect puts the key there again (the admin may have removed it): a new serial each time.
other=$(printf '%s\n' "$sub4" | grep -vE ",tls,keyring=$RING,tls_key=[0-9]+'\$" || true)
[ -z "$other" ] || fail "SUB4 connects without keyring=$RING,tls_key=N: $other"
printf '%s\n' "$sub4" | tail -n 1 | grep -qF ",tls_key=$SUB4_KEY'" ||
  fail "SUB4's last connect does not name the key in stas-e2e ($SUB4_KEY)"
[ "$(dmesg_count "failed to start TLS: -3")" -ge 2 ] || fail "no handshake asked for SUB4"
for f in "$E2E"/stacd.log "$E2E"/stafd.log; do
  grep -qF "VRLbtnN9" "$f" && fail "the configured TLS key is in $f"
done
[ "$(dmesg_count "no valid PSK found")" -ge 1 ] || fail "the kernel did not look for SUB1's PSK"
[ "$(dmesg_count "failed to start TLS: -3")" -ge 1 ] || fail "the kernel did not ask for a handshake"
assert_eq 1 "$(ioc_connected)" "I/O controllers stacd has connected (SUB2)"
assert_eq "" "$(connect_lines stacd "${SUB}2" 8009 | grep -F ',tls' || true)" "SUB2 with TLS"
"$B/ctl/stasadm" tls-key-remove --identity "$IDENTITY" || fail "stasadm tls-key-remove failed"
assert_eq "" "$("$B/ctl/stasadm" tls-key-list)" "psk keys left by stasadm tls-key-remove"
keyctl show %:.nvme | grep -qF "psk: $IDENTITY" && fail "keyctl show %:.nvme still has '$IDENTITY'"

stop_pid "$STACD_PID"
stop_pid "$STAFD_PID"
fakedc_stop
log "PASS"
