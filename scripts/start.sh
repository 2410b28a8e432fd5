#!/usr/bin/env bash
# `npm start`: set up what is missing, build, and run the menu-bar app.
# Without a limactl on this machine the app runs against limactl-sim and says
# "Simulated Lima" in its popover.
source "$(dirname "$0")/lib.sh"

ensure_system_packages "${BUILD_PACKAGES[@]}" libayatana-appindicator3-1
ensure_node_modules
build_ui
build_rust

if [ "$(uname -s)" = Linux ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  say "No display. On a headless machine run: xvfb-run -a dbus-run-session -- npm start"
  exit 1
fi
if ! command -v limactl >/dev/null 2>&1 && [ -z "${LIMACTL:-}" ]; then
  say "limactl not found: running against limactl-sim (Simulated Lima)"
fi
# Linux trays report no clicks, so show the popover at launch there; the tray menu
# has "Open Limabar" too.
[ "$(uname -s)" = Linux ] && export LIMABAR_SHOW_AT_START=1
say "Starting Limabar"
exec "$BIN/limabar-app"
