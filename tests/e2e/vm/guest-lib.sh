# SPDX-License-Identifier: Apache-2.0
# Shell functions for end-to-end scenarios; source it in a scenario that run-in-vm.sh runs in the
# guest:   . "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"
# POSIX sh (dash) compatible. Every wait is bounded. The guest powers off after the scenario, so
# nothing here needs cleaning up, but scenarios that restart daemons should stop them by PID.

NVMET=/sys/kernel/config/nvmet

# fail MSG...: print "FAIL: MSG" and end the scenario with status 1.
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# log MSG...: a timestamped line (guest uptime) in the console log.
log() {
  echo "[$(cut -d' ' -f1 /proc/uptime)] $*"
}

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
  [ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

# assert_contains HAYSTACK NEEDLE [WHAT]: HAYSTACK (a string, possibly multi-line) contains NEEDLE.
assert_contains() {
  case "$1" in
    *"$2"*) ;;
    *) fail "${3:-output} does not contain '$2'; it is:
$1" ;;
  esac
}

# wait_for CMD TIMEOUT_SECONDS: evaluate CMD (a shell command string, which must not block) until
# it succeeds, every 0.2 s for the first 2 s and every 0.5 s after that; fail the scenario after
# TIMEOUT_SECONDS (a whole number). Under TCG each process the guest starts costs it a fifth of
# a second of CPU or more (a stafctl/stacctl call with jq, nearer a second), taken from the
# daemons being waited for: a long wait polls less often, and the clock is read with builtins.
wait_for() {
  _wf_cmd=$1
  _wf_timeout=$2
  _wf_tries=$((_wf_timeout * 5 + 1))
  _wf_polls=0
  read -r _wf_now _ </proc/uptime
  _wf_deadline=$((${_wf_now%.*} + _wf_timeout))
  while [ "$_wf_tries" -gt 0 ]; do
    if eval "$_wf_cmd" >/dev/null 2>&1; then
      return 0
    fi
    read -r _wf_now _ </proc/uptime
    [ "${_wf_now%.*}" -lt "$_wf_deadline" ] || break
    _wf_tries=$((_wf_tries - 1))
    _wf_polls=$((_wf_polls + 1))
    if [ "$_wf_polls" -le 10 ]; then
      sleep 0.2
    else
      sleep 0.5
    fi
  done
  fail "timed out after ${_wf_timeout}s waiting for: $_wf_cmd"
}

# pid_alive PID: the process exists and is not a zombie (orphans are reaped late by the guest's
# PID 1, a plain shell).
pid_alive() {
  [ -r "/proc/$1/stat" ] || return 1
  case "$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null)" in
    " Z "*|" X "*|"") return 1 ;;
  esac
  return 0
}

# load_nvme_modules N_NULLB: the NVMe/TCP host and nvmet target, N null_blk devices
# (/dev/nullb0 .. /dev/nullb<N-1>), and configfs mounted.
load_nvme_modules() {
  modprobe -a nvmet nvmet-tcp nvme-tcp nvme-fabrics || fail "modprobe of the NVMe modules failed"
  modprobe null_blk nr_devices="$1" || fail "modprobe null_blk nr_devices=$1 failed"
  if ! grep -q ' /sys/kernel/config configfs ' /proc/mounts; then
    mount -t configfs configfs /sys/kernel/config || fail "cannot mount configfs"
  fi
  wait_for "[ -d $NVMET/ports ] && [ -c /dev/nvme-fabrics ]" 10
  if [ "$1" -gt 0 ]; then
    wait_for "[ -b /dev/nullb$(($1 - 1)) ]" 10
  fi
}

# nvmet_setup_port ID TRADDR TRSVCID: a TCP/IPv4 port of the nvmet target. It starts listening
# when the first subsystem is linked to it.
nvmet_setup_port() {
  _p=$NVMET/ports/$1
  mkdir "$_p" || fail "cannot create nvmet port $1"
  echo tcp >"$_p/addr_trtype" &&
    echo ipv4 >"$_p/addr_adrfam" &&
    echo "$2" >"$_p/addr_traddr" &&
    echo "$3" >"$_p/addr_trsvcid" || fail "cannot configure nvmet port $1 ($2:$3)"
}

