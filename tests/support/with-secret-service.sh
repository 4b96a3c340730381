#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a real, unlocked Secret Service
# (gnome-keyring-daemon), in a throw-away HOME, set up the way a headless user would:
# the daemon is given the login password on standard input, so it creates and
# unlocks the "login" keyring itself and never needs its GUI prompter (gcr-prompter),
# which cannot open a display here. Everything started here ends with the session.
#   with-secret-service.sh COMMAND [ARGS...]
set -euo pipefail
fail() { echo "with-secret-service: $*" >&2; exit 1; }
if [ -z "${AIRLOCK_IN_SECRET_SESSION:-}" ]; then
  command -v dbus-run-session >/dev/null || fail "dbus-run-session missing (package dbus)"
  command -v dbus-send >/dev/null || fail "dbus-send missing (package dbus-bin)"
  command -v gnome-keyring-daemon >/dev/null || fail "gnome-keyring-daemon missing (package gnome-keyring)"
  home=$(mktemp -d)
  trap 'rm -rf "$home"' EXIT
  # The keyring folder must exist for the daemon to write login.keyring; "default"
  # names the collection that the default alias points at (what libsecret writes to).
  mkdir -p "$home/.local/share/keyrings" "$home/run"
  chmod 700 "$home/run"
  printf login >"$home/.local/share/keyrings/default"
  # A runtime dir: the daemon's control socket goes to $XDG_RUNTIME_DIR/keyring, a
  # path any later gnome-keyring-daemon (one the bus starts on demand) finds and hands
  # over to. Without it, each daemon makes its own random ~/.cache/keyring-XXXXXX.
  # Not exec: the trap must remove the temporary HOME afterwards.
  HOME="$home" XDG_DATA_HOME="$home/.local/share" XDG_RUNTIME_DIR="$home/run" XDG_CONFIG_HOME="$home/.config" \
    XDG_CACHE_HOME="$home/.cache" AIRLOCK_IN_SECRET_SESSION=1 \
    dbus-run-session -- bash "$0" "$@"
  exit $?
fi
unset DISPLAY WAYLAND_DISPLAY # a prompt must never be tried, whatever the caller has

secrets_call() { # METHOD-ARGS... : a Secret Service call with a short timeout
  dbus-send --session --print-reply --reply-timeout=2000 --dest=org.freedesktop.secrets "$@" 2>&1
}
login_ready() {
  # Asked of the bus itself first: a call to a name nobody owns yet would make the bus
  # start a second, password-less daemon.
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' &&
    secrets_call /org/freedesktop/secrets org.freedesktop.Secret.Service.ReadAlias string:default |
    grep -q 'collection/login' &&
    secrets_call /org/freedesktop/secrets/collection/login org.freedesktop.DBus.Properties.Get \
      string:org.freedesktop.Secret.Collection string:Locked | grep -q 'boolean false'
}

# Start the daemon before anything asks for org.freedesktop.secrets: a daemon that the
# bus starts on demand has no password, and would prompt to create the login keyring.
# --unlock: read the password from stdin, create or unlock "login" with it.
out=$(printf 'airlock-test-password' | gnome-keyring-daemon --daemonize --unlock --components=secrets 2>&1) ||
  fail "gnome-keyring-daemon did not start: $out"
eval "$(printf '%s\n' "$out" | grep '^GNOME_KEYRING_')"
export GNOME_KEYRING_CONTROL
# The daemon answers before its login collection exists: wait until it does and is
# unlocked (asking over D-Bus, which never starts a prompt), so no test races it.
for _ in $(seq 1 100); do
  login_ready && break
  sleep 0.1
done
login_ready || fail "the Secret Service has no unlocked 'login' collection after 10 s: $(
  secrets_call /org/freedesktop/secrets org.freedesktop.DBus.Properties.Get \
    string:org.freedesktop.Secret.Service string:Collections | tr '\n' ' ')"
"$@"
