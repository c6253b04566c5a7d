#!/usr/bin/env bash
# bf16 against fp32 on the tiny cPT run (configs/tiny/cpt.yaml): the same run in both precisions, then the
# final losses and their relative difference (issue 11 asks for 200 steps within 2%).
#   scripts/bench/bf16-tracking.sh [STEPS] [OUT_DIR]     defaults: 200 steps, a fresh temporary directory
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
steps="${1:-200}"
out="${2:-$(mktemp -d)}"
cd "$root"
for precision in fp32 bf16; do
  "$root/scripts/twllm" train --stage cpt --config configs/tiny/cpt.yaml --resume never \
    --set "run.output_dir=$out/$precision" --set "data.cache_dir=$out/cache" \
    --set "training.max_steps=$steps" --set "training.warmup_steps=$(( steps < 20 ? steps / 2 : 20 ))" \
    --set "checkpoint.save_steps=0" --set "training.precision=$precision" >/dev/null
done
python3 - "$out" "$steps" <<'PY'
import json, sys
out, steps = sys.argv[1], int(sys.argv[2])
def losses(p):
    return [json.loads(l)["loss"] for l in open(f"{out}/{p}/metrics.jsonl")]
a, b = losses("fp32"), losses("bf16")
assert len(a) == len(b) == steps, (len(a), len(b))
worst = max(abs(x - y) / x for x, y in zip(a, b))
final = abs(a[-1] - b[-1]) / a[-1]
print(f"{steps} steps: fp32 {a[0]:.4f} -> {a[-1]:.4f}, bf16 {b[0]:.4f} -> {b[-1]:.4f}; final differs by {100*final:.2f}%"
      f" (largest per-step difference {100*worst:.2f}%)")
sys.exit(0 if final <= 0.02 else 1)
PY
