#!/usr/bin/env bash
# Greedy generation tokens/s with the KV cache against recomputing the whole sequence per token
# (LlamaModel.logits), on a random model; checks both choose the same tokens.
#   scripts/bench/generation.sh [key=value ...]   (hidden intermediate layers heads kvHeads vocab prompt tokens recomputeTokens)
# Defaults: the tiny config's shape (hidden=192 intermediate=512 layers=4 heads=6 kvHeads=2 vocab=8000), prompt=64, tokens=64.
# Mid-size:  scripts/bench/generation.sh hidden=1024 intermediate=2816 layers=8 heads=16 kvHeads=16 vocab=32000
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TARGET="${TWLLM_TARGET:-target}"
cd "$ROOT"
# Benchmarks are compiled with the tests (src/bench/java); one reactor run builds them and writes the classpath.
mvn -B -q -o -Dtwllm.target="$TARGET" -pl trainer-core -am test-compile \
  dependency:build-classpath -Dmdep.outputFile="$ROOT/trainer-core/$TARGET/generation-classpath.txt" >/dev/null
exec java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx3g \
  -cp "trainer-core/$TARGET/classes:trainer-core/$TARGET/test-classes:$(cat "trainer-core/$TARGET/generation-classpath.txt")" \
  org.twllm.core.generate.GenerationBenchmark "$@"
