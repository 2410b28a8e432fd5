#!/usr/bin/env bash
# `npm test`: set up what is missing, then run every test: lint, UI unit tests, Rust unit
# and integration tests (against limactl-sim), and the end-to-end tests of the real app
# under Xvfb with a real notification server and a real tray protocol.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_system_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
ensure_node_modules
ensure_tauri_driver
# The app embeds ui/dist at compile time, so the UI is built before anything compiles it.
build_ui

say "Formatting and lints"
cargo fmt --all --check
# The installed-package feature only adds the update test (scripts/test-package.sh runs it).
cargo clippy --workspace --all-targets --features limabar-e2e/installed-package --quiet -- -D warnings
npx svelte-check --tsconfig ui/tsconfig.json --fail-on-warnings --output machine | tail -n 1
# macOS is the primary platform and its code (libproc for VZ memory, lsof for a port's
# holder) is cfg'd out here: the core and the CLI are type-checked for it. The app
# itself cannot be (its AppKit crates compile Objective-C, which needs Apple's SDK).
if [ "$(uname -s)" = Linux ]; then
  say "The core and the CLI compile for macOS (clippy, aarch64-apple-darwin)"
  ensure_rust_target aarch64-apple-darwin
  cargo clippy -p limabar-core -p limabar-cli --target aarch64-apple-darwin --quiet -- -D warnings
fi

say "UI unit tests (Vitest)"
npx vitest run --config ui/vite.config.ts

build_rust

say "TypeScript bindings are up to date"
cargo test --workspace --exclude limabar-e2e --quiet export_bindings >/dev/null
if ! git diff --exit-code --stat -- ui/src/bindings || [ -n "$(git status --porcelain -- ui/src/bindings)" ]; then
  say "ui/src/bindings changed: run npm test locally and commit the regenerated bindings"
  exit 1
fi

# Tests kill host agents with SIGKILL, as the OOM killer would. On a Mac launchd reaps the
# orphan; where PID 1 reaps nothing (containers) it would linger as a zombie, which Lima's
# signal-0 liveness check (and the sim's) counts as alive. tini -s reaps it, as init does.
REAPER=(tini -s -g --)
command -v tini >/dev/null 2>&1 || REAPER=()

say "Rust unit and integration tests"
${REAPER[@]+"${REAPER[@]}"} cargo test --workspace --exclude limabar-e2e

say "End-to-end tests (Xvfb, D-Bus, dunst, tauri-driver)"
cargo build --quiet -p limabar-e2e --tests
${REAPER[@]+"${REAPER[@]}"} xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash scripts/e2e-session.sh

# The .deb as a user gets it (release build, installed with apt, started, removed):
# about a minute with a warm build cache (BENCHMARKS.md). It installs into this machine,
# so it needs root, as CI runs.
if [ "$(uname -s)" = Linux ]; then
  say "The Linux package: built, installed, started, removed"
  if [ "$(id -u)" = 0 ]; then
    bash scripts/test-package.sh
  elif sudo -n true 2>/dev/null; then
    sudo -E env "PATH=$PATH" bash scripts/test-package.sh
  else
    say "The package test installs with dpkg: run npm test as root (as CI does) or with passwordless sudo"
    exit 1
  fi
fi
