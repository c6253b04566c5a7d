#!/usr/bin/env bash
# Issue 11's memory steps, measured in one run (a benchmark, not a test): one mid-size shape at seq 2048 trained
# after each step of the issue, with the peak resident memory (VmHWM) of every rank and the mean step time
# relative to the baseline. Peak RSS is valid on a loaded machine; step times only on an idle one.
#   baseline   main at e847e3f (the parent of "Merge lean"): attention materialises [B, H, T, T] probabilities
#              for backward, one full local gradient buffer; built in a temporary git worktree under /tmp
#   lean       this tree: tiled attention with an online softmax (per row only the output and log-sum-exp)
#   +ckpt      + activation checkpointing (each block keeps its input and recomputes its forward in backward)
#   +bf16      + training.precision: bf16 (skipped, with a line saying so, while this build refuses it)
#   +zero2x2   + partitioned gradients (zero_stage 2: bucket buffers and a gradient partition) on 2 ranks
# The single-rank steps use zero_stage 1 (a full local gradient buffer, what the baseline has) so that the last
# step shows what partitioning saves. Every step trains micro-batch 1 (on 2 ranks each rank its own sample) for
# STEPS steps; the first step sizes the workspaces and is left out of the mean.
#   scripts/bench/memory-steps.sh            (shape: hidden 1024, 8 layers, intermediate 2816, 16 heads: 119.2M)
#   HIDDEN=256 LAYERS=2 INTERMEDIATE=688 HEADS=4 STEPS=2 scripts/bench/memory-steps.sh   (a quick smoke run)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
baseline_commit=e847e3f
hidden=${HIDDEN:-1024} layers=${LAYERS:-8} intermediate=${INTERMEDIATE:-2816} heads=${HEADS:-16} steps=${STEPS:-3}
seq=2048
work="$(mktemp -d "${TMPDIR:-/tmp}/twllm-memory-steps.XXXXXX")"
old="$work/baseline-tree"
cleanup() {
  if [ -d "$old" ]; then git -C "$root" worktree remove --force "$old" >/dev/null 2>&1 || true; fi
  git -C "$root" worktree prune >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

common=(
  model.hidden_size=$hidden model.intermediate_size=$intermediate model.num_hidden_layers=$layers
  model.num_attention_heads=$heads model.num_key_value_heads=$heads model.max_position_embeddings=$seq
  data.seq_len=$seq training.per_device_train_batch_size=1 training.gradient_accumulation_steps=1
  training.max_steps=$steps training.warmup_steps=0 checkpoint.save_steps=0 device.peak_flops=1e10
)

# shellcheck source=peak-rss.sh
. "$root/scripts/bench/peak-rss.sh"

mean_step_s() { # mean_step_s METRICS: mean wall time of the steps after the first, from elapsed_s (or step time)
  python3 - "$1" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if "elapsed_s" in rows[0]:
    t = [r["elapsed_s"] for r in rows]
    d = [b - a for a, b in zip(t, t[1:])] or [t[0]]
else:
    d = [r["tokens_per_s"] and 1 / r["tokens_per_s"] for r in rows[1:]] or [0]
print(f"{sum(d) / len(d):.3f}")
EOF
}

# run NAME TREE RANKS SETTING...: trains one step of the table with the twllm of TREE (its configs/tiny/cpt.yaml,
# from its root, where the config's relative paths point); prints "peak_MiB_per_rank mean_step_s", or returns 3
# when the run was refused as a config error (exit 2)
run() {
  local name=$1 tree=$2 ranks=$3; shift 3
  local out="$work/$name" sets=()
  for s in "${common[@]}" "$@"; do sets+=(--set "$s"); done
  local args=(train --stage cpt --config "$tree/configs/tiny/cpt.yaml" "${sets[@]}" --set "run.output_dir=$out")
  [ "$ranks" -gt 1 ] && args+=(--nproc "$ranks")
  (cd "$tree" && exec scripts/twllm "${args[@]}") >"$work/$name.log" 2>&1 &
  local launcher=$! r
  watch_peaks "$launcher" "$ranks"
  local code=0
  wait "$launcher" || code=$?
  if [ "$code" -eq 2 ]; then
    return 3
  elif [ "$code" -ne 0 ]; then
    echo "$name: twllm train failed; its log:" >&2; tail -20 "$work/$name.log" >&2; exit 1
  fi
  local mib=()
  for r in "${!hwm[@]}"; do mib+=("$(( hwm[$r] / 1024 ))"); done
  echo "$(IFS=,; echo "${mib[*]}") $(mean_step_s "$out/metrics.jsonl")"
}

git -C "$root" worktree add --detach "$old" "$baseline_commit" >/dev/null 2>&1
echo "building the baseline ($baseline_commit) in $old ..." >&2
"$old/scripts/twllm" --version >/dev/null
"$root/scripts/twllm" --version >/dev/null   # builds this tree when its sources changed

printf '# hidden %s, %s layers, intermediate %s, %s heads, seq %s, micro-batch 1, %s steps (first left out)\n' \
  "$hidden" "$layers" "$intermediate" "$heads" "$seq" "$steps"
printf '%-10s %-24s %12s %10s\n' step "peak_RSS_MiB (per rank)" step_s relative
base_s=""
report() { # report NAME RESULT
  local peak=${2% *} s=${2#* }
  [ -z "$base_s" ] && base_s=$s
  printf '%-10s %-24s %12s %9.2fx\n' "$1" "$peak" "$s" "$(awk -v a="$s" -v b="$base_s" 'BEGIN { print a / b }')"
}
r=$(run baseline "$old" 1 training.gradient_checkpointing=false); report baseline "$r"
r=$(run lean "$root" 1 training.gradient_checkpointing=false distributed.zero_stage=1); report lean "$r"
r=$(run ckpt "$root" 1 training.gradient_checkpointing=true distributed.zero_stage=1); report +ckpt "$r"
precision=fp32
code=0
r=$(run bf16 "$root" 1 training.gradient_checkpointing=true distributed.zero_stage=1 training.precision=bf16) || code=$?
if [ "$code" -eq 0 ]; then
  report +bf16 "$r"
  precision=bf16
elif [ "$code" -eq 3 ]; then
  echo "+bf16      skipped: this build refuses training.precision: bf16 ($(head -1 "$work/bf16.log" | sed "s/^error: //; s/;.*//"))"
else
  exit "$code"
fi
r=$(run zero2 "$root" 2 training.gradient_checkpointing=true distributed.zero_stage=2 training.precision=$precision)
report +zero2x2 "$r"
