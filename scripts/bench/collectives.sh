#!/usr/bin/env bash
# Collectives benchmark (not a test): reduce-scatter + all-gather of FLOATS floats on WORLD ranks over
# loopback UDP (one embedded media driver per rank) and over IPC (one shared driver), against a raw
# Aeron point-to-point stream on the same transport. Prints algorithm and bus bandwidth and the ratio
# bus bandwidth / point-to-point bandwidth (1.0 = every ring link runs as fast as a bare stream).
#   scripts/bench/collectives.sh [FLOATS=16777216] [WORLD=4] [ITERS=5]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
floats="${1:-16777216}"; world="${2:-4}"; iters="${3:-5}"
if [ -n "${TWLLM_BENCH_CP:-}" ]; then
  cp="$TWLLM_BENCH_CP"   # a classpath built elsewhere
else
  "$root/scripts/twllm" --version >/dev/null   # builds (benchmarks included, in test-classes) when sources changed
  cp="$root/data-pipeline/target/classes:$root/trainer-core/target/classes:$root/trainer-distributed/target/classes"
  cp="$cp:$root/trainer-distributed/target/test-classes:$(cat "$root/trainer-distributed/target/classpath.txt")"
fi
java_cmd=(java -Xmx2g -XX:+UseSerialGC --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp "$cp")
log="$(mktemp -d)"

run() { # run NPROC MODE  (TWLLM_AERON_DIR in the environment selects IPC)
  local n=$1 mode=$2 port=$((20000 + RANDOM % 20000)) pids=()
  for r in $(seq 0 $((n - 1))); do
    RANK=$r LOCAL_RANK=$r WORLD_SIZE=$n MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      "${java_cmd[@]}" org.twllm.dist.collective.CollectiveBenchmark "$mode" "$floats" "$iters" >"$log/$mode-$r.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  grep -h RESULT "$log/$mode-0.log"
}

value() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

udp_ring=$(run "$world" ring); echo "$udp_ring"
udp_p2p=$(run 2 p2p); echo "$udp_p2p"

"${java_cmd[@]}" org.twllm.dist.transport.NodeDriver >"$log/driver.log" 2>&1 &
driver=$!
trap 'kill $driver 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q aeron_dir= "$log/driver.log" && break; sleep 0.1; done
export TWLLM_AERON_DIR="$(sed -n 's/^aeron_dir=//p' "$log/driver.log")"
ipc_ring=$(run "$world" ring); echo "$ipc_ring"
ipc_p2p=$(run 2 p2p); echo "$ipc_p2p"

ratio() { awk -v a="$(echo "$1" | value busbw_GBps)" -v b="$(echo "$2" | value bw_GBps)" 'BEGIN { printf "%.2f", a / b }'; }
echo "udp: ring bus bandwidth / point-to-point = $(ratio "$udp_ring" "$udp_p2p")"
echo "ipc: ring bus bandwidth / point-to-point = $(ratio "$ipc_ring" "$ipc_p2p")"
