#!/usr/bin/env bash
# What the doctor's look inside a guest costs (issue 13), measured with hyperfine through
# limactl-sim's NixOS guest (a nixos-lima image as shipped: no nix-ld, no direnv):
#   doctor     `limabar doctor dev --json` with dev running (the files' rules + the probe)
#   files      `limabar doctor dev --json` with dev stopped (the files' rules only)
# doctor − files is the probe's share of `limabar doctor`; in the app the probe runs in
# the background once per boot, and "Open in …" uses what it saw.
# Run: bash scripts/bench-guest-doctor.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
(cd "$ROOT" && cargo build --quiet --release -p limactl-sim -p limabar-cli)
BIN="$CARGO_TARGET_DIR/release"
TMP="$(mktemp -d)"
export LIMA_HOME="$TMP/lima" LIMACTL="$BIN/limactl-sim"
trap '"$LIMACTL" stop -f dev >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
printf 'vmType: vz\nmounts: []\n' > "$TMP/vm.yaml"
"$LIMACTL" create --tty=false --name dev "$TMP/vm.yaml" 2>/dev/null
echo '{"bootSecs": 0.2, "nixos": {}}' > "$LIMA_HOME/dev/sim.json"
"$LIMACTL" start --tty=false dev 2>/dev/null
"$BIN/limabar" doctor dev | grep -o '\[guest-[a-z-]*\]' | sed 's/^/  found inside: /'
q() { printf '%q ' "$@"; }
hyperfine -N --warmup 3 --runs 30 -n doctor "$(q "$BIN/limabar" doctor dev --json)"
"$LIMACTL" stop dev >/dev/null 2>&1
hyperfine -N --warmup 3 --runs 30 -n files "$(q "$BIN/limabar" doctor dev --json)"
