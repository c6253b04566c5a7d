#!/usr/bin/env python3
"""PyTorch CPU peer of scripts/bench/model-bench.sh: the same Llama shape, fp32, forward and forward+backward.

  /usr/bin/python3 scripts/bench/torch_llama_bench.py [key=value ...]
  keys: hidden intermediate layers heads kvHeads vocab seq batch steps threads (defaults as model-bench.sh), lockstep

With lockstep=1 it is instead one side of scripts/bench/cpu-speed.sh: it reads one command per line on standard
input, `peak` (the best torch.mm rate over square sizes 512, 1024, 2048), `step` (one whole training step: zero the
gradients, forward, backward, AdamW) or `quit`, and answers each with one line `RESULT {json}`.

FLOPs use the same convention as twllm's LlamaConfig.flopsPerToken: 6N + 12*L*H*T per trained token, where N
excludes the input embedding table (a lookup) when embeddings are untied; forward is a third of it.
"""
import json
import sys
import time

import torch

args = dict(hidden=1024, intermediate=2816, layers=4, heads=16, kvHeads=16, vocab=32000, seq=512, batch=4, steps=5,
            threads=torch.get_num_threads(), lockstep=0)
for a in sys.argv[1:]:
    k, v = a.split("=", 1)
    if k not in args:
        sys.exit(f"unknown key {k}; expected one of {list(args)}")
    args[k] = int(v)
torch.set_num_threads(args["threads"])
torch.manual_seed(0)
H, I, L, NH, NKV, V, T, B = (args[k] for k in ("hidden", "intermediate", "layers", "heads", "kvHeads", "vocab", "seq", "batch"))
D = H // NH


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w


def rotate_half(x):
    return torch.cat((-x[..., D // 2:], x[..., :D // 2]), dim=-1)


def p(*shape):
    return (torch.randn(*shape) * 0.02).requires_grad_()


embed, head, final = p(V, H), p(V, H), torch.ones(H, requires_grad=True)
layers = [dict(n1=torch.ones(H, requires_grad=True), q=p(H, H), k=p(NKV * D, H), v=p(NKV * D, H), o=p(H, H),
               n2=torch.ones(H, requires_grad=True), g=p(I, H), u=p(I, H), d=p(H, I)) for _ in range(L)]
inv = 1.0 / (10000.0 ** (torch.arange(0, D, 2).float() / D))
ang = torch.arange(T).float()[:, None] * inv[None]
cos, sin = torch.cat((ang, ang), -1).cos(), torch.cat((ang, ang), -1).sin()
mask = torch.full((T, T), float("-inf")).triu(1)


def forward(ids, targets):
    x = embed[ids]
    for w in layers:
        n = rms(x, w["n1"])
        q = (n @ w["q"].T).view(B, T, NH, D).transpose(1, 2)
        k = (n @ w["k"].T).view(B, T, NKV, D).transpose(1, 2)
        v = (n @ w["v"].T).view(B, T, NKV, D).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(NH // NKV, 1), v.repeat_interleave(NH // NKV, 1)
        a = torch.softmax(q @ k.transpose(-1, -2) / D ** 0.5 + mask, -1) @ v
        x = x + a.transpose(1, 2).reshape(B, T, H) @ w["o"].T
        n = rms(x, w["n2"])
        x = x + (torch.nn.functional.silu(n @ w["g"].T) * (n @ w["u"].T)) @ w["d"].T
    logits = rms(x, final) @ head.T
    return torch.nn.functional.cross_entropy(logits.view(-1, V), targets.view(-1))


ids = torch.randint(0, V, (B, T))
targets = torch.randint(0, V, (B, T))
n_params = sum(t.numel() for w in layers for t in w.values()) + H + V * H  # head counted, input table not
train_flops = (6 * n_params + 12 * L * H * T) * B * T


def blas_libraries():
    """The BLAS shared libraries this process has mapped (what torch's GEMMs call)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    return sorted(paths)


def peak():
    best, by_size = 0.0, {}
    for n in (512, 1024, 2048):
        a, b = torch.rand(n, n), torch.rand(n, n)
        c = torch.empty(n, n)
        torch.mm(a, b, out=c)
        fastest, start, reps = float("inf"), time.perf_counter(), 0
        while reps < 2 or time.perf_counter() - start < 1.0:
            t0 = time.perf_counter()
            torch.mm(a, b, out=c)
            fastest = min(fastest, time.perf_counter() - t0)
            reps += 1
        by_size[str(n)] = 2.0 * n ** 3 / fastest
        best = max(best, by_size[str(n)])
    return {"flops": best, "by_size": by_size}


def lockstep():
    params = [embed, head, final] + [t for w in layers for t in w.values()]
    decay = [t for t in params if t.dim() > 1]
    no_decay = [t for t in params if t.dim() == 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
    print(f"torch {torch.__version__} threads {torch.get_num_threads()} BLAS {blas_libraries()}; hidden {H} layers {L}"
          f" heads {NH}/{NKV} vocab {V} batch {B} x {T}", file=sys.stderr, flush=True)
    for command in sys.stdin:
        command = command.strip()
        if command == "quit":
            break
        if command == "peak":
            result = peak()
        elif command == "step":
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=False)
            loss = forward(ids, targets)
            loss.backward()
            opt.step()
            result = {"ms": (time.perf_counter() - t0) * 1e3, "loss": loss.item()}
        else:
            sys.exit(f"unknown command {command}; expected peak, step or quit")
        result.update(torch=torch.__version__, threads=torch.get_num_threads(), blas=blas_libraries())
        print("RESULT " + json.dumps(result), flush=True)


if args["lockstep"]:
    lockstep()
    sys.exit(0)
print(f"torch {torch.__version__} threads {torch.get_num_threads()}; hidden {H} layers {L} heads {NH}/{NKV} vocab {V} batch {B} x {T}")
for step in range(1, args["steps"] + 1):
    t0 = time.perf_counter()
    with torch.no_grad():
        loss = forward(ids, targets)
    t1 = time.perf_counter()
    loss = forward(ids, targets)
    loss.backward()
    t2 = time.perf_counter()
    fwd, both = (t1 - t0) * 1e3, (t2 - t1) * 1e3
    print(f"step {step} loss {loss.item():.4f} forward {fwd:.1f} ms ({train_flops / 3 / fwd / 1e6:.1f} GFLOP/s) "
          f"forward+backward {both:.1f} ms ({train_flops / both / 1e6:.1f} GFLOP/s) backward {both - fwd:.1f} ms")
