#!/usr/bin/env bash
# The GPU device check (docs/gpu.md): on one H100/H200, from the device bundle, in at most 8 minutes (each part
# stopped by its own timeout: 180 s device check, 2 x 50 s tiny runs, 75 s ~100M run, 60 + 40 s PyTorch peers).
#   check.sh [BUNDLE_DIR] [--steps N] [--no-benchmark]
# Prints the GPU's identity, every kernel against the fp64 host computation, model parity against the CPU
# engine's stored reference, a ~1B-parameter training-step benchmark at seq 4096 side by side with PyTorch
# (scripts/gpu/torch_peer.py) on the same shape; then `twllm train` on the CUDA engine: 3 steps of the tiny cPT
# config in fp32 and bf16 against the CPU engine's losses of the same run (made by bundle.sh), and 10 bf16 steps
# of a ~100M shape with tokens/s and peak GPU memory beside the PyTorch peer on that shape. Exit 1 when a check fails.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bundle="$here"
if [ $# -gt 0 ] && [ -d "$1" ]; then
  bundle="$(cd "$1" && pwd)"
  shift
elif [ ! -x "$bundle/bin/twllm" ]; then
  bundle="$here/../../trainer-distributed/target/twllm-gpu"
fi
[ -x "$bundle/bin/twllm" ] || { echo "check: no device bundle at $bundle; build it with scripts/gpu/bundle.sh" >&2; exit 2; }

echo "== twllm device check, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/  nvidia-smi: /'
else
  echo "  nvidia-smi is not on the PATH"
fi
command -v nvcc >/dev/null && nvcc --version | tail -n1 | sed 's/^/  toolkit: /'

log="$(mktemp)"
timeout 180 "$bundle/bin/twllm" --device-check "$bundle/reference/gpu-parity" "$@" | tee "$log"
status=${PIPESTATUS[0]}
[ "$status" = 124 ] && echo "check: the twllm device check ran past 3 minutes and was stopped"

twllm_bench="$(sed -n 's/^TWLLM_BENCH //p' "$log")"
rm -f "$log"
echo
echo "== PyTorch peer on the same shape (scripts/gpu/torch_peer.py)"
py="$(command -v python3 || true)"
if [ -z "$py" ]; then
  echo "  python3 is not on the PATH: no PyTorch figures"
elif [[ " $* " == *" --no-benchmark "* ]]; then
  echo "  skipped (--no-benchmark)"
else
  torch_bench="$(timeout 60 "$py" "$bundle/torch_peer.py" --steps 5 | tail -n1)" || torch_bench=""
  if [ -z "$torch_bench" ]; then
    echo "  the PyTorch peer did not finish (no torch with CUDA, or it ran past 60 s)"
  else
    "$py" - "$twllm_bench" "$torch_bench" <<'PY'
import json, sys
t = json.loads(sys.argv[1] or "{}")
p = json.loads(sys.argv[2])
print(f"  {'':10} {'tokens/s':>10} {'MFU':>7} {'step ms':>8} {'peak GiB':>9}")
for name, f in (("twllm", t), ("PyTorch", p)):
    if not f:
        print(f"  {name:10} (no figures)")
        continue
    print(f"  {name:10} {f['tokens_per_s']:10.0f} {100 * f['mfu']:6.1f}% {1000 * f['step_s']:8.1f} {f['peak_bytes'] / 2**30:9.2f}")
if p.get("torch"):
    print(f"  PyTorch {p['torch']}, {p.get('device', '')}")
PY
  fi
fi

# ---- twllm train on the CUDA engine -------------------------------------------------------------------------
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed "s|@BUNDLE@|$bundle|g" "$bundle/reference/tiny/cpt.yaml" >"$work/tiny.yaml"

# Runs twllm train (timeout $1 s, output dir $2, more args) while nvidia-smi samples the GPU's memory; the peak
# in MiB lands in $2.peak_mib.
train() {
  local limit="$1" dir="$2"
  shift 2
  local sampler=""
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$dir.memory" 2>/dev/null &
    sampler=$!
  fi
  timeout "$limit" "$bundle/bin/twllm" train --stage cpt --config "$work/tiny.yaml" --set run.output_dir="$dir" \
    --set data.cache_dir="$work/cache" --set device.backend=cuda --set device.peak_flops=989e12 "$@" >"$dir.log" 2>&1
  local code=$?
  if [ -n "$sampler" ]; then
    kill "$sampler" 2>/dev/null
    wait "$sampler" 2>/dev/null
    sort -n "$dir.memory" | tail -n1 >"$dir.peak_mib"
  fi
  [ "$code" = 0 ] || { echo "  twllm train failed (exit $code):"; tail -n 5 "$dir.log" | sed 's/^/    /'; }
  return "$code"
}

echo
echo "== twllm train on the CUDA engine: the tiny cPT config, 3 steps, against the CPU engine's losses of the same run"
for precision in fp32 bf16; do
  if train 50 "$work/tiny-$precision" --set training.precision=$precision; then
    limit=1e-3
    [ "$precision" = bf16 ] && limit=2e-2
    if [ -n "$py" ]; then
      "$py" - "$bundle/reference/tiny/cpu-fp32-metrics.jsonl" "$work/tiny-$precision/metrics.jsonl" "$precision" "$limit" <<'PY' || status=1
import json, sys
want = [json.loads(l)["loss"] for l in open(sys.argv[1])]
got = [json.loads(l)["loss"] for l in open(sys.argv[2])]
limit = float(sys.argv[4])
worst = max(abs(g - w) / abs(w) for g, w in zip(got, want)) if len(got) == len(want) else float("inf")
print(f"  {'ok' if worst <= limit else 'FAIL':4}  {sys.argv[3]} losses {', '.join(f'{g:.4f}' for g in got)}")
print(f"        CPU fp32 losses {', '.join(f'{w:.4f}' for w in want)}; max relative error {worst:.2e} (limit {limit:.0e})")
sys.exit(0 if worst <= limit else 1)
PY
    else
      echo "  python3 is not on the PATH: the losses are in $work/tiny-$precision/metrics.jsonl, not compared"
    fi
  else
    status=1
  fi
done

echo
echo "== twllm train on the CUDA engine: a ~100M shape (hidden 768, 14 layers, 12/4 heads), bf16, 8 x 1024, 10 steps"
shape=(--set model.hidden_size=768 --set model.intermediate_size=2048 --set model.num_hidden_layers=14
  --set model.num_attention_heads=12 --set model.num_key_value_heads=4 --set model.max_position_embeddings=1024
  --set data.seq_len=1024 --set training.per_device_train_batch_size=8 --set training.precision=bf16
  --set training.max_steps=10 --set training.warmup_steps=2 --set checkpoint.save_steps=1000)
twllm_100m="{}"
if train 75 "$work/shape-100m" "${shape[@]}"; then
  if [ -n "$py" ]; then
    twllm_100m="$("$py" - "$work/shape-100m/metrics.jsonl" "$(cat "$work/shape-100m.peak_mib" 2>/dev/null)" <<'PY'
import json, statistics, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
peak = float(sys.argv[2]) * 2**20 if sys.argv[2] else 0
timed = [l["tokens_per_s"] for l in lines[2:]] or [lines[-1]["tokens_per_s"]]
print(json.dumps({"tokens_per_s": statistics.median(timed), "mfu": statistics.median(l["mfu"] for l in lines[2:] or lines),
                  "first_loss": lines[0]["loss"], "last_loss": lines[-1]["loss"], "peak_mib": peak / 2**20}))
PY
)"
  fi
