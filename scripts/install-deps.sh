#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian 12 package needed to build and test nvme-stas-cpp.
# Idempotent and non-interactive: safe to run on a fresh machine or again on a prepared one.
set -eu

BUILD_PKGS="g++ cmake ninja-build pkg-config
  libnvme-dev libjson-c-dev libssl-dev
  libsdbus-c++-dev libsdbus-c++-bin
  libavahi-client-dev libavahi-glib-dev
  libsystemd-dev libudev-dev libglib2.0-dev libinih-dev libkeyutils-dev
  nlohmann-json3-dev libcli11-dev scdoc dpkg-dev"
# clang-format and clang-tidy (14 on Debian 12) for the lint tier, lintian for the package;
# clang and its libFuzzer/sanitizer runtimes (libclang-rt-14-dev) for the fuzz tier.
# Two kernels for the end-to-end guest (tests/e2e/vm): Debian 12's own 6.1, and 6.12 from its
# security suite, built with NVMe authentication and TLS.
TEST_PKGS="libgtest-dev libgmock-dev libbenchmark-dev dbus dbus-bin libglib2.0-bin iproute2 qemu-system-x86 linux-image-amd64 linux-image-6.12-amd64 keyutils busybox-static nvme-cli kmod cpio jq strace avahi-daemon avahi-utils python3 python3-gi man-db procps systemd udev nftables
  clang-format clang-tidy lintian clang libclang-rt-14-dev"

missing=""
for p in $BUILD_PKGS $TEST_PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
  fi
  echo "install-deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  # The kernels are booted only by the test guest, with an initramfs of its own: no initrd of
  # Debian's (INITRD=No, read by /etc/kernel/postinst.d/initramfs-tools) saves a minute each.
  export INITRD=No
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
else
  echo "install-deps: all packages present"
fi
