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

# stas_host_setup: the host side every scenario needs: the host identity, the policy files, a
# system bus, and $E2E with empty stafd.conf / stacd.conf (the NVMe modules are loaded first).
stas_host_setup() {
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

# stas_setup N_SUBSYSTEMS [N_NULLB]: the NVMe modules, an nvmet DC port 1 on 127.0.0.1:8009
# exposing SUB1..SUB<N> (each on its own null_blk), and stas_host_setup.
stas_setup() {
  load_nvme_modules "${2:-$1}"
  nvmet_local_port "$SUB" "$1"
  stas_host_setup
}

# systemd_install_units: in a "# e2e-init: systemd" scenario, with systemd as PID 1: starts the
# journal and the system bus (what the container image this root comes from would start at boot
# is not ours to wait for: sysinit.target is marked reached and its jobs are dropped), then
# installs the build with the package's layout (cmake --install --prefix /usr) and reloads
# systemd, so that the project's units are the installed ones.
systemd_install_units() {
  log "systemd $(systemctl --version | head -n 1 | cut -d' ' -f2) is PID 1: $(cat /proc/1/comm)"
  assert_eq systemd "$(cat /proc/1/comm)" "PID 1"
  if ! timeout 60 systemctl start systemd-journald.socket systemd-journald.service dbus.socket dbus.service; then
    systemctl --no-pager list-jobs
    fail "journald and dbus did not start"
  fi
  cmake --install "$B" --prefix /usr >/dev/null || fail "cmake --install failed"
  systemctl daemon-reload
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

# start_traced DAEMON: like start_stafd/start_stacd, under strace -f: every write(2), with the
# path of its file descriptor (-y), when it started (-ttt) and how long it took (-T), in
# $E2E/DAEMON.strace. Only write(2) stops the daemon (--seccomp-bpf). Sets <DAEMON>_STRACE_PID
# and <DAEMON>_PID (the daemon itself).
start_traced() {
  case "$1" in stafd) _svc=f ;; stacd) _svc=c ;; *) fail "start_traced: unknown daemon $1" ;; esac
  RUNTIME_DIRECTORY=/run/$1 strace -f -qq -y -ttt -T -s 4096 --seccomp-bpf -e trace=write \
    -o "$E2E/$1.strace" "$B/sta$_svc/$1" -f "$E2E/$1.conf" >>"$E2E/$1.log" 2>&1 &
  _spid=$!
  wait_for "busctl status org.nvmexpress.sta$_svc" 30
  _dpid=$(pgrep -P "$_spid") || fail "no $1 process under strace $_spid"
  assert_eq "$B/sta$_svc/$1" "$(readlink /proc/$_dpid/exe)" "the process under strace"
  eval "$(echo "$1" | tr a-z A-Z)_STRACE_PID=$_spid; $(echo "$1" | tr a-z A-Z)_PID=$_dpid"
}

# fabrics_writes DAEMON: the connect strings DAEMON wrote to /dev/nvme-fabrics, one a line
# (strace -f shows a write that blocks as `write(9</dev/nvme-fabrics>, "...", 215 <unfinished ...>`).
fabrics_writes() {
  [ -r "$E2E/$1.strace" ] || fail "no strace output $E2E/$1.strace"
  grep -F 'write(' "$E2E/$1.strace" | grep -F '</dev/nvme-fabrics>' |
    sed 's/^[^"]*"//; s/", [0-9]*\( <unfinished \.\.\.>\|) *= .*\)$//'
}

