#!/usr/bin/env bash
# Runs a command with a real freedesktop notification daemon (dunst) on a PRIVATE
# D-Bus session bus, drawing on a private Xvfb display, so a test can send real
# notifications and invoke their actions without touching the user's desktop.
#   with-notification-daemon.sh COMMAND [ARGS...]
# The command sees:
#   DBUS_SESSION_BUS_ADDRESS   the private bus, dunst owns org.freedesktop.Notifications
#   AIRLOCK_EMPTY_BUS_ADDRESS  a second private bus where no notification service runs
#   AIRLOCK_NOTIFY_LOG         a file dunst appends one line per notification shown:
#                              id<TAB>appname<TAB>summary<TAB>body
#   AIRLOCK_NOTIFY_MENU_LOG    what dunst's context menu offered (one action a line)
#   AIRLOCK_NOTIFY_PICK        file naming the menu entry to pick (a substring)
# Without dunst, Xvfb or dbus-daemon the command still runs, with
# AIRLOCK_NOTIFY_MISSING saying what is missing (the test skips with that reason).
# Everything started here is stopped when the command ends.
set -euo pipefail

missing=""
for tool in dunst dunstctl Xvfb dbus-daemon dbus-send; do
  command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  AIRLOCK_NOTIFY_MISSING="not installed:$missing (packaging/install-deps.sh installs them)" exec "$@"
fi

dir=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

# A display of our own: Xvfb picks a free number itself and says which (-displayfd),
# so tests that run in parallel never share one.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$dir/display" >"$dir/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$dir/display" ] && break; sleep 0.05; done
display=$(head -n1 "$dir/display")
[ -n "$display" ] || { echo "with-notification-daemon: Xvfb did not start:" >&2; cat "$dir/xvfb.log" >&2; exit 1; }

# Two private session buses: one with dunst, one left empty.
start_bus() { # NAME: starts a bus, prints its address
  dbus-daemon --session --nofork --print-address=3 --print-pid=4 3>"$dir/$1.addr" 4>"$dir/$1.pid" \
    >"$dir/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do [ -s "$dir/$1.addr" ] && break; sleep 0.05; done
}
start_bus bus
start_bus empty
bus=$(head -n1 "$dir/bus.addr")
empty=$(head -n1 "$dir/empty.addr")
[ -n "$bus" ] && [ -n "$empty" ] || { echo "with-notification-daemon: dbus-daemon gave no address" >&2; exit 1; }

# dunst's hooks: a script run for each notification (records what dunst got), and a
# "dmenu" for its context menu that records the entries and picks the one asked for.
cat >"$dir/record.sh" <<'SH'
#!/bin/sh
printf '%s\t%s\t%s\t%s\n' "$DUNST_ID" "$DUNST_APP_NAME" "$DUNST_SUMMARY" "$DUNST_BODY" >>"$AIRLOCK_NOTIFY_LOG"
SH
cat >"$dir/menu.sh" <<'SH'
#!/bin/sh
entries=$(cat)
printf '%s\n' "$entries" >>"$AIRLOCK_NOTIFY_MENU_LOG"
pick=$(cat "$AIRLOCK_NOTIFY_PICK" 2>/dev/null || true)
[ -n "$pick" ] && printf '%s\n' "$entries" | grep -F -- "$pick" | head -n1
exit 0
SH
chmod +x "$dir/record.sh" "$dir/menu.sh"
cat >"$dir/dunstrc" <<RC
[global]
    dmenu = $dir/menu.sh
    mouse_left_click = do_action
    show_indicators = no
[record_every_notification]
    appname = "*"
    script = $dir/record.sh
RC

export AIRLOCK_NOTIFY_LOG="$dir/notifications.log" AIRLOCK_NOTIFY_MENU_LOG="$dir/menu.log"
export AIRLOCK_NOTIFY_PICK="$dir/pick"
: >"$AIRLOCK_NOTIFY_LOG"
: >"$AIRLOCK_NOTIFY_MENU_LOG"
DISPLAY=":$display" DBUS_SESSION_BUS_ADDRESS="$bus" HOME="$dir" XDG_CONFIG_HOME="$dir" \
  dunst -config "$dir/dunstrc" >"$dir/dunst.log" 2>&1 &
pids+=($!)
owned() {
  DBUS_SESSION_BUS_ADDRESS="$bus" dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications 2>/dev/null | grep -q 'boolean true'
}
for _ in $(seq 1 100); do owned && break; sleep 0.05; done
owned || { echo "with-notification-daemon: dunst did not take the bus name:" >&2; cat "$dir/dunst.log" >&2; exit 1; }

# Not exec: the trap must stop the daemons afterwards.
set +e
DISPLAY=":$display" DBUS_SESSION_BUS_ADDRESS="$bus" AIRLOCK_EMPTY_BUS_ADDRESS="$empty" "$@"
rc=$?
[ "$rc" -eq 0 ] || { echo "--- dunst log" >&2; cat "$dir/dunst.log" >&2; }
exit "$rc"
