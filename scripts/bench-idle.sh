#!/usr/bin/env bash
# Idle cost: the app with three ready limactl-sim instances, popover closed, for
# $SECONDS_IDLE (default 60) seconds. Reports CPU time (user+system) and RSS of the app's
# whole process tree — WebKit's web and network processes and the `limactl watch`
# children included. Run: xvfb-run -a dbus-run-session -- bash scripts/bench-idle.sh
# PROFILE=release measures a release build (what users run; built here with the UI
# embedded through the custom-protocol feature) instead of the debug build.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SECONDS_IDLE="${SECONDS_IDLE:-60}"
if [ "${PROFILE:-debug}" = release ]; then
  build_ui
  (cd "$ROOT" && cargo build --release --quiet -p limabar-app --features custom-protocol -p limactl-sim)
  BIN="$CARGO_TARGET_DIR/release"
fi
echo "measuring the ${PROFILE:-debug} build in $BIN"
TMP="$(mktemp -d)"
export LIMA_HOME="$TMP/lima" LIMACTL="$BIN/limactl-sim" XDG_DATA_HOME="$TMP/data"
start_three_ready_sim_vms "$TMP"
"$BIN/limabar-app" 2>/dev/null &
APP=$!
trap 'kill $APP 2>/dev/null; for n in alpha beta gamma; do "$LIMACTL" stop -f "$n" >/dev/null 2>&1 || true; done; rm -rf "$TMP"' EXIT
sleep 15 # start-up, first listing, watchers attached

tree() { local p=$1; echo "$p"; for c in $(pgrep -P "$p"); do tree "$c"; done; }
ticks() { local t=0; for p in $(tree $APP); do [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
rss_kib() { local r=0; for p in $(tree $APP); do [ -r /proc/$p/status ] && r=$((r + $(awk '/^VmRSS/{print $2}' /proc/$p/status))); done; echo $r; }

per_process() { for p in $(tree $APP); do [ -r /proc/$p/stat ] && awk '{print $1, $2, $14+$15}' /proc/$p/stat; done; }

HZ=$(getconf CLK_TCK)
T0=$(ticks)
per_process > "$TMP/before"
sleep "$SECONDS_IDLE"
T1=$(ticks)
per_process > "$TMP/after"
echo "CPU ticks (1/$HZ s) per process over the window:"
join <(sort "$TMP/before") <(sort "$TMP/after") | awk '{printf "  %-22s %d\n", $2, $5-$3}'
echo "processes: $(tree $APP | while read -r p; do cat /proc/$p/comm; done | sort | uniq -c | tr -s ' \n' ' ')"
awk -v d=$((T1 - T0)) -v hz="$HZ" -v s="$SECONDS_IDLE" 'BEGIN { printf "idle %ss: CPU time %.2f s (%.3f%% of one core)\n", s, d/hz, 100*d/hz/s }'
echo "RSS per process (MiB):"
for p in $(tree $APP); do [ -r /proc/$p/status ] && awk '/^Name/{n=$2} /^VmRSS/{printf "  %-22s %d\n", n, $2/1024}' /proc/$p/status; done
echo "RSS of the tree: $(( $(rss_kib) / 1024 )) MiB"
# PSS divides each shared page among the processes that map it: the tree's PSS is what
# the system really spends on Limabar (RSS counts GTK and WebKit in every process).
echo "PSS per process (MiB):"
pss_total=0
for p in $(tree $APP); do
  [ -r /proc/$p/smaps_rollup ] || continue
  pss=$(awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup)
  printf '  %-22s %d\n' "$(cat /proc/$p/comm)" $((pss / 1024))
  pss_total=$((pss_total + pss))
done
echo "PSS of the tree: $((pss_total / 1024)) MiB"
