#!/usr/bin/env bash
# `npm run package`: the release bundles for this platform, with the `limabar` CLI in
# each — Linux: a .deb and an .rpm (no AppImage: it is fragile with Tauri 2 on Wayland
# and its tools download at build time); macOS: the .app and a .dmg. Prints their paths.
# limactl-sim is not packaged (a packaged app without Lima shows the onboarding).
#
# A release that takes signed updates: LIMABAR_UPDATER_PUBKEY and LIMABAR_UPDATER_ENDPOINT
# bake the key and the latest.json address in; TAURI_SIGNING_PRIVATE_KEY (and _PASSWORD)
# sign each bundle (.sig beside it); LIMABAR_VERSION stamps another version than
# tauri.conf.json's. Without them the bundles take no updates (docs/releasing.md).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
if [ "$(uname -s)" = Linux ]; then
  ensure_system_packages "${BUILD_PACKAGES[@]}"
  BUNDLES=deb,rpm
else
  BUNDLES=app,dmg
fi
ensure_node_modules
build_ui
say "Building the limabar CLI (release)"
cargo build --release --quiet -p limabar-cli
# tauri.conf.json's bundle.linux.*.files take the CLI from here (the target directory
# lies outside the checkout).
mkdir -p dist/cli
cp "$CARGO_TARGET_DIR/release/limabar" dist/cli/limabar
OVERLAY=()
if [ -n "${LIMABAR_UPDATER_PUBKEY:-}" ]; then
  mkdir -p dist
  node scripts/updater.mjs config > dist/updater-config.json
  OVERLAY=(--config dist/updater-config.json)
  say "Updates from ${LIMABAR_UPDATER_ENDPOINT}${TAURI_SIGNING_PRIVATE_KEY:+ (signing the bundles)}"
fi
say "Bundling ($BUNDLES)"
# The UI is built above: the bundle embeds ui/dist through the custom-protocol feature.
npx tauri build --bundles "$BUNDLES" ${OVERLAY[@]+"${OVERLAY[@]}"} --ci -- --quiet
say "Bundles"
find "$CARGO_TARGET_DIR/release/bundle" -type f \( -name '*.deb' -o -name '*.rpm' -o -name '*.dmg' \) -newer dist/cli/limabar -print
find "$CARGO_TARGET_DIR/release/bundle" -maxdepth 2 -type d -name '*.app' -print 2>/dev/null || true
