#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds the boot files of the QEMU guest (docs/ARCHITECTURE.md, "The end-to-end guest"):
#   OUTDIR/initrd.gz  static busybox, the 9p/virtio/overlay/configfs and NVMe host and target
#                     modules (with their dependencies) and an /init that
#                     mounts the host's root read-only over 9p under a tmpfs overlay, prepares
#                     /run, /tmp, /dev/pts, configfs, lo and the host name, then switch_roots into
#                     stage 2 (guest-init.sh, read from the shared root);
#   OUTDIR/vmlinuz    one line: the chosen /boot/vmlinuz-*;
#   OUTDIR/kernel     one line: the image to boot. The vmlinuz itself, or OUTDIR/vmlinux, its
#                     uncompressed ELF when it has a PVH entry point: QEMU then boots it directly,
#                     which saves the 15-20 s of decompressing the kernel under TCG;
#   OUTDIR/version    one line: the kernel release.
# The kernel is the newest /boot/vmlinuz-SERIES.* (default series 6.1, Debian 12's own kernel;
# 6.12 is the one of its security suite, with NVMe authentication and TLS) whose /lib/modules
# has the NVMe/TCP host and target.
# Nothing is rebuilt when the kernel, busybox and this script are unchanged.
#
# usage: build-initramfs.sh OUTDIR [SERIES]
set -eu

die() { echo "build-initramfs: $*" >&2; exit 1; }

[ $# -eq 1 ] || [ $# -eq 2 ] || die "usage: build-initramfs.sh OUTDIR [SERIES]"
OUTDIR=$1
SERIES=${2:-6.1}
printf '%s\n' "$SERIES" | grep -qxE '[0-9]+\.[0-9]+' ||
  die "SERIES must be a kernel series like 6.1 or 6.12, got '$SERIES'"
BUSYBOX=/bin/busybox
# /init needs these; everything else the guest modprobes from the shared root.
INIT_MODULES="9p 9pnet_virtio virtio_pci overlay configfs"
# Every scenario loads these: loaded by /init from RAM, they save the seconds modprobe takes
# reading modules over 9p. (null_blk is left to the scenario: its nr_devices differs.)
NVME_MODULES="nvme-tcp nvmet-tcp nvme-fabrics nvmet"
NEEDED_MODULES="$NVME_MODULES null_blk $INIT_MODULES"

command -v modprobe >/dev/null || die "modprobe not found (install kmod: tests/e2e/vm/install-vm-deps.sh)"
command -v cpio >/dev/null || die "cpio not found (tests/e2e/vm/install-vm-deps.sh)"
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (install busybox-static)"
ldd "$BUSYBOX" 2>&1 | grep -q "not a dynamic executable" || die "$BUSYBOX is not static (install busybox-static)"

has_modules() {  # KVER: every needed module is a module or built in for that kernel
  for m in $NEEDED_MODULES; do
    modprobe -S "$1" --show-depends "$m" >/dev/null 2>&1 || return 1
  done
}

KVER=""
for k in $(ls /boot/vmlinuz-"$SERIES".* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V -r); do
  if [ -r "/boot/vmlinuz-$k" ] && [ -d "/lib/modules/$k" ] && has_modules "$k"; then
    KVER=$k
    break
  fi
done
if [ -z "$KVER" ]; then
  case "$SERIES" in
    6.12) package=linux-image-6.12-amd64 ;;
    *) package=linux-image-amd64 ;;
  esac
  die "no /boot/vmlinuz-$SERIES.* with nvme-tcp and nvmet-tcp modules (install $package: scripts/install-deps.sh)"
fi
VMLINUZ=/boot/vmlinuz-$KVER

mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
key=$( {
  echo "$KVER"
  stat -L -c '%s %Y' "$VMLINUZ" "/lib/modules/$KVER/modules.dep" "$BUSYBOX"
  cat "$0"
} | sha256sum | cut -d' ' -f1)

exec 9>"$OUTDIR/.lock"
flock -w 120 9 || die "could not lock $OUTDIR/.lock within 120 s"

if [ -f "$OUTDIR/initrd.gz" ] && [ "$(cat "$OUTDIR/stamp" 2>/dev/null)" = "$key" ]; then
  exit 0
fi

STAGE=$(mktemp -d "$OUTDIR/stage.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

# The uncompressed kernel, if it can be booted through its PVH entry point (ELF note 0x12).
extract_vmlinux() {  # VMLINUZ OUT: like the kernel's scripts/extract-vmlinux, for xz, zstd, gzip
  for fmt in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
    for off in $(LC_ALL=C grep -aobP "${fmt#*:}" "$1" 2>/dev/null | head -n 3 | cut -d: -f1); do
      case "${fmt%%:*}" in
        xz)   tail -c +$((off + 1)) "$1" | xz -dc --single-stream >"$2" 2>/dev/null ;;
        zstd) tail -c +$((off + 1)) "$1" | zstd -q -dc >"$2" 2>/dev/null ;;
        gzip) tail -c +$((off + 1)) "$1" | gzip -dc >"$2" 2>/dev/null ;;
      esac
      if [ "$(head -c 4 "$2" | od -An -c | tr -d ' ')" = '177ELF' ] &&
         readelf -n "$2" 2>/dev/null | grep -q 'Unknown note type: (0x00000012)'; then
        return 0
      fi
    done
  done
  rm -f "$2"
  return 1
}
BOOT_IMAGE=$VMLINUZ
rm -f "$OUTDIR/vmlinux"
if command -v readelf >/dev/null && command -v od >/dev/null &&
   extract_vmlinux "$VMLINUZ" "$STAGE/vmlinux"; then
  mv "$STAGE/vmlinux" "$OUTDIR/vmlinux"
  BOOT_IMAGE=$OUTDIR/vmlinux
