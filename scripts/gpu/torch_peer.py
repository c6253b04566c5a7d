#!/usr/bin/env python3
"""PyTorch peer of twllm's step benchmark (scripts/gpu/check.sh): by default the same ~1.1B-parameter Llama
shape (hidden 2048, 22 layers, 32 query / 4 key-value heads, intermediate 5632, vocab 32000) at sequence length
4096, batch 1 (--hidden, --layers, ... --batch set another, e.g. the ~100M shape check.sh trains with twllm train); one training step = forward, backward, gradient clipping to norm 1 and fused AdamW, with
fp32 parameters under bf16 autocast and scaled_dot_product_attention (causal, GQA). Prints readable lines,
then one JSON line: tokens_per_s, mfu (against 989 TFLOP/s, the FLOPs formula of twllm's LlamaConfig),
step_s, peak_bytes, first_loss (the first warm-up step's, at random init). Needs only torch (2.5 or later) with CUDA."""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PEAK = 989e12


class Block(nn.Module):
    def __init__(self, h, im, heads, kv_heads):
        super().__init__()
        self.heads, self.kv_heads, self.d = heads, kv_heads, h // heads
        self.input_norm = nn.RMSNorm(h, eps=1e-5)
        self.q = nn.Linear(h, h, bias=False)
        self.k = nn.Linear(h, kv_heads * self.d, bias=False)
        self.v = nn.Linear(h, kv_heads * self.d, bias=False)
        self.o = nn.Linear(h, h, bias=False)
        self.post_norm = nn.RMSNorm(h, eps=1e-5)
        self.gate = nn.Linear(h, im, bias=False)
        self.up = nn.Linear(h, im, bias=False)
        self.down = nn.Linear(im, h, bias=False)

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        n = self.input_norm(x)
        q = self.q(n).view(b, t, self.heads, self.d).transpose(1, 2)
        k = self.k(n).view(b, t, self.kv_heads, self.d).transpose(1, 2)
        v = self.v(n).view(b, t, self.kv_heads, self.d).transpose(1, 2)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        x = x + self.o(a.transpose(1, 2).reshape(b, t, -1))
        n = self.post_norm(x)
        return x + self.down(F.silu(self.gate(n)) * self.up(n))


def rotate(x, cos, sin):
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1).to(x.dtype)


class Llama(nn.Module):
    def __init__(self, vocab, h, im, layers, heads, kv_heads):
        super().__init__()
        self.embed = nn.Embedding(vocab, h)
        self.blocks = nn.ModuleList(Block(h, im, heads, kv_heads) for _ in range(layers))
        self.norm = nn.RMSNorm(h, eps=1e-5)
        self.head = nn.Linear(h, vocab, bias=False)
        self.d = h // heads

    def forward(self, ids):
        t = ids.shape[1]
        inv = 1.0 / (10000.0 ** (torch.arange(0, self.d, 2, device=ids.device, dtype=torch.float64) / self.d))
        angle = torch.arange(t, device=ids.device, dtype=torch.float64)[:, None] * inv[None, :]
        cos, sin = angle.cos().float(), angle.sin().float()
        x = self.embed(ids)
        for block in self.blocks:
            x = block(x, cos, sin)
        return self.head(self.norm(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--seq", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=1)
    # the shape; the defaults are the ~1.1B one of twllm's StepBenchmark
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--intermediate", type=int, default=5632)
    ap.add_argument("--layers", type=int, default=22)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=4)
    a = ap.parse_args()
    vocab, h, im, layers, heads, kv_heads = a.vocab, a.hidden, a.intermediate, a.layers, a.heads, a.kv_heads
    dev = torch.device("cuda")
    torch.manual_seed(0)
    model = Llama(vocab, h, im, layers, heads, kv_heads).to(dev)
    for p in model.parameters():
        nn.init.normal_(p, std=0.02) if p.dim() > 1 else nn.init.ones_(p)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1, fused=True)
    ids = torch.randint(0, vocab, (a.batch, a.seq), device=dev)
    targets = torch.randint(0, vocab, (a.batch, a.seq), device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(ids)
        loss = F.cross_entropy(logits.float().view(-1, vocab), targets.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    first_loss = None
    for _ in range(a.warmup):
        loss = step()
        first_loss = first_loss if first_loss is not None else loss.item()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    torch.cuda.synchronize()
    step_s = (time.perf_counter() - start) / a.steps
    matmul_params = params - vocab * h  # the input embedding is a lookup (twllm's LlamaConfig.flopsPerToken)
    flops_per_token = 6.0 * matmul_params + 12.0 * layers * h * a.seq
    tokens_per_s = a.batch * a.seq / step_s
    mfu = tokens_per_s * flops_per_token / PEAK
    peak = torch.cuda.max_memory_allocated()
    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name()}: {params / 1e9:.2f}B parameters, {a.batch} x seq {a.seq}: "
          f"{1000 * step_s:.1f} ms/step, {tokens_per_s:.0f} tokens/s, MFU {100 * mfu:.1f}%, peak {peak / 2**30:.2f} GiB, "
          f"loss {loss.item():.3f}")
    print(json.dumps({"tokens_per_s": tokens_per_s, "mfu": mfu, "step_s": step_s, "peak_bytes": peak, "first_loss": first_loss,
                      "torch": torch.__version__, "device": torch.cuda.get_device_name()}))


if __name__ == "__main__":
    main()
