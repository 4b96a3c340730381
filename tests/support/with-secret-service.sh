#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a real, unlocked Secret Service
# (gnome-keyring-daemon), in a throw-away HOME, so keychain tests use the real
# thing without touching the user's keyrings. Everything started here ends with
# the D-Bus session.
#   with-secret-service.sh COMMAND [ARGS...]
set -euo pipefail
if [ -z "${AIRLOCK_IN_SECRET_SESSION:-}" ]; then
  command -v dbus-run-session >/dev/null || { echo "with-secret-service: dbus-run-session missing (package dbus)" >&2; exit 1; }
  command -v gnome-keyring-daemon >/dev/null || { echo "with-secret-service: gnome-keyring-daemon missing (package gnome-keyring)" >&2; exit 1; }
  home=$(mktemp -d)
  trap 'rm -rf "$home"' EXIT
  mkdir -p "$home/.local/share/keyrings"
  # Not exec: the trap must remove the temporary HOME afterwards.
  HOME="$home" XDG_DATA_HOME="$home/.local/share" AIRLOCK_IN_SECRET_SESSION=1 \
    dbus-run-session -- bash "$0" "$@"
  exit $?
fi
# Inside the session: start the daemon with an unlocked login keyring.
eval "$(printf 'airlock-test-password' | gnome-keyring-daemon --unlock --replace --components=secrets 2>/dev/null)"
export GNOME_KEYRING_CONTROL
# The daemon answers before its login collection exists: wait until an item can
# really be stored (and remove the probe), so the first test write does not race it.
if command -v secret-tool >/dev/null; then
  for _ in $(seq 1 50); do
    if printf probe | secret-tool store --label=probe airlock-probe ready 2>/dev/null; then
      secret-tool clear airlock-probe ready 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
fi
"$@"
status=$?
exit $status
