#!/usr/bin/env bash
# twllm serve as a client sees it: time to first token and tokens/s of one streamed chat completion, then
# of N concurrent ones (one continuous batch), over HTTP on loopback, for random models of two sizes.
#   scripts/bench/serve.sh                 the tiny model (4.6M parameters) and a ~100M-parameter one
#   scripts/bench/serve.sh tiny|100m       one of them
#   scripts/bench/serve.sh key=value ...   any shape: hidden intermediate layers heads kvHeads tokens streams rounds dir
# Models are written once under trainer-distributed/target/serve-bench/ and reused. Take figures on an idle machine.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TARGET="${TWLLM_TARGET:-target}"
cd "$ROOT"
# The benchmark is compiled with the tests (src/bench/java); package -DskipTests builds it and writes the classpath.
mvn -B -q -o -Dtwllm.target="$TARGET" -pl trainer-distributed -am package -DskipTests >/dev/null
run() {
  java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-modules jdk.incubator.vector ${JAVA_OPTS:--Xmx3g} -Dtwllm.home="$ROOT" \
    -cp "data-pipeline/$TARGET/classes:trainer-core/$TARGET/classes:trainer-distributed/$TARGET/classes:trainer-distributed/$TARGET/test-classes:$(cat "trainer-distributed/$TARGET/classpath.txt")" \
    org.twllm.serve.ServeBenchmark "$@"
}
tiny=(hidden=192 intermediate=512 layers=4 heads=6 kvHeads=2)
mid=(hidden=768 intermediate=2048 layers=12 heads=12 kvHeads=12)
case "${1:-both}" in
  tiny) shift; run "${tiny[@]}" "$@" ;;
  100m) shift; run "${mid[@]}" "$@" ;;
  both) run "${tiny[@]}"; run "${mid[@]}" ;;
  *) run "$@" ;;
esac