fi

ROOT=$STAGE/root
mkdir -p "$ROOT/bin" "$ROOT/dev" "$ROOT/proc" "$ROOT/sys" "$ROOT/lower" "$ROOT/upper" \
         "$ROOT/newroot" "$ROOT/lib/stas-e2e"
cp "$BUSYBOX" "$ROOT/bin/busybox"
mknod -m 600 "$ROOT/dev/console" c 5 1 2>/dev/null || true

# Modules in dependency order, each once; compressed ones are unpacked since busybox insmod may
# not read them.
: >"$ROOT/lib/stas-e2e/order"
for m in $INIT_MODULES $NVME_MODULES; do
  modprobe -S "$KVER" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
  name=$(basename "$ko")
  case "$name" in
    *.ko.xz)  name=${name%.xz};  xz -dc "$ko" >"$ROOT/lib/stas-e2e/$name" ;;
    *.ko.zst) name=${name%.zst}; zstd -q -dc "$ko" >"$ROOT/lib/stas-e2e/$name" ;;
    *.ko.gz)  name=${name%.gz};  gzip -dc "$ko" >"$ROOT/lib/stas-e2e/$name" ;;
    *.ko)     cp "$ko" "$ROOT/lib/stas-e2e/$name" ;;
    *)        die "unexpected module file $ko" ;;
  esac
  echo "$name" >>"$ROOT/lib/stas-e2e/order"
done

cat >"$ROOT/init" <<'INIT'
#!/bin/busybox sh
# Stage 1 of the e2e guest (static busybox, in RAM, so cheap under TCG): mount the host root (9p,
# read-only) under a tmpfs overlay, prepare the system, and hand over to stage 2. Kernel command
# line: stas_e2e_stage2=PATH stas_e2e_env=PATH [stas_e2e_9p_cache=none|loose|...].
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fatal() {
  echo "stas-e2e init: $*"
  echo "STAS-E2E-RESULT: 125"
  echo o >/proc/sysrq-trigger
  sleep 30
}

while read -r ko; do
  insmod "/lib/stas-e2e/$ko" || echo "stas-e2e init: insmod $ko failed"
done </lib/stas-e2e/order

stage2=""
envfile=""
cache=none
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    stas_e2e_stage2=*) stage2=${arg#stas_e2e_stage2=} ;;
    stas_e2e_env=*) envfile=${arg#stas_e2e_env=} ;;
    stas_e2e_9p_cache=*) cache=${arg#stas_e2e_9p_cache=} ;;
  esac
done
[ -n "$stage2" ] && [ -n "$envfile" ] || fatal "stas_e2e_stage2= or stas_e2e_env= missing"

mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=$cache hostroot /lower ||
  fatal "cannot mount the host root over 9p"
mount -t tmpfs -o mode=0755 tmpfs /upper
mkdir -p /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot ||
  fatal "cannot mount the overlay root"
N=/newroot
[ -f "$N$stage2" ] || fatal "stage 2 $stage2 not found in the shared root"
[ -r "$N$envfile" ] || fatal "environment file $envfile not found in the shared root"
script=$(. "$N$envfile" && echo "$STAS_E2E_SCRIPT")
[ -f "$N$script" ] || fatal "scenario '$script' not found in the shared root"

# A fresh /run. Keep copies of the environment file and the scenario in /run/stas-e2e, as
# they may live under the host's /tmp (kept for scenarios written to /tmp by run-in-vm.sh).
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs $N/run
mkdir -p $N/run/stas-e2e $N/run/dbus $N/run/lock
cp "$N$envfile" $N/run/stas-e2e/env
cp "$N$script" "$N/run/stas-e2e/$(basename "$script")"
cp /bin/busybox $N/run/stas-e2e/busybox  # stage 2 powers off from RAM (see guest-init.sh)
# No tmpfs on /tmp: the repository (CI's fresh clone) may live under the host's /tmp, and the
# overlay already keeps every write of the guest in RAM.
mount --move /proc $N/proc
mount --move /sys $N/sys
mount --move /dev $N/dev
mkdir -p $N/dev/pts $N/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $N/dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs $N/dev/shm
mount -t cgroup2 cgroup2 $N/sys/fs/cgroup
mount -t configfs configfs $N/sys/kernel/config
ip link set lo up
echo stas-e2e >$N/proc/sys/kernel/hostname
echo stas-e2e >$N/etc/hostname
exec switch_root $N /bin/sh "$stage2"
INIT
chmod 755 "$ROOT/init"

(cd "$ROOT" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$OUTDIR/initrd.gz.new"
mv "$OUTDIR/initrd.gz.new" "$OUTDIR/initrd.gz"
echo "$VMLINUZ" >"$OUTDIR/vmlinuz"
echo "$BOOT_IMAGE" >"$OUTDIR/kernel"
echo "$KVER" >"$OUTDIR/version"
echo "$key" >"$OUTDIR/stamp"
echo "build-initramfs: $OUTDIR/initrd.gz for $KVER ($(wc -l <"$ROOT/lib/stas-e2e/order") modules), boot image $BOOT_IMAGE"
