#!/usr/bin/env python3
"""Makes the reference data twllm's Llama forward is checked against (run with Debian's python3-torch).

Writes, next to this script:
  llama-tiny/config.json, llama-tiny/model.safetensors  a small random Llama-2 (GQA, rope_theta 5000,
                                                        non-unit norm weights), F32, in HF layout
  llama-tiny-expected.json                              logits and next-token log-probabilities for
                                                        several sequences, computed in float64

The forward below is written from the Llama-2 / HF LlamaForCausalLM definitions, independently of twllm:
RMSNorm, rotary embeddings in HF's rotate-half convention, grouped-query attention via repeat_kv,
SwiGLU MLP. The safetensors file is written by hand (the format is an 8-byte little-endian header
length, a JSON header, raw little-endian data) because python3-safetensors is not packaged in Debian 12.
"""
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = dict(
    architectures=["LlamaForCausalLM"], model_type="llama", hidden_size=32, intermediate_size=48,
    num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=67,
    max_position_embeddings=24, rms_norm_eps=1e-5, rope_theta=5000.0, tie_word_embeddings=False,
    hidden_act="silu", bos_token_id=1, eos_token_id=2,
)


def make_weights(seed=20240611):
    g = torch.Generator().manual_seed(seed)
    c = CONFIG
    h, i, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    d = h // c["num_attention_heads"]
    kv = c["num_key_value_heads"] * d

    def normal(*shape, std=0.2):
        return (torch.randn(*shape, generator=g) * std).float()

    def norm_weight():
        return (1.0 + 0.3 * torch.randn(h, generator=g)).float()

    w = {"model.embed_tokens.weight": normal(v, h, std=1.0)}
    for layer in range(c["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        w[p + "input_layernorm.weight"] = norm_weight()
        w[p + "self_attn.q_proj.weight"] = normal(h, h)
        w[p + "self_attn.k_proj.weight"] = normal(kv, h)
        w[p + "self_attn.v_proj.weight"] = normal(kv, h)
        w[p + "self_attn.o_proj.weight"] = normal(h, h)
        w[p + "post_attention_layernorm.weight"] = norm_weight()
        w[p + "mlp.gate_proj.weight"] = normal(i, h)
        w[p + "mlp.up_proj.weight"] = normal(i, h)
        w[p + "mlp.down_proj.weight"] = normal(h, i)
    w["model.norm.weight"] = norm_weight()
    w["lm_head.weight"] = normal(v, h)
    return w


def write_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, t in tensors.items():
        data = t.contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    js = json.dumps(header).encode("utf-8")
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def forward(w, ids, positions, example_ids):
    """Logits [T, V] of one row (float64). Token t attends to s <= t with the same example id."""
    c = CONFIG
    h, nh, nkv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
    d = h // nh
    t = len(ids)
    w = {k: v.double() for k, v in w.items()}
    x = w["model.embed_tokens.weight"][torch.tensor(ids)]
    inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    angles = torch.tensor(positions, dtype=torch.float64)[:, None] * inv_freq[None, :]
    emb = torch.cat((angles, angles), dim=-1)
    cos, sin = emb.cos()[None], emb.sin()[None]  # [1, T, D]
    ex = torch.tensor(example_ids)
    allowed = torch.tril(torch.ones(t, t, dtype=torch.bool)) & (ex[:, None] == ex[None, :])
    for layer in range(c["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        n = rms_norm(x, w[p + "input_layernorm.weight"], c["rms_norm_eps"])
        q = (n @ w[p + "self_attn.q_proj.weight"].T).view(t, nh, d).transpose(0, 1)
        k = (n @ w[p + "self_attn.k_proj.weight"].T).view(t, nkv, d).transpose(0, 1)
        v = (n @ w[p + "self_attn.v_proj.weight"].T).view(t, nkv, d).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(nh // nkv, dim=0)  # HF repeat_kv
        v = v.repeat_interleave(nh // nkv, dim=0)
        scores = (q @ k.transpose(-1, -2)) / (d ** 0.5)
        scores = scores.masked_fill(~allowed, float("-inf"))
        attn = torch.softmax(scores, dim=-1) @ v
        x = x + attn.transpose(0, 1).reshape(t, h) @ w[p + "self_attn.o_proj.weight"].T
        n = rms_norm(x, w[p + "post_attention_layernorm.weight"], c["rms_norm_eps"])
        gate = n @ w[p + "mlp.gate_proj.weight"].T
        up = n @ w[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], c["rms_norm_eps"])
    return x @ w["lm_head.weight"].T


def case(w, name, ids, targets, positions=None, example_ids=None):
    t = len(ids)
    positions = positions if positions is not None else list(range(t))
    example_ids = example_ids if example_ids is not None else [0] * t
    logits = forward(w, ids, positions, example_ids)
    log_probs = torch.log_softmax(logits, dim=-1)
    target_log_probs = [log_probs[i, tg].item() if tg != -100 else None for i, tg in enumerate(targets)]
    return dict(name=name, inputs=ids, targets=targets, positions=positions, example_ids=example_ids,
                logits=[round(v, 10) for v in logits.flatten().tolist()], target_log_probs=target_log_probs)


def main():
    w = make_weights()
    out_dir = os.path.join(HERE, "llama-tiny")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
    write_safetensors(os.path.join(out_dir, "model.safetensors"), w)

    g = torch.Generator().manual_seed(7)
    v, full = CONFIG["vocab_size"], CONFIG["max_position_embeddings"]
    seq = torch.randint(0, v, (full + 1,), generator=g).tolist()
    cases = [
        case(w, "length-1", seq[:1], seq[1:2]),
        case(w, "length-9", seq[:9], seq[1:10]),
        case(w, "full-context", seq[:full], seq[1:full + 1]),
    ]
    # One packed SFT row: two examples, positions restart, prompt targets ignored.
    a = torch.randint(0, v, (8,), generator=g).tolist()
    b = torch.randint(0, v, (11,), generator=g).tolist()
    ids = a[:7] + b[:10]
    targets = [-100, -100, -100] + a[4:8] + [-100, -100] + b[3:11]
    cases.append(case(w, "packed-sft", ids, targets, positions=list(range(7)) + list(range(10)),
                      example_ids=[0] * 7 + [1] * 10))
    with open(os.path.join(HERE, "llama-tiny-expected.json"), "w") as f:
        json.dump(dict(config=CONFIG, cases=cases), f)


if __name__ == "__main__":
    main()
