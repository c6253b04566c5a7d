#!/usr/bin/env bash
# Encoding throughput of twllm's SentencePiece tokenizer against SentencePiece's own spm_encode, on the same
# text file, single thread each; checks that both produce identical ids.
#   scripts/bench/tokenizer.sh [MODEL] [CORPUS_JSONL]
# Defaults: the fixture BPE model and the Tang-poem corpus (about 3.6 MB of text, one poem line per input line).
# Needs spm_encode (apt-get install sentencepiece), python3, Maven and Java 17.
# Build folder: target, or $TWLLM_TARGET (e.g. TWLLM_TARGET=target-tok).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="${1:-$root/src-test-fixtures/tokenizer/zh-tw-bpe-8k.model}"
corpus="${2:-$root/src-test-fixtures/corpus/tang-poems.zh-Hant.jsonl}"
target="${TWLLM_TARGET:-target}"
runs="${SPM_RUNS:-5}"

command -v spm_encode >/dev/null || { echo "tokenizer.sh: spm_encode not found; apt-get install sentencepiece" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 - "$corpus" "$tmp/input.txt" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in f:
        for text_line in json.loads(line)["text"].split("\n"):
            out.write(text_line + "\n")
PY

(cd "$root" && mvn -B -q -o -Dstyle.color=never -Dtwllm.target="$target" -pl data-pipeline -am compile)

best_spm=""
for _ in $(seq "$runs"); do
  start=$(date +%s.%N)
  spm_encode --model="$model" --output_format=id < "$tmp/input.txt" > "$tmp/spm.ids"
  end=$(date +%s.%N)
  best_spm=$(python3 -c "import sys; t=$end-$start; b='$best_spm'; print(t if not b or t < float(b) else b)")
done
bytes=$(stat -c %s "$tmp/input.txt")
spm_mbs=$(python3 -c "print(f'{$bytes/1e6/$best_spm:.2f}')")
echo "spm_encode: best of $runs runs $(printf %.3f "$best_spm") s = $spm_mbs MB/s (process start and file I/O included)"

twllm_line=$(java -cp "$root/data-pipeline/$target/classes" org.twllm.data.tokenizer.EncodeBenchmark \
  "$model" "$tmp/input.txt" "$tmp/twllm.ids" "${WARMUP_SECONDS:-5}" "${PASSES:-5}")
echo "$twllm_line"
twllm_mbs=$(echo "$twllm_line" | sed -E 's/.* = ([0-9.]+) MB\/s$/\1/')

if cmp -s "$tmp/spm.ids" "$tmp/twllm.ids"; then
  echo "ids: identical ($(wc -l < "$tmp/spm.ids") lines)"
else
  echo "ids: DIFFERENT from spm_encode" >&2
  diff <(head -c 2000000 "$tmp/spm.ids") <(head -c 2000000 "$tmp/twllm.ids") | head -5 >&2
  exit 1
fi
python3 -c "print(f'ratio twllm/spm_encode: {$twllm_mbs/$spm_mbs:.2f}x')"
