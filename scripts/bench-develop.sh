#!/usr/bin/env bash
# Time to a usable dev shell: `limactl shell --workdir DIR NAME nix develop …` through
# limactl-sim and Debian's nix (offline test flake), measured with hyperfine. Three cases:
#   (all on the test flake's `heavy` shell, which evaluates about as slowly as nixpkgs)
#   cold      flake.nix changed before every run (new derivation: evaluate + build env)
#   warm      `nix develop .#heavy` again (evaluates; the env is already in the store)
#   prebuilt  what Limabar opens after pre-building: `nix develop PROFILE` (no evaluation)
# `--command true` stands in for "the prompt is up". Run: bash scripts/bench-develop.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
TMP="$(mktemp -d)"
trap '"$BIN/limactl-sim" stop -f nixos >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
export LIMA_HOME="$TMP/lima"
# The tests' offline nix (tests/src/lib.rs, offline_nix_config): its registry's one
# entry, nixpkgs, is the stand-in that gives `nix develop` its bashInteractive.
printf '{"version":2,"flakes":[{"from":{"type":"indirect","id":"nixpkgs"},"to":{"type":"path","path":%s}}]}\n' \
  "$(node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "$ROOT/tests/fixtures/offline-nixpkgs")" > "$TMP/registry.json"
export NIX_CONFIG="experimental-features = nix-command flakes
substituters =
flake-registry = $TMP/registry.json
sandbox = false
build-users-group ="

PROJECT="$TMP/projects/bench app"
mkdir -p "$PROJECT"
cp "$ROOT/tests/fixtures/offline-flake/flake.nix" "$PROJECT/"
printf 'vmType: vz\nmounts:\n- location: "%s"\n  writable: true\n' "$TMP/projects" > "$TMP/vm.yaml"
L="$BIN/limactl-sim"
"$L" create --tty=false --name nixos "$TMP/vm.yaml" 2>/dev/null
echo '{"bootSecs": 0.2}' > "$LIMA_HOME/nixos/sim.json"
"$L" start --tty=false nixos 2>/dev/null
SHELL_CMD=("$L" shell --tty=false --workdir "$PROJECT" nixos)
PROFILE='$HOME/.cache/limabar/devshells/bench'
"${SHELL_CMD[@]}" sh -c "mkdir -p \$HOME/.cache/limabar/devshells && nix develop --profile $PROFILE .#heavy --command true" 2>/dev/null
q() { printf '%q ' "$@"; }
# A new marker value makes a new derivation: nix must build the environment again.
cat > "$TMP/change-flake.sh" <<PREP
#!/bin/sh
sed -i "s/LIMABAR_MARKER = \"limabar-marker-[^\"]*/LIMABAR_MARKER = \"limabar-marker-\\\${name}-\$(date +%N)/" "$PROJECT/flake.nix"
PREP
chmod +x "$TMP/change-flake.sh"
hyperfine -N --warmup 1 --runs 20 --export-markdown "$TMP/develop.md" \
  --prepare "$(q "$TMP/change-flake.sh")" \
  -n cold "$(q "${SHELL_CMD[@]}") nix develop .#heavy --command true"
hyperfine -N --warmup 2 --runs 20 --export-markdown "$TMP/warm.md" \
  -n warm "$(q "${SHELL_CMD[@]}") nix develop .#heavy --command true" \
  -n prebuilt "$(q "${SHELL_CMD[@]}") sh -c 'exec nix develop \"$PROFILE\" --command true'"
cat "$TMP/develop.md" "$TMP/warm.md"
