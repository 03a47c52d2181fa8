'use strict';
// Timings for scripts/gpu-check.js. Each benchmark: warm-up, then the median
// over several repeats of (N launches + one synchronize) / N, timed with
// process.hrtime.bigint. Bandwidth-bound kernels are reported against a
// measured ceiling (a large device-to-device copy), GEMMs against a large
// square GEMM. Inputs are random (never zeros: they hide unwritten outputs
// and can run faster) and, for the bandwidth tests, far larger than L2.
// The same work in PyTorch runs in scripts/gpu-check/torch_bench.py.

/** Sizes of every benchmark; `small` keeps the CPU self-test quick. */
function sizes(small) {
  return small
    ? {
        copyN: 1 << 22,
        addN: 1 << 20,
        gemm: 256,
        ce: [1024, 1000],
        adamN: 1 << 20,
        adamTensors: 4,
        mlpBatches: [64],
        mlpSteps: 5,
        convBatches: { resnet: 1, mnist: 2 },
        bn: [4, 16, 32, 32],
        pool: [16, 16, 48, 48],
      }
    : {
        copyN: 1 << 28,
        addN: 1 << 26,
        gemm: 4096,
        ce: [65536, 1000],
        adamN: 1 << 26,
        adamTensors: 16,
        mlpBatches: [64, 1024],
        mlpSteps: 50,
        convBatches: { resnet: 8, mnist: 64 },
        bn: [32, 64, 112, 112],
        pool: [256, 64, 112, 112],
      };
}

// MLP GEMM shapes (784 -> 500 -> 10) as [label, M, N, K, transA, transB] per batch.
function mlpGemms(b) {
  return [
    [`fc1 fwd b${b} [${b}x784]@[500x784]^T`, b, 500, 784, false, true],
    [`fc1 dW b${b} [${b}x500]^T@[${b}x784]`, 500, 784, b, true, false],
    [`fc2 fwd b${b} [${b}x500]@[10x500]^T`, b, 10, 500, false, true],
  ];
}

/**
 * conv2d layers timed per direction (float32, NCHW): the ResNet-style 3x3
 * 64->64 on 56x56 and the MNIST network's conv1 (1->32) and conv2 (32->64).
 * [key, label, N, C, H, W, Co, k, pad]; keys match torch_bench.py.
 */
function convLayers(cb) {
  return [
    ['conv_resnet64', `ResNet 3x3 64->64 56x56 b${cb.resnet}`, cb.resnet, 64, 56, 56, 64, 3, 1],
    ['conv_mnist1', `MNIST conv1 3x3 1->32 28x28 b${cb.mnist}`, cb.mnist, 1, 28, 28, 32, 3, 0],
    ['conv_mnist2', `MNIST conv2 3x3 32->64 26x26 b${cb.mnist}`, cb.mnist, 32, 26, 26, 64, 3, 0],
  ];
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Median seconds per call of fn (each repeat: `inner` calls, then sync). */
function timeIt(sync, fn, { warmup = 3, reps = 9, target = 0.02, maxInner = 200 } = {}) {
  for (let i = 0; i < warmup; ++i) fn();
  sync();
  let t0 = process.hrtime.bigint();
  fn();
  sync();
  const once = Number(process.hrtime.bigint() - t0) / 1e9;
  const inner = Math.max(1, Math.min(maxInner, Math.ceil(target / Math.max(once, 1e-7))));
  const samples = [];
  for (let r = 0; r < reps; ++r) {
    t0 = process.hrtime.bigint();
    for (let i = 0; i < inner; ++i) fn();
    sync();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e9 / inner);
  }
  return median(samples);
}

/**
 * Runs every benchmark on `device`. Returns rows
 * {name, value, unit, pctOf, key} (key matches torch_bench.py's output).
 */