# Writes to /dev/nvme-fabrics as the kernel sees them, without slowing the writer down: two
# kprobes on the kernel's write handler (nvmf_dev_write), one at its entry with the connect string
# (read from the writer's buffer: a string that is not NUL-terminated there, such as a shell's
# printf, shows whatever follows it) and one at its return, with its result. Unlike strace, they
# do not stop the writing process, so a daemon with many threads is timed as fairly as a loop.
TRACEFS=/sys/kernel/tracing
# fabrics_probe_start: (defines the probes once and) empties the trace, then records.
fabrics_probe_start() {
  [ -d "$TRACEFS/events" ] || mount -t tracefs nodev "$TRACEFS" || fail "cannot mount tracefs"
  if [ ! -d "$TRACEFS/events/stas" ]; then
    # r256: as many writes may wait in the handler at once (a return probe's default is 10).
    echo 'p:stas/fab_in nvme_fabrics:nvmf_dev_write opts=+0(%si):ustring' >>"$TRACEFS/kprobe_events" &&
      echo 'r256:stas/fab_out nvme_fabrics:nvmf_dev_write ret=$retval:s64' >>"$TRACEFS/kprobe_events" ||
      fail "cannot define the kprobes on nvmf_dev_write"
  fi
  : >"$TRACEFS/trace"
  echo 1 >"$TRACEFS/events/stas/enable" && echo 1 >"$TRACEFS/tracing_on" || fail "cannot enable the kprobes"
}
# fabrics_probe_stop FILE: stops recording; the trace goes to FILE.
fabrics_probe_stop() {
  echo 0 >"$TRACEFS/events/stas/enable" || fail "cannot disable the kprobes"
  cat "$TRACEFS/trace" >"$1"
  _missed=$(awk '$1 ~ /fab_/ { n += $3 } END { print n + 0 }' "$TRACEFS/kprobe_profile")
  [ "$_missed" = 0 ] || fail "the kprobes missed $_missed writes to /dev/nvme-fabrics"
}
# fabrics_probe_events FILE [COMM]: one line per probe hit of the trace in FILE (of processes
# named COMM only, if given): "in|out PID SECONDS OPTS|RESULT".
fabrics_probe_events() {
  [ -r "$1" ] || fail "no trace $1"
  awk -v comm="${2:-}" '
    / fab_(in|out): / {
      for (i = 1; i <= NF; i++) if ($i ~ /^\[[0-9]+\]$/) break
      task = $(i - 1); pid = task; sub(/.*-/, "", pid); name = task; sub(/-[0-9]+$/, "", name)
      if (comm != "" && name != comm) next
      for (j = i; j <= NF; j++) if ($j == "fab_in:" || $j == "fab_out:") break
      ts = $(j - 1); sub(/:$/, "", ts)
      if ($j == "fab_in:") { v = $0; sub(/.* opts="/, "", v); sub(/"$/, "", v); print "in", pid, ts, v }
      else { v = $NF; sub(/^ret=/, "", v); print "out", pid, ts, v }
    }' "$1"
}
# fabrics_writes_probed FILE COMM: the connect strings processes named COMM wrote, one a line.
fabrics_writes_probed() {
  fabrics_probe_events "$1" "$2" | awk '$1 == "in" { $1 = $2 = $3 = ""; sub(/^ +/, ""); print }'
}

# fabrics_timeline TRACE_FILE [COMM] [EXCLUDE]: the writes to /dev/nvme-fabrics in the trace (of
# processes named COMM; those whose connect string contains EXCLUDE left out), as the kernel
# served them. Its write handler holds one mutex for a whole controller creation, so a write is
# served from when it arrives or when the one before it ends, whichever is later. Prints
# "WRITES SPAN_MS BUSY_MS IDLE_MS MAX_GAP_MS GAPS_OVER_1MS FAILED": SPAN from the first arrival
# to the last end; BUSY the time the kernel spent creating controllers; IDLE = SPAN - BUSY, the
# time it waited for user space between one connect's end and the next one's arrival (the
# longest such gap: MAX_GAP); FAILED the writes the kernel refused.
fabrics_timeline() {
  fabrics_probe_events "$1" "${2:-}" | awk -v skip="${3:-}" '
    $1 == "in" { start[$2] = $3; dropped[$2] = (skip != "" && index($0, skip) > 0); next }
    $1 == "out" && ($2 in start) {
      if (!dropped[$2]) printf "%s %s %d\n", start[$2], $3, ($4 < 0)
      delete start[$2]
    }' | sort -n -k2 | awk '
    NR == 1 { first = $1; last = 0 }
    {
      from = $1 > last ? $1 : last
      busy += $2 - from
      if (NR > 1 && $1 > last) { gap = $1 - last; if (gap > maxgap) maxgap = gap; if (gap > 0.001) over++ }
      if ($1 < first) first = $1
      last = $2; n++; failed += $3
    }
    END {
      if (n == 0) { print "0 0 0 0 0 0 0"; exit }
      printf "%d %.0f %.0f %.0f %.0f %d %d\n", n, (last - first) * 1000, busy * 1000, (last - first - busy) * 1000, maxgap * 1000, over, failed
    }'
}

