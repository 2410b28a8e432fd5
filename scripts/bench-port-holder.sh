#!/usr/bin/env bash
# What naming a port's holder costs (issue 14): `limabar ports NAME --json` for a VM whose
# only forward failed because a program here holds its port (the /proc scan runs), and
# for one whose forward works (no scan), through limactl-sim, measured with hyperfine.
# Run: bash scripts/bench-port-holder.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
(cd "$ROOT" && cargo build --quiet --release -p limactl-sim -p limabar-cli)
B=$CARGO_TARGET_DIR/release
T=$(mktemp -d)
export LIMA_HOME=$T/lima LIMACTL=$B/limactl-sim
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -c "import socket,time;s=socket.socket();s.bind(('127.0.0.1',$PORT));s.listen();time.sleep(120)" &
PY=$!
trap 'kill $PY 2>/dev/null; for n in a b; do "$LIMACTL" stop -f $n >/dev/null 2>&1 || true; done; rm -rf "$T"' EXIT
printf 'vmType: vz\nmounts: []\n' > $T/vm.yaml
for n in a b; do $LIMACTL create --tty=false --name $n $T/vm.yaml 2>/dev/null; done
echo '{"bootSecs": 0.2, "ports": [{"guestPort": '"$PORT"', "loopback": true}]}' > $LIMA_HOME/a/sim.json
echo '{"bootSecs": 0.2, "ports": [{"guestPort": '"$((PORT + 1))"', "loopback": true}]}' > $LIMA_HOME/b/sim.json
for n in a b; do $LIMACTL start --tty=false $n 2>/dev/null; done
sleep 1
$B/limabar ports
echo "processes on this machine: $(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)"
hyperfine -N --warmup 3 --runs 40 -n "held by a program" "$B/limabar ports a --json" -n "forwarded" "$B/limabar ports b --json" 2>&1 | grep -E "Time|Benchmark"
