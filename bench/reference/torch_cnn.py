"""PyTorch twin of bench/cnn.ts: conv2d forward (F.conv2d with bias), and
aten::convolution_backward asked for the input gradient alone and for the
weight gradient alone, float32 on the CPU, timed with the same method
(common.measure). Prints one JSON object:
{"version", "threads", "results": {layer: {"fwd" | "bwd_input" | "bwd_weight": stat}}}, plus
max-pool (forward, backward), avg-pool and batch-norm rows (bench/cnn.ts's bandwidth rows).

  torch_cnn.py --threads 2 --reps 3 --min-time 0.1
"""
import argparse
import json

import torch
import torch.nn.functional as F

from common import measure

# name, input [N, C, H, W], out channels, kernel, padding (as bench/cnn.ts)
LAYERS = [
    ('mnist_conv1_1to32_B64', (64, 1, 28, 28), 32, 3, 0),
    ('mnist_conv2_32to64_B64', (64, 32, 26, 26), 64, 3, 0),
    ('resnet_64to64_56x56_B8', (8, 64, 56, 56), 64, 3, 1),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, required=True)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--min-time', type=float, default=0.1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    res = {}
    with torch.no_grad():
        for name, xs, co, k, p in LAYERS:
            n, c, h, w = xs
            x = torch.randn(xs)
            wt = torch.randn(co, c, k, k)
            b = torch.randn(co)
            gy = torch.randn(n, co, h + 2 * p - k + 1, w + 2 * p - k + 1)

            def bwd(mask):
                return lambda: torch.ops.aten.convolution_backward(
                    gy, x, wt, [co], [1, 1], [p, p], [1, 1], False, [0, 0], 1, mask)
            res[name] = {
                'fwd': measure(lambda: F.conv2d(x, wt, b, padding=p), a.reps, a.min_time),
                'bwd_input': measure(bwd([True, False, False]), a.reps, a.min_time),
                'bwd_weight': measure(bwd([False, True, False]), a.reps, a.min_time),
            }
        # memory-bound rows (bench/cnn.ts bandwidthRows): forward only
        pool = torch.randn(64, 64, 24, 24)
        bn = torch.randn(8, 64, 56, 56)
        mean, var = torch.zeros(64), torch.ones(64)
        weight, bias = torch.ones(64), torch.zeros(64)
        res['max_pool2d_2x2_64x64x24x24'] = {'fwd': measure(lambda: F.max_pool2d(pool, 2), a.reps, a.min_time)}
        pooled, indices = F.max_pool2d(pool, 2, return_indices=True)
        dy = torch.randn_like(pooled)
        res['max_pool2d_bwd_2x2_64x64x24x24'] = {'fwd': measure(
            lambda: torch.ops.aten.max_pool2d_with_indices_backward(dy, pool, [2, 2], [2, 2], [0, 0], [1, 1], False,
                                                                    indices), a.reps, a.min_time)}
        res['avg_pool2d_2x2_64x64x24x24'] = {'fwd': measure(lambda: F.avg_pool2d(pool, 2), a.reps, a.min_time)}
        res['batch_norm2d_train_8x64x56x56'] = {
            'fwd': measure(lambda: F.batch_norm(bn, mean, var, weight, bias, training=True), a.reps, a.min_time)}
    print(json.dumps({'version': torch.__version__, 'threads': torch.get_num_threads(), 'results': res}))


if __name__ == '__main__':
    main()
