#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# e2e: stafd against the real Linux NVMe/TCP host and nvmet target (issue 3 features).
# A DC on 127.0.0.1:8009 exposes 3 subsystems. stafd connects (persistent, kato=30), tries the
# TP8010 registration, fetches the log page and serves it on a private system bus; linking a
# 4th subsystem sends the 0x70f002 AEN and stafd fetches again. SIGHUP reloads; SIGTERM keeps
# the DC connection (persistent-connections) and the udev override goes; a restarted stafd
# adopts the existing connection (no duplicate) and serves its cached log page at once. The DC's
# connection is checked in the kernel: live, the same device and cntlid across the restart.
set -eu
. "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"

B=$STAS_BUILD_DIR
SUB=nqn.2014-08.org.example:sub
WKDN=nqn.2014-08.org.nvmexpress.discovery
RULE=/run/udev/rules.d/70-nvmf-autoconnect.rules

load_nvme_modules 4
nvmet_local_port "$SUB" 3

cp dbus-interfaces/org.nvmexpress.staf.conf /usr/share/dbus-1/system.d/
start_system_bus
mkdir -p /etc/nvme /tmp/e2e /run/stafd
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b
echo "$HOSTNQN" >/etc/nvme/hostnqn
echo 7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b >/etc/nvme/hostid
rm -f /etc/stas/sys.conf
cat >/tmp/e2e/stafd.conf <<CONF
[Global]
tron = true
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
CONF

staf_call() {  # METHOD SIGNATURE ARGS...: busctl call on stafd
  m=$1; shift
  busctl call org.nvmexpress.staf /org/nvmexpress/staf org.nvmexpress.staf "$m" "$@"
}
dlp_count() {  # the number of log page entries stafd serves for the DC
  staf_call get_log_pages sssssss tcp 127.0.0.1 8009 $WKDN '' '' "$HOSTNQN" | cut -d' ' -f2
}
# ctrls_snapshot: every kernel controller as "DEVICE SUBSYSNQN CNTLID STATE", sorted.
ctrls_snapshot() {
  for c in /sys/class/nvme/nvme*; do
    [ -e "$c/subsysnqn" ] || continue
    echo "${c##*/} $(cat "$c/subsysnqn") $(cat "$c/cntlid") $(cat "$c/state")"
  done | sort
}
# On any failure, show what stafd said.
trap '[ $? -eq 0 ] || { echo "--- stafd log ---"; cat /tmp/e2e/stafd.log 2>/dev/null; }' EXIT

start_stafd() {
  RUNTIME_DIRECTORY=/run/stafd "$B/staf/stafd" -f /tmp/e2e/stafd.conf >>/tmp/e2e/stafd.log 2>&1 &
  STAFD_PID=$!
  wait_for "busctl status org.nvmexpress.staf" 20
}

log "start stafd"
start_stafd
wait_for "[ \"\$(dlp_count)\" = 4 ]" 60
log "log page: $(dlp_count) entries"
ls_out=$(staf_call list_controllers b false)
assert_contains "$ls_out" '"device" "nvme' "list_controllers"
dev=$(echo "$ls_out" | sed 's/.*"device" "\(nvme[0-9]*\)".*/\1/')
assert_eq discovery "$(cat /sys/class/nvme/$dev/cntrltype)" "cntrltype of $dev"
assert_eq "$WKDN" "$(cat /sys/class/nvme/$dev/subsysnqn)" "subsysnqn of $dev"
assert_eq live "$(cat /sys/class/nvme/$dev/state)" "state of $dev"
assert_contains ",$(cat /sys/class/nvme/$dev/address)," ",traddr=127.0.0.1,trsvcid=8009," "address of $dev"
[ -f "$RULE" ] || fail "udev override $RULE missing while stafd runs"
all=$(staf_call get_all_log_pages b true)
for i in 1 2 3; do assert_contains "$all" "$SUB$i" "get_all_log_pages"; done
grep -q "Received discovery log pages (num records=4)" /tmp/e2e/stafd.log || fail "no log page line"
# TP8010: nvmet's DC is neither a DDC nor a CDC (dctype none): stafd skips the DIM registration
# (stafd_dim_registration.sh checks the details), and none fails.
assert_eq none "$(cat /sys/class/nvme/$dev/dctype)" "dctype of $dev"
grep -qF "$dev - No DIM registration: the controller is neither a DDC nor a CDC (dctype none)" \
  /tmp/e2e/stafd.log || fail "stafd did not log that it skips the DIM registration"
if grep -E "Registration error|Failed to register" /tmp/e2e/stafd.log; then
  fail "a DIM registration failed (see above)"
fi

log "AEN: link a 4th subsystem"
nvmet_add_subsystem "${SUB}4" 3
nvmet_link 1 "${SUB}4"
wait_for "[ \"\$(dlp_count)\" = 5 ]" 60
grep -q "Received AEN: 0x70f002" /tmp/e2e/stafd.log || fail "AEN not logged"

log "SIGHUP"
kill -HUP "$STAFD_PID"
wait_for "grep -q Reloading /tmp/e2e/stafd.log" 10
pid_alive "$STAFD_PID" || fail "stafd died on SIGHUP"

log "SIGTERM: the persistent DC connection stays"
kill -TERM "$STAFD_PID"
wait_for "! pid_alive $STAFD_PID" 15
assert_eq live "$(cat /sys/class/nvme/$dev/state 2>&1)" "state of $dev after stafd stopped"
[ ! -e "$RULE" ] || fail "udev override left behind"
grep -q "${SUB}4" /run/stafd/last-known-config.json || fail "last-known config lacks the log page"
snap=$(ctrls_snapshot)

log "restart: adopt, no duplicate"
start_stafd
wait_for "[ \"\$(dlp_count)\" = 5 ]" 60
wait_for "grep -q 'Connection adopted' /tmp/e2e/stafd.log" 30
assert_eq "$snap" "$(ctrls_snapshot)" "the kernel's controllers after the restart (the same, live)"
ls_out=$(staf_call list_controllers b false) || fail "list_controllers failed"
assert_contains "$ls_out" "\"device\" \"$dev\"" "list_controllers after the restart"
kill -TERM "$STAFD_PID"
wait_for "! pid_alive $STAFD_PID" 15
log "stafd log:"
cat /tmp/e2e/stafd.log
log "PASS"