# start_both_connected N: stafd (serving its DC's N+1 entries), then stacd, until stacd has
# connected SUB1..SUB<N>, each exactly once: stafd's DC and stacd's N I/O controllers are live in
# the kernel, on the devices and with the addresses the daemons report, and the kernel has no
# other controller.
start_both_connected() {
  log "start stafd and stacd"
  start_stafd
  wait_for "[ \"\$(dlp_count)\" = $(($1 + 1)) ]" 60
  wait_for "[ \"\$(dc_connected_live)\" = 1 ]" 20
  start_stacd
  wait_for "[ \"\$(ioc_connected)\" = $1 ]" 60
  assert_each_subsystem_once 1 "$1"
  assert_kernel_io "$1" "I/O controllers in the kernel"
  assert_eq 1 "$(kernel_ctrl_count "$WKDN")" "discovery controllers in the kernel"
  assert_eq 1 "$(dc_connected_live)" "DCs stafd lists on a live kernel device"
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

# cpu_ms PID: the CPU time (user + system, all threads) process PID has used, in milliseconds.
cpu_ms() {
  cut -d')' -f2 "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($12 + $13) * 1000 / hz }'
}

stafctl() { "$B/ctl/stafctl" "$@"; }
stacctl() { "$B/ctl/stacctl" "$@"; }

# A failing query must fail the check that uses it: the functions below print nothing and return
# 1 when stafctl/stacctl fails (an empty string never equals an expected count), and say why on
# stderr.
# stas_json DAEMON ARGS...: the JSON that `stafctl`/`stacctl --json ARGS` prints.
stas_json() {
  _sj_d=$1
  shift
  _sj_out=$("$B/ctl/${_sj_d}ctl" --json "$@" 2>/tmp/stas-ctl.stderr) || {
    echo "${_sj_d}ctl --json $*: failed: $(cat /tmp/stas-ctl.stderr)" >&2
    return 1
  }
  printf '%s\n' "$_sj_out"
}

# dlp_count: the number of log page entries stafd serves for the DC at 127.0.0.1:8009.
dlp_count() {
  _j=$(stas_json staf dlp -a 127.0.0.1 -s 8009) || return 1
  printf '%s\n' "$_j" | jq length
}

# dlp_count_port PORT: the number of log page entries stafd serves for the DC 127.0.0.1:PORT.
dlp_count_port() {
  _j=$(stas_json staf dlp -a 127.0.0.1 -s "$1") || return 1
  printf '%s\n' "$_j" | jq length
}

# --- The kernel's view. A controller exists in /sys/class/nvme while it connects, reconnects
# --- and is being deleted: only state "live" means connected.

# ctrl_state DEVICE: the kernel's state of controller DEVICE ("" when it does not exist).
ctrl_state() {
  _cs=""
  [ -r "/sys/class/nvme/$1/state" ] && read -r _cs <"/sys/class/nvme/$1/state" 2>/dev/null
  echo "$_cs"
}
# ctrl_cntlid DEVICE: the controller ID the target gave DEVICE ("" when it does not exist).
ctrl_cntlid() {
  _cc=""
  [ -r "/sys/class/nvme/$1/cntlid" ] && read -r _cc <"/sys/class/nvme/$1/cntlid" 2>/dev/null
  echo "$_cc"
}
# kernel_ctrl_live DEVICE NQN TRADDR TRSVCID [HOST_IFACE]: the kernel has controller DEVICE, it
# is live, and it is connected to subsystem NQN at TRADDR:TRSVCID (through HOST_IFACE if given:
# its host_iface, or, made without one, the interface that owns its src_addr, as stacd's audit
# knows it).
kernel_ctrl_live() {
  case "$1" in nvme[0-9]*) ;; *) return 1 ;; esac
  _kd=/sys/class/nvme/$1
  [ -r "$_kd/state" ] && [ -r "$_kd/subsysnqn" ] && [ -r "$_kd/address" ] || return 1
  read -r _ks <"$_kd/state" && read -r _kq <"$_kd/subsysnqn" && read -r _ka <"$_kd/address" ||
    return 1
  [ "$_ks" = live ] && [ "$_kq" = "$2" ] || return 1
  case ",$_ka," in *",traddr=$3,"*) ;; *) return 1 ;; esac
  case ",$_ka," in *",trsvcid=$4,"*) ;; *) return 1 ;; esac
  [ -n "${5:-}" ] || return 0
  case ",$_ka," in
    *",host_iface=$5,"*) ;;
    *",host_iface="*) return 1 ;;
    *",src_addr="*)
      _src=${_ka##*src_addr=}
      _src=${_src%%,*}
      ip -o addr show dev "$5" 2>/dev/null | grep -qF " $_src/" || return 1
      ;;
    *) return 1 ;;
  esac
}

