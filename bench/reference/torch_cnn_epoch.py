"""PyTorch twin of bench/cnn_epoch.ts: one MNIST training epoch of the PyTorch
examples/mnist CNN (conv 1->32 3x3, conv 32->64 3x3, max-pool 2, dropout
0.25, fc 9216->128, dropout 0.5, fc 128->10), batch 64, Adam (lr 1e-3), a
shuffled DataLoader over the normalized [N, 1, 28, 28] images, the loss read
each step. --batches limits the epoch to its first batches (after
--warmup-steps untimed ones). Prints one JSON object:
{"seconds", "batches", "epochBatches", "finalLoss", "version", "threads"}.

  torch_cnn_epoch.py --threads 2 --data-dir DIR [--batches 50]
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import load_mnist_train


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = self.dropout1(F.max_pool2d(x, 2))
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(self.dropout2(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, required=True)
    ap.add_argument('--data-dir', action='append', required=True)
    ap.add_argument('--batches', type=int, default=None)
    ap.add_argument('--warmup-steps', type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    xs, ys = load_mnist_train(a.data_dir)
    x = (torch.from_numpy(xs).reshape(-1, 1, 28, 28) - 0.1307) / 0.3081
    y = torch.from_numpy(ys)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=64, shuffle=True)
    model = Net()
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    limit = a.batches if a.batches is not None else len(loader)
    n, last, start = 0, float('nan'), time.perf_counter()
    for xb, yb in loader:
        if n == a.warmup_steps:
            start = time.perf_counter()
        if n == a.warmup_steps + limit:
            break
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        last = loss.item()
        n += 1
    seconds = time.perf_counter() - start
    print(json.dumps({
        'seconds': seconds, 'batches': n - a.warmup_steps, 'epochBatches': len(loader), 'finalLoss': last,
        'version': torch.__version__, 'threads': torch.get_num_threads(),
    }))


if __name__ == '__main__':
    main()
