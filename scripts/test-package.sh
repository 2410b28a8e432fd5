#!/usr/bin/env bash
# The .deb as a user gets it: built by `npm run package`, installed into this machine
# with apt (which resolves its dependencies), the installed app started under Xvfb with
# no limactl and no simulator beside it (the onboarding shows: screenshot), the
# installed `limabar --version` run, then the package removed and nothing of it left.
# Needs root (dpkg); npm test runs it as CI does.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ "$(uname -s)" = Linux ] || { echo "the package test is for Linux (.deb)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "the package test installs with dpkg: run it as root" >&2; exit 1; }
DEB=$(bash scripts/package.sh | grep '\.deb$' | tail -n 1)
[ -f "$DEB" ] || { echo "no .deb was built" >&2; exit 1; }
say "Package metadata ($DEB)"
dpkg-deb -I "$DEB" | sed -n '/Package:/,$p'
fields=$(dpkg-deb -f "$DEB" Package Version Depends Recommends)
for want in "Package: limabar" "Version: 0.1.0" "libwebkit2gtk-4.1-0" "Recommends: lima"; do
  grep -q "$want" <<<"$fields" || { echo "missing in the metadata: $want" >&2; exit 1; }
done
PKG=$(dpkg-deb -f "$DEB" Package)
say "Installing $PKG"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" >/dev/null
trap 'dpkg --purge "$PKG" >/dev/null 2>&1 || true' EXIT
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

say "Removing $PKG"
FILES=$(dpkg -L "$PKG" | while read -r f; do if [ -f "$f" ]; then echo "$f"; fi; done)
dpkg --purge "$PKG" >/dev/null
trap - EXIT
left=$(for f in $FILES; do if [ -e "$f" ]; then echo "$f"; fi; done)
[ -z "$left" ] || { echo "left after removal: $left" >&2; exit 1; }
if dpkg -s "$PKG" >/dev/null 2>&1; then echo "$PKG is still known to dpkg" >&2; exit 1; fi
echo "installed, ran, removed: nothing left ($(wc -w <<<"$FILES") files)"
