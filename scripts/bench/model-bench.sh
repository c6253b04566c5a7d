#!/usr/bin/env bash
# Forward/backward timing of the Llama model on one shape, with RSS after every step and the peak RSS.
#   scripts/bench/model-bench.sh [key=value ...]   (hidden intermediate layers heads kvHeads vocab seq batch steps checkpointing)
# Defaults: hidden=1024 intermediate=2816 layers=4 heads=16 kvHeads=16 vocab=32000 seq=512 batch=4 steps=5 checkpointing=0.
# JAVA_OPTS replaces the default -Xmx2g (a small heap, e.g. -Xmx256m, makes RSS flat from the first steps).
# The PyTorch peer on the same shape: /usr/bin/python3 scripts/bench/torch_llama_bench.py (same keys).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TARGET="${TWLLM_TARGET:-target}"
cd "$ROOT"
# Benchmarks are compiled with the tests (src/bench/java); one reactor run builds them and writes the classpath.
mvn -B -q -o -Dtwllm.target="$TARGET" -pl trainer-core -am test-compile \
  dependency:build-classpath -Dmdep.outputFile="$ROOT/trainer-core/$TARGET/bench-classpath.txt" >/dev/null
exec java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-modules jdk.incubator.vector ${JAVA_OPTS:--Xmx2g} \
  -cp "trainer-core/$TARGET/classes:trainer-core/$TARGET/test-classes:$(cat "trainer-core/$TARGET/bench-classpath.txt")" \
  org.twllm.core.engine.cpu.ModelBenchmark "$@"