# nvmet_add_subsystems NULLB_INDEX COUNT NQN...: subsystems open to any host, each with COUNT
# namespaces: namespace k of each on /dev/nullb<NULLB_INDEX + k - 1> (nvmet opens a block device
# without claiming it, and gives each namespace its own identifiers, so subsystems may share
# them). One process for all: a mkdir process per configfs directory is slow in the guest.
nvmet_add_subsystems() {
  perl -e '($c, $first, $ns, @subs) = @ARGV; for $s (@subs) {
    $d = "$c/subsystems/$s"; mkdir($d) or die "mkdir $d: $!\n";
    open(F, ">", "$d/attr_allow_any_host") and print(F "1") and close(F) or die "$s: allow_any_host: $!\n";
    for $k (1 .. $ns) { $n = "$d/namespaces/$k"; mkdir($n) or die "mkdir $n: $!\n";
      for (["device_path", "/dev/nullb" . ($first + $k - 1)], ["enable", "1"]) {
        open(F, ">", "$n/$_->[0]") and print(F $_->[1]) and close(F) or die "$n/$_->[0]: $!\n" } } }' \
    "$NVMET" "$@" || fail "cannot create the nvmet subsystems $*"
}
# nvmet_add_subsystem NQN NULLB_INDEX [COUNT]: one subsystem, as nvmet_add_subsystems (COUNT
# namespaces, default 1, the first on /dev/nullb<NULLB_INDEX>).
nvmet_add_subsystem() {
  nvmet_add_subsystems "$2" "${3:-1}" "$1"
}

# nvmet_local_port PREFIX N: port 1 on 127.0.0.1:8009 exposing the subsystems PREFIX1..PREFIX<N>,
# the i-th on /dev/nullb<i-1> (load_nvme_modules N or more first).
nvmet_local_port() {
  nvmet_setup_port 1 127.0.0.1 8009
  _lp=1
  while [ "$_lp" -le "$2" ]; do
    nvmet_add_subsystem "$1$_lp" $((_lp - 1))
    nvmet_link 1 "$1$_lp"
    _lp=$((_lp + 1))
  done
}

