"""PyTorch twin of bench/mlp_child.ts: the seed MLP (784->500->10, ReLU,
CrossEntropyLoss) trained on MNIST with the same loop: a random permutation
per epoch, batches gathered by index from float32 data prepared once,
zero_grad / forward / backward / step. Prints one JSON line.

  torch_mlp.py --threads 2 --epochs 3 --optimizer sgd --lr 0.01 --batch-size 64 --data-dir DIR...
"""
import argparse
import json
import time

import torch

from common import load_mnist_train, peak_rss_bytes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, required=True)
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--optimizer', choices=['sgd', 'adam'], default='sgd')
    ap.add_argument('--lr', type=float, default=0.01)
    ap.add_argument('--batch-size', type=int, default=64)
    ap.add_argument('--warmup-steps', type=int, default=20)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--data-dir', action='append', required=True)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    t0 = time.perf_counter()
    xs, ys = load_mnist_train(a.data_dir)
    x, y = torch.from_numpy(xs), torch.from_numpy(ys)
    load_s = time.perf_counter() - t0
    n = x.shape[0]

    model = torch.nn.Sequential(torch.nn.Linear(784, 500), torch.nn.ReLU(), torch.nn.Linear(500, 10))
    if a.optimizer == 'sgd':
        opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(idx):
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        return loss

    for i in range(a.warmup_steps):
        step(torch.arange(i * a.batch_size, (i + 1) * a.batch_size) % n)

    epochs, losses = [], []
    for _ in range(a.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        for i in range(0, n, a.batch_size):
            step(perm[i:i + a.batch_size])
        epochs.append(time.perf_counter() - t0)
        with torch.no_grad():  # the same sanity check as mlp_child.ts
            losses.append(float(loss_fn(model(x[:1024]), y[:1024]).item()))

    print(json.dumps({
        'library': 'pytorch', 'version': torch.__version__, 'threads': torch.get_num_threads(),
        'optimizer': a.optimizer, 'batchSize': a.batch_size, 'samples': n, 'loadSeconds': load_s,
        'epochSeconds': epochs, 'evalLoss': losses, 'peakRssBytes': peak_rss_bytes(),
    }))


if __name__ == '__main__':
    main()
