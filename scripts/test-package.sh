#!/usr/bin/env bash
# The .deb as a user gets it: built by `npm run package`, installed into this machine
# with apt (which resolves its dependencies), the installed app started under Xvfb with
# no limactl and no simulator beside it (the onboarding shows: screenshot), the
# installed `limabar --version` run; then the installed app updates itself from a signed
# newer build served on 127.0.0.1 (tests/e2e/tests/update.rs: a tampered download is
# refused first), then the package removed and nothing of it left.
# Needs root (dpkg); npm test runs it as CI does.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ "$(uname -s)" = Linux ] || { echo "the package test is for Linux (.deb)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "the package test installs with dpkg: run it as root" >&2; exit 1; }

say "An update key made for this run (never committed), and a port for its server"
UPD=$(mktemp -d)
trap 'rm -rf "$UPD"' EXIT
npx tauri signer generate --ci -p "" -w "$UPD/key" >/dev/null
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LIMABAR_UPDATER_PUBKEY=$(cat "$UPD/key.pub")
export LIMABAR_UPDATER_PUBKEY LIMABAR_UPDATER_ENDPOINT="http://127.0.0.1:$PORT/latest.json"
FROM=$(node -p 'require("./src-tauri/tauri.conf.json").version')
TO=$(node -p 'const [a, b, c] = process.argv[1].split("."); `${a}.${b}.${Number(c) + 1}`' "$FROM")

BUILT=$(bash scripts/package.sh)
DEB=$(grep "_${FROM}_.*\.deb$" <<<"$BUILT" | tail -n 1)
RPM=$(grep -- "-${FROM}-.*\.rpm$" <<<"$BUILT" | tail -n 1)
[ -f "$DEB" ] && [ -f "$RPM" ] || { echo "no .deb and .rpm were built: $BUILT" >&2; exit 1; }
say "The update: $TO, signed with the run's key"
NEW=$(LIMABAR_VERSION="$TO" TAURI_SIGNING_PRIVATE_KEY="$(cat "$UPD/key")" TAURI_SIGNING_PRIVATE_KEY_PASSWORD="" \
  bash scripts/package.sh | grep "_${TO}_.*\.deb$" | tail -n 1)
[ -f "$NEW" ] && [ -f "$NEW.sig" ] || { echo "no signed $TO .deb was built" >&2; exit 1; }
TARGET="linux-$(uname -m)-deb"
mkdir -p "$UPD/www/tampered"
cp "$NEW" "$UPD/www/"
cp "$NEW.sig" "$UPD/www/tampered/$(basename "$NEW").sig"
# The same bytes but one, in the middle of the package: the signature no longer holds.
python3 - "$NEW" "$UPD/www/tampered/$(basename "$NEW")" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 2] ^= 0xFF
open(sys.argv[2], "wb").write(data)
PY
node scripts/updater.mjs manifest "$TO" "http://127.0.0.1:$PORT" "Limabar $TO" "$TARGET=$NEW" > "$UPD/latest.json"
node scripts/updater.mjs manifest "$TO" "http://127.0.0.1:$PORT/tampered" "Limabar $TO" "$TARGET=$UPD/www/tampered/$(basename "$NEW")" > "$UPD/latest-tampered.json"
say "Package metadata ($DEB)"
dpkg-deb -I "$DEB" | sed -n '/Package:/,$p'
fields=$(dpkg-deb -f "$DEB" Package Version Depends Recommends)
for want in "Package: limabar" "Version: $FROM" "libwebkit2gtk-4.1-0" "Recommends: lima"; do
  grep -q "$want" <<<"$fields" || { echo "missing in the metadata: $want" >&2; exit 1; }
