"""PyTorch twin of bench/kernels.ts: the same operations and sizes, timed
with the same method (common.measure). Prints one JSON object:
{"version", "threads", "config", "results": {name: stat}}.

  torch_kernels.py --threads 2 --reps 5 --min-time 0.2 [--quick]
"""
import argparse
import json

import torch
import torch.nn.functional as F

from common import measure


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, required=True)
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--min-time', type=float, default=0.2)
    ap.add_argument('--quick', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    big = 1 << 22 if a.quick else 1 << 24  # elements of the streaming benchmarks
    res = {}

    def run(name, fn):
        res[name] = measure(fn, a.reps, a.min_time)

    # Memory bandwidth: a large copy (bytes read + written).
    copy_n = big * 4
    src, dst = torch.rand(copy_n), torch.empty(copy_n)
    run('copy', lambda: dst.copy_(src))
    del src, dst

    for (m, k, n) in [(64, 784, 500), (256, 784, 500), (64, 500, 10), (1024, 1024, 1024),
                      (64, 500, 784), (500, 64, 784), (64, 10, 500), (10, 64, 500)]:
        A, B, C = torch.rand(m, k), torch.rand(k, n), torch.empty(m, n)
        run(f'gemm_{m}x{k}x{n}', lambda A=A, B=B, C=C: torch.mm(A, B, out=C))

    # The seed MLP's first-layer GEMMs as nn.Linear runs them: forward
    # x @ W^T + b (B transposed) and the weight gradient dh^T @ x (A transposed).
    x, w, b, dh = torch.rand(64, 784), torch.rand(500, 784), torch.rand(500), torch.rand(64, 500)
    with torch.no_grad():
        run('linear_fwd_64x784x500', lambda: F.linear(x, w, b))
        run('linear_dw_500x64x784', lambda: torch.mm(dh.t(), x))
    del x, w, b, dh

    x, y, out = torch.rand(big), torch.rand(big), torch.empty(big)
    run('add', lambda: torch.add(x, y, out=out))
    run('sum', lambda: x.sum())
    del x, y, out

    for rows in ([4096] if a.quick else [4096, 65536]):
        logits = torch.randn(rows, 1000, requires_grad=True)
        t = torch.randint(0, 1000, (rows,))

        def ce(logits=logits, t=t):
            logits.grad = None
            F.cross_entropy(logits, t).backward()
        run(f'cross_entropy_{rows}x1000', ce)
        del logits, t

    p = torch.nn.Parameter(torch.randn(big))
    p.grad = torch.randn(big)
    opt = torch.optim.Adam([p], lr=1e-3)
    run('adam', opt.step)
    del p, opt

    a1, b1 = torch.rand(1), torch.rand(1)
    with torch.no_grad():
        run('dispatch_add', lambda: a1 + b1)
    ag = torch.rand(1, requires_grad=True)
    run('dispatch_add_autograd', lambda: ag + b1)

    print(json.dumps({'version': torch.__version__, 'threads': torch.get_num_threads(),
                      'config': {'big': big, 'reps': a.reps, 'minTime': a.min_time},
                      'results': res}))


if __name__ == '__main__':
    main()
