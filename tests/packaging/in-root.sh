#!/usr/bin/env bash
# Runs inside the clean Debian 12 root (packaging/linux/debian-root.sh) with the
# packages in /extra: installs the .deb with its dependencies from apt and uses the
# installed app as a person would. Called by install-test.sh.
set -euo pipefail
cd /extra
step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
version=$(cat /extra/version)
deb=$(ls /extra/airlock_"$version"_*.deb)
newer=$(ls /extra/newer/airlock_*.deb)

step "apt-get install ./$(basename "$deb") (dependencies from apt, no Recommends)"
apt-get update -qq >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; fail "apt-get update"; }
if ! apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "$deb" >/tmp/apt.log 2>&1; then
  tail -n 40 /tmp/apt.log; fail "apt-get install of the .deb"
fi
grep -E '^(Need to get|After this operation)' /tmp/apt.log || true

step "airlock --version"
out=$(airlock --version)
echo "$out"
[[ $out == *"$version"* ]] || fail "airlock --version says \"$out\", not $version"

step "airlock tool run (the isolate helper from /usr/lib/airlock, V8 from libnode)"
out=$(airlock tool run /extra/add.js --input '{"a": 2, "b": 40}')
echo "$out"
[ "$out" = 42 ] || fail "tool run printed \"$out\", not 42"

step "the window, offscreen, for 5 seconds"
set +e
QT_QPA_PLATFORM=offscreen timeout 5 airlock >/tmp/window.log 2>&1
rc=$?
set -e
if [ "$rc" -ne 124 ]; then cat /tmp/window.log; fail "the window exited with status $rc within 5 s"; fi
echo "still running after 5 s (stopped by timeout)"

step "the tarball: relocatable (its own helper, found beside its bin/)"
mkdir -p /opt/tarball && tar -C /opt/tarball -xzf /extra/airlock-"$version"-*.tar.gz
top=$(ls -d /opt/tarball/airlock-"$version"-*)
out=$("$top/bin/airlock" tool run /extra/add.js --input '{"a": 1, "b": 2}')
[ "$out" = 3 ] || fail "the tarball's airlock printed \"$out\", not 3"
echo "$top/bin/airlock tool run: $out"

step "user data across a reinstall and an upgrade"
out=$(airlock tool call add --tool /extra/add.js --input '{"a": 20, "b": 22}' --auto-approve)
[ "$out" = 42 ] || fail "tool call printed \"$out\""
db="$HOME/.local/share/airlock/airlock.db"
[ -f "$db" ] || fail "no sessions database at $db"
before=$(airlock sessions list --json)
id=$(printf '%s\n' "$before" | head -n1 | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p')
[ -n "$id" ] || fail "no session id in: $before"
mkdir -p "$HOME/.config/airlock" && echo keep >"$HOME/.config/airlock/marker"
apt-get install -y -q --reinstall -o Dpkg::Use-Pty=0 "$deb" >/tmp/apt.log 2>&1 || { tail -n 20 /tmp/apt.log; fail "reinstall"; }
[ "$(airlock sessions list --json)" = "$before" ] || fail "sessions differ after a reinstall"
apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "$newer" >/tmp/apt.log 2>&1 ||
  { tail -n 20 /tmp/apt.log; fail "upgrade to $(basename "$newer")"; }
dpkg-query -W -f='${Version}\n' airlock
[ "$(airlock sessions list --json)" = "$before" ] || fail "sessions differ after the upgrade"
airlock sessions verify "$id" || fail "session $id does not verify after the upgrade"
[ "$(cat "$HOME/.config/airlock/marker")" = keep ] || fail "a file in ~/.config/airlock was lost"
echo "session $id and ~/.config/airlock kept"

step "a database written by a newer Airlock is refused, and left untouched"
mkdir -p /tmp/newer-data/airlock
cp "$db" /tmp/newer-data/airlock/airlock.db
# SQLite's user_version (the schema version) is the big-endian int at byte 60.
printf '\000\000\003\347' | dd of=/tmp/newer-data/airlock/airlock.db bs=1 seek=60 conv=notrunc status=none
sum=$(sha256sum </tmp/newer-data/airlock/airlock.db)
set +e
XDG_DATA_HOME=/tmp/newer-data airlock sessions list >/tmp/newer.out 2>/tmp/newer.err
rc=$?
set -e
cat /tmp/newer.err
[ "$rc" -ne 0 ] || fail "a schema-999 database was opened"
grep -q 'written by a newer Airlock' /tmp/newer.err || fail "no clear message for a newer database"
[ "$(sha256sum </tmp/newer-data/airlock/airlock.db)" = "$sum" ] || fail "the newer database was changed"

if [ "${AIRLOCK_PACKAGING_VM:-1}" = 1 ]; then
  step "airlock vm exec -- uname -a (libvirtd started by hand: no init system in a root)"
  # What libvirt-daemon-system's service would do, for a root-run QEMU in a container.
  cat >/etc/libvirt/qemu.conf <<CONF
user = "root"
group = "root"
security_driver = "none"
dynamic_ownership = 0
remember_owner = 0
cgroup_controllers = [ ]
namespaces = [ ]
CONF
  mkdir -p /run/libvirt /var/log/libvirt
  virtlogd -d
  libvirtd -d
  for _ in $(seq 100); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.1; done
  virsh -c qemu:///system version >/dev/null || fail "libvirtd did not answer on qemu:///system"
  set +e
  timeout 300 airlock vm exec --verbose -- uname -a >/tmp/vm.out 2>/tmp/vm.err
  rc=$?
  set -e
  cat /tmp/vm.out
  if [ "$rc" -ne 0 ] || ! grep -q '^Linux ' /tmp/vm.out; then
    tail -n 30 /tmp/vm.err
    fail "vm exec exited with $rc"
  fi
fi
step "all checks passed"