done
say "Package metadata ($RPM)"
rpm -qip "$RPM" 2>/dev/null | sed -n '/^Name/,/^Description/p'
rpmfields="$(rpm -qp --queryformat '%{NAME} %{VERSION}\n' "$RPM" 2>/dev/null) $(rpm -qp --requires "$RPM" 2>/dev/null | tr '\n' ' ') recommends: $(rpm -qp --recommends "$RPM" 2>/dev/null)"
for want in "limabar $FROM" "libayatana-appindicator-gtk3" "recommends: lima"; do
  grep -q "$want" <<<"$rpmfields" || { echo "missing in the rpm's metadata: $want ($rpmfields)" >&2; exit 1; }
done
PKG=$(dpkg-deb -f "$DEB" Package)
say "Installing $PKG"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" >/dev/null
trap 'dpkg --purge "$PKG" >/dev/null 2>&1 || true; rm -rf "$UPD"' EXIT
for f in /usr/bin/limabar /usr/bin/limabar-app; do [ -x "$f" ] || { echo "not installed: $f" >&2; exit 1; }; done
[ ! -e /usr/bin/limactl-sim ] || { echo "limactl-sim must not be packaged" >&2; exit 1; }
/usr/bin/limabar --version

say "Starting the installed app (no Lima)"
TMP=$(mktemp -d)
cat > "$TMP/run.sh" <<'RUN'
set -u
export HOME="$1/home" XDG_CONFIG_HOME="$1/home/.config" XDG_DATA_HOME="$1/home/.local/share" PATH=/usr/bin:/bin LIMABAR_LOG=info NO_AT_BRIDGE=1
unset LIMACTL LIMA_HOME
mkdir -p "$HOME"
openbox >/dev/null 2>&1 &
/usr/bin/limabar-app 2>"$1/app.log" &
APP=$!
sleep 3
/usr/bin/limabar-app >/dev/null 2>&1 || true   # a second launch opens the popover
for _ in $(seq 50); do xdotool search --onlyvisible --name '^Limabar$' >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1
import -window root "$2"
visible=$(xdotool search --onlyvisible --name '^Limabar$' 2>/dev/null | wc -l)
kill $APP
wait $APP 2>/dev/null
echo "visible=$visible"
RUN
out=$(xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash "$TMP/run.sh" "$TMP" "$ROOT/tests/artifacts/installed-onboarding.png" 2>/dev/null)
grep -q "visible=1" <<<"$out" || { echo "the installed app showed no popover: $out" >&2; cat "$TMP/app.log" >&2; exit 1; }
grep -q "no usable limactl" "$TMP/app.log" || { echo "the installed app did not look for Lima:" >&2; cat "$TMP/app.log" >&2; exit 1; }
if grep -q "simulated-lima\|limactl-sim" "$TMP/app.log"; then echo "the installed app ran a simulator" >&2; exit 1; fi

say "Updating the installed app from $FROM to $TO (tampered first)"
REAPER=()
if command -v tini >/dev/null; then REAPER=(tini -s -g --); fi
cargo build --quiet -p limabar-e2e --features installed-package --tests
RUST_TEST_NOCAPTURE=1 LIMABAR_UPDATE_DIR="$UPD" LIMABAR_UPDATE_PORT="$PORT" LIMABAR_UPDATE_FROM="$FROM" LIMABAR_UPDATE_TO="$TO" \
  ${REAPER[@]+"${REAPER[@]}"} xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  bash scripts/e2e-session.sh --features installed-package --test update
[ "$(dpkg-query -W -f '${Version}' "$PKG")" = "$TO" ] || { echo "$PKG was not updated to $TO" >&2; exit 1; }

say "Removing $PKG"
FILES=$(dpkg -L "$PKG" | while read -r f; do if [ -f "$f" ]; then echo "$f"; fi; done)
dpkg --purge "$PKG" >/dev/null
rm -rf "$UPD"
trap - EXIT
left=$(for f in $FILES; do if [ -e "$f" ]; then echo "$f"; fi; done)
[ -z "$left" ] || { echo "left after removal: $left" >&2; exit 1; }
if dpkg -s "$PKG" >/dev/null 2>&1; then echo "$PKG is still known to dpkg" >&2; exit 1; fi
echo "installed, ran, removed: nothing left ($(wc -w <<<"$FILES") files)"
