#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages the QEMU end-to-end harness needs: the two kernels (6.1, and 6.12
# with NVMe authentication and TLS) with the NVMe/TCP host and nvmet target modules, QEMU, a
# static busybox for the initramfs, nvme-cli for checks in the guest, keyutils (the kernel's
# keyrings), kmod (modprobe --show-depends), cpio, udev (udevadm test: nvme-cli's udev rule
# against stafd's override) and nftables (a target outage that no host observes half-done).
# Idempotent and non-interactive.
set -eu

PKGS="qemu-system-x86 linux-image-amd64 linux-image-6.12-amd64 keyutils busybox-static nvme-cli kmod cpio jq strace udev nftables"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if [ -z "$missing" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-vm-deps: missing packages:$missing (run as root to install them)" >&2
  exit 1
fi
echo "install-vm-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
export INITRD=No  # the guest boots with an initramfs of its own (build-initramfs.sh)
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