# nvmet_remove_subsystem NQN: unlinks it from every port, then removes its namespaces and it.
nvmet_remove_subsystem() {
  for _l in "$NVMET"/ports/*/subsystems/"$1"; do
    [ -L "$_l" ] && rm "$_l"
  done
  _s=$NVMET/subsystems/$1
  for _n in "$_s"/namespaces/*; do
    [ -d "$_n" ] || continue
    echo 0 >"$_n/enable" && rmdir "$_n" || fail "cannot remove namespace $_n"
  done
  rmdir "$_s" || fail "cannot remove nvmet subsystem $1"
}

# nvmet_link PORT NQN / nvmet_unlink PORT NQN: expose (hide) a subsystem on a port. While a host
# holds a persistent discovery connection, each change makes the target send a Discovery Log Page
# Change AEN.
nvmet_link() {
  ln -s "$NVMET/subsystems/$2" "$NVMET/ports/$1/subsystems/$2" ||
    fail "cannot link subsystem $2 to port $1"
}
nvmet_unlink() {
  rm "$NVMET/ports/$1/subsystems/$2" || fail "cannot unlink subsystem $2 from port $1"
}
# nvmet_link_all PORT NQN...: links them all to the port from one process, within moments of
# each other (a host that reads the log page in those moments may still see only some).
nvmet_link_all() {
  _la=$1
  shift
  perl -e '$c = shift; $p = shift; for (@ARGV) {
    symlink("$c/subsystems/$_", "$p/subsystems/$_") or die "link $_: $!\n" }' \
    "$NVMET" "$NVMET/ports/$_la" "$@" || fail "cannot link the subsystems to port $_la"
}

# nvmet_remove_port ID: unlinks its subsystems, then removes it (its connections are dropped).
nvmet_remove_port() {
  for _l in "$NVMET/ports/$1"/subsystems/*; do
    [ -L "$_l" ] && rm "$_l"
  done
  rmdir "$NVMET/ports/$1" || fail "cannot remove nvmet port $1"
}

# nvmet_port_down ID NQN...: a target outage on port ID that no host can observe half-done.
# Removing a port means unlinking its subsystems first, and each unlink makes the target send a
# discovery-change AEN on the discovery connections still open (a port's removal does not close
# them): a host could read a legitimately shorter, or empty, log page and drop what it no longer
# lists. So nftables first refuses new connections to the port's address (a reset, as from a
# closed port) and drops what the target sends from it; `ss -K` then aborts every connection to and
# from it, on both ends (the host's controllers go to "connecting" at once); only then are the
# subsystems unlinked and the port removed, and the rules go (nothing listens there any more).
nvmet_port_down() {
  _pd=$NVMET/ports/$1
  shift
  read -r _fam <"$_pd/addr_adrfam"
  read -r _addr <"$_pd/addr_traddr"
  read -r _svc <"$_pd/addr_trsvcid"
  case "$_fam" in
    ipv4) _ip=ip _ep="$_addr:$_svc" ;;
    ipv6) _ip=ip6 _ep="[$_addr]:$_svc" ;;
    *) fail "nvmet_port_down: address family '$_fam' of $_pd" ;;
  esac
  nft -f - <<NFT || fail "nft: cannot cut $_ep off"
table inet stas_e2e_outage {
  chain input {
    type filter hook input priority 0; policy accept;
    $_ip daddr $_addr tcp dport $_svc reject with tcp reset
    $_ip saddr $_addr tcp sport $_svc drop
  }
}
NFT
  _conn="( src $_ep or dst $_ep )"
  ss -K -t -n state connected "$_conn" >/dev/null || fail "ss -K could not abort the connections of $_ep"
  # (A host reconnecting meanwhile may have a new connect attempt in SYN-SENT: the rules
  # refuse it, so only established connections would be survivors.)
  _left=$(ss -t -n -H state established "$_conn")
  [ -z "$_left" ] || fail "connections of $_ep survived ss -K: $_left"
  perl -e '$p = shift; for (@ARGV) { unlink("$p/subsystems/$_") or die "unlink $_: $!\n" }
    rmdir($p) or die "rmdir $p: $!\n"' "$_pd" "$@" || fail "cannot remove nvmet port $_pd"
  [ ! -d "$_pd" ] || fail "nvmet port $_pd still exists"
  nft delete table inet stas_e2e_outage || fail "nft: cannot delete the outage table"
}

# nvmet_port_up ID TRADDR TRSVCID NQN...: port ID again, its subsystems NQN... linked at once
# (nvmet_link_all), so that a host reconnecting meanwhile is unlikely to read a partial log page.
nvmet_port_up() {
  nvmet_setup_port "$1" "$2" "$3"
  _pu=$1
  shift 3
  nvmet_link_all "$_pu" "$@"
}

# start_system_bus: a dbus-daemon on the standard system bus socket
# (/run/dbus/system_bus_socket) with Debian's system.conf, which includes the policy files of
# /usr/share/dbus-1/system.d and /etc/dbus-1/system.d. Sets STAS_DBUS_PID.
start_system_bus() {
  mkdir -p /run/dbus
  STAS_DBUS_PID=$(dbus-daemon --system --fork --print-pid) || fail "dbus-daemon --system did not start"
  wait_for "[ -S /run/dbus/system_bus_socket ]" 10
  export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket
}

# stop_system_bus: stops the daemon started by start_system_bus.
stop_system_bus() {
  [ -n "${STAS_DBUS_PID:-}" ] || return 0
  kill "$STAS_DBUS_PID" 2>/dev/null
  wait_for "! pid_alive $STAS_DBUS_PID" 10
  rm -f /run/dbus/system_bus_socket /run/dbus/pid
  STAS_DBUS_PID=""
}

# reload_system_bus: makes the bus re-read its configuration (e.g. after installing a policy file).
reload_system_bus() {
  dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.ReloadConfig >/dev/null || fail "dbus ReloadConfig failed"
}

# nvmet_auth_host HOSTNQN HASH DHGROUP KEY [CTRL_KEY]: the target's entry for HOSTNQN with its
# DH-HMAC-CHAP keys (KEY: the host's; CTRL_KEY: the target's own, for bidirectional
# authentication), HASH ("hmac(sha256)"...) and DHGROUP ("null", "ffdhe2048"...). Written again,
# it changes the keys (kernels with NVME_TARGET_AUTH only).
nvmet_auth_host() {
  _h=$NVMET/hosts/$1
  [ -d "$_h" ] || mkdir "$_h" || fail "cannot create nvmet host $1"
  echo "$2" >"$_h/dhchap_hash" && echo "$3" >"$_h/dhchap_dhgroup" &&
    echo "$4" >"$_h/dhchap_key" || fail "cannot set the DH-HMAC-CHAP key of nvmet host $1"
  if [ -n "${5:-}" ]; then
    echo "$5" >"$_h/dhchap_ctrl_key" || fail "cannot set the controller key of nvmet host $1"
  fi
}

# nvmet_only_host NQN HOSTNQN: only HOSTNQN may connect to subsystem NQN (and, when its host
# entry has a key, only after authenticating).
nvmet_only_host() {
  # nvmet takes no host entry while the subsystem is open to any.
  echo 0 >"$NVMET/subsystems/$1/attr_allow_any_host" || fail "cannot close $1 to other hosts"
  ln -s "$NVMET/hosts/$2" "$NVMET/subsystems/$1/allowed_hosts/$2" ||
    fail "cannot allow host $2 on $1"
}
