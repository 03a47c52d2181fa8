"""PyTorch twin of bench/cold_child.ts: the seed MLP written as a user writes
it (nn.Sequential, nn.CrossEntropyLoss, torch.randperm indices, index_select,
SGD lr 0.01), timed from the first step in a fresh process; the time of each
block of 100 steps. Prints one JSON line.

  torch_cold.py --threads 2 --epochs 2 --data-dir DIR
"""
import argparse
import json
import resource
import time

import torch

from common import load_mnist_train, peak_rss_bytes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, required=True)
    ap.add_argument('--epochs', type=int, default=2)
    ap.add_argument('--batch-size', type=int, default=64)
    ap.add_argument('--data-dir', action='append', required=True)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    xs, ys = load_mnist_train(a.data_dir)
    x, y = torch.from_numpy(xs), torch.from_numpy(ys)
    n = x.shape[0]
    model = torch.nn.Sequential(torch.nn.Linear(784, 500), torch.nn.ReLU(), torch.nn.Linear(500, 10))
    criterion = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    per100, faults100, cpu100, first, step = [], [], [], 0.0, 0
    cpu = time.process_time()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    block = start
    for e in range(max(1, a.epochs)):
        perm = torch.randperm(n)
        for i in range(0, n, a.batch_size):
            idx = perm[i:i + a.batch_size]
            opt.zero_grad()
            loss = criterion(model(x.index_select(0, idx)), y.index_select(0, idx))
            loss.backward()
            opt.step()
            step += 1
            if step % 100 == 0:
                t = time.perf_counter()
                per100.append(t - block)
                block = t
                f = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                faults100.append(f - faults)
                faults = f
                c = time.process_time()
                cpu100.append(c - cpu)
                cpu = c
        if e == 0:
            first = time.perf_counter() - start

    print(json.dumps({
        'library': 'pytorch', 'threads': torch.get_num_threads(), 'firstEpoch': first, 'per100': per100, 'faults100': faults100, 'cpu100': cpu100,
        'stepsPerEpoch': (n + a.batch_size - 1) // a.batch_size, 'peakRssBytes': peak_rss_bytes(),
    }))


if __name__ == '__main__':
    main()
