#!/usr/bin/env bash
# Installs everything Airlock's build, app and tests need. Idempotent: what is present
# is skipped, so `make run` / `make test` can call it every time at almost no cost.
#
# Debian/Ubuntu: apt-get (with sudo only when not root). macOS: Homebrew (written,
# untested on this project's CI). V8 comes from Debian's libnode; where another
# Node.js repository makes `libnode-dev` uninstallable, the two .deb files are
# unpacked into a project-local prefix (.deps/libnode) that cmake/FindV8.cmake finds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix="${AIRLOCK_DEPS_PREFIX:-$here/.deps}"

log() { printf 'install-deps: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Packages needed on Debian/Ubuntu. Keep each line's reason short.
apt_packages=(
  build-essential cmake ninja-build pkg-config git clang-format   # toolchain
  qt6-base-dev qt6-base-dev-tools libgl-dev libxkbcommon-dev                   # Qt 6 Core/Gui/Widgets/Network/Test
  libsqlite3-dev sqlite3                                           # session store (+ shell as bench baseline)
  libcurl4-openssl-dev                                             # providers
  libseccomp-dev                                                   # isolate helper lockdown
  libuv1-dev libssl-dev                                            # libnode-dev's own header deps
  libuv1 libc-ares2 libnghttp2-14 libbrotli1 zlib1g                # libnode's shared-library deps
  xauth xvfb                                                       # optional real display for GUI tests
  procps                                                           # ps/pkill used by test scripts
  curl openssl                                                     # egress tests: a real client, test certificates
)

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
}

missing_debs() {
  local p status
  for p in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || echo "$p"
  done
}

apt_install() {
  local missing
  missing=$(missing_debs "$@")
  [ -z "$missing" ] && return 0
  apt_update_once
  log "installing:" $missing
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends $missing </dev/null
}

# Name of the runtime package behind libnode-dev (libnode108 on Debian 12, libnode109 on Ubuntu 24.04).
libnode_runtime_package() {
  apt-cache depends libnode-dev 2>/dev/null | sed -n 's/^ *Depends: \(libnode[0-9][0-9]*\).*/\1/p' | head -n1
}

install_v8_debian() {
  # Already usable: the system package, or our private prefix.
  if dpkg-query -W -f='${db:Status-Status}' libnode-dev 2>/dev/null | grep -qx installed; then
    return 0
  fi
  if [ -f "$prefix/libnode/usr/include/node/v8.h" ] && ls "$prefix"/libnode/usr/lib/*/libnode.so.* >/dev/null 2>&1; then
    return 0
  fi
  apt_update_once
  log "trying apt-get install libnode-dev"
  if as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libnode-dev </dev/null >/dev/null 2>&1; then
    return 0
  fi
  # Typical cause: Node.js from another repository (nodesource) replaces Debian's nodejs,
  # and libnode depends on Debian-only node-* packages. The library itself needs only
  # ordinary shared libraries, so unpack the two packages privately.
  log "libnode-dev is not installable here (another Node.js?); unpacking it into $prefix/libnode"
  local runtime tmp deps
  runtime=$(libnode_runtime_package)
  [ -n "$runtime" ] || { log "cannot find the libnode runtime package in apt's lists"; exit 1; }
  tmp=$(mktemp -d)
  chmod 755 "$tmp" # apt's download sandbox user must be able to write here
  (cd "$tmp" && apt-get download "$runtime" libnode-dev >/dev/null)
  rm -rf "$prefix/libnode.tmp" && mkdir -p "$prefix/libnode.tmp"
  for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$prefix/libnode.tmp"; done
  # The shared libraries libnode links against (not the node-* JS modules it also lists).
  deps=$(dpkg-deb -f "$tmp/${runtime}"_*.deb Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep '^lib' || true)
  rm -rf "$tmp"
  # shellcheck disable=SC2086
  apt_install $deps
  # libnode.so (the dev symlink) may be missing from libnode-dev; make it.
  local lib
  lib=$(ls "$prefix"/libnode.tmp/usr/lib/*/libnode.so.* | head -n1)
  [ -e "$(dirname "$lib")/libnode.so" ] || ln -s "$(basename "$lib")" "$(dirname "$lib")/libnode.so"
  rm -rf "$prefix/libnode" && mv "$prefix/libnode.tmp" "$prefix/libnode"
  log "V8 (libnode) unpacked into $prefix/libnode"
}

install_node_tools() {
  # Node.js + npm are build-time tools only (esbuild bundles the JS prelude; tests
  # use MCP servers from npm). The app needs neither at run time.
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then return 0; fi
  apt_install nodejs npm
}

# Each subsystem lists the Debian packages it needs (build, run and test) in
# packaging/deps/<subsystem>.apt, one per line, '#' starts a comment.
module_packages() {
  local f
  for f in "$here"/packaging/deps/*.apt; do
    [ -e "$f" ] || continue
    sed 's/#.*//' "$f" | tr -s ' \t' '\n' | sed '/^$/d'
  done
}

install_debian() {
  # shellcheck disable=SC2046
  apt_install "${apt_packages[@]}" $(module_packages)
  install_node_tools
  install_v8_debian
}

install_macos() {
  command -v brew >/dev/null 2>&1 || { log "Homebrew is required on macOS: https://brew.sh"; exit 1; }
  local formulas=(cmake ninja pkg-config qt sqlite curl v8 node clang-format)
  local f
  for f in "${formulas[@]}"; do
    brew list --formula "$f" >/dev/null 2>&1 || brew install "$f"
  done
}

case "$(uname -s)" in
  Linux)
    if command -v apt-get >/dev/null 2>&1; then
      install_debian
    else
      log "unsupported Linux distribution: install Qt 6, SQLite, libcurl, libseccomp and V8 (libnode) by hand"
      exit 1
    fi
    ;;
  Darwin) install_macos ;;
  *) log "unsupported system: $(uname -s)"; exit 1 ;;
esac
