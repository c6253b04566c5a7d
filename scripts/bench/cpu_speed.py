#!/usr/bin/env python3
"""Driver of scripts/bench/cpu-speed.sh: runs benchmark sides step by step, alternating, and prints the comparison.

  cpu_speed.py --side NAME=COMMAND [--side NAME=COMMAND ...] [--shape "key=value ..."]... [--steps N]

Each side is a command speaking the lockstep protocol (one command per line on standard input: peak, step, quit;
one `RESULT {json}` line back per command): TrainingStepBenchmark (twllm) and torch_llama_bench.py lockstep=1
(PyTorch). `{shape}` in a command is replaced by the shape's key=value arguments. Per shape every side is started,
answers `peak` (the sgemm peak measured in this run), takes one warm-up step, then STEPS timed steps in pairs, the
order of the sides turned round every pair so neither always runs first. The first side is the one measured against
the others (the ratios); every side that prints a step profile has it shown by kind.
"""
import argparse
import json
import statistics
import subprocess
import sys

MODEL = dict(hidden=512, intermediate=1376, layers=8, heads=8, kvHeads=4, vocab=32000)


def parse_shape(text):
    shape = dict(MODEL)
    for kv in text.split():
        k, v = kv.split("=", 1)
        shape[k] = int(v)
    return shape


def flops_per_token(s):
    """PaLM's 6N + 12 L H T (the trainer's MFU numerator); N without the input embedding table (untied)."""
    h, i, kv_dim = s["hidden"], s["intermediate"], s["kvHeads"] * s["hidden"] // s["heads"]
    per_layer = 2 * h + 2 * h * h + 2 * kv_dim * h + 3 * h * i
    n = s["layers"] * per_layer + h + s["vocab"] * h
    return 6 * n + 12 * s["layers"] * h * s["seq"]


class Side:
    def __init__(self, name, command, shape):
        self.name = name
        args = " ".join(f"{k}={v}" for k, v in shape.items())
        self.proc = subprocess.Popen(command.replace("{shape}", args), shell=True, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.steps = []

    def ask(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith("RESULT "):
                return json.loads(line[len("RESULT "):])
            print(f"  [{self.name}] {line.rstrip()}", file=sys.stderr)
        sys.exit(f"{self.name} ended before answering {command} (exit {self.proc.wait()})")

    def close(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait()


def run_shape(sides_spec, shape, steps):
    tokens = shape["seq"] * shape["batch"]
    fpt = flops_per_token(shape)
    print(f"\n== shape: {shape}; {tokens} tokens/step, {fpt * tokens / 1e12:.3f} TFLOP/step (PaLM convention)")
    sides = [Side(name, cmd, shape) for name, cmd in sides_spec]
    try:
        peaks = {}
        for side in sides:
            p = side.ask("peak")
            peaks[side.name] = p["flops"]
            sizes = ", ".join(f"{n}^3 {f / 1e9:.1f}" for n, f in p["by_size"].items())
            extra = f"; torch {p['torch']}, {p['threads']} threads, BLAS {p['blas']}" if "torch" in p \
                else f"; BLAS {p['blas']}" if "blas" in p else ""
            print(f"{side.name} sgemm peak {p['flops'] / 1e9:.1f} GFLOP/s (best of {sizes}){extra}")
        for side in sides:
            w = side.ask("step")
            print(f"{side.name} warm-up step {w['ms']:.0f} ms, loss {w['loss']:.4f}")
        for pair in range(steps):
            order = sides if pair % 2 == 0 else sides[::-1]
            line = []
            for side in order:
                r = side.ask("step")
                side.steps.append(r)
                line.append(f"{side.name} {r['ms']:.0f} ms ({tokens / r['ms'] * 1e3:.1f} tok/s)")
            print(f"pair {pair + 1}: " + ", ".join(line))
    finally:
        for side in sides:
            side.close()
    first = sides[0]
    med = {s.name: statistics.median(r["ms"] for r in s.steps) for s in sides}
    print("median step:")
    for s in sides:
        rate = fpt * tokens / (med[s.name] / 1e3)
        print(f"  {s.name}: {med[s.name]:.0f} ms, {tokens / med[s.name] * 1e3:.1f} tokens/s, {rate / 1e9:.1f} GFLOP/s"
              f" = {100 * rate / peaks[s.name]:.0f}% of its own sgemm peak")
    for s in sides[1:]:
        pairs = ", ".join("%.2f" % (b["ms"] / a["ms"]) for a, b in zip(first.steps, s.steps))
        print(f"  {first.name} / {s.name} tokens/s: {med[s.name] / med[first.name]:.2f}x (pair by pair: {pairs})")
    for s in sides:
        profiles = [r["profile_ms"] for r in s.steps if r.get("profile_ms")]
        if not profiles:
            continue
        print(f"{s.name} step profile (median over {len(profiles)} steps):")
        for kind in profiles[0]:
            ms = statistics.median(p[kind] for p in profiles)
            print(f"  {kind:52s} {ms:9.0f} ms {100 * ms / med[s.name]:5.1f}%")
        accounted = statistics.median(sum(p.values()) for p in profiles)
        print(f"  {'(step time not charged to a kind)':52s} {med[s.name] - accounted:9.0f} ms")
        gemm_ceiling(s, profiles, med[s.name], fpt * tokens, peaks[s.name])


def gemm_ceiling(side, profiles, step_ms, step_flops, peak):
    """The GEMM kinds' own rates, and the share of the peak the step would reach if nothing else took time."""
    counts = [r["gemm_gflop"] for r in side.steps if r.get("gemm_gflop")]
    if not counts:
        return
    print(f"{side.name} GEMMs inside the step (operations computed, causal tiles' masked halves included):")
    gemm_ms = 0.0
    for kind in counts[0]:
        ms = statistics.median(p[kind] for p in profiles)
        gflop = statistics.median(c[kind] for c in counts)
        gemm_ms += ms
        rate = gflop / ms * 1e3
        print(f"  {kind:52s} {gflop:7.1f} GFLOP in {ms:6.0f} ms: {rate:6.1f} GFLOP/s = {100 * rate * 1e9 / peak:3.0f}% of the peak")
    total = statistics.median(sum(c.values()) for c in counts)
    rate = total / gemm_ms * 1e3
    print(f"  all GEMMs: {total:.1f} GFLOP in {gemm_ms:.0f} ms of the {step_ms:.0f} ms step, {rate:.1f} GFLOP/s ="
          f" {100 * rate * 1e9 / peak:.0f}% of the peak")
    ceiling = step_flops / (gemm_ms / 1e3)
    print(f"  ceiling: were everything but the GEMMs free, the step would run at {ceiling / 1e9:.1f} GFLOP/s"
          f" (PaLM convention) = {100 * ceiling / peak:.0f}% of the peak")

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", action="append", required=True, help="NAME=COMMAND")
    ap.add_argument("--shape", action="append", help='e.g. "seq=512 batch=4" (model keys override too)')
    ap.add_argument("--steps", type=int, default=3, help="timed steps per side and shape")
    a = ap.parse_args()
    sides = [tuple(s.split("=", 1)) for s in a.side]
    for text in a.shape or ["seq=512 batch=4", "seq=2048 batch=1"]:
        run_shape(sides, parse_shape(text), a.steps)


if __name__ == "__main__":
    main()
