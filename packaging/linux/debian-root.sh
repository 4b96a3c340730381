#!/usr/bin/env bash
# Runs COMMAND inside a clean Debian 12 root, as a new user's machine would be: the
# minimal base system and nothing else. The packaging test installs the .deb there.
#
# usage: debian-root.sh [--extra DIR] [--] COMMAND...
#   --extra DIR   copy DIR's files into the root at /extra (a package, scripts)
# Root only (debootstrap, mount, chroot); exits 77 ("skipped") when not root or when
# debootstrap is missing (packaging/deps/packaging.apt installs it).
#
# The base root is made once by debootstrap and cached as a tarball in
# $AIRLOCK_DEBIAN_ROOT_CACHE (default ~/.cache/airlock-debian-root); each run unpacks
# a fresh copy and deletes it afterwards. Downloaded .debs are kept in the cache too
# (bound to the root's /var/cache/apt/archives), so a second run downloads nothing.
# The root uses the host's apt sources and Acquire settings (mirror, proxy), its
# resolv.conf and its locally added CA certificates.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin" # debootstrap, chroot: not on every PATH

extra=""
while [ $# -gt 0 ]; do
  case "$1" in
    --extra) extra=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: debian-root.sh [--extra DIR] [--] COMMAND..." >&2; exit 2; }

log() { printf 'debian-root: %s\n' "$*" >&2; }
if [ "$(id -u)" -ne 0 ]; then
  log "skipped: needs root (debootstrap, mount, chroot)"
  exit 77
fi
if ! command -v debootstrap >/dev/null; then
  log "skipped: debootstrap is not installed (apt-get install debootstrap)"
  exit 77
fi

suite=bookworm
cache=${AIRLOCK_DEBIAN_ROOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airlock-debian-root}
base="$cache/$suite-minbase.tar"
mkdir -p "$cache/apt-archives/partial"

mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -e "$f" ] || continue
  mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)\/\{0,1\}$/\1/p' "$f" | head -n1)
  [ -n "$mirror" ] && break
done
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\/debian\)\/\{0,1\} .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

# One debootstrap at a time per cache (two tests may start together).
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$base" ]; then
  log "debootstrap $suite from $mirror (once; cached in $base)"
  rm -rf "$cache/base"
  if ! debootstrap --variant=minbase --include=ca-certificates "$suite" "$cache/base" "$mirror" \
      >"$cache/debootstrap.log" 2>&1; then
    log "debootstrap failed; see $cache/debootstrap.log"; tail -n 20 "$cache/debootstrap.log" >&2; exit 1
  fi
  tar -C "$cache/base" -cf "$base.tmp" . && mv "$base.tmp" "$base"
  rm -rf "$cache/base"
fi
flock -u 9

root=$(mktemp -d "$cache/root.XXXXXX")
cleanup() {
  # Processes started inside this root (a daemon the command left running) go first,
  # each by its pid: nothing outside the root is touched.
  local pid link
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    link=$(readlink "/proc/$pid/root" 2>/dev/null || true)
    [ "$link" = "$root" ] && kill -KILL "$pid" 2>/dev/null || true
  done
  sleep 0.5
  local m
  for m in var/cache/apt/archives run dev sys proc; do
    mountpoint -q "$root/$m" 2>/dev/null && umount -R -l "$root/$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$base"

mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
mount -t tmpfs -o mode=755 tmpfs "$root/run"
mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"

cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
rm -f "$root"/etc/apt/sources.list "$root"/etc/apt/sources.list.d/*
cp /etc/apt/sources.list "$root/etc/apt/" 2>/dev/null || true
cp /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list "$root/etc/apt/sources.list.d/" 2>/dev/null || true
# Only the host's Acquire settings (proxy, mirror quirks): not its clean-up hooks,
# which would delete the cached .debs.
for f in /etc/apt/apt.conf.d/*; do
  [ -f "$f" ] && grep -q '^[[:space:]]*Acquire' "$f" && cp "$f" "$root/etc/apt/apt.conf.d/"
done
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1 || true
fi
# Packages' maintainer scripts must not start services in the root.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"
# Keep downloaded packages (the host's docker-style clean-up hooks are not copied).
echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >"$root/etc/apt/apt.conf.d/10keep-debs"

if [ -n "$extra" ]; then
  mkdir -p "$root/extra"
  cp -r "$extra/." "$root/extra/"
fi

set +e
chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  DEBIAN_FRONTEND=noninteractive "$@" </dev/null
status=$?
set -e
exit $status
