#!/bin/sh
# The quick tour: builds stafd and stacd and shows what they make of a configuration.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh >/dev/null
cmake -S . -B build -G Ninja >/dev/null
cmake --build build >/dev/null

conf=$(mktemp /tmp/stafd-demo-XXXXXX.conf)
trap 'rm -f "$conf"' EXIT
cat >"$conf" <<'CONF'
[Global]
kato = 20
ip-family = ipv4          # inline comments are comments
[Controllers]
controller = transport=tcp;traddr=127.0.0.1;trsvcid=8009
controller = transport=tcp;traddr=127.0.0.2,host_iface=x    # rejected: ',' would inject an option
exclude    = host-iface=eth9
CONF

set -x
./build/staf/stafd --version
./build/staf/stafd --help
./build/staf/stafd --dump-config -f "$conf"
