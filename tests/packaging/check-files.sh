#!/usr/bin/env bash
# Checks the installers `make package` made, without installing them: the tarball's
# and the .deb's layout, no RPATH in their binaries, the .deb's dependencies, the
# desktop file (desktop-file-validate), the AppStream metainfo (appstreamcli), the
# man page (the binary's own `help --man`) and the completions (against `airlock help`).
#
# usage: check-files.sh BUILD_DIR
set -euo pipefail
build=$1
pkgs="$build/packages"
airlock="$build/bin/airlock"
failures=0
fail() { printf 'FAIL: %s\n' "$*" >&2; failures=$((failures + 1)); }
ok() { printf 'ok: %s\n' "$*"; }

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
deb=$(ls "$pkgs"/airlock_"$version"_*.deb)
tgz=$(ls "$pkgs"/airlock-"$version"-linux-*.tar.gz)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# What the app needs at run time, relative to the prefix (cmake/AirlockInstallDirs.cmake).
runtime=(bin/airlock lib/airlock/airlock-jsd share/airlock/guest/vmlinux share/airlock/guest/initramfs.cpio.gz
  lib/airlock/guest-build/build-image.sh lib/airlock/guest-build/airlock-agent lib/airlock/guest-build/init
  lib/airlock/guest-build/init-stage2 share/applications/airlock.desktop share/icons/hicolor/scalable/apps/airlock.svg
  share/icons/hicolor/48x48/apps/airlock.png share/icons/hicolor/256x256/apps/airlock.png
  share/man/man1/airlock.1.gz share/bash-completion/completions/airlock share/zsh/vendor-completions/_airlock)
if [ -f "$build/bin/airlock_webengine.so" ]; then runtime+=(lib/airlock/airlock_webengine.so); fi

# ---- the tarball: one top folder, relocatable tree
top="airlock-$version-linux-$(uname -m)"
tar -tzf "$tgz" >"$work/tgz.list"
if grep -qv "^$top/" "$work/tgz.list"; then fail "the tarball has files outside $top/: $(grep -v "^$top/" "$work/tgz.list" | head -n3)"; fi
for f in "${runtime[@]}"; do grep -qx "$top/$f" "$work/tgz.list" || fail "the tarball lacks $top/$f"; done
grep -q "^$top/share/metainfo/.*\.metainfo\.xml$" "$work/tgz.list" || fail "the tarball lacks the metainfo"
ok "tarball layout ($(wc -l <"$work/tgz.list") entries under $top/)"

# ---- the .deb: the same tree under /usr
dpkg-deb -x "$deb" "$work/deb"
for f in "${runtime[@]}"; do [ -e "$work/deb/usr/$f" ] || fail "the .deb lacks /usr/$f"; done
ok "deb layout"
while IFS= read -r -d '' f; do
  if file -b "$f" | grep -q '^ELF'; then
    if readelf -d "$f" 2>/dev/null | grep -qE '\((RPATH|RUNPATH)\)'; then
      fail "${f#"$work"/deb} carries an RPATH: $(readelf -d "$f" | grep -E 'RPATH|RUNPATH')"
    fi
  fi
done < <(find "$work/deb" -type f -print0)
ok "no RPATH or RUNPATH in the .deb's ELF files"
depends=$(dpkg-deb -f "$deb" Depends)
for p in 'libnode1[0-9][0-9]' libvirt-daemon-system qemu-system-x86 qemu-utils qt6-qpa-plugins 'libqt6widgets6'; do
  printf '%s\n' "$depends" | tr ',' '\n' | grep -qE "^ *$p( |$)" || fail "Depends lacks $p: $depends"
done
dpkg-deb -f "$deb" Recommends | grep -q mmdebstrap || fail "Recommends lacks mmdebstrap"
dpkg-deb -f "$deb" Suggests | grep -q chromium || fail "Suggests lacks chromium"
ok "Depends: $depends"

# ---- desktop file and metainfo
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$work/deb/usr/share/applications/airlock.desktop" || fail "desktop-file-validate"
  ok "desktop-file-validate"
else
  fail "desktop-file-validate is not installed (desktop-file-utils; bash packaging/install-deps.sh)"
fi
metainfo=$(ls "$work"/deb/usr/share/metainfo/*.metainfo.xml)
if command -v appstreamcli >/dev/null; then
  appstreamcli validate --no-net "$metainfo" || fail "appstreamcli validate $(basename "$metainfo")"
  ok "appstreamcli validate --no-net"
else
  fail "appstreamcli is not installed (appstream; bash packaging/install-deps.sh)"
fi
desktop_id=$(sed -n 's:.*<launchable type="desktop-id">\(.*\)</launchable>.*:\1:p' "$metainfo")
[ -e "$work/deb/usr/share/applications/$desktop_id" ] || fail "the metainfo launches $desktop_id, which is not installed"

# ---- the man page is the binary's own
"$airlock" help --man >"$work/man.expected"
zcat "$work/deb/usr/share/man/man1/airlock.1.gz" | cmp -s - "$work/man.expected" ||
  fail "the packaged man page differs from 'airlock help --man'"
ok "man page = airlock help --man"

# ---- bash completion: every command, subcommand and option that `airlock help` names
complete_words() { # the words bash would offer for the command line "$@" (last word being completed)
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _airlock; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$work/deb/usr/share/bash-completion/completions/airlock" "$@" | sort -u
}
commands=$("$airlock" --help | sed -n '/^commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$commands" ] || fail "no commands in airlock --help"
offered=$(complete_words airlock "")
for c in $commands; do
  grep -qx "$c" <<<"$offered" || fail "bash completion does not offer the command $c"
  [ "$c" = help ] && continue
  subs=$("$airlock" help "$c" | sed -n "s/^ *\(usage:\)\{0,1\} *airlock $c \([a-z][a-z-]*\).*/\2/p" | sort -u)
  [ -n "$subs" ] && [ "$subs" = "$(complete_words airlock "$c" "" | grep -v '^--')" ] ||
    { [ -z "$subs" ] || fail "bash completion for 'airlock $c' offers $(complete_words airlock "$c" "" | tr '\n' ' '), help names $(echo $subs)"; }
  # The option rows ("  --json  …", "  -h, --help  …"), not options named in the notes.
  want=$("$airlock" help "$c" | sed -nE 's/^ +(-h, )?(--[a-z][a-z-]*).*/\2/p' | sort -u)
  got=$(if [ -n "$subs" ]; then for s in $subs; do complete_words airlock "$c" "$s" --; done; else complete_words airlock "$c" --; fi | sort -u)
  [ "$want" = "$got" ] || fail "bash completion options for $c differ from airlock help $c: $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
done
ok "bash completion offers what airlock help names ($(echo $commands))"
if command -v zsh >/dev/null; then
  zsh -n "$work/deb/usr/share/zsh/vendor-completions/_airlock" || fail "zsh -n _airlock"
  ok "zsh completion parses"
else
  echo "note: zsh is not installed; the zsh completion was not parsed"
fi

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all package file checks passed"
