#!/usr/bin/env bash
# AdamW step: the fused pass (org.twllm.core.engine.cpu.CpuAdamW) against ND4J in-place ops, same data.
#   scripts/bench/adamw.sh [ELEMENTS] [STEPS]     defaults: 16M elements (the tiny model is 4.6M), 20 steps
# Build folder: target, or $TWLLM_TARGET (e.g. TWLLM_TARGET=target-train).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target="${TWLLM_TARGET:-target}"
deps="$(mktemp)"
trap 'rm -f "$deps"' EXIT
# Benchmarks are compiled with the tests (src/bench/java); one reactor run builds them and writes the classpath.
(cd "$root" && mvn -B -q -o -Dstyle.color=never -Dtwllm.target="$target" -pl trainer-core -am test-compile \
  dependency:build-classpath -Dmdep.outputFile="$deps")
cp="$root/trainer-core/$target/classes:$root/trainer-core/$target/test-classes:$(cat "$deps")"
java -Xmx2g --add-modules jdk.incubator.vector -cp "$cp" org.twllm.core.engine.cpu.AdamWBenchmark "$@"
