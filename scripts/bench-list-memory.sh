#!/usr/bin/env bash
# What `limabar list --json`'s memory figures cost (issue 14), measured with hyperfine
# through limactl-sim, three running VMs:
#   table  `limabar list` (the listing alone: no guest is asked)
#   json   `limabar list --json` (the listing, then each running guest's /proc/meminfo
#          over `limactl shell`, all at once, and each VM process's resident set)
# json − table is the figures' share; through real Lima each ask is an ssh round trip
# over Lima's control socket.
# Run: bash scripts/bench-list-memory.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
(cd "$ROOT" && cargo build --quiet --release -p limactl-sim -p limabar-cli)
BIN="$CARGO_TARGET_DIR/release"
TMP="$(mktemp -d)"
export LIMA_HOME="$TMP/lima" LIMACTL="$BIN/limactl-sim"
trap 'for n in alpha beta gamma; do "$LIMACTL" stop -f "$n" >/dev/null 2>&1 || true; done; rm -rf "$TMP"' EXIT
start_three_ready_sim_vms "$TMP"
"$BIN/limabar" list --json | grep -c '"guestUsedBytes": [0-9]' | sed 's/^/  running VMs with guest figures: /'
q() { printf '%q ' "$@"; }
hyperfine -N --warmup 3 --runs 30 -n table "$(q "$BIN/limabar" list)" -n json "$(q "$BIN/limabar" list --json)"
