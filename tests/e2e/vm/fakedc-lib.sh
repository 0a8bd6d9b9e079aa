# SPDX-License-Identifier: Apache-2.0
# Shell functions to run the fake discovery controller (tests/fakedc/, see its README.md) in an
# end-to-end scenario; source it after guest-lib.sh:
#   . "$STAS_SOURCE_DIR/tests/e2e/vm/guest-lib.sh"; . "$STAS_SOURCE_DIR/tests/e2e/vm/fakedc-lib.sh"
# Each fake DC is known by its TCP port; its files are in $FAKEDC_DIR/<PORT>/:
#   pid           its PID (written once it listens: "ready")
#   record.jsonl  what it did, a JSON object a line (README.md, "Record format")
#   log           its own log (stderr)
#   ctl.sock      its control socket
# POSIX sh; every wait is bounded. Stop what you started with fakedc_stop.

FAKEDC_DIR=${FAKEDC_DIR:-/tmp/fakedc}
FAKEDC_PY=$STAS_SOURCE_DIR/tests/fakedc/fakedc.py
FAKEDC_PORTS=""

# fakedc_start SCENARIO PORT [ADDR]: a fake DC serving SCENARIO (a JSON file) on ADDR (default
# 127.0.0.1) port PORT; returns once it listens. Its record file starts empty.
fakedc_start() {
  fakedc_launch "$@"
  fakedc_wait_ready "$2"
}

# fakedc_launch SCENARIO PORT [ADDR]: like fakedc_start, but returns at once; fakedc_wait_ready
# PORT waits until it listens. Several fake DCs then start in parallel (Python starts slowly in
# the guest).
fakedc_launch() {
  _fd=$FAKEDC_DIR/$2
  mkdir -p "$_fd"
  rm -f "$_fd/pid" "$_fd/record.jsonl"
  python3 "$FAKEDC_PY" --scenario "$1" --port "$2" --addr "${3:-127.0.0.1}" \
    --record "$_fd/record.jsonl" --control "$_fd/ctl.sock" --pidfile "$_fd/pid" --verbose \
    >>"$_fd/log" 2>&1 &
  echo $! >"$_fd/started-pid"
  echo "${3:-127.0.0.1}:$2 serves $1" >"$_fd/what"
  FAKEDC_PORTS="$FAKEDC_PORTS $2"
}
fakedc_wait_ready() {
  _fd=$FAKEDC_DIR/$1
  wait_for "[ -s $_fd/pid ] || ! pid_alive $(cat "$_fd/started-pid")" 30
  [ -s "$_fd/pid" ] || { cat "$_fd/log"; fail "the fake DC on port $1 did not start"; }
  log "fake DC on $(cat "$_fd/what") (pid $(cat "$_fd/pid"))"
}

# fakedc_pid PORT: the PID of the fake DC on PORT.
fakedc_pid() { cat "$FAKEDC_DIR/$1/started-pid"; }

# fakedc_stop [PORT...]: SIGTERM to the fake DC(s) (default: every one started), then wait (20 s)
# until they are gone.
fakedc_stop() {
  _ports=$FAKEDC_PORTS
  [ $# -eq 0 ] || _ports="$*"
  for _p in $_ports; do
    _pid=$(fakedc_pid "$_p")
    pid_alive "$_pid" || continue
    kill -TERM "$_pid" || fail "cannot signal the fake DC $_pid (port $_p)"
    wait_for "! pid_alive $_pid" 20
  done
}

# fakedc_ctl PORT COMMAND [ARG]: a control command (aen, reload [FILE], reload-aen [FILE], drop,
# status); prints the DC's JSON answer, fails the scenario when it is not {"ok": true, ...}.
fakedc_ctl() {
  _p=$1
  shift
  python3 "$FAKEDC_PY" --ctl "$FAKEDC_DIR/$_p/ctl.sock" "$@" || fail "fakedc_ctl $_p $*: failed"
}

# fakedc_aen PORT: raise a discovery log change AEN (0x70f002) on every connection of the DC on
# PORT (genctr moves on).
fakedc_aen() { fakedc_ctl "$1" aen >/dev/null; }

# fakedc_reload_aen PORT FILE: serve FILE from now on, and raise the AEN.
fakedc_reload_aen() { fakedc_ctl "$1" reload-aen "$2" >/dev/null; }

# fakedc_records PORT [JQ_CONDITION]: the records (one JSON object a line) of the DC on PORT for
# which JQ_CONDITION holds, e.g. '.name == "get_log_page" and .lid == 112'.
fakedc_records() {
  jq -c "select(${2:-true})" "$FAKEDC_DIR/$1/record.jsonl"
}

# fakedc_count PORT JQ_CONDITION: how many records match.
fakedc_count() {
  fakedc_records "$1" "$2" | wc -l
}

# fakedc_device PORT: the kernel controller connected to 127.0.0.1:PORT ("" if none).
fakedc_device() {
  for _c in /sys/class/nvme/nvme*; do
    [ -r "$_c/address" ] || continue
    case ",$(cat "$_c/address" 2>/dev/null)," in
      *",traddr=127.0.0.1,trsvcid=$1,"*) echo "${_c##*/}" ;;
    esac
  done
}

# fakedc_show_logs: every fake DC's log and record file (for a failing scenario).
fakedc_show_logs() {
  for _p in $FAKEDC_PORTS; do
    echo "--- fake DC $_p: log ---"
    cat "$FAKEDC_DIR/$_p/log" 2>/dev/null
    echo "--- fake DC $_p: records ---"
    cut -c1-400 "$FAKEDC_DIR/$_p/record.jsonl" 2>/dev/null
  done
}