# kernel_ctrls NQN: the kernel's controllers of subsystem NQN in ANY state (connecting and
# deleting ones too), one name a line: for "gone" and "no duplicate" checks. A connection is
# checked with kernel_live_ctrls / kernel_ctrl_live.
# (sysfs is read with the shell's `read`: starting a process per file is slow in the guest.)
kernel_ctrls() {
  for _c in /sys/class/nvme/nvme*; do
    [ -r "$_c/subsysnqn" ] && read -r _q <"$_c/subsysnqn" || continue
    [ "$_q" != "$1" ] || echo "${_c##*/}"
  done
}
# kernel_ctrl_count NQN: how many controllers of NQN the kernel has, in any state.
kernel_ctrl_count() {
  kernel_ctrls "$1" | wc -l
}
# kernel_live_ctrls NQN: the kernel's live controllers of subsystem NQN, one name a line.
kernel_live_ctrls() {
  for _c in $(kernel_ctrls "$1"); do
    [ "$(ctrl_state "$_c")" != live ] || echo "$_c"
  done
}
# kernel_io_count: every I/O controller the kernel has, in any state ("0": none left at all).
kernel_io_count() {
  _n=0
  for _c in /sys/class/nvme/nvme*; do
    [ -r "$_c/cntrltype" ] && read -r _t <"$_c/cntrltype" || continue
    [ "$_t" != io ] || _n=$((_n + 1))
  done
  echo "$_n"
}
# wait_kernel_live_total N TIMEOUT: waits until N of the kernel's controllers are live, polling
# every 0.2 s with shell builtins only (one `sleep` process per poll), at most TIMEOUT seconds of
# polls. For timing connects: wait_for's `date`, subshell, `cat` and `grep` at each poll would
# take a part of the guest's two CPUs from the connects being measured.
wait_kernel_live_total() {
  _wl_polls=$(($2 * 5))
  while :; do
    _wl_live=0
    for _wl_s in /sys/class/nvme/nvme*/state; do
      { read -r _wl_st <"$_wl_s"; } 2>/dev/null || continue
      [ "$_wl_st" != live ] || _wl_live=$((_wl_live + 1))
    done
    [ "$_wl_live" != "$1" ] || return 0
    [ "$_wl_polls" -gt 0 ] ||
      fail "timed out after ${2}s waiting for $1 live controllers (live: $_wl_live)"
    _wl_polls=$((_wl_polls - 1))
    sleep 0.2
  done
}
# kernel_live_io_count: the kernel's live I/O controllers.
kernel_live_io_count() {
  _n=0
  for _c in /sys/class/nvme/nvme*; do
    [ -r "$_c/cntrltype" ] && read -r _t <"$_c/cntrltype" || continue
    [ "$_t" = io ] && [ "$(ctrl_state "${_c##*/}")" = live ] && _n=$((_n + 1))
  done
  echo "$_n"
}
# assert_kernel_io N WHAT: the kernel has exactly N I/O controllers and every one of them is live.
assert_kernel_io() {
  assert_eq "$1" "$(kernel_io_count)" "$2"
  assert_eq "$1" "$(kernel_live_io_count)" "$2 (live)"
}
# kernel_snapshot: every controller of the kernel as "DEVICE SUBSYSNQN CNTLID STATE", sorted.
# Equal snapshots before and after something mean that no controller was deleted, re-made (a
# new connection gets a new association, and its cntlid is the target's choice again) or added.
kernel_snapshot() {
  for _c in /sys/class/nvme/nvme*; do
    [ -r "$_c/subsysnqn" ] && read -r _q <"$_c/subsysnqn" || continue
    echo "${_c##*/} $_q $(ctrl_cntlid "${_c##*/}") $(ctrl_state "${_c##*/}")"
  done | sort
}

# --- What the daemons report, checked against the kernel.

# stas_listed DAEMON: what stafd ("staf") or stacd ("stac") lists, one controller a line:
# "DEVICE<TAB>SUBSYSNQN<TAB>TRADDR<TAB>TRSVCID<TAB>HOST-IFACE" (DEVICE "nvme?" when none).
stas_listed() {
  _j=$(stas_json "$1" ls) || return 1
  printf '%s\n' "$_j" |
    jq -r '.[] | [.device, .subsysnqn, .traddr, .trsvcid, .["host-iface"]] | @tsv'
}
# stas_live_count DAEMON: how many of the controllers DAEMON lists are live in the kernel on the
# device DAEMON reports, with the subsystem NQN, address and interface DAEMON claims for it.
stas_live_count() {
  _rows=$(stas_listed "$1") || return 1
  _n=0
  _tab=$(printf '\t')
  while IFS=$_tab read -r _dev _nqn _addr _svc _if; do
    [ -n "$_dev" ] || continue
    kernel_ctrl_live "$_dev" "$_nqn" "$_addr" "$_svc" "$_if" && _n=$((_n + 1))
  done <<ROWS
$_rows
ROWS
  echo "$_n"
}
# ioc_connected: the number of I/O controllers stacd lists whose device is live in the kernel
# with the subsystem and address stacd claims (a controller still connecting, reconnecting
# after an outage or being deleted does not count).
ioc_connected() { stas_live_count stac; }
# dc_connected_live: the same for the discovery controllers stafd lists.
dc_connected_live() { stas_live_count staf; }
# ioc_listed: the number of I/O controllers stacd lists (connected or not).
ioc_listed() {
  _j=$(stas_json stac ls) || return 1
  printf '%s\n' "$_j" | jq length
}
# ioc_device NQN: the kernel device stacd reports for subsystem NQN ("nvme?" while it has none,
# "" if stacd does not list NQN).
ioc_device() {
  _j=$(stas_json stac ls) || return 1
  printf '%s\n' "$_j" | jq -r --arg n "$1" '.[] | select(.subsysnqn == $n) | .device'
}
# stas_devices DAEMON: "SUBSYSNQN DEVICE" of every controller DAEMON (staf/stac) lists, sorted.
stas_devices() {
  _rows=$(stas_listed "$1") || return 1
  printf '%s\n' "$_rows" | awk -F '\t' 'NF { print $2 " " $1 }' | sort
}
# assert_ioc_live NQN DEVICE WHAT: stacd lists subsystem NQN on DEVICE, which is live in the
# kernel with the address stacd claims, and is the kernel's only controller of NQN.
assert_ioc_live() {
  _rows=$(stas_listed stac) || fail "$3: stacctl ls failed"
  _row=$(printf '%s\n' "$_rows" | awk -F '\t' -v n="$1" '$2 == n')
  [ -n "$_row" ] || fail "$3: stacd does not list $1"
  _tab=$(printf '\t')
  IFS=$_tab read -r _dev _nqn _addr _svc _if <<ROW
$_row
ROW
  assert_eq "$2" "$_dev" "$3: stacd's device for $1"
  kernel_ctrl_live "$_dev" "$1" "$_addr" "$_svc" "$_if" ||
    fail "$3: $_dev is not live for $1 at $_addr:$_svc in the kernel (state '$(ctrl_state "$_dev")', $(cat "/sys/class/nvme/$_dev/subsysnqn" "/sys/class/nvme/$_dev/address" 2>&1 | tr '\n' ' '))"
  assert_eq "$2" "$(kernel_ctrls "$1")" "$3: the kernel's controllers of $1"
}

# --- Logs.

# dmesg_count TEXT: the number of kernel log lines containing TEXT (a fixed string). The NVMe/TCP
# host logs 'new ctrl: NQN "<nqn>"' for each controller it creates (not for reconnections).
dmesg_count() {
  _dm=$(dmesg) || { fail "dmesg failed"; return 1; }
  printf '%s\n' "$_dm" | grep -cF -- "$1" || [ $? -eq 1 ]
}

# count_lines FILE REGEX: the number of lines of FILE matching REGEX (0 if none). An unreadable
# or missing FILE fails the scenario (and prints nothing, so that a comparison with 0 fails too).
count_lines() {
  [ -r "$1" ] || { fail "count_lines: cannot read $1"; return 1; }
  _rc=0
  _n=$(grep -c -e "$2" "$1") || _rc=$?
  [ "$_rc" -le 1 ] || { fail "count_lines: grep failed on $1"; return 1; }
  echo "$_n"
}

# nlines FILE TEXT: the number of lines of FILE containing TEXT (a fixed string); like count_lines.
nlines() {
  [ -r "$1" ] || { fail "nlines: cannot read $1"; return 1; }
  _rc=0
  _n=$(grep -cF -- "$2" "$1") || _rc=$?
  [ "$_rc" -le 1 ] || { fail "nlines: grep failed on $1"; return 1; }
  echo "$_n"
}

# assert_no_match FILE ERE WHAT: FILE exists and has no line matching ERE (else the scenario
# fails, showing them).
assert_no_match() {
  [ -r "$1" ] || fail "$3: cannot read $1"
  _rc=0
  grep -E -e "$2" "$1" || _rc=$?
  case "$_rc" in
    1) ;;
    0) fail "$3: see the lines of $1 above" ;;
    *) fail "$3: grep failed on $1" ;;
  esac
}

