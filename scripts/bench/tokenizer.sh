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
[ -x /usr/bin/time ] || { echo "tokenizer.sh: /usr/bin/time not found; apt-get install time" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 - "$corpus" "$tmp/input.txt" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in f:
        for text_line in json.loads(line)["text"].split("\n"):
            out.write(text_line + "\n")
PY

if ! build_log=$(cd "$root" && mvn -B -q -o -Dstyle.color=never -Dtwllm.target="$target" -pl data-pipeline test-compile 2>&1); then
  echo "$build_log" >&2
  exit 1
fi

# Best of $runs for spm_encode, in wall time and in CPU time (user + sys; fairer on a shared machine).
best_spm=""
best_spm_cpu=""
for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e %U %S" -o "$tmp/time" spm_encode --model="$model" --output_format=id < "$tmp/input.txt" > "$tmp/spm.ids"
  read -r wall user sys < "$tmp/time"
  best_spm=$(python3 -c "b='$best_spm'; print(f'{$wall:.3f}' if not b or $wall < float(b) else b)")
  best_spm_cpu=$(python3 -c "b='$best_spm_cpu'; t=$user+$sys; print(f'{t:.3f}' if not b or t < float(b) else b)")
done
bytes=$(stat -c %s "$tmp/input.txt")
spm_mbs=$(python3 -c "print(f'{$bytes/1e6/$best_spm:.2f}')")
spm_cpu_mbs=$(python3 -c "print(f'{$bytes/1e6/$best_spm_cpu:.2f}')")
echo "spm_encode: best of $runs runs: wall $best_spm s = $spm_mbs MB/s, cpu $best_spm_cpu s = $spm_cpu_mbs MB/s (process start and file I/O included)"

twllm_line=$(java -cp "$root/data-pipeline/$target/classes:$root/data-pipeline/$target/test-classes" org.twllm.data.tokenizer.EncodeBenchmark \
  "$model" "$tmp/input.txt" "$tmp/twllm.ids" "${WARMUP_SECONDS:-5}" "${PASSES:-5}")
echo "$twllm_line"
twllm_mbs=$(echo "$twllm_line" | sed -E 's/.* wall [0-9.]+ s = ([0-9.]+) MB\/s.*/\1/')
twllm_cpu_mbs=$(echo "$twllm_line" | sed -E 's/.* cpu [0-9.]+ s = ([0-9.]+) MB\/s$/\1/')

if cmp -s "$tmp/spm.ids" "$tmp/twllm.ids"; then
  echo "ids: identical ($(wc -l < "$tmp/spm.ids") lines)"
else
  echo "ids: DIFFERENT from spm_encode" >&2
  diff <(head -c 2000000 "$tmp/spm.ids") <(head -c 2000000 "$tmp/twllm.ids") | head -5 >&2
  exit 1
fi
python3 -c "print(f'ratio twllm/spm_encode: wall {$twllm_mbs/$spm_mbs:.2f}x, cpu {$twllm_cpu_mbs/$spm_cpu_mbs:.2f}x')"
