# The PyTorch side of scripts/gpu-check.js: the same work as
# scripts/gpu-check/bench.js (same sizes, same timing method: warm-up, then
# the median over repeats of N calls + one synchronize), so the two columns
# of the final table compare like with like. Prints one JSON line last:
#   {"version": ..., "device": ..., "values": {key: value}}  (GB/s, TFLOP/s, ms/step)
# Usage: python3 torch_bench.py '<sizes JSON from bench.js>' cuda
import json
import sys
import time

import torch
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
dev = sys.argv[2] if len(sys.argv) > 2 else "cuda"
values = {}


def sync():
    if dev == "cuda":
        torch.cuda.synchronize()


def time_it(fn, warmup=3, reps=9, target=0.02, max_inner=200):
    for _ in range(warmup):
        fn()
    sync()
    t0 = time.perf_counter_ns()
    fn()
    sync()
    once = (time.perf_counter_ns() - t0) / 1e9
    inner = max(1, min(max_inner, int(-(-target // max(once, 1e-7)))))
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        for _ in range(inner):
            fn()
        sync()
        samples.append((time.perf_counter_ns() - t0) / 1e9 / inner)
    samples.sort()
    n = len(samples)
    return samples[n // 2] if n % 2 else (samples[n // 2 - 1] + samples[n // 2]) / 2


def rnd(shape, lo=-1.0, hi=1.0):
    return torch.rand(shape, device=dev) * (hi - lo) + lo


def put(key, value):
    values[key] = value
    print(f"torch {key}: {value:.3f}", file=sys.stderr)


torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

with torch.no_grad():
    n = cfg["copyN"]
    src, dst = rnd(n), torch.empty(n, device=dev)
    put("copy", 2 * 4 * n / time_it(lambda: dst.copy_(src)) / 1e9)
    del src, dst

    n = cfg["addN"]
    a, b, c = rnd(n), rnd(n), torch.empty(n, device=dev)
    put("add", 3 * 4 * n / time_it(lambda: torch.add(a, b, out=c)) / 1e9)
    del a, b, c

    def gemm(M, N, K, ta, tb, reps):
        A = rnd((K, M)).t() if ta else rnd((M, K))
        B = rnd((N, K)).t() if tb else rnd((K, N))
        C = torch.empty((M, N), device=dev)
        s = time_it(lambda: torch.mm(A, B, out=C), reps=reps)
        return 2 * M * N * K / s / 1e12

    G = cfg["gemm"]
    put("gemm", gemm(G, G, G, False, False, 7))
    if dev == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        put("gemm_tf32", gemm(G, G, G, False, False, 7))
        torch.backends.cuda.matmul.allow_tf32 = False
    for b in cfg["mlpBatches"]:
        for key, M, N, K, ta, tb in [
            (f"gemm_fc1_fwd_b{b}", b, 500, 784, False, True),
            (f"gemm_fc1_dW_b{b}", 500, 784, b, True, False),
            (f"gemm_fc2_fwd_b{b}", b, 10, 500, False, True),
        ]:
            put(key, gemm(M, N, K, ta, tb, 9))

# conv2d per direction (bench.js convLayers): forward, and the input and
# weight gradients through aten.convolution_backward (no bias), in TFLOP/s.
cb = cfg.get("convBatches")
if cb:
    with torch.no_grad():
        for key, n, C, H, W, Co, k, pad in [
            ("conv_resnet64", cb["resnet"], 64, 56, 56, 64, 3, 1),
            ("conv_mnist1", cb["mnist"], 1, 28, 28, 32, 3, 0),
            ("conv_mnist2", cb["mnist"], 32, 26, 26, 64, 3, 0),
        ]:
            Ho, Wo = H + 2 * pad - k + 1, W + 2 * pad - k + 1
            x, w, gy = rnd((n, C, H, W)), rnd((Co, C, k, k)), rnd((n, Co, Ho, Wo))
            flops = 2 * n * Co * Ho * Wo * C * k * k

            def bwd(mask):
                return lambda: torch.ops.aten.convolution_backward(
                    gy, x, w, None, [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, mask
                )

            put(f"{key}_fwd", flops / time_it(lambda: F.conv2d(x, w, None, 1, pad), reps=7) / 1e12)
            put(f"{key}_bwd_data", flops / time_it(bwd([True, False, False]), reps=7) / 1e12)
            put(f"{key}_bwd_weight", flops / time_it(bwd([False, True, False]), reps=7) / 1e12)
            del x, w, gy

# Cross-entropy: loss and dlogits (what nodetorch's fused kernel computes).
N, C = cfg["ce"]
logits = rnd((N, C), -4, 4).requires_grad_(True)
targets = torch.randint(0, C, (N,), device=dev)


def ce():
    loss = F.cross_entropy(logits, targets, reduction="sum")
    torch.autograd.grad(loss, logits)


put("cross_entropy", 2 * 4 * N * C / time_it(ce) / 1e9)
del logits, targets

# Adam over the same multi-tensor list; fused=True where this PyTorch has it.
per = cfg["adamN"] // cfg["adamTensors"]
params = [torch.nn.Parameter(rnd(per)) for _ in range(cfg["adamTensors"])]
for p in params:
    p.grad = rnd(per)
try:
    opt = torch.optim.Adam(params, lr=1e-3, fused=(dev == "cuda"))
except (TypeError, RuntimeError):
    opt = torch.optim.Adam(params, lr=1e-3, foreach=True)
opt.step()  # creates the state, as nodetorch's first step does
put("adam", 7 * 4 * cfg["adamN"] / time_it(opt.step) / 1e9)
del params, opt

# Batch norm training forward and backward, and the 2x2 max pool (no indices under no_grad).
if "bn" in cfg:
    bshape = cfg["bn"]
    bC = bshape[1]
    numel = bshape[0] * bshape[1] * bshape[2] * bshape[3]
    bx = rnd(bshape).requires_grad_(True)
    bw = torch.nn.Parameter(rnd(bC, 0.5, 2))
    bb = torch.nn.Parameter(rnd(bC))
    rm, rv = rnd(bC), rnd(bC, 0.5, 2)
    with torch.no_grad():
        put("batch_norm_fwd", 2 * 4 * numel / time_it(lambda: F.batch_norm(bx, rm, rv, bw, bb, True)) / 1e9)
    by = F.batch_norm(bx, rm, rv, bw, bb, True)
    bdy = rnd(bshape)
    put("batch_norm_bwd", 3 * 4 * numel / time_it(
        lambda: torch.autograd.grad(by, [bx, bw, bb], bdy, retain_graph=True)) / 1e9)
    del bx, bw, bb, by, bdy
    px = rnd(cfg["pool"])
    with torch.no_grad():
        put("max_pool2d", 1.25 * 4 * px.numel() / time_it(lambda: F.max_pool2d(px, 2)) / 1e9)
    del px

# The seed MLP training step, SGD lr 0.01.
for bs in cfg["mlpBatches"]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 500), torch.nn.ReLU(), torch.nn.Linear(500, 10)).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    batches = [(torch.rand(bs, 784, device=dev), torch.randint(0, 10, (bs,), device=dev)) for _ in range(8)]
    k = [0]

    def step():
        x, y = batches[k[0] % len(batches)]
        k[0] += 1
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    put(f"mlp_b{bs}", 1e3 * time_it(step, warmup=10, reps=7, target=0.1, max_inner=cfg["mlpSteps"]))

name = torch.cuda.get_device_name(0) if dev == "cuda" else "cpu"
print(json.dumps({"version": torch.__version__, "device": name, "values": values}))
