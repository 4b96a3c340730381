#!/usr/bin/env bash
# Stops the libvirt daemon that libvirtd-start.sh started (and only that one),
# after destroying any airlock-* domain still running, and the virtlogd it started.
set -euo pipefail
state=${AIRLOCK_LIBVIRT_STATE:-/run/airlock-libvirt}
pidfile="$state/libvirtd.pid"
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
for dom in $(virsh -c qemu:///system list --name 2>/dev/null | grep '^airlock-' || true); do
  virsh -c qemu:///system destroy "$dom" >/dev/null 2>&1 || true
done
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$pidfile"
# virtlogd too, when start began it (it may serve another libvirtd otherwise).
if [ -f "$state/virtlogd.pid" ]; then
  kill -TERM "$(cat "$state/virtlogd.pid")" 2>/dev/null || true
  rm -f "$state/virtlogd.pid"
fi
printf 'libvirtd-stop: stopped libvirtd (pid %s)\n' "$pid" >&2
