# Shared set-up for `npm start` and `npm test`: installs what is missing, says what it did.
# Sourced, not run. Everything here is idempotent and quick when nothing is missing.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Build output lives outside the clone, one directory per checkout path: a clone in the
# same place (CI) reuses it, but no checkout can pick up test binaries compiled from
# another one (cargo would see that checkout's unchanged sources and skip the rebuild).
CHECKOUT_KEY="$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/limabar/target-$CHECKOUT_KEY}"
export PATH="$HOME/.cargo/bin:$PATH"
BIN="$CARGO_TARGET_DIR/debug"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Debian/Ubuntu packages: to build the app, and to test it for real (display, D-Bus,
# notification server, window manager, drag-and-drop and tray helpers, a terminal, and
# tini, the init that reaps what a test kills: see scripts/test.sh; sudo, through which
# the updater installs a .deb when there is no pkexec or graphical prompt; openssh-server,
# the simulated guest's sshd that `ssh lima-NAME` and editors connect to; rpm, to read
# the .rpm's metadata).
BUILD_PACKAGES=(build-essential pkg-config file libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev)
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver dbus dbus-x11 dunst libnotify-bin openbox xdotool python3-gi gir1.2-gtk-3.0 xterm imagemagick hyperfine time procps git nix-bin shellcheck gawk busybox tini sudo openssh-server rpm direnv)

ensure_system_packages() {
  local wanted=("$@")
  case "$(uname -s)" in
    Darwin)
      xcode-select -p >/dev/null 2>&1 || { say "Install Xcode command line tools first: xcode-select --install"; exit 1; }
      command -v limactl >/dev/null 2>&1 || say "Lima is not installed: brew install lima (Limabar will use its simulated Lima until then)"
      return 0 ;;
  esac
  [ -f /etc/debian_version ] || { say "Not Debian/Ubuntu: install the equivalents of: ${wanted[*]}"; return 0; }
  local missing=()
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Installing system packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_node_modules() {
  if [ ! -d "$ROOT/node_modules" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    say "Installing npm packages"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# The standard library for another target (rustup downloads it once, ~30 MB).
ensure_rust_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx "$1"; then
    say "Adding the Rust target $1"
    rustup target add "$1" >/dev/null || { say "rustup could not add the target $1 (offline?)"; exit 1; }
  fi
}

ensure_tauri_driver() {
  if ! command -v tauri-driver >/dev/null 2>&1; then
    say "Installing tauri-driver 2.x"
    cargo install tauri-driver --version '^2' --locked --quiet
  fi
}

build_ui() {
  say "Building the UI"
  (cd "$ROOT" && npx vite build --config ui/vite.config.ts --logLevel warn)
}

build_rust() {
  say "Building Limabar (app, CLI, limactl-sim)"
  (cd "$ROOT" && cargo build --workspace --quiet)
}

# Benchmarks: three ready limactl-sim VMs (alpha, beta, gamma; 1 s boots) in
# $LIMA_HOME, made with $LIMACTL from a small template written to $1.
start_three_ready_sim_vms() {
  printf 'vmType: vz\nmemory: 8GiB\ndisk: 20GiB\nmounts:\n- location: "~"\n' > "$1/vm.yaml"
  for n in alpha beta gamma; do
    "$LIMACTL" create --tty=false --name "$n" "$1/vm.yaml" 2>/dev/null
    echo '{"bootSecs": 1.0}' > "$LIMA_HOME/$n/sim.json"
    "$LIMACTL" start --tty=false "$n" 2>/dev/null
  done
}
