#!/usr/bin/env bash
# Starts a libvirt daemon for the microVM sandbox on a machine without systemd (CI,
# containers), as docs/microvm-notes.md describes. Idempotent: does nothing when a
# daemon already answers on qemu:///system. As root only; an ordinary user needs
# none of this (qemu:///session starts a per-user daemon on demand).
#
#   1. the users/groups the QEMU driver insists on (what libvirt-daemon-system makes);
#   2. /etc/libvirt/qemu.conf for a root-run container, written only when absent
#      (or when it is ours, marked below);
#   3. virtlogd -d, then libvirtd in the foreground under a subreaper (tini -s) so
#      QEMU zombies are reaped at once (destroy ~0.3 s instead of ~2 s).
# The PID of the daemon we started is kept in $AIRLOCK_LIBVIRT_STATE (default
# /run/airlock-libvirt) so libvirtd-stop.sh stops only what we started.
set -euo pipefail

state=${AIRLOCK_LIBVIRT_STATE:-/run/airlock-libvirt}
uri=qemu:///system
log() { printf 'libvirtd-start: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "not root: nothing to start (use qemu:///session)"
  exit 0
fi
for tool in libvirtd virtlogd virsh; do
  command -v "$tool" >/dev/null || { log "$tool missing: bash packaging/install-deps.sh"; exit 1; }
done

answers() { timeout 10 virsh -c "$uri" version >/dev/null 2>&1; }
if answers; then
  log "libvirtd already answers on $uri"
  exit 0
fi

getent group kvm >/dev/null || groupadd --system kvm
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
id libvirt-qemu >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /var/lib/libvirt \
  --shell /usr/sbin/nologin --gid libvirt-qemu --groups kvm libvirt-qemu

marker="# written by Airlock packaging/microvm/libvirtd-start.sh"
conf=/etc/libvirt/qemu.conf
if [ ! -s "$conf" ] || head -n1 "$conf" | grep -qxF "$marker"; then
  mkdir -p /etc/libvirt
  cat > "$conf" <<CONF
$marker
user = "root"
group = "root"
security_driver = "none"
dynamic_ownership = 0
remember_owner = 0
cgroup_controllers = [ ]
namespaces = [ ]
CONF
else
  log "keeping the existing $conf"
fi

mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt "$state"
logsock=/var/run/libvirt/virtlogd-sock
if ! { pgrep -x virtlogd >/dev/null && [ -S "$logsock" ]; }; then
  virtlogd -d
  for _ in $(seq 1 50); do
    [ -S "$logsock" ] && break
    sleep 0.1
  done
  pgrep -x -n virtlogd > "$state/virtlogd.pid" || true
fi

reaper=()
if command -v tini >/dev/null; then reaper=(tini -s --); fi
# setsid: the daemon outlives this script and the test that ran it.
setsid "${reaper[@]}" libvirtd >"$state/libvirtd.log" 2>&1 </dev/null &
echo $! > "$state/libvirtd.pid"

for _ in $(seq 1 100); do
  if answers; then
    log "libvirtd started (pid $(cat "$state/libvirtd.pid"))"
    exit 0
  fi
  sleep 0.1
done
log "libvirtd did not answer on $uri; its log:"
tail -n 20 "$state/libvirtd.log" >&2 || true
exit 1