else
  status=1
fi
torch_100m="{}"
if [ -n "$py" ] && [[ " $* " != *" --no-benchmark "* ]]; then
  sampler=""
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$work/torch-100m.memory" 2>/dev/null &
    sampler=$!
  fi
  torch_100m="$(timeout 40 "$py" "$bundle/torch_peer.py" --steps 5 --vocab 8000 --hidden 768 --intermediate 2048 --layers 14 \
    --heads 12 --kv-heads 4 --seq 1024 --batch 8 | tail -n1)" || torch_100m="{}"
  if [ -n "$sampler" ]; then
    kill "$sampler" 2>/dev/null
    wait "$sampler" 2>/dev/null
  fi
  peak="$(sort -n "$work/torch-100m.memory" 2>/dev/null | tail -n1)"
  torch_100m="$("$py" -c 'import json,sys; d=json.loads(sys.argv[1] or "{}"); d["peak_mib"]=float(sys.argv[2] or 0); print(json.dumps(d))' \
    "$torch_100m" "$peak")"
fi
if [ -n "$py" ]; then
  "$py" - "$twllm_100m" "$torch_100m" <<'PY'
import json, math, sys
print(f"  {'':10} {'tokens/s':>10} {'MFU':>7} {'first loss':>10} {'GPU memory peak (nvidia-smi)':>29}")
for name, f in (("twllm", json.loads(sys.argv[1])), ("PyTorch", json.loads(sys.argv[2]))):
    if "tokens_per_s" not in f:
        print(f"  {name:10} (no figures)")
        continue
    print(f"  {name:10} {f['tokens_per_s']:10.0f} {100 * f['mfu']:6.1f}% {f.get('first_loss') or float('nan'):10.3f}"
          f" {f.get('peak_mib', 0) / 1024:24.2f} GiB")
print(f"  (both start from random weights, std 0.02: a first loss near ln(8000) = {math.log(8000):.3f} is expected;"
      " the data differ, poems for twllm and random ids for PyTorch, so later losses are not comparable)")
PY
fi
echo
echo "peak memory is to be compared with 'twllm plan --gpu h200-141gb' (docs/performance.md)"
exit "$status"
