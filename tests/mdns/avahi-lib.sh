# SPDX-License-Identifier: Apache-2.0
# Configuration files for the private avahi-daemons of the mDNS tests (tests/mdns, and the
# QEMU scenario tests/e2e/stafd_mdns.sh). POSIX sh; source it.

# avahi_conf HOSTNAME IFACE [IPV6]: an avahi-daemon.conf that announces nothing of its own, on
# IFACE only, over IPv4 only, or over IPv4 and IPv6 when IPV6 is "yes".
avahi_conf() {
  printf '[server]\nhost-name=%s\nuse-ipv4=yes\nuse-ipv6=%s\nallow-interfaces=%s\nenable-dbus=yes\n' \
    "$1" "${3:-no}" "$2"
  printf '[wide-area]\nenable-wide-area=no\n[publish]\npublish-hinfo=no\npublish-workstation=no\n'
}

# avahi_on_bus [PREFIX...]: avahi-daemon owns its name on the system bus (of the namespaces
# PREFIX, e.g. "nsenter -t PID -m -n --", enters). `avahi-daemon --check` is not enough: the
# daemon writes its PID file before it connects to the bus, and a client started in between
# fails with "Daemon not running". Asks the bus itself, which never activates anything.
avahi_on_bus() {
  "$@" dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Avahi 2>/dev/null | grep -q 'boolean true'
}

# open_system_bus_conf: a dbus-daemon configuration for a namespace's own system bus (on the
# standard socket of its private /run), open to every user and name.
open_system_bus_conf() {
  cat <<'CONF'
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
CONF
}
