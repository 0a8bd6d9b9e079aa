#!/bin/sh
# Installs the dependencies, builds, and runs every test tier that can run on this machine.
# Usage: scripts/test.sh [extra ctest arguments, e.g. -L unit]
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTAS_WERROR=ON
cmake --build build
# Tiers are CTest labels: unit, cli (and, as they are added: dbus, e2e, zeroconf).
ctest --test-dir build --output-on-failure -j2 "$@"
