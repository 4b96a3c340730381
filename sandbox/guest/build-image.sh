#!/usr/bin/env bash
# Builds the microVM guest image from Debian packages only, into the build tree:
#   vmlinux          the distribution kernel's uncompressed ELF image (PVH direct boot)
#   initramfs.cpio.gz busybox-static, the virtio/9p modules, /init and the agent;
#                    also the disk modules (virtio_blk, ext4, overlay) and /init-stage2,
#                    for guests whose root is a Debian disk (airlock.root=/dev/vda)
# Reproducible: fixed mtimes and owners, sorted cpio (newc, --reproducible), gzip -n.
#
# usage: build-image.sh KERNEL_PACKAGE OUT_DIR AGENT_BINARY INIT_SCRIPT BUSYBOX STAGE2_INIT
set -euo pipefail

pkg=$1 out=$2 agent=$3 init=$4 busybox=$5 stage2=$6
work="$out/work"
log() { printf 'guest-image: %s\n' "$*" >&2; }

if ldd "$busybox" >/dev/null 2>&1; then
  log "$busybox is dynamically linked: install busybox-static"
  exit 1
fi
mkdir -p "$out" "$work/deb"
chmod 755 "$work/deb" # apt's download sandbox user must be able to write here

# 1. The kernel package (downloaded once per build tree; never installed).
deb=$(ls "$work"/deb/"$pkg"_*.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
  log "apt-get download $pkg"
  (cd "$work/deb" && apt-get download "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
  deb=$(ls "$work"/deb/"$pkg"_*.deb 2>/dev/null | head -n1 || true)
  [ -n "$deb" ] || { log "could not download $pkg (is 'apt-get update' done?)"; exit 1; }
fi
rm -rf "$work/kernel" && mkdir -p "$work/kernel"
dpkg -x "$deb" "$work/kernel"
vmlinuz=$(ls "$work"/kernel/boot/vmlinuz-* | head -n1)
kver=${vmlinuz##*/vmlinuz-}

# 2. The uncompressed ELF: the bzImage's payload is xz (magic FD 37 7A 58 5A 00).
offset=$( (LC_ALL=C grep -aobP '\xFD7zXZ\x00' "$vmlinuz" || true) | head -n1 | cut -d: -f1)
[ -n "$offset" ] || { log "no xz payload in $vmlinuz"; exit 1; }
tail -c +$((offset + 1)) "$vmlinuz" | xz -dc --single-stream > "$work/vmlinux.tmp" 2>/dev/null || true
if [ "$(head -c 4 "$work/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" != 7f454c46 ]; then
  log "the payload of $vmlinuz is not an ELF image"
  exit 1
fi
mv "$work/vmlinux.tmp" "$out/vmlinux"

# 3. The initramfs tree.
root="$work/root"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,workspace,lib/modules,etc,root}
install -m 0755 "$busybox" "$root/bin/busybox"
for applet in sh mount umount insmod mkdir cat echo ls sleep ip poweroff reboot true false env id uname sync switch_root cp mv; do
  ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$init" "$root/init"
install -m 0755 "$stage2" "$root/init-stage2"
install -m 0755 "$agent" "$root/sbin/airlock-agent"
# Modules in load order (no modprobe in the initramfs): always, and for a disk root.
# ext4 asks the crypto API for crc32c, which nothing could load on demand here.
add_modules() { # ORDER_FILE MODULE...
  local order=$1 m src; shift
  : > "$root/lib/modules/$order"
  for m in "$@"; do
    src=$(find "$work/kernel/lib/modules/$kver" -name "$m.ko" -o -name "$m.ko.xz" | head -n1)
    if [ -z "$src" ]; then
      # Built in: nothing to load.
      grep -q "/$m.ko" "$work/kernel/lib/modules/$kver/modules.builtin" 2>/dev/null && continue
      log "module $m not found for $kver"; exit 1
    fi
    case "$src" in
      *.xz) xz -dc "$src" > "$root/lib/modules/$m.ko" ;;
      *) cp "$src" "$root/lib/modules/$m.ko" ;;
    esac
    echo "$m" >> "$root/lib/modules/$order"
  done
}
add_modules order virtio_ring virtio virtio_mmio virtio_console netfs fscache 9pnet 9pnet_virtio 9p
add_modules order-disk virtio_blk crc16 mbcache jbd2 crc32c_generic ext4 overlay
echo "$kver" > "$root/etc/airlock-kernel"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"

# 4. Pack reproducibly.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible -R 0:0) \
  | gzip -n -9 > "$out/initramfs.cpio.gz.tmp"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
echo "$kver" > "$out/kernel-version"
log "kernel $kver; initramfs $(sha256sum "$out/initramfs.cpio.gz" | cut -c1-16)"
