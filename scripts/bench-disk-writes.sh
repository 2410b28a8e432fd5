#!/usr/bin/env bash
# CPU cost of the core's monitor while a running VM writes its disk image.
#
# QEMU (Linux hosts) and VZ write the VM's disk image inside the instance directory,
# which the monitor watches for pid files, logs and lima.yaml. This runs `limabar watch`
# (the monitor, as the app runs it) on one running limactl-sim instance, writes 4 KiB
# blocks to `<instance>/diffdisk` at RATE writes per second for SECS seconds, and reports
# the CPU time (user + system, /proc/PID/stat) of the `limabar watch` process.
#
#   bash scripts/bench-disk-writes.sh            # RATE=1000 SECS=10
#   RATE=0 bash scripts/bench-disk-writes.sh     # as fast as Python can write
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RATE=${RATE:-1000}
SECS=${SECS:-10}
BIN=$CARGO_TARGET_DIR/debug
[ -x "$BIN/limabar" ] && [ -x "$BIN/limactl-sim" ] || cargo build --quiet -p limabar-cli -p limactl-sim
R=$(mktemp -d /tmp/limabar-bench-XXXX)
trap 'kill "$WATCH" 2>/dev/null; "$R/limactl" stop -f vm >/dev/null 2>&1 || true; rm -rf "$R"' EXIT
export LIMA_HOME=$R/lima LIMACTL_SIM_VERSION=2.2.0 LIMACTL_SIM_BOOT_SECS=0.2
mkdir -p "$LIMA_HOME"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$BIN/limactl-sim" > "$R/limactl"
chmod +x "$R/limactl"
printf 'vmType: qemu\nmounts: []\n' > "$R/vm.yaml"
"$R/limactl" create --tty=false --name vm "$R/vm.yaml" >/dev/null 2>&1
"$R/limactl" start --tty=false vm >/dev/null 2>&1
LIMACTL=$R/limactl HOME=$R "$BIN/limabar" watch >/dev/null 2>&1 &
WATCH=$!
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$WATCH/stat"; }
before=$(ticks)
writes=$(/usr/bin/python3 - "$LIMA_HOME/vm/diffdisk" "$RATE" "$SECS" <<'PY'
import os, sys, time
path, rate, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
start = time.time()
n = 0
while (now := time.time()) < start + secs:
    os.pwrite(fd, b"x" * 4096, (n % 1000) * 4096)
    n += 1
    if rate and n % max(1, rate // 100) == 0:
        time.sleep(max(0.0, start + n / rate - time.time()))
print(n)
PY
)
after=$(ticks)
hz=$(getconf CLK_TCK)
awk -v t=$((after - before)) -v hz="$hz" -v w="$writes" -v s="$SECS" 'BEGIN {
  printf "%d writes in %s s (%.0f/s): limabar watch used %.2f s CPU (%.1f %% of one core)\n",
    w, s, w / s, t / hz, 100 * t / hz / s }'
