#!/usr/bin/env bash
# twllm plan's memory model against measurement (not a test): for each case, the per-process peak that
# `twllm plan --gpu cpu` predicts next to the peak resident memory (VmHWM) of every rank of a real
# `twllm train` run of the same config, and the error. Memory figures are valid on a loaded machine (the
# step times of these runs are not). Cases are SHAPE-SEQ-MODE-RANKS:
#   a-1024-{plain,ckpt}-{1,2,4}   hidden 768, 13 layers, intermediate 2048, 12 heads (104.3M parameters), seq 1024
#   b-2048-{plain,ckpt}-{1,2,4}   hidden 1024, 8 layers, intermediate 2816, 16 heads (119.2M parameters), seq 2048
# Each trains 2 steps (the second runs on the workspaces the first one sized) of the bundled corpus with the
# 8,000-piece tokenizer, micro-batch 1, fp32. A case waits until the machine has the memory it needs.
#   scripts/bench/plan-vs-rss.sh [CASE ...]        (default: all twelve)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
twllm="$root/scripts/twllm"
work="$(mktemp -d "${TMPDIR:-/tmp}/twllm-plan-vs-rss.XXXXXX")"
trap 'rm -rf "$work"' EXIT

cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
  for shape in a-1024 b-2048; do for mode in plain ckpt; do for n in 1 2 4; do cases+=("$shape-$mode-$n"); done; done; done
fi

settings() { # settings CASE: the --set arguments of a case
  local shape=${1%%-*} rest=${1#*-}
  local seq=${rest%%-*} mode; mode=${rest#*-}; mode=${mode%-*}
  if [ "$shape" = a ]; then
    echo "model.hidden_size=768 model.intermediate_size=2048 model.num_hidden_layers=13 model.num_attention_heads=12 model.num_key_value_heads=12"
  else
    echo "model.hidden_size=1024 model.intermediate_size=2816 model.num_hidden_layers=8 model.num_attention_heads=16 model.num_key_value_heads=16"
  fi
  echo "model.max_position_embeddings=2048 data.seq_len=$seq training.per_device_train_batch_size=1 training.gradient_accumulation_steps=1"
  echo "training.max_steps=2 training.warmup_steps=0 training.gradient_checkpointing=$([ "$mode" = ckpt ] && echo true || echo false)"
  echo "checkpoint.save_steps=0 device.peak_flops=1e10 logging.level=warn"
}

peak_of() { # peak_of PID: VmHWM in kB, or empty once the process is gone
  awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || true
}

available_kb() {
  awk '/^MemAvailable/ {print $2}' /proc/meminfo
}

"$twllm" --version >/dev/null   # builds when sources changed
printf '%-16s %12s %28s %10s\n' case predicted_MiB "measured_MiB (per rank)" error
for c in "${cases[@]}"; do
  ranks=${c##*-}
  sets=()
  for s in $(settings "$c"); do sets+=(--set "$s"); done
  predicted=$("$twllm" plan --config "$root/configs/tiny/cpt.yaml" "${sets[@]}" --nodes 1 --gpus-per-node "$ranks" --gpu cpu --json \
    | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
  need_kb=$(( predicted / 1024 * ranks + 1024 * 1024 ))
  while [ "$(available_kb)" -lt "$need_kb" ]; do
    echo "  ($c waits for $((need_kb / 1024)) MiB of available memory; $(( $(available_kb) / 1024 )) MiB now)" >&2
    sleep 30
  done
  out="$work/$c"
  args=(train --stage cpt --config "$root/configs/tiny/cpt.yaml" "${sets[@]}" --set "run.output_dir=$out")
  [ "$ranks" -gt 1 ] && args+=(--nproc "$ranks")
  "$twllm" "${args[@]}" >"$work/$c.log" 2>&1 &
  launcher=$!
  hwm=()   # by rank
  while kill -0 "$launcher" 2>/dev/null; do
    if [ "$ranks" -eq 1 ]; then
      v=$(peak_of "$launcher"); [ -n "$v" ] && hwm[0]=$v
    else
      for p in $(pgrep -P "$launcher" || true); do   # the workers carry RANK in their environment
        r=$( (tr '\0' '\n' <"/proc/$p/environ") 2>/dev/null | sed -n 's/^RANK=//p' || true)
        v=$(peak_of "$p"); [ -n "$r" ] && [ -n "$v" ] && hwm[$r]=$v
      done
    fi
    sleep 0.5
  done
  if ! wait "$launcher"; then
    echo "$c: twllm train failed; its log:" >&2; tail -20 "$work/$c.log" >&2; exit 1
  fi
  measured=(); max=0
  for r in "${!hwm[@]}"; do
    mib=$(( hwm[$r] / 1024 )); measured+=("$mib"); [ "$mib" -gt "$max" ] && max=$mib
  done
  predicted_mib=$(( predicted / 1048576 ))
  printf '%-16s %12d %28s %9.1f%%\n' "$c" "$predicted_mib" "$(IFS=,; echo "${measured[*]}")" \
    "$(awk -v p="$predicted_mib" -v m="$max" 'BEGIN { print (p - m) * 100 / m }')"
  rm -rf "$out"
done
