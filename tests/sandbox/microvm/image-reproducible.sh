#!/usr/bin/env bash
# The guest image is reproducible: rebuilding it from the same inputs (kernel .deb,
# busybox, init, agent) in another folder gives byte-identical files.
# usage: image-reproducible.sh SOURCE_DIR IMAGE_DIR AGENT BUSYBOX KERNEL_PACKAGE
set -euo pipefail
src=$1 image=$2 agent=$3 busybox=$4 pkg=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/work/deb"
# Reuse the downloaded package: the test is about packing, not about apt.
cp "$image"/work/deb/"$pkg"_*.deb "$tmp/work/deb/"
bash "$src/sandbox/guest/build-image.sh" "$pkg" "$tmp" "$agent" "$src/resources/guest/init" "$busybox" \
  "$src/resources/guest/init-stage2" 2>/dev/null
for f in vmlinux initramfs.cpio.gz; do
  a=$(sha256sum < "$image/$f") b=$(sha256sum < "$tmp/$f")
  if [ "$a" != "$b" ]; then
    echo "not reproducible: $f differs ($a vs $b)" >&2
    exit 1
  fi
  echo "$f ${a%% *}"
done
