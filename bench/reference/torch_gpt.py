"""PyTorch twin of bench/gpt.ts: training steps of a char-level GPT-2-style
model (nanoGPT's layout: pre-norm blocks, GELU tanh, tied lm_head, GPT-2
init), AdamW (lr 3e-4, weight decay 0.1) with clip_grad_norm_(1.0), on random
token windows, from a cold start. PyTorch 1.13 has no fused
scaled_dot_product_attention: attention is materialized (softmax of the
masked scores). Prints one JSON line with the seconds of every step.

  torch_gpt.py --threads 2 --steps 6 --n-layer 6 --n-head 6 --n-embd 384 --block-size 256 --batch-size 8 --vocab 65
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import peak_rss_bytes


class Block(nn.Module):
    def __init__(self, c, block):
        super().__init__()
        self.n_head = c.n_head
        self.ln_1 = nn.LayerNorm(c.n_embd)
        self.c_attn = nn.Linear(c.n_embd, 3 * c.n_embd)
        self.c_proj = nn.Linear(c.n_embd, c.n_embd)
        self.ln_2 = nn.LayerNorm(c.n_embd)
        self.c_fc = nn.Linear(c.n_embd, 4 * c.n_embd)
        self.mlp_proj = nn.Linear(4 * c.n_embd, c.n_embd)
        self.register_buffer('mask', torch.tril(torch.ones(block, block, dtype=torch.bool)), persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(~self.mask[:T, :T], float('-inf')).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate='tanh'))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c.vocab, c.n_embd)
        self.wpe = nn.Embedding(c.block_size, c.n_embd)
        self.h = nn.ModuleList([Block(c, c.block_size) for _ in range(c.n_layer)])
        self.ln_f = nn.LayerNorm(c.n_embd)
        self.lm_head = nn.Linear(c.n_embd, c.vocab, bias=False)
        self.lm_head.weight = self.wte.weight
        for name, p in self.named_parameters():
            if name.endswith('bias'):
                nn.init.zeros_(p)
            elif p.dim() == 2:
                std = 0.02 / math.sqrt(2 * c.n_layer) if name.endswith(('c_proj.weight', 'mlp_proj.weight')) else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.h:
            x = b(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, required=True)
    ap.add_argument('--steps', type=int, default=6)
    ap.add_argument('--n-layer', type=int, default=6)
    ap.add_argument('--n-head', type=int, default=6)
    ap.add_argument('--n-embd', type=int, default=384)
    ap.add_argument('--block-size', type=int, default=256)
    ap.add_argument('--batch-size', type=int, default=8)
    ap.add_argument('--vocab', type=int, default=65)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = GPT(a)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    data = torch.randint(0, a.vocab, (a.block_size * a.batch_size * 64 + 1,))
    steps, losses = [], []
    for s in range(a.steps):
        t0 = time.perf_counter()
        ix = torch.randint(0, data.numel() - a.block_size - 1, (a.batch_size,))
        x = torch.stack([data[i:i + a.block_size] for i in ix])
        y = torch.stack([data[i + 1:i + 1 + a.block_size] for i in ix])
        opt.zero_grad(set_to_none=True)
        loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        steps.append(time.perf_counter() - t0)

    print(json.dumps({
        'library': 'pytorch', 'version': torch.__version__, 'threads': torch.get_num_threads(),
        'parameters': sum(p.numel() for p in model.parameters()),
        'stepSeconds': steps, 'losses': losses, 'peakRssBytes': peak_rss_bytes(),
    }))


if __name__ == '__main__':
    main()
