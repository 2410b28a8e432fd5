#!/usr/bin/env bash
# Runs inside `xvfb-run … dbus-run-session`: a window manager (focus and blur need one),
# a StatusNotifierWatcher standing in for a panel, then the end-to-end tests. dunst, the
# notification server, is D-Bus activated by the first notification.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export NO_AT_BRIDGE=1
export LIMABAR_SNI_LOG="$(mktemp -d)/sni.jsonl"
: > "$LIMABAR_SNI_LOG"

openbox >/dev/null 2>&1 &
WM=$!
/usr/bin/python3 "$ROOT/tests/e2e/tray.py" watcher "$LIMABAR_SNI_LOG" &
WATCHER=$!
trap 'kill $WM $WATCHER 2>/dev/null || true; pkill -x dunst 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:org.kde.StatusNotifierWatcher 2>/dev/null | grep -q true && break
  sleep 0.1
done

cd "$ROOT"
cargo test -p limabar-e2e "$@" -- --test-threads=1
