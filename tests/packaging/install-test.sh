#!/usr/bin/env bash
# The packaging test: installs the .deb that `make package` (test packaging_build)
# made into a clean Debian 12 root with its dependencies from apt, and runs the
# installed app there (in-root.sh). Also upgrades it to a newer version of the same
# package, made here by repacking the .deb with a higher version.
#
# usage: install-test.sh BUILD_DIR SOURCE_DIR
# Exit 77 (skipped, with the reason) only when not root or without debootstrap.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin" # debootstrap, chroot: not on every PATH
build=$1 src=$2
pkgs="$build/packages"

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the install test needs root (debootstrap, mount, chroot)"; exit 77
fi
if ! command -v debootstrap >/dev/null; then
  echo "SKIP: debootstrap is not installed (bash packaging/install-deps.sh installs it)"; exit 77
fi

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
deb=$(ls "$pkgs"/airlock_"$version"_*.deb)
tgz=$(ls "$pkgs"/airlock-"$version"-linux-*.tar.gz)

extra=$(mktemp -d)
trap 'rm -rf "$extra"' EXIT
cp "$deb" "$tgz" "$extra/"
cp "$(dirname "$0")/in-root.sh" "$(dirname "$0")/add.js" "$extra/"
echo "$version" >"$extra/version"

# The "newer" release: the same files, version VERSION+1 in the control file.
mkdir -p "$extra/newer" "$extra/repack"
dpkg-deb -R "$deb" "$extra/repack"
sed -i "s/^Version: .*/Version: $version+1/" "$extra/repack/DEBIAN/control"
dpkg-deb -Zxz -z1 --root-owner-group -b "$extra/repack" "$extra/newer/airlock_${version}+1_amd64.deb" >/dev/null
rm -rf "$extra/repack"

# The root starts with an empty environment: what in-root.sh reads is passed here.
bash "$src/packaging/linux/debian-root.sh" --extra "$extra" -- \
  env AIRLOCK_PACKAGING_VM="${AIRLOCK_PACKAGING_VM:-1}" bash /extra/in-root.sh