# assert_stacd_disconnected_nothing: stacd's log has no removal or disconnection.
assert_stacd_disconnected_nothing() {
  assert_no_match "$E2E/stacd.log" 'no longer wanted|Disconnected|disconnecting|Failed to disconnect' \
    "stacd disconnected (or dropped) an I/O controller"
}

# assert_each_subsystem_once FIRST LAST: SUB<FIRST>..SUB<LAST> each have exactly one kernel
# controller (in any state), it is live, and it has a namespace. The kernel's controllers are read
# once, with shell builtins (a process or two per subsystem took seconds for 64 in the guest).
# Its variables are prefixed: sh has no locals, and callers keep their own _snap and the like
# across the call (stas_restarts did, and this function overwrote it).
assert_each_subsystem_once() {
  _aeso_ctrls=$(for _c in /sys/class/nvme/nvme*; do
    [ -r "$_c/subsysnqn" ] && read -r _q <"$_c/subsysnqn" || continue
    _st=gone
    { read -r _st <"$_c/state"; } 2>/dev/null || true
    # nvme<C>n1, or nvme<S>c<C>n1 with native multipath: the namespace's path on this controller
    _ns=no
    for _n in "$_c"/nvme*n1; do
      [ -e "$_n" ] && _ns=yes
      break
    done
    echo "$_q ${_c##*/} $_st $_ns"
  done)
  _aeso_bad=$(echo "$_aeso_ctrls" | awk -v prefix="$SUB" -v first="$1" -v last="$2" '
    NF == 4 { n[$1]++; ctrl[$1] = $2; state[$1] = $3; ns[$1] = $4 }
    END {
      for (i = first; i <= last; i++) {
        q = prefix i
        if (n[q] != 1) { printf "%s: %d kernel controllers, not 1; ", q, n[q]; continue }
        if (state[q] != "live") printf "%s: %s is %s, not live; ", q, ctrl[q], state[q]
        if (ns[q] != "yes") printf "%s: no namespace on %s; ", q, ctrl[q]
      }
    }')
  [ -z "$_aeso_bad" ] || fail "each of ${SUB}$1..$2 once: $_aeso_bad"
}
