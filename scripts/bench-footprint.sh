#!/usr/bin/env bash
# What Limabar weighs while resident, and how fast the popover comes back (issue 11).
# The app (release build by default; PROFILE=debug for the debug build) with three ready
# limactl-sim instances under Xvfb with a window manager:
#   1. launched, popover never opened;
#   2. opened, closed, past the grace (the webview released);
#   3. opening with the webview gone (N times) and within the grace (N times): the app's
#      own time from "open" to the popover shown with its state painted (its log line);
#   4. idle CPU with the popover closed, $SECONDS_IDLE s;
#   5. after $CYCLES open/close cycles, past the grace: memory back to (2)?
# PSS and RSS per process (RSS counts GTK and WebKit in every process that maps them).
# Run: xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash scripts/bench-footprint.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
PROFILE="${PROFILE:-release}"
N="${N:-20}"
CYCLES="${CYCLES:-100}"
SECONDS_IDLE="${SECONDS_IDLE:-60}"
GRACE_MS="${GRACE_MS:-1000}"
if [ "$PROFILE" = release ]; then
  build_ui
  (cd "$ROOT" && cargo build --release --quiet -p limabar-app --features custom-protocol -p limactl-sim)
  BIN="$CARGO_TARGET_DIR/release"
else
  (cd "$ROOT" && cargo build --quiet -p limabar-app -p limactl-sim)
  BIN="$CARGO_TARGET_DIR/debug"
fi
echo "measuring the $PROFILE build in $BIN (grace ${GRACE_MS} ms)"
TMP="$(mktemp -d)"
export LIMA_HOME="$TMP/lima" LIMACTL="$BIN/limactl-sim" XDG_DATA_HOME="$TMP/data" XDG_CONFIG_HOME="$TMP/config"
export LIMABAR_WEBVIEW_GRACE_MS="$GRACE_MS" LIMABAR_LOG=info NO_AT_BRIDGE=1
# KEEP_NETWORK=1: measure with WebKit's network process kept (as before it was ended).
[ "${KEEP_NETWORK:-0}" = 1 ] && export LIMABAR_KEEP_NETWORK_PROCESS=1
start_three_ready_sim_vms "$TMP"
openbox >/dev/null 2>&1 &
WM=$!
"$BIN/limabar-app" 2>"$TMP/app.log" &
APP=$!
trap 'kill $APP $WM 2>/dev/null; for n in alpha beta gamma; do "$LIMACTL" stop -f "$n" >/dev/null 2>&1 || true; done; rm -rf "$TMP"' EXIT
sleep 15 # start-up, first listing, watchers attached

tree() { local p=$1; echo "$p"; for c in $(pgrep -P "$p"); do tree "$c"; done; }
memory() { # $1: what is being measured
  local pss_total=0 rss_total=0
  echo "$1 (MiB)        PSS    RSS"
  for p in $(tree $APP); do
    [ -r /proc/$p/smaps_rollup ] || continue
    local pss rss
    pss=$(awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup)
    rss=$(awk '/^Rss:/{print $2}' /proc/$p/smaps_rollup)
    printf '  %-22s %6.1f %6.1f\n' "$(cat /proc/$p/comm)" "$(echo "$pss/1024" | bc -l)" "$(echo "$rss/1024" | bc -l)"
    pss_total=$((pss_total + pss)); rss_total=$((rss_total + rss))
  done
  printf '  %-22s %6.1f %6.1f\n' "whole tree" "$(echo "$pss_total/1024" | bc -l)" "$(echo "$rss_total/1024" | bc -l)"
  LAST_PSS=$pss_total
}
shown_lines() { grep -c 'popover shown' "$TMP/app.log" || true; }
# Opens the popover as a second launch does (the single-instance socket) and waits
# for the app to say it is shown; prints the app's own milliseconds.
open_popover() {
  local before; before=$(shown_lines)
  "$BIN/limabar-app" >/dev/null 2>&1 || true
  for _ in $(seq 200); do
    [ "$(shown_lines)" -gt "$before" ] && break
    sleep 0.02
  done
  grep 'popover shown' "$TMP/app.log" | tail -n 1 | sed -E 's/\x1b\[[0-9;]*m//g; s/.*ms=([0-9.]+).*/\1/'
}
# Escape closes it (retried: a key sent before the page has focus is lost).
close_popover() {
  local w
  for _ in $(seq 20); do
    w=$(xdotool search --onlyvisible --name '^Limabar$' 2>/dev/null | head -n 1 || true)
    [ -z "$w" ] && return
    xdotool windowactivate --sync "$w" key Escape 2>/dev/null || true
    sleep 0.1
  done
  echo "the popover did not close" >&2
  exit 1
}
# The webview goes at the grace; the idle network process 2 s later (webkit_network.rs).
past_grace() { sleep "$(echo "$GRACE_MS/1000 + 3.5" | bc -l)"; }
stats() { sort -n | awk '{a[NR]=$1} END {printf "p50 %.1f ms, p95 %.1f ms, max %.1f ms (n=%d)\n", a[int((NR+1)/2)], a[int(NR*0.95+0.999)], a[NR], NR}'; }

memory "1. never opened"
open_popover >/dev/null; close_popover; past_grace
memory "2. closed past the grace"
CLOSED=$LAST_PSS
for _ in $(seq "$N"); do open_popover >> "$TMP/cold"; close_popover; past_grace; done
echo "3a. open with the webview gone: $(stats < "$TMP/cold")"
for _ in $(seq "$N"); do open_popover >/dev/null; close_popover; sleep 0.2; open_popover >> "$TMP/warm"; close_popover; done
echo "3b. open within the grace:      $(stats < "$TMP/warm")"
past_grace

HZ=$(getconf CLK_TCK)
ticks() { local t=0; for p in $(tree $APP); do [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
per_process() { for p in $(tree $APP); do [ -r /proc/$p/stat ] && awk '{print $1, $2, $14+$15}' /proc/$p/stat; done; }
T0=$(ticks); per_process > "$TMP/before"; sleep "$SECONDS_IDLE"; T1=$(ticks); per_process > "$TMP/after"
awk -v d=$((T1 - T0)) -v hz="$HZ" -v s="$SECONDS_IDLE" 'BEGIN { printf "4. idle %ss, popover closed: CPU %.2f s (%.3f%% of one core)\n", s, d/hz, 100*d/hz/s }'
join <(sort "$TMP/before") <(sort "$TMP/after") | awk -v hz="$HZ" '{printf "  %-22s %.2f s\n", $2, ($5-$3)/hz}'

for _ in $(seq "$CYCLES"); do open_popover >/dev/null; close_popover; done
past_grace
memory "5. after $CYCLES open/close cycles, past the grace"
echo "   change against (2): $(echo "($LAST_PSS - $CLOSED)/1024" | bc -l | xargs printf '%+.1f') MiB PSS"