function runBench(nt, L, device, small, log) {
  const S = sizes(small);
  const sync = device === 'cuda' ? () => nt.cuda.synchronize() : () => {};
  const rows = [];
  const put = (key, name, value, unit, ceiling) => {
    const row = { key, name, value, unit, pct: ceiling ? (100 * value) / ceiling : null };
    log(
      `bench ${name}: ${value.toFixed(unit === 'ms/step' ? 3 : 1)} ${unit}${row.pct !== null ? ` (${row.pct.toFixed(0)}% of ceiling)` : ''}`,
    );
    rows.push(row);
    return value;
  };
  const rnd = (shape, dtype = 'float32', lo = -1, hi = 1) =>
    nt.scope(() =>
      nt
        .rand(shape, { dtype, device })
        .mul_(hi - lo)
        .add_(lo),
    );

  // Device-to-device copy: the bandwidth ceiling (read + write).
  const src = rnd([S.copyN]);
  const dst = L.empty([S.copyN], 'float32', device);
  const copyS = timeIt(sync, () => L.kCopy(dst, src));
  const ceilingGBs = put('copy', `copy ${(S.copyN * 4) / 2 ** 20} MiB d2d`, (2 * 4 * S.copyN) / copyS / 1e9, 'GB/s', 0);
  src.dispose();
  dst.dispose();

  // Elementwise add: 2 reads + 1 write.
  const a = rnd([S.addN]),
    b = rnd([S.addN]),
    c = L.empty([S.addN], 'float32', device);
  const addS = timeIt(sync, () => L.kBinary(L.BinaryOp.Add, c, a, b, 1));
  put('add', `add fp32 n=${S.addN}`, (3 * 4 * S.addN) / addS / 1e9, 'GB/s', ceilingGBs);
  for (const t of [a, b, c]) t.dispose();

  // GEMM: the large square one is the TFLOP/s ceiling for the MLP shapes.
  const gemm = (M, N, K, ta, tb, reps) => {
    const A = rnd(ta ? [K, M] : [M, K]),
      B = rnd(tb ? [N, K] : [K, N]),
      C = L.empty([M, N], 'float32', device);
    const s = timeIt(
      sync,
      () =>
        L.kGemm(
          1,
          M,
          N,
          K,
          { t: A, ld: ta ? M : K, batchStride: 0, trans: ta },
          { t: B, ld: tb ? K : N, batchStride: 0, trans: tb },
          { t: C, ld: N, batchStride: 0 },
        ),
      { reps },
    );
    for (const t of [A, B, C]) t.dispose();
    return (2 * M * N * K) / s / 1e12;
  };
  const G = S.gemm;
  const gemmCeil = put('gemm', `GEMM fp32 ${G}^3`, gemm(G, G, G, false, false, 7), 'TFLOP/s', 0);
  if (device === 'cuda') {
    nt.backends.cuda.matmul.allowTF32 = true;
    try {
      put('gemm_tf32', `GEMM fp32 ${G}^3 allowTF32`, gemm(G, G, G, false, false, 7), 'TFLOP/s', 0);
    } finally {
      nt.backends.cuda.matmul.allowTF32 = false;
    }
  }
  for (const b of S.mlpBatches) {
    for (const [label, M, N, K, ta, tb] of mlpGemms(b))
      put(
        `gemm_${label.split(' [')[0].replace(/ /g, '_')}`,
        `GEMM ${label}`,
        gemm(M, N, K, ta, tb, 9),
        'TFLOP/s',
        gemmCeil,
      );
  }

  // conv2d kernels (cuDNN on CUDA when it loads), each direction in TFLOP/s
  // against the large GEMM.
  for (const [key, label, n, C, H, W, Co, k, pad] of convLayers(S.convBatches)) {
    const Ho = H + 2 * pad - k + 1,
      Wo = W + 2 * pad - k + 1;
    const g = { N: n, C, H, W, Co, G: 1, Cg: C, Ho, Wo, kh: k, kw: k, sh: 1, sw: 1, dh: 1, dw: 1 };
    Object.assign(g, { pt: pad, pb: pad, pl: pad, pr: pad });
    const x = rnd([n, C, H, W]),
      w = rnd([Co, C, k, k]),
      y = rnd([n, Co, Ho, Wo]);
    const dx = L.empty(x.shape, 'float32', device),
      dw = L.empty(w.shape, 'float32', device),
      out = L.empty(y.shape, 'float32', device);
    const flops = 2 * n * Co * Ho * Wo * C * k * k;
    for (const [dir, fn] of [
      ['fwd', () => L.kConv2d('forward', out, x, w, g)],
      ['bwd_data', () => L.kConv2d('backwardData', dx, y, w, g)],
      ['bwd_weight', () => L.kConv2d('backwardWeight', dw, x, y, g)],
    ])
      put(`${key}_${dir}`, `conv2d ${dir} ${label}`, flops / timeIt(sync, fn, { reps: 7 }) / 1e12, 'TFLOP/s', gemmCeil);
    for (const t of [x, w, y, dx, dw, out]) t.dispose();
  }

  // Fused cross-entropy with dlogits: reads logits once, writes dlogits once.
  const [N, C] = S.ce;
  const logits = rnd([N, C], 'float32', -4, 4);
  const targets = nt.randint(0, C, [N], { device });
  const losses = L.empty([N], 'float32', device),
    dlogits = L.empty([N, C], 'float32', device);
  const ceS = timeIt(sync, () => L.kCrossEntropy(losses, dlogits, logits, targets, -100, 0));
  put('cross_entropy', `fused CE fwd+bwd [${N},${C}]`, (2 * 4 * N * C) / ceS / 1e9, 'GB/s', ceilingGBs);
  for (const t of [logits, targets, losses, dlogits]) t.dispose();

  // Fused Adam over a multi-tensor list: reads p, g, m, v; writes p, m, v.
  const fused = require('../../dist/lib/kernels/fused');
  const per = S.adamN / S.adamTensors;
  const mk = (lo, hi) => Array.from({ length: S.adamTensors }, () => rnd([per], 'float32', lo, hi));
  const p = mk(-1, 1),
    g = mk(-1, 1),
    m = mk(-0.1, 0.1),
    v = mk(0, 0.01);
  const hyper = {
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
    bc1: 0.1,
    bc2: 0.001,
    decoupled: false,
    amsgrad: false,
    maximize: false,
  };
  const adamS = timeIt(sync, () => fused.launchAdam(p, g, m, v, null, hyper));
  put(
    'adam',
    `fused Adam ${S.adamN / 2 ** 20}M params x${S.adamTensors} tensors`,
    (7 * 4 * S.adamN) / adamS / 1e9,
    'GB/s',
    ceilingGBs,
  );
  for (const t of [...p, ...g, ...m, ...v]) t.dispose();

  // Batch norm (cuDNN when loaded, else nodetorch's kernels): training forward
  // reads x twice-or-once and writes y (counted: 1 read + 1 write); the
  // backward reads x and dy and writes dx (3 passes counted).
  const BN = require('../../dist/lib/kernels/batch_norm');
  const [bN, bC, bH, bW] = S.bn;
  const bnX = rnd(S.bn),
    bnDy = rnd(S.bn),
    bnY = L.empty(S.bn, 'float32', device),
    bnDx = L.empty(S.bn, 'float32', device);
  const vec = (lo, hi) => rnd([bC], 'float32', lo, hi);
  const [bw, bb, brm, brv, bsm, bsi, bdw, bdb] = [
    vec(0.5, 2),
    vec(-1, 1),
    vec(-1, 1),
    vec(0.5, 2),
    vec(0, 1),
    vec(0.5, 2),
    vec(0, 1),
    vec(0, 1),
  ];
  const dims = { N: bN, C: bC, HW: bH * bW, eps: 1e-5, training: true };
  const bnFwd = () =>
    BN.kBatchNormForward(
      bnY,
      bnX,
      { weight: bw, bias: bb },
      { mean: brm, var: brv },
      { mean: bsm, invstd: bsi },
      dims,
      0.1,
    );
  const bnElems = bN * bC * bH * bW;
  put(
    'batch_norm_fwd',
    `batch norm train fwd fp32 [${S.bn}]`,
    (2 * 4 * bnElems) / timeIt(sync, bnFwd) / 1e9,
    'GB/s',
    ceilingGBs,
  );
  const bnBwd = () =>
    BN.kBatchNormBackward({ dx: bnDx, dweight: bdw, dbias: bdb }, bnDy, bnX, { mean: bsm, invstd: bsi }, bw, dims);
  put(
    'batch_norm_bwd',
    `batch norm bwd fp32 [${S.bn}]`,
    (3 * 4 * bnElems) / timeIt(sync, bnBwd) / 1e9,
    'GB/s',
    ceilingGBs,
  );
  for (const t of [bnX, bnDy, bnY, bnDx, bw, bb, brm, brv, bsm, bsi, bdw, bdb]) t.dispose();

  // Max pool 2x2 stride 2, values only (no indices, as a no-grad forward): reads x, writes x / 4.
  const [pN, pC, pH, pW] = S.pool;
  const px = rnd(S.pool),
    py = L.empty([pN, pC, pH / 2, pW / 2], 'float32', device);
  const pg = { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], out: [pH / 2, pW / 2] };
  const poolS = timeIt(sync, () => L.kMaxPool2d(py, null, px, pg));
  put('max_pool2d', `max pool 2x2 fp32 [${S.pool}]`, (1.25 * 4 * pN * pC * pH * pW) / poolS / 1e9, 'GB/s', ceilingGBs);
  px.dispose();
  py.dispose();

  // The seed MLP training step (784 -> 500 -> 10, ReLU, CE, SGD lr 0.01), model.to(device).
  for (const bs of S.mlpBatches) {
    nt.manualSeed(0);
    const model = new nt.nn.Sequential(new nt.nn.Linear(784, 500), new nt.nn.ReLU(), new nt.nn.Linear(500, 10)).to(
      device,
    );
    const opt = new nt.optim.SGD(model.parameters(), { lr: 0.01 });
    const batches = Array.from({ length: 8 }, () => [
      nt.keep(nt.rand([bs, 784], { device })),
      nt.keep(nt.randint(0, 10, [bs], { device })),
    ]);
    let k = 0;
    const step = () =>
      nt.scope(() => {
        const [x, y] = batches[k++ % batches.length];
        opt.zeroGrad();
        const loss = nt.nn.functional.crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
      });
    const s = timeIt(sync, step, { warmup: 10, reps: 7, target: 0.1, maxInner: S.mlpSteps });
    put(`mlp_b${bs}`, `MLP train step b${bs} (${(1 / s).toFixed(0)} steps/s)`, s * 1e3, 'ms/step', 0);
    for (const [x, y] of batches) {
      x.dispose();
      y.dispose();
    }
    opt.zeroGrad();
    for (const t of model.parameters()) t.dispose();
  }
  return { rows, sizes: S };
}

module.exports = { runBench, sizes, mlpGemms, timeIt, convLayers };
