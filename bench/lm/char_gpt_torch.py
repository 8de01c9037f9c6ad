#!/usr/bin/python3
"""PyTorch twin of dev.vgrad.examples.CharGpt / `LmTrain gpt`: the same nanoGPT-shaped model (parameter names,
shapes, init laws), optimizer, schedule, data order and report lines.

    /usr/bin/python3 bench/lm/char_gpt_torch.py --steps 2000 --threads 1
"""
import argparse
import math
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lm_data  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def attention(q, k, v, causal):
    """softmax(q·kᵀ/√D, causal)·v over [B, H, T, D]; torch 1.13 has no F.scaled_dot_product_attention."""
    att = q @ k.transpose(-2, -1) * (1.0 / math.sqrt(q.size(-1)))
    if causal:
        t = q.size(-2)
        att = att.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
    return att.softmax(-1) @ v


class SelfAttention(nn.Module):
    def __init__(self, c, n_head):
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(c, 3 * c)
        self.c_proj = nn.Linear(c, c)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, 2)
        q, k, v = (z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v))
        return self.c_proj(attention(q, k, v, True).transpose(1, 2).reshape(b, t, c))


class Mlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c, 4 * c)
        self.c_proj = nn.Linear(4 * c, c)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c)
        self.attn = SelfAttention(c, n_head)
        self.ln_2 = nn.LayerNorm(c)
        self.mlp = Mlp(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class CharGpt(nn.Module):
    def __init__(self, vocab, block, n_layer, n_head, n_embd, tied=True):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab, n_embd), wpe=nn.Embedding(block, n_embd),
            h=nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)]), ln_f=nn.LayerNorm(n_embd)))
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        if tied:
            self.lm_head.weight = self.transformer.wte.weight
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer))

    @staticmethod
    def _init_weights(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, idx):
        t = idx.size(1)
        x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(t))
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    lm_data.common_args(p, 1e-3)
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-embd", type=int, default=128)
    p.add_argument("--untied", action="store_true")
    args = p.parse_args()
    torch.manual_seed(args.seed)
    model = CharGpt(len(lm_data.VOCAB), args.block_size, args.n_layer, args.n_head, args.n_embd, not args.untied)
    lm_data.train("gpt", model, args, f"n_layer={args.n_layer} n_head={args.n_head} n_embd={args.n_embd} "
                  f"block_size={args.block_size} vocab={len(lm_data.VOCAB)} {'untied' if args.untied else 'tied'}")


if __name__ == "__main__":
    main()
