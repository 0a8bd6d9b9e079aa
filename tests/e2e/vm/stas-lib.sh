# SPDX-License-Identifier: Apache-2.0
# Shell functions for the end-to-end scenarios of stafd and stacd; source it after guest-lib.sh:
#   . "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"; . "$STAS_SOURCE_DIR/tests/e2e/vm/stas-lib.sh"
# The daemons run as systemd would start them: RUNTIME_DIRECTORY=/run/<daemon>, on the system
# bus with the project's policy files, configuration in $E2E (a test /etc/stas), logs in
# $E2E/<daemon>.log (shown when the scenario fails). POSIX sh; every wait is bounded.

B=$STAS_BUILD_DIR
E2E=/tmp/e2e
SUB=nqn.2014-08.org.example:sub
WKDN=nqn.2014-08.org.nvmexpress.discovery
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b
HOSTID=7e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b
STAFD_PID=""
STACD_PID=""

# On failure, what the daemons said.
stas_show_logs() {
  for _d in stafd stacd; do
    [ -f "$E2E/$_d.log" ] || continue
    echo "--- $_d log ---"
    cat "$E2E/$_d.log"
  done
}
trap '[ $? -eq 0 ] || stas_show_logs' EXIT

# stas_setup N_SUBSYSTEMS [N_NULLB]: the NVMe modules, an nvmet DC port 1 on 127.0.0.1:8009
# exposing SUB1..SUB<N> (each on its own null_blk), the host identity, the policy files, a
# system bus, and $E2E with empty stafd.conf / stacd.conf.
stas_setup() {
  load_nvme_modules "${2:-$1}"
  nvmet_local_port "$SUB" "$1"
  cp dbus-interfaces/org.nvmexpress.staf.conf dbus-interfaces/org.nvmexpress.stac.conf \
    /usr/share/dbus-1/system.d/
  start_system_bus
  mkdir -p /etc/nvme "$E2E" /run/stafd /run/stacd
  echo "$HOSTNQN" >/etc/nvme/hostnqn
  echo "$HOSTID" >/etc/nvme/hostid
  rm -f /etc/stas/sys.conf
  : >"$E2E/stafd.conf"
  : >"$E2E/stacd.conf"
}

# The DC configuration most scenarios use.
stafd_conf_one_dc() {
  cat >"$E2E/stafd.conf" <<CONF
[Global]
tron = true
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
CONF
}

# start_stafd / start_stacd: in the background, as systemd starts them; returns once the daemon
# owns its bus name. Sets STAFD_PID / STACD_PID.
start_stafd() {
  RUNTIME_DIRECTORY=/run/stafd "$B/staf/stafd" -f "$E2E/stafd.conf" >>"$E2E/stafd.log" 2>&1 &
  STAFD_PID=$!
  wait_for "busctl status org.nvmexpress.staf" 20
}
start_stacd() {
  RUNTIME_DIRECTORY=/run/stacd "$B/stac/stacd" -f "$E2E/stacd.conf" >>"$E2E/stacd.log" 2>&1 &
  STACD_PID=$!
  wait_for "busctl status org.nvmexpress.stac" 20
}

# start_both_connected N: stafd (serving its DC's N+1 entries), then stacd, until stacd has
# connected SUB1..SUB<N>, each exactly once, and the kernel has N I/O controllers and one DC.
start_both_connected() {
  log "start stafd and stacd"
  start_stafd
  wait_for "[ \"\$(dlp_count)\" = $(($1 + 1)) ]" 60
  start_stacd
  wait_for "[ \"\$(ioc_connected)\" = $1 ]" 60
  assert_each_subsystem_once 1 "$1"
  assert_eq "$1" "$(kernel_io_count)" "I/O controllers in the kernel"
  assert_eq 1 "$(kernel_ctrl_count "$WKDN")" "discovery controllers in the kernel"
}

# stop_pid PID: SIGTERM, then wait (up to 20 s) until it is gone.
stop_pid() {
  kill -TERM "$1" || fail "cannot signal $1"
  wait_for "! pid_alive $1" 20
}
# kill9_pid PID: SIGKILL, then wait until it is gone.
kill9_pid() {
  kill -KILL "$1" || fail "cannot signal $1"
  wait_for "! pid_alive $1" 10
}

stafctl() { "$B/ctl/stafctl" "$@"; }
stacctl() { "$B/ctl/stacctl" "$@"; }

# dlp_count: the number of log page entries stafd serves for the DC at 127.0.0.1:8009.
dlp_count() {
  stafctl --json dlp -a 127.0.0.1 -s 8009 2>/dev/null | jq length
}

# ioc_connected: the number of I/O controllers stacd lists with a kernel device.
ioc_connected() {
  stacctl --json ls 2>/dev/null | jq '[.[] | select(.device != "nvme?")] | length'
}
# ioc_listed: the number of I/O controllers stacd lists.
ioc_listed() {
  stacctl --json ls 2>/dev/null | jq length
}
# ioc_device NQN: the kernel device stacd reports for subsystem NQN ("" if none).
ioc_device() {
  stacctl --json ls 2>/dev/null | jq -r --arg n "$1" '.[] | select(.subsysnqn == $n) | .device'
}

# kernel_ctrls NQN: the kernel's controllers (any state) of subsystem NQN, one name a line.
# (sysfs is read with the shell's `read`: starting a process per file is slow in the guest.)
kernel_ctrls() {
  for _c in /sys/class/nvme/nvme*; do
    [ -r "$_c/subsysnqn" ] && read -r _q <"$_c/subsysnqn" || continue
    [ "$_q" != "$1" ] || echo "${_c##*/}"
  done
}
# kernel_ctrl_count NQN
kernel_ctrl_count() {
  kernel_ctrls "$1" | wc -l
}
# kernel_io_count: every I/O controller the kernel has.
kernel_io_count() {
  _n=0
  for _c in /sys/class/nvme/nvme*; do
    [ -r "$_c/cntrltype" ] && read -r _t <"$_c/cntrltype" || continue
    [ "$_t" != io ] || _n=$((_n + 1))
  done
  echo "$_n"
}

# count_lines FILE REGEX: the number of lines of FILE matching REGEX (0 if none or no file).
count_lines() {
  _n=$(grep -c -e "$2" "$1" 2>/dev/null) || true
  echo "${_n:-0}"
}

# nlines FILE TEXT: the number of lines of FILE containing TEXT (a fixed string).
nlines() { grep -cF -- "$2" "$1" || true; }

# assert_stacd_disconnected_nothing: stacd's log has no removal or disconnection.
assert_stacd_disconnected_nothing() {
  if grep -E 'no longer wanted|Disconnected|disconnecting|Failed to disconnect' "$E2E/stacd.log"; then
    fail "stacd disconnected (or dropped) an I/O controller: see the lines above"
  fi
}

# assert_each_subsystem_once FIRST LAST: SUB<FIRST>..SUB<LAST> each have exactly one kernel
# controller and a namespace block device.
assert_each_subsystem_once() {
  _i=$1
  while [ "$_i" -le "$2" ]; do
    assert_eq 1 "$(kernel_ctrl_count "$SUB$_i")" "kernel controllers of $SUB$_i"
    _c=$(kernel_ctrls "$SUB$_i")
    # nvme<C>n1, or nvme<S>c<C>n1 with native multipath: the namespace's path on this controller
    ls -d /sys/class/nvme/"$_c"/nvme*n1 >/dev/null 2>&1 || fail "no namespace on $_c ($SUB$_i)"
    _i=$((_i + 1))
  done
}
