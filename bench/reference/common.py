"""Shared helpers of the PyTorch reference benchmarks: an IDX reader for the
MNIST files, the timing loop (same method as bench/stats.ts) and peak RSS.

Run by bench/torch.ts with /usr/bin/python3 (or python3) when torch imports.
"""
import gzip
import os
import statistics
import struct
import time

import numpy as np

# IDX type byte -> numpy big-endian dtype (http://yann.lecun.com/exdb/mnist/)
_IDX_TYPES = {0x08: '>u1', 0x09: '>i1', 0x0B: '>i2', 0x0C: '>i4', 0x0D: '>f4', 0x0E: '>f8'}


def read_idx(path):
    """Reads a raw or gzip-compressed IDX file into a numpy array."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f'{path}: not an IDX file')
    ndim = data[3]
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    dt = np.dtype(_IDX_TYPES[data[2]])
    arr = np.frombuffer(data, dtype=dt, offset=4 + 4 * ndim, count=int(np.prod(dims)))
    return arr.reshape(dims)


def find_file(dirs, name):
    for d in dirs:
        for candidate in (os.path.join(d, name), os.path.join(d, name + '.gz')):
            if os.path.exists(candidate):
                return candidate
    raise FileNotFoundError(f'{name} not found in {dirs}')


def load_mnist_train(dirs):
    """(images float32 [N, 784] scaled to [0, 1], labels int64 [N])."""
    x = read_idx(find_file(dirs, 'train-images-idx3-ubyte'))
    y = read_idx(find_file(dirs, 'train-labels-idx1-ubyte'))
    x = x.reshape(x.shape[0], -1).astype(np.float32) / np.float32(255.0)
    return x, y.astype(np.int64)


def measure(fn, reps, min_time):
    """Seconds per call: fn runs for a quarter of min_time (at least 3 calls)
    as bench/stats.ts's warm-up does, one more call calibrates the inner loop
    to about min_time seconds, then `reps` timed repetitions. Returns a dict
    like bench/stats.ts's Stat."""
    until = time.perf_counter() + min_time / 4
    calls = 0
    while calls < 3 or time.perf_counter() < until:
        fn()
        calls += 1
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    iters = max(1, int(min_time / max(first, 1e-9)))
    if iters > 1:  # a second warm-up: the first call may include lazy set-up
        t0 = time.perf_counter()
        fn()
        iters = max(1, int(min_time / max(time.perf_counter() - t0, 1e-9)))
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        samples.append((time.perf_counter() - t0) / iters)
    return {'median': statistics.median(samples), 'min': min(samples), 'max': max(samples),
            'reps': reps, 'iters': iters, 'samples': samples}


def peak_rss_bytes():
    """VmHWM of this process (Linux), else None."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None
