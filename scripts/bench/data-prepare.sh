#!/usr/bin/env bash
# data prepare throughput (1 and N tokenizing threads, against encoding alone) and streaming shard reads of
# a shard set larger than the heap (tokens/s against an in-heap copy; heap before and after).
#   scripts/bench/data-prepare.sh [MODEL] [CORPUS_JSONL] [THREADS] [READ_TOKENS]
# Defaults: the fixture BPE model, the Tang-poem corpus, 2 threads, 300M tokens (600 MB on disk in $TMPDIR)
# read with a 256 MB heap. Build folder: target, or $TWLLM_TARGET (e.g. TWLLM_TARGET=target-shard).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="${1:-$root/src-test-fixtures/tokenizer/zh-tw-bpe-8k.model}"
corpus="${2:-$root/src-test-fixtures/corpus/tang-poems.zh-Hant.jsonl}"
threads="${3:-2}"
read_tokens="${4:-300000000}"
target="${TWLLM_TARGET:-target}"

deps="$(mktemp)"
trap 'rm -f "$deps"' EXIT
# Benchmarks are compiled with the tests (src/bench/java).
(cd "$root" && mvn -B -q -o -Dstyle.color=never -Dtwllm.target="$target" -pl data-pipeline test-compile \
  dependency:build-classpath -Dmdep.outputFile="$deps")
cp="$root/data-pipeline/$target/classes:$root/data-pipeline/$target/test-classes:$(cat "$deps")"

java -cp "$cp" org.twllm.data.corpus.PrepareBenchmark "$model" "$corpus" "$threads" 3
java -Xmx256m -cp "$cp" org.twllm.data.shard.ShardReadBenchmark "$read_tokens"
