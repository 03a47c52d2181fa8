"""PyTorch twin of bench/attention.ts: attention materialized as PyTorch 1.13
runs it without a fused kernel, softmax(q @ k^T * scale + causal mask) @ v,
timed with the same method (common.measure). Prints one JSON object:
{"version", "threads", "results": {name: stat}}; with --rss T, runs one
forward at B=1, H=6, E=64, length T and prints {"peakRss": bytes} instead.

  torch_attention.py --threads 2 --reps 3 --min-time 0.1 --sizes 256:1,256:8
  torch_attention.py --threads 2 --rss 4096
"""
import argparse
import json
import math

import torch

from common import measure, peak_rss_bytes

H, E = 6, 64


def attention(q, k, v, mask):
    s = q @ k.transpose(-2, -1) * (1.0 / math.sqrt(E)) + mask
    return torch.softmax(s, dim=-1) @ v


def causal_mask(t):
    return torch.full((t, t), float('-inf')).triu(1)


def inputs(b, t, grad):
    return [torch.randn(b, H, t, E, requires_grad=grad) for _ in range(3)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, required=True)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--min-time', type=float, default=0.1)
    ap.add_argument('--sizes', default='256:1')
    ap.add_argument('--rss', type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.rss:
        q, k, v = inputs(1, a.rss, False)
        with torch.no_grad():
            attention(q, k, v, causal_mask(a.rss))
        print(json.dumps({'peakRss': peak_rss_bytes()}))
        return
    res = {}
    for size in a.sizes.split(','):
        t, b = (int(x) for x in size.split(':'))
        mask = causal_mask(t)
        q, k, v = inputs(b, t, True)
        g = torch.randn(b, H, t, E)
        with torch.no_grad():
            res[f'fwd_T{t}_B{b}'] = measure(lambda: attention(q, k, v, mask), a.reps, a.min_time)

        def both():
            for x in (q, k, v):
                x.grad = None
            attention(q, k, v, mask).backward(g)
        res[f'fwdbwd_T{t}_B{b}'] = measure(both, a.reps, a.min_time)
    print(json.dumps({'version': torch.__version__, 'threads': torch.get_num_threads(), 'results': res}))


if __name__ == '__main__':
    main()
