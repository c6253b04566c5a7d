#!/usr/bin/env bash
# The GPU device check (docs/gpu.md): on one H100/H200, from the device bundle, in at most 8 minutes
# (5 for twllm, 2.5 for the PyTorch peer, each stopped by a timeout).
#   check.sh [BUNDLE_DIR] [--steps N] [--no-benchmark]
# Prints the GPU's identity, every kernel against the fp64 host computation, model parity against the CPU
# engine's stored reference, then a ~1B-parameter training-step benchmark at seq 4096 side by side with
# PyTorch (scripts/gpu/torch_peer.py) on the same shape. Exit 1 when a check fails.
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
timeout 300 "$bundle/bin/twllm" --device-check "$bundle/reference/gpu-parity" "$@" | tee "$log"
status=${PIPESTATUS[0]}
[ "$status" = 124 ] && echo "check: the twllm device check ran past 5 minutes and was stopped"

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
  torch_bench="$(timeout 150 "$py" "$bundle/torch_peer.py" --steps 5 | tail -n1)" || torch_bench=""
  if [ -z "$torch_bench" ]; then
    echo "  the PyTorch peer did not finish (no torch with CUDA, or it ran past 150 s)"
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
echo
echo "peak memory is to be compared with 'twllm plan --gpu h200-141gb' (docs/performance.md)"
exit "$status"
