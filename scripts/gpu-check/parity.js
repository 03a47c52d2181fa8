'use strict';
// Kernel parity for scripts/gpu-check.js: every kernel of NT_KERNEL_LIST run
// on the target device and on the CPU (its twin) with the same fresh random
// inputs, through the raw launchers of dist/lib/kernels/launch.js (no autograd,
// no user-level checks in between). Outputs are poisoned first (NaN for
// floats, a sentinel for integers) so an element the kernel never writes
// shows up as a mismatch. Tolerance per element: atol + rtol * |cpu|.
// Plain Node: only the compiled dist/ and Node's own modules.

const F32 = { atol: 1e-6, rtol: 1e-5 };
const F64 = { atol: 1e-13, rtol: 1e-12 };
const EXACT = { atol: 0, rtol: 0 };
const SIZES = [1, 31, 1025];
const FLOATS = ['float32', 'float64'];

/** Mulberry32: a small seeded PRNG, so a failing case can be rerun as is. */
function makeRng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const numelOf = (shape) => shape.reduce((a, b) => a * b, 1);
const tolOf = (dtype, scale = 1) => {
  const t = dtype === 'float64' ? F64 : F32;
  return { atol: t.atol * scale, rtol: t.rtol * scale };
};
// A sum of n terms of magnitude `mag` in another order (GPU trees vs CPU
// blocks): the rounding error grows like u * n * mag; 8x that is far below
// what a wrong kernel produces (a lost or doubled term is off by ~mag).
const sumTol = (dtype, n, mag = 1) => {
  const u = dtype === 'float64' ? 2 ** -53 : 2 ** -24;
  const t = tolOf(dtype, 2);
  return { atol: t.atol + 8 * u * n * mag, rtol: t.rtol };
};

/**
 * Builds the case list. Each case: name, kernel (NT_KERNEL_LIST entry),
 * inputs {key: cpu tensor}, outputs {key: {shape, dtype}} (poisoned before
 * the launch), inplace [keys of inputs the kernel updates], launch(L, t),
 * tol {atol, rtol}.
 */
function buildCases(nt, L, seed) {
  const rng = makeRng(seed);
  const uni = (n, lo, hi) => {
    const v = new Float64Array(n);
    for (let i = 0; i < n; ++i) v[i] = lo + (hi - lo) * rng();
    return v;
  };
  const rand = (shape, dtype, lo = -2, hi = 2) => nt.tensor(uni(numelOf(shape), lo, hi), { dtype, shape });
  const ints = (shape, lo, hi, dtype = 'int64') => {
    const v = new Float64Array(numelOf(shape));
    for (let i = 0; i < v.length; ++i) v[i] = lo + Math.floor((hi - lo) * rng());
    return nt.tensor(v, { dtype, shape });
  };
  const bools = (shape) => ints(shape, 0, 2, 'bool');
  const cases = [];
  const add = (c) => cases.push({ inplace: [], outputs: {}, tol: EXACT, ...c });
  const U = L.UnaryOp,
    B = L.BinaryOp,
    R = L.ReduceOp,
    RK = L.RandomKind;

  // ---- fill / copy (casts, strided and broadcast sources) / arange ----------
  for (const dtype of [...FLOATS, 'int32', 'int64', 'uint8', 'bool']) {
    for (const n of SIZES) {
      add({
        name: `fill ${dtype} n=${n}`,
        kernel: 'fill',
        inputs: {},
        outputs: { out: { shape: [n], dtype } },
        launch: (_, t) => L.kFill(t.out, dtype === 'bool' ? 1 : 7),
      });
    }
  }
  const casts = [
    ['float32', 'float64'],
    ['float64', 'float32'],
    ['float32', 'int32'],
    ['float64', 'int64'],
    ['int64', 'float32'],
    ['int32', 'float64'],
    ['bool', 'float32'],
    ['uint8', 'float64'],
    ['float32', 'bool'],
    ['float32', 'float32'],
  ];
  for (const [from, to] of casts) {
    for (const n of SIZES) {
      const x =
        from === 'bool'
          ? bools([n])
          : from === 'uint8'
            ? ints([n], 0, 256, 'uint8')
            : from.startsWith('int')
              ? ints([n], -1000, 1000, from)
              : rand([n], from, -50, 50);
      add({
        name: `copy ${from}->${to} n=${n}`,
        kernel: 'copy',
        inputs: { x },
        outputs: { out: { shape: [n], dtype: to } },
        launch: (_, t) => L.kCopy(t.out, t.x),
        tol: to === 'float32' && from === 'float64' ? F32 : EXACT,
      });
    }
  }
  for (const dtype of FLOATS) {
    add({
      name: `copy transposed ${dtype} [33,31]`,
      kernel: 'copy',
      inputs: { x: rand([31, 33], dtype) },
      outputs: { out: { shape: [33, 31], dtype } },
      launch: (_, t) => L.kCopy(t.out, t.x.transpose(0, 1)),
    });
    add({
      name: `copy broadcast ${dtype} [1,1025]->[31,1025]`,
      kernel: 'copy',
      inputs: { x: rand([1, 1025], dtype) },
      outputs: { out: { shape: [31, 1025], dtype } },
      launch: (_, t) => L.kCopy(t.out, t.x),
    });
    // Writes into a strided view: the untouched half of `out` must stay poisoned on both devices.
    add({
      name: `copy into strided view ${dtype}`,
      kernel: 'copy',
      inputs: { x: rand([31, 17], dtype) },
      outputs: { out: { shape: [31, 34], dtype } },
      launch: (_, t) => L.kCopy(t.out.narrow(1, 17, 17), t.x),
    });
  }
  for (const dtype of [...FLOATS, 'int32', 'int64']) {
    for (const n of SIZES) {
      add({
        name: `arange ${dtype} n=${n}`,
        kernel: 'arange',
        inputs: {},
        outputs: { out: { shape: [n], dtype } },
        launch: (_, t) => L.kArange(t.out, dtype.startsWith('int') ? -7 : -3.5, dtype.startsWith('int') ? 3 : 0.25),
      });
    }
  }

  // ---- unary: every op code -------------------------------------------------
  const positive = new Set([U.Log, U.Sqrt, U.Rsqrt, U.Reciprocal, U.Log1p, U.PowScalar, U.RdivScalar]);
  const params = {
    [U.AddScalar]: [1.5, 0],
    [U.MulScalar]: [-2.5, 0],
    [U.PowScalar]: [2.7, 0],
    [U.RsubScalar]: [0.75, 0],
    [U.RdivScalar]: [3, 0],
    [U.Clamp]: [-0.5, 1.25],
    [U.LeakyRelu]: [0.01, 0],
  };
  for (const [name, code] of Object.entries(U).filter(([k, v]) => typeof v === 'number' && Number.isNaN(Number(k)))) {
    for (const dtype of FLOATS) {
      for (const n of SIZES) {
        const [p0, p1] = params[code] ?? [0, 0];
        const x = positive.has(code) ? rand([n], dtype, 0.05, 4) : rand([n], dtype, -3, 3);
        add({
          name: `unary ${name} ${dtype} n=${n}`,
          kernel: 'unary',
          inputs: { x },
          outputs: { out: { shape: [n], dtype } },
          launch: (_, t) => L.kUnary(code, t.out, t.x, p0, p1),
          tol: tolOf(dtype, 2),
        });
      }
      // A strided (transposed) input: the non-coalesced path.
      const x = rand([31, 33], dtype, positive.has(code) ? 0.05 : -3, 3);
      const [p0, p1] = params[code] ?? [0, 0];
      add({
        name: `unary ${name} ${dtype} transposed`,
        kernel: 'unary',
        inputs: { x },
        outputs: { out: { shape: [33, 31], dtype } },
        launch: (_, t) => L.kUnary(code, t.out, t.x.transpose(0, 1), p0, p1),
        tol: tolOf(dtype, 2),
      });
    }
  }

  // ---- binary: every op code, plain and broadcast -----------------------------
  const compare = new Set([B.Eq, B.Ne, B.Lt, B.Le, B.Gt, B.Ge]);
  const logical = new Set([B.LogicalAnd, B.LogicalOr]);
  for (const [name, code] of Object.entries(B).filter(([k, v]) => typeof v === 'number' && Number.isNaN(Number(k)))) {
    for (const dtype of FLOATS) {
      const inDtype = logical.has(code) ? 'bool' : dtype;
      const outDtype = logical.has(code) || compare.has(code) ? 'bool' : dtype;
      const make = (shape, which) => {
        if (logical.has(code)) return bools(shape);
        if (compare.has(code)) return ints(shape, -2, 3, dtype); // small integers: many ties for Eq/Le/Ge
        if (code === B.Pow && which === 'a') return rand(shape, dtype, 0.1, 3);
        if (code === B.Div && which === 'b') return rand(shape, dtype, 0.5, 3);
        if (code === B.SigmoidBackward && which === 'b') return rand(shape, dtype, 0, 1);
        if (code === B.TanhBackward && which === 'b') return rand(shape, dtype, -1, 1);
        return rand(shape, dtype);
      };
      const shapes = [
        ...SIZES.map((n) => [[n], [n], `n=${n}`]),
        [[31, 1025], [1, 1025], 'broadcast [31,1025]x[1,1025]'],
        [[31, 1], [1, 33], 'broadcast [31,1]x[1,33]'],
      ];
      for (const [sa, sb, label] of shapes) {
        const outShape = sa.map((s, i) => Math.max(s, sb[i]));
        const alpha = code === B.Add || code === B.Sub ? 0.5 : 1;
        add({
          name: `binary ${name} ${dtype} ${label}`,
          kernel: 'binary',
          inputs: { a: make(sa, 'a'), b: make(sb, 'b') },
          outputs: { out: { shape: outShape, dtype: outDtype } },
          launch: (_, t) => L.kBinary(code, t.out, t.a, t.b, alpha),
          tol: outDtype === 'bool' ? EXACT : tolOf(inDtype === 'bool' ? 'float32' : dtype, 2),
        });
      }
    }
  }

  // ---- where ---------------------------------------------------------------------
  for (const dtype of FLOATS) {
    for (const n of SIZES) {
      add({
        name: `where ${dtype} n=${n}`,
        kernel: 'where',
        inputs: { c: bools([n]), a: rand([n], dtype), b: rand([n], dtype) },
        outputs: { out: { shape: [n], dtype } },
        launch: (_, t) => L.kWhere(t.out, t.c, t.a, t.b),
      });
    }
    add({
      name: `where ${dtype} broadcast`,
      kernel: 'where',
      inputs: { c: bools([31, 1]), a: rand([1, 33], dtype), b: rand([31, 33], dtype) },
      outputs: { out: { shape: [31, 33], dtype } },
      launch: (_, t) => L.kWhere(t.out, t.c, t.a, t.b),
    });
  }

  // ---- reduce: every op over inner, outer and all dims --------------------------
  for (const [name, code] of Object.entries(R).filter(([k, v]) => typeof v === 'number' && Number.isNaN(Number(k)))) {
    const arg = code === R.ArgMax || code === R.ArgMin;
    for (const dtype of FLOATS) {
      for (const [shape, dims, label] of [
        [[31, 1025], [1], 'inner'],
        [[1025, 31], [0], 'outer'],
        [[7, 31, 5], [0, 2], 'outer+inner'],
        [[1, 1], [1], 'n=1'],
        [[3, 1025], [0, 1], 'all'],
      ]) {
        if (arg && dims.length > 1) continue;
        const lo = code === R.Prod ? 0.97 : -2,
          hi = code === R.Prod ? 1.03 : 2;
        const outShape = shape.filter((_, d) => !dims.includes(d));
        const n = numelOf(dims.map((d) => shape[d]));
        add({
          name: `reduce ${name} ${dtype} ${label} ${JSON.stringify(shape)}`,
          kernel: 'reduce',
          inputs: { x: rand(shape, dtype, lo, hi) },
          outputs: { out: { shape: outShape, dtype: arg ? 'int64' : dtype } },
          launch: (_, t) => L.kReduce(code, t.out, t.x, dims, code === R.Var ? 1 : 0),
          tol: arg || code === R.Max || code === R.Min ? EXACT : sumTol(dtype, n, 1.5),
        });
      }
    }
  }

  // ---- softmax / log-softmax forward and backward -------------------------------
  for (const dtype of FLOATS) {
    for (const cols of SIZES) {
      for (const log of [false, true]) {
        const rows = 31;
        const tag = `${log ? 'logSoftmax' : 'softmax'} ${dtype} [${rows},${cols}]`;
        add({
          name: tag,
          kernel: 'softmax',
          inputs: { x: rand([rows, cols], dtype, -5, 5) },
          outputs: { out: { shape: [rows, cols], dtype } },
          launch: (_, t) => L.kSoftmax(t.out, t.x, rows, cols, log),
          tol: tolOf(dtype, 4),
        });
        // y is a genuine softmax output (rows summing to 1) so the backward sees realistic data.
        const y = nt.softmax(rand([rows, cols], dtype, -5, 5), -1);
        const yIn = log ? y.log() : y;
        add({
          name: `${tag} backward`,
          kernel: 'softmaxBackward',
          inputs: { dy: rand([rows, cols], dtype), y: yIn },
          outputs: { dx: { shape: [rows, cols], dtype } },
          launch: (_, t) => L.kSoftmaxBackward(t.dx, t.dy, t.y, rows, cols, log),
          tol: tolOf(dtype, 4 + Math.sqrt(cols)),
        });
      }
    }
  }

  // ---- gemm: all transpose combos, batched, batch stride 0, alpha/beta ----------
  for (const dtype of FLOATS) {
    for (const [M, N, K] of [
      [1, 1, 1],
      [31, 33, 1025],
      [64, 31, 17],
      [130, 127, 129],
    ]) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          for (const [batch, bStride0, beta] of [
            [1, false, 0],
            [3, false, 0],
            [3, true, 0.5],
          ]) {
            const a = rand(ta ? [batch, K, M] : [batch, M, K], dtype);
            const b = rand(tb ? [bStride0 ? 1 : batch, N, K] : [bStride0 ? 1 : batch, K, N], dtype);
            const inputs = { a, b };
            if (beta) inputs.c = rand([batch, M, N], dtype);
            add({
              name: `gemm ${dtype} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} M${M} N${N} K${K} batch${batch}${bStride0 ? ' strideB=0' : ''}${beta ? ` beta=${beta}` : ''}`,
              kernel: 'gemm',
              inputs,
              inplace: beta ? ['c'] : [],
              outputs: beta ? {} : { c: { shape: [batch, M, N], dtype } },
              launch: (_, t) =>
                L.kGemm(
                  batch,
                  M,
                  N,
                  K,
                  { t: t.a, ld: ta ? M : K, batchStride: M * K, trans: ta },
                  { t: t.b, ld: tb ? K : N, batchStride: bStride0 ? 0 : K * N, trans: tb },
                  { t: t.c, ld: N, batchStride: M * N },
                  1.25,
                  beta,
                ),
              tol: sumTol(dtype, K, 2.5), // |alpha * a * b| <= 5, ~1.7 on average
            });
          }
        }
      }
    }
  }

  // ---- fused cross-entropy ---------------------------------------------------------
  for (const dtype of FLOATS) {
    for (const C of [1, 10, 1025]) {
      for (const [ls, ignore] of [
        [0, false],
        [0.1, false],
        [0, true],
        [0.2, true],
      ]) {
        for (const grad of [true, false]) {
          const N = 31;
          const tg = ints([N], 0, C);
          if (ignore) for (const i of [0, 7, 30]) tg.narrow(0, i, 1).fill_(-100);
          const outputs = { losses: { shape: [N], dtype } };
          if (grad) outputs.dlogits = { shape: [N, C], dtype };
          add({
            name: `crossEntropy ${dtype} [${N},${C}] ls=${ls}${ignore ? ' ignoreIndex' : ''}${grad ? ' +dlogits' : ''}`,
            kernel: 'crossEntropy',
            inputs: { x: rand([N, C], dtype, -8, 8), tg },
            outputs,
            launch: (_, t) => L.kCrossEntropy(t.losses, grad ? t.dlogits : null, t.x, t.tg, -100, ls),
            tol: tolOf(dtype, 4 + Math.sqrt(C)),
          });
        }
      }
    }
    // int32 targets
    add({
      name: `crossEntropy ${dtype} [31,10] int32 targets`,
      kernel: 'crossEntropy',
      inputs: { x: rand([31, 10], dtype), tg: ints([31], 0, 10, 'int32') },
      outputs: { losses: { shape: [31], dtype }, dlogits: { shape: [31, 10], dtype } },
      launch: (_, t) => L.kCrossEntropy(t.losses, t.dlogits, t.x, t.tg, -100, 0),
      tol: tolOf(dtype, 8),
    });
  }

  // ---- fused optimizers: multi-tensor lists of odd sizes ------------------------
  const fused = require('../../dist/lib/kernels/fused');
  for (const dtype of FLOATS) {
    const sizes = [1, 31, 1025, 4099];
    const list = (prefix, lo, hi) =>
      Object.fromEntries(sizes.map((n, k) => [`${prefix}${k}`, rand([n], dtype, lo, hi)]));
    const pick = (t, prefix) => sizes.map((_, k) => t[`${prefix}${k}`]);
    const keys = (...prefixes) => prefixes.flatMap((p) => sizes.map((_, k) => `${p}${k}`));
    for (const v of [
      { decoupled: false, amsgrad: false, maximize: false, wd: 0 },
      { decoupled: true, amsgrad: false, maximize: false, wd: 0.01 },
      { decoupled: false, amsgrad: true, maximize: false, wd: 0.1 },
      { decoupled: true, amsgrad: true, maximize: true, wd: 0.01 },
    ]) {
      const inputs = { ...list('p', -1, 1), ...list('g', -1, 1), ...list('m', -0.1, 0.1), ...list('v', 0, 0.01) };
      if (v.amsgrad) Object.assign(inputs, list('vm', 0, 0.02));
      const step = 3;
      add({
        name: `adam ${dtype} ${v.decoupled ? 'adamw' : 'adam'}${v.amsgrad ? ' amsgrad' : ''}${v.maximize ? ' maximize' : ''} wd=${v.wd} x${sizes.length} tensors`,
        kernel: 'adam',
        inputs,
        inplace: keys('p', 'm', 'v', ...(v.amsgrad ? ['vm'] : [])),
        launch: (_, t) =>
          fused.launchAdam(pick(t, 'p'), pick(t, 'g'), pick(t, 'm'), pick(t, 'v'), v.amsgrad ? pick(t, 'vm') : null, {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weightDecay: v.wd,
            bc1: 1 - 0.9 ** step,
            bc2: 1 - 0.999 ** step,
            decoupled: v.decoupled,
            amsgrad: v.amsgrad,
            maximize: v.maximize,
          }),
        tol: tolOf(dtype, 4),
      });
    }
    for (const v of [
      { momentum: 0 },
      { momentum: 0.9, firstStep: true },
      { momentum: 0.9, dampening: 0.1, wd: 1e-2 },
      { momentum: 0.9, nesterov: true, maximize: true },
    ]) {
      const inputs = { ...list('p', -1, 1), ...list('g', -1, 1) };
      if (v.momentum) Object.assign(inputs, list('buf', -0.1, 0.1));
      add({
        name: `sgd ${dtype} momentum=${v.momentum}${v.firstStep ? ' firstStep' : ''}${v.dampening ? ' dampening' : ''}${v.nesterov ? ' nesterov' : ''}${v.maximize ? ' maximize' : ''}`,
        kernel: 'sgd',
        inputs,
        inplace: keys('p', ...(v.momentum ? ['buf'] : [])),
        launch: (_, t) =>
          fused.launchSgd(pick(t, 'p'), pick(t, 'g'), v.momentum ? pick(t, 'buf') : null, {
            lr: 0.01,
            momentum: v.momentum,
            dampening: v.dampening ?? 0,
            weightDecay: v.wd ?? 0,
            nesterov: !!v.nesterov,
            firstStep: !!v.firstStep,
            maximize: !!v.maximize,
          }),
        tol: tolOf(dtype, 2),
      });
    }
  }

  // ---- pooling: maxPool2d (values and first-max positions exact) ---------------
  for (const dtype of FLOATS) {
    for (const g of [
      { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], hw: [24, 24] },
      { k: [3, 3], s: [2, 1], p: [1, 1], d: [2, 1], hw: [17, 13] },
    ]) {
      const [H, W] = g.hw;
      const out = [0, 1].map((i) => Math.floor((g.hw[i] + 2 * g.p[i] - g.d[i] * (g.k[i] - 1) - 1) / g.s[i]) + 1);
      add({
        name: `maxPool2d ${dtype} [4,5,${H},${W}] k${g.k} s${g.s} p${g.p} d${g.d}`,
        kernel: 'maxPool2d',
        inputs: { x: rand([4, 5, H, W], dtype) },
        outputs: { out: { shape: [4, 5, ...out], dtype }, idx: { shape: [4, 5, ...out], dtype: 'int64' } },
        launch: (_, t) => L.kMaxPool2d(t.out, t.idx, t.x, { ...g, out }),
      });
    }
  }

  // ---- indexing: indexSelect / indexAdd / gather / scatterAdd -------------------
  for (const dtype of FLOATS) {
    for (const idt of ['int64', 'int32']) {
      const [outer, dimSize, inner, nIndex] = [3, 31, 33, 40];
      add({
        name: `indexSelect ${dtype} ${idt} [3,31,33] n=40`,
        kernel: 'indexSelect',
        inputs: { x: rand([outer, dimSize, inner], dtype), ix: ints([nIndex], 0, dimSize, idt) },
        outputs: { out: { shape: [outer, nIndex, inner], dtype } },
        launch: (_, t) => L.kIndexSelect(t.out, t.x, t.ix, outer, dimSize, inner),
      });
      add({
        name: `indexSelect ${dtype} ${idt} rows of [1025,7] n=1`,
        kernel: 'indexSelect',
        inputs: { x: rand([1025, 7], dtype), ix: ints([1], 0, 1025, idt) },
        outputs: { out: { shape: [1, 7], dtype } },
        launch: (_, t) => L.kIndexSelect(t.out, t.x, t.ix, 1, 1025, 7),
      });
      // Repeated indices: accumulation order differs on the GPU (atomics).
      add({
        name: `indexAdd ${dtype} ${idt} [3,31,33] n=40 repeats`,
        kernel: 'indexAdd',
        inputs: {
          out: rand([outer, dimSize, inner], dtype),
          src: rand([outer, nIndex, inner], dtype),
          ix: ints([nIndex], 0, 5, idt),
        },
        inplace: ['out'],
        launch: (_, t) => L.kIndexAdd(t.out, t.src, t.ix, outer, dimSize, inner),
        tol: tolOf(dtype, 8),
      });
      for (const dim of [0, 1]) {
        const ixShape = dim === 0 ? [20, 33] : [31, 17];
        add({
          name: `gather ${dtype} ${idt} [31,33] dim=${dim}`,
          kernel: 'gather',
          inputs: { x: rand([31, 33], dtype), ix: ints(ixShape, 0, [31, 33][dim], idt) },
          outputs: { out: { shape: ixShape, dtype } },
          launch: (_, t) => L.kGather(t.out, t.x, t.ix, dim),
        });
        add({
          name: `scatterAdd ${dtype} ${idt} [31,33] dim=${dim}`,
          kernel: 'scatterAdd',
          inputs: { out: rand([31, 33], dtype), src: rand(ixShape, dtype), ix: ints(ixShape, 0, [31, 33][dim], idt) },
          inplace: ['out'],
          launch: (_, t) => L.kScatterAdd(t.out, t.src, t.ix, dim),
          tol: tolOf(dtype, 8),
        });
      }
    }
  }

  // ---- random: same Philox stream on both devices ------------------------------------
  const seedBig = 0x1234_5678_9abcn;
  for (const dtype of FLOATS) {
    for (const n of [...SIZES, 4099]) {
      for (const offset of [0, 5]) {
        add({
          name: `random uniform ${dtype} n=${n} offset=${offset}`,
          kernel: 'random',
          inputs: {},
          outputs: { out: { shape: [n], dtype } },
          launch: (_, t) => L.kRandom(t.out, RK.Uniform, seedBig, offset, -1, 3),
        });
        add({
          name: `random normal ${dtype} n=${n} offset=${offset}`,
          kernel: 'random',
          inputs: {},
          outputs: { out: { shape: [n], dtype } },
          launch: (_, t) => L.kRandom(t.out, RK.Normal, seedBig, offset, 0.5, 2),
          tol: { atol: 1e-6, rtol: 1e-6 },
        });
        add({
          name: `random bernoulli ${dtype} n=${n} offset=${offset}`,
          kernel: 'random',
          inputs: {},
          outputs: { out: { shape: [n], dtype } },
          launch: (_, t) => L.kRandom(t.out, RK.Bernoulli, seedBig, offset, 0.3, 1),
        });
      }
    }
  }
  for (const dtype of ['int64', 'int32', 'float32']) {
    for (const n of [1, 31, 1025]) {
      add({
        name: `random int ${dtype} n=${n}`,
        kernel: 'random',
        inputs: {},
        outputs: { out: { shape: [n], dtype } },
        launch: (_, t) => L.kRandom(t.out, RK.Int, seedBig, 3, -5, 1000),
      });
    }
  }
  // ---- language-model ops (issue 13): sortRows, cumsum, multinomial ---------------
  // sortRows has one answer (NaN largest, ties in input order): exact on both.
  // Rows up to 2048 sort in shared memory, longer ones in a workspace.
  const withTiesAndNaN = (shape, dtype) => {
    const t = ints(shape, -4, 4, 'float64');
    const v = Float64Array.from(t.data());
    for (let i = 5; i < v.length; i += 11) v[i] = Number.NaN;
    return nt.tensor(v, { dtype, shape });
  };
  for (const [rows, cols, k] of [
    [3, 1, 1],
    [5, 31, 31],
    [2, 1025, 1025],
    [4, 1025, 5],
    [2, 300, 0],
    [2, 2048, 2048], // the largest shared-memory sort
    [3, 2049, 7], // the workspace sort, one launch per stage
    [1, 50257, 50], // top-k over a GPT-2 vocabulary
  ]) {
    for (const descending of [false, true]) {
      for (const dtype of [...FLOATS, 'int64']) {
        const x = dtype === 'int64' ? ints([rows, cols], -4, 4) : withTiesAndNaN([rows, cols], dtype);
        add({
          name: `sortRows ${dtype} [${rows},${cols}] k=${k}${descending ? ' descending' : ''}`,
          kernel: 'sortRows',
          inputs: { x },
          outputs: { values: { shape: [rows, k], dtype }, indices: { shape: [rows, k], dtype: 'int64' } },
          launch: (_, t) => L.kSortRows(t.values, t.indices, t.x, rows, cols, k, descending),
        });
      }
    }
  }
  for (const [outer, n, inner] of [
    [1, 1025, 1],
    [3, 31, 7],
    [40, 1, 5],
  ]) {
    for (const reverse of [false, true]) {
      for (const dtype of [...FLOATS, 'int64']) {
        const x = dtype === 'int64' ? ints([outer, n, inner], -1000, 1000) : rand([outer, n, inner], dtype);
        add({
          name: `cumsum ${dtype} [${outer},${n},${inner}]${reverse ? ' reverse' : ''}`,
          kernel: 'cumsum',
          inputs: { x },
          outputs: { out: { shape: [outer, n, inner], dtype } },
          launch: (_, t) => L.kCumsum(t.out, t.x, outer, n, inner, reverse),
          tol: dtype === 'int64' ? EXACT : tolOf(dtype),
        });
      }
    }
  }
  // multinomial draws with the same Philox numbers and routine: exact indices.
  for (const dtype of FLOATS) {
    for (const [rows, cats, samples, replacement] of [
      [1, 5, 1025, true],
      [7, 31, 3, true],
      [7, 31, 10, false],
      [2, 1025, 1, false],
    ]) {
      // About a third of the weights are 0 (never drawn).
      const wv = Float64Array.from(rand([rows, cats], 'float64', -0.5, 1).data()).map((v) => Math.max(v, 0));
      add({
        name: `multinomial ${dtype} [${rows},${cats}] samples=${samples}${replacement ? ' replacement' : ''}`,
        kernel: 'multinomial',
        inputs: { w: nt.tensor(wv, { dtype, shape: [rows, cats] }) },
        outputs: { out: { shape: [rows, samples], dtype: 'int64' } },
        inplace: replacement ? [] : ['w'],
        launch: (_, t) => L.kMultinomial(t.out, t.w, replacement, seedBig, 7),
      });
    }
  }
  // ---- layer / RMS norm forward and backward (issue 13) -------------------------
  for (const dtype of FLOATS) {
    for (const cols of SIZES) {
      for (const rms of [false, true]) {
        for (const affine of [false, true]) {
          const rows = 300; // several row splits for the weight / bias sums on the GPU
          const tag = `${rms ? 'rmsNorm' : 'layerNorm'} ${dtype} [${rows},${cols}]${affine ? ' affine' : ''}`;
          const stats = { rstd: { shape: [rows], dtype } };
          if (!rms) stats.mean = { shape: [rows], dtype };
          // Fresh parameters per case: a case's inputs are disposed after it ran.
          const params = () => (affine ? { w: rand([cols], dtype), b: rand([cols], dtype) } : {});
          add({
            name: tag,
            kernel: 'layerNorm',
            inputs: { x: rand([rows, cols], dtype, -3, 5), ...params() },
            outputs: { out: { shape: [rows, cols], dtype }, ...stats },
            launch: (_, t) =>
              L.kLayerNorm(
                t.out,
                rms ? null : t.mean,
                t.rstd,
                t.x,
                t.w ?? null,
                rms ? null : (t.b ?? null),
                rows,
                cols,
                1e-5,
              ),
            tol: sumTol(dtype, cols, 8),
          });
          // Statistics from the CPU forward, so both backends see the same saved values.
          const x = rand([rows, cols], dtype, -3, 5);
          const mean = rms ? null : x.mean(-1);
          const sq = rms ? x.square().mean(-1) : x.var(-1, { correction: 0 });
          const rstd = sq.add(1e-5).rsqrt();
          const grads = { dweight: { shape: [cols], dtype } };
          if (!rms) grads.dbias = { shape: [cols], dtype };
          add({
            name: `${tag} backward`,
            kernel: 'layerNormBackward',
            inputs: { dy: rand([rows, cols], dtype), x, rstd, ...(mean ? { mean } : {}), ...params() },
            outputs: { dx: { shape: [rows, cols], dtype }, ...grads },
            launch: (_, t) =>
              L.kLayerNormBackward(
                { dx: t.dx, dweight: t.dweight, dbias: t.dbias ?? null },
                t.dy,
                t.x,
                t.mean ?? null,
                t.rstd,
                t.w ?? null,
                rows,
                cols,
              ),
            tol: sumTol(dtype, Math.max(rows, cols), 16),
          });
        }
      }
    }
  }
  // The weight gradient alone (no dx), and zero rows (the sums are zeros).
  for (const dtype of FLOATS) {
    for (const rows of [0, 70]) {
      const cols = 33;
      const x = rand([rows, cols], dtype);
      add({
        name: `layerNorm backward ${dtype} [${rows},${cols}] dweight / dbias only`,
        kernel: 'layerNormBackward',
        inputs: { dy: rand([rows, cols], dtype), x, mean: x.mean(-1), rstd: rand([rows], dtype, 0.5, 2) },
        outputs: { dweight: { shape: [cols], dtype }, dbias: { shape: [cols], dtype } },
        launch: (_, t) =>
          L.kLayerNormBackward(
            { dx: null, dweight: t.dweight, dbias: t.dbias },
            t.dy,
            t.x,
            t.mean,
            t.rstd,
            null,
            rows,
            cols,
          ),
        tol: sumTol(dtype, rows, 16),
      });
    }
  }
  // ---- attention: forward and backward, masks (broadcast), causal, dropout (issue 13) ----
  for (const dtype of FLOATS) {
    for (const c of [
      { BH: 3, L: 37, S: 70, E: 16, Ev: 8, causal: false, mask: false, p: 0 },
      { BH: 2, L: 70, S: 45, E: 8, Ev: 5, causal: true, mask: false, p: 0.25 },
      { BH: 6, L: 20, S: 33, E: 64, Ev: 64, causal: false, mask: true, p: 0.1 },
      { BH: 6, L: 9, S: 100, E: 3, Ev: 7, causal: false, mask: true, p: 0, masked: true },
    ]) {
      const { BH, L: Lq, S, E, Ev } = c;
      const dims = { ...c, scale: 1 / Math.sqrt(E), dropoutP: c.p, seed: seedBig, offset: 7 };
      const q = rand([BH, Lq, E], dtype);
      const k = rand([BH, S, E], dtype);
      const v = rand([BH, S, Ev], dtype);
      // [2, 1, L, S] broadcast over B2 = 3 heads: zero stride on b2
      let m = c.mask ? rand([2, Lq, S], dtype) : null;
      if (m && c.masked) {
        // query row 1 of mask batch 0 sees no key: output 0, lse +inf, zero gradients on both devices
        const vals = Float64Array.from(m.double().data());
        vals.fill(-Infinity, S, 2 * S);
        m = nt.tensor(vals, { dtype, shape: [2, Lq, S] });
      }
      const mv = (t) =>
        t.mask ? { t: t.mask, shape: [2, 3, Lq, S], strides: [Lq * S, 0, S, 1], offset: t.mask.offset } : null;
      const masks = m ? { mask: m } : {};
      const tag = `${dtype} BH=${BH} L=${Lq} S=${S} E=${E} Ev=${Ev}${c.causal ? ' causal' : ''}${c.mask ? ' mask' : ''}${c.masked ? ' (a fully masked row)' : ''} p=${c.p}`;
      add({
        name: `attentionForward ${tag}`,
        kernel: 'attentionForward',
        inputs: { q, k, v, ...masks },
        outputs: { out: { shape: [BH, Lq, Ev], dtype }, lse: { shape: [BH, Lq], dtype } },
        launch: (_, t) => L.kAttentionForward(t.out, t.lse, t.q, t.k, t.v, mv(t), dims),
        tol: sumTol(dtype, S + E, 4),
      });
      // The backward's out and lse come from the CPU forward.
      const out = nt.empty([BH, Lq, Ev], { dtype });
      const lse = nt.empty([BH, Lq], { dtype });
      L.kAttentionForward(out, lse, q, k, v, m ? mv({ mask: m }) : null, dims);
      add({
        name: `attentionBackward ${tag}`,
        kernel: 'attentionBackward',
        // runParity disposes each case's inputs: the backward gets its own copies
        inputs: {
          q: q.clone(),
          k: k.clone(),
          v: v.clone(),
          out,
          lse,
          dout: rand([BH, Lq, Ev], dtype),
          ...(m ? { mask: m.clone() } : {}),
        },
        outputs: {
          dq: { shape: [BH, Lq, E], dtype },
          dk: { shape: [BH, S, E], dtype },
          dv: { shape: [BH, S, Ev], dtype },
        },
        launch: (_, t) =>
          L.kAttentionBackward(
            { dq: t.dq, dk: t.dk, dv: t.dv },
            { q: t.q, k: t.k, v: t.v, out: t.out, dout: t.dout, lse: t.lse },
            mv(t),
            dims,
          ),
        tol: sumTol(dtype, Math.max(Lq, S) * (E + Ev), 4),
      });
    }
  }
  // ---- conv2d kernels: forward, backward-data, backward-weight (CPU: oneDNN for
  // float32 when it loads, else direct loops; CUDA: cuDNN for symmetric padding
  // when it loads, else direct loops, which the NODETORCH_CUDNN=0 pass checks).
  // Shapes: groups, depthwise, dilation, stride, odd sizes, 1x1 and 1x7
  // kernels, asymmetric padding (always the direct kernel), the MNIST
  // network's two layers and the ResNet 64->64 3x3 layer. ---------------------
  for (const dtype of FLOATS) {
    for (const c of [
      { N: 2, C: 8, H: 13, W: 11, Co: 6, G: 2, kh: 3, kw: 3, sh: 1, sw: 2, dh: 1, dw: 2, pt: 1, pb: 1, pl: 2, pr: 2 },
      { N: 3, C: 6, H: 9, W: 9, Co: 6, G: 6, kh: 3, kw: 2, sh: 2, sw: 1, dh: 2, dw: 1, pt: 0, pb: 1, pl: 1, pr: 0 },
      { N: 2, C: 32, H: 12, W: 12, Co: 64, G: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pt: 1, pb: 1, pl: 1, pr: 1 },
      { N: 2, C: 8, H: 14, W: 15, Co: 8, G: 8, kh: 3, kw: 3, sh: 1, sw: 1, dh: 2, dw: 2, pt: 2, pb: 2, pl: 2, pr: 2 },
      { N: 3, C: 5, H: 7, W: 9, Co: 7, G: 1, kh: 1, kw: 1, sh: 2, sw: 2, dh: 1, dw: 1, pt: 0, pb: 0, pl: 0, pr: 0 },
      { N: 1, C: 4, H: 17, W: 15, Co: 6, G: 2, kh: 5, kw: 5, sh: 2, sw: 3, dh: 1, dw: 1, pt: 2, pb: 2, pl: 2, pr: 2 },
      { N: 2, C: 3, H: 10, W: 19, Co: 5, G: 1, kh: 1, kw: 7, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pb: 0, pl: 3, pr: 3 },
      { N: 1, C: 3, H: 6, W: 6, Co: 4, G: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pt: 4, pb: 4, pl: 4, pr: 4 },
      { N: 4, C: 1, H: 28, W: 28, Co: 32, G: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pb: 0, pl: 0, pr: 0 },
      { N: 2, C: 32, H: 26, W: 26, Co: 64, G: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pb: 0, pl: 0, pr: 0 },
      { N: 1, C: 64, H: 56, W: 56, Co: 64, G: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pt: 1, pb: 1, pl: 1, pr: 1 },
    ]) {
      const Ho = Math.floor((c.H + c.pt + c.pb - c.dh * (c.kh - 1) - 1) / c.sh) + 1;
      const Wo = Math.floor((c.W + c.pl + c.pr - c.dw * (c.kw - 1) - 1) / c.sw) + 1;
      const g = { ...c, Cg: c.C / c.G, Ho, Wo };
      const xs = [c.N, c.C, c.H, c.W];
      const ys = [c.N, c.Co, Ho, Wo];
      const ws = [c.Co, g.Cg, c.kh, c.kw];
      const tag = `${dtype} [${xs}] Co=${c.Co} G=${c.G} k${c.kh}x${c.kw} s${c.sh},${c.sw} d${c.dh},${c.dw} p${c.pt},${c.pb},${c.pl},${c.pr}`;
      add({
        name: `conv2dForward ${tag}`,
        kernel: 'conv2dForward',
        inputs: { x: rand(xs, dtype), w: rand(ws, dtype) },
        outputs: { y: { shape: ys, dtype } },
        launch: (_, t) => L.kConv2d('forward', t.y, t.x, t.w, g),
        tol: sumTol(dtype, g.Cg * c.kh * c.kw, 4),
      });
      add({
        name: `conv2dBackwardData ${tag}`,
        kernel: 'conv2dBackwardData',
        inputs: { dy: rand(ys, dtype), w: rand(ws, dtype) },
        outputs: { dx: { shape: xs, dtype } },
        launch: (_, t) => L.kConv2d('backwardData', t.dx, t.dy, t.w, g),
        tol: sumTol(dtype, (c.Co / c.G) * c.kh * c.kw, 4),
      });
      add({
        name: `conv2dBackwardWeight ${tag}`,
        kernel: 'conv2dBackwardWeight',
        inputs: { x: rand(xs, dtype), dy: rand(ys, dtype) },
        outputs: { dw: { shape: ws, dtype } },
        launch: (_, t) => L.kConv2d('backwardWeight', t.dw, t.x, t.dy, g),
        tol: sumTol(dtype, c.N * Ho * Wo, 4),
      });
    }
  }
  // ---- adaptive fused optimizers (issue 14): Adagrad, Adamax, NAdam, RAdam ------
  {
    const fusedA = require('../../dist/lib/kernels/fused');
    for (const dtype of FLOATS) {
      const sizes = [1, 31, 1025, 4099, 9000];
      const list = (prefix, lo, hi) =>
        Object.fromEntries(sizes.map((n, k) => [`${prefix}${k}`, rand([n], dtype, lo, hi)]));
      const pick = (t, prefix) => sizes.map((_, k) => t[`${prefix}${k}`]);
      const keys = (...prefixes) => prefixes.flatMap((p) => sizes.map((_, k) => `${p}${k}`));
      for (const v of [
        { wd: 0, maximize: false },
        { wd: 0.1, maximize: true },
      ]) {
        add({
          name: `adagrad ${dtype} wd=${v.wd}${v.maximize ? ' maximize' : ''}`,
          kernel: 'adagrad',
          inputs: { ...list('p', -1, 1), ...list('g', -1, 1), ...list('s', 0, 0.5) },
          inplace: keys('p', 's'),
          launch: (_, t) =>
            fusedA.launchAdagrad(pick(t, 'p'), pick(t, 'g'), pick(t, 's'), {
              clr: 0.01 / 1.02,
              eps: 1e-10,
              weightDecay: v.wd,
              maximize: v.maximize,
            }),
          tol: tolOf(dtype, 4),
        });
        add({
          name: `adamax ${dtype} wd=${v.wd}${v.maximize ? ' maximize' : ''}`,
          kernel: 'adamax',
          inputs: { ...list('p', -1, 1), ...list('g', -1, 1), ...list('m', -0.1, 0.1), ...list('u', 0, 1) },
          inplace: keys('p', 'm', 'u'),
          launch: (_, t) =>
            fusedA.launchAdamax(pick(t, 'p'), pick(t, 'g'), pick(t, 'm'), pick(t, 'u'), {
              beta1: 0.9,
              beta2: 0.999,
              eps: 1e-8,
              weightDecay: v.wd,
              clr: 2e-3 / (1 - 0.9 ** 3),
              maximize: v.maximize,
            }),
          tol: tolOf(dtype, 4),
        });
        add({
          name: `nadam ${dtype} wd=${v.wd}`,
          kernel: 'nadam',
          inputs: { ...list('p', -1, 1), ...list('g', -1, 1), ...list('m', -0.1, 0.1), ...list('v', 0, 0.01) },
          inplace: keys('p', 'm', 'v'),
          launch: (_, t) =>
            fusedA.launchNadam(pick(t, 'p'), pick(t, 'g'), pick(t, 'm'), pick(t, 'v'), {
              beta1: 0.9,
              beta2: 0.999,
              eps: 1e-8,
              weightDecay: v.wd,
              bc2: 1 - 0.999 ** 3,
              gradCoeff: 2e-3 * 0.55,
              avgCoeff: 2e-3 * 0.45,
            }),
          tol: tolOf(dtype, 4),
        });
        for (const rectified of [false, true]) {
          add({
            name: `radam ${dtype} wd=${v.wd}${rectified ? ' rectified' : ''}`,
            kernel: 'radam',
            inputs: { ...list('p', -1, 1), ...list('g', -1, 1), ...list('m', -0.1, 0.1), ...list('v', 0, 0.01) },
            inplace: keys('p', 'm', 'v'),
            launch: (_, t) =>
              fusedA.launchRadam(pick(t, 'p'), pick(t, 'g'), pick(t, 'm'), pick(t, 'v'), {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weightDecay: v.wd,
                stepSize: rectified ? 1e-3 * 0.3 : 1e-3 / (1 - 0.9 ** 3),
                rectified,
              }),
            tol: tolOf(dtype, 4),
          });
        }
      }
    }
  }
  require('./edge_cases').addEdgeCases({ nt, L, rand, add, sumTol, tolOf, FLOATS, F32, F64 });
  // ---- batch norm forward / backward (issue 12): cuDNN where it applies -----------
  // (weight and bias given, training or eval without saved stats; the
  // NODETORCH_CUDNN=0 pass runs nodetorch's kernels on the same cases).
  for (const dtype of FLOATS) {
    for (const [N, C, HW] of [
      [37, 6, 1],
      [4, 3, 7],
      [3, 5, 99],
      [2, 70, 25],
    ]) {
      const shape = [N, C, HW];
      const n = N * HW;
      const vec = (lo, hi) => rand([C], dtype, lo, hi);
      for (const mode of ['train affine', 'train plain', 'eval affine', 'eval save']) {
        const training = mode.startsWith('train');
        const affine = mode.endsWith('affine');
        const save = training || mode === 'eval save';
        const dims = { N, C, HW, eps: 1e-5, training };
        add({
          name: `batchNormForward ${dtype} [${shape}] ${mode}`,
          kernel: 'batchNormForward',
          inputs: {
            x: rand(shape, dtype, -1, 3),
            rm: vec(-1, 1),
            rv: vec(0.5, 2),
            ...(affine ? { w: vec(0.5, 2), b: vec(-1, 1) } : {}),
          },
          outputs: { y: { shape, dtype }, ...(save ? { sm: { shape: [C], dtype }, si: { shape: [C], dtype } } : {}) },
          inplace: training ? ['rm', 'rv'] : [],
          launch: (_, t) =>
            L.kBatchNormForward(
              t.y,
              t.x,
              { weight: t.w ?? null, bias: t.b ?? null },
              { mean: t.rm, var: t.rv },
              { mean: t.sm ?? null, invstd: t.si ?? null },
              dims,
              0.1,
            ),
          tol: sumTol(dtype, n, 4),
        });
      }
      for (const mode of ['train affine', 'train plain', 'eval affine', 'train dx only']) {
        // Saved stats from the CPU (both backends see the same); fresh per case (a case's inputs are disposed).
        const x = rand(shape, dtype, -1, 3);
        const mean = x.mean([0, 2]);
        const invstd = x.var([0, 2], { correction: 0 }).add(1e-5).rsqrt();
        const training = mode.startsWith('train');
        const affine = mode.endsWith('affine');
        const grads = mode === 'train dx only' ? {} : { dw: { shape: [C], dtype }, db: { shape: [C], dtype } };
        add({
          name: `batchNormBackward ${dtype} [${shape}] ${mode}`,
          kernel: 'batchNormBackward',
          inputs: { dy: rand(shape, dtype), x, mean, invstd, ...(affine ? { w: vec(0.5, 2) } : {}) },
          outputs: { dx: { shape, dtype }, ...grads },
          launch: (_, t) =>
            L.kBatchNormBackward(
              { dx: t.dx, dweight: t.dw ?? null, dbias: t.db ?? null },
              t.dy,
              t.x,
              { mean: t.mean, invstd: t.invstd },
              t.w ?? null,
              { N, C, HW, eps: 1e-5, training },
            ),
          tol: sumTol(dtype, n, 16),
        });
      }
    }
  }
  // max pool: values only (null indices), the ResNet 3x3 stride 2 pad 1, ceilMode shapes.
  for (const dtype of FLOATS) {
    for (const g of [
      { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], hw: [25, 23], ceil: true, idx: false },
      { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], hw: [28, 27], ceil: false, idx: true },
      { k: [3, 3], s: [1, 1], p: [1, 1], d: [1, 1], hw: [9, 10], ceil: false, idx: false },
      { k: [2, 3], s: [3, 2], p: [1, 1], d: [1, 1], hw: [11, 14], ceil: true, idx: true },
    ]) {
      const [H, W] = g.hw;
      const round = g.ceil ? Math.ceil : Math.floor;
      const out = [0, 1].map((i) => {
        let o = round((g.hw[i] + 2 * g.p[i] - g.d[i] * (g.k[i] - 1) - 1) / g.s[i]) + 1;
        if (g.ceil && (o - 1) * g.s[i] >= g.hw[i] + g.p[i]) o -= 1;
        return o;
      });
      add({
        name: `maxPool2d ${dtype} [3,4,${H},${W}] k${g.k} s${g.s} p${g.p}${g.ceil ? ' ceil' : ''}${g.idx ? '' : ' no indices'}`,
        kernel: 'maxPool2d',
        inputs: { x: rand([3, 4, H, W], dtype) },
        outputs: {
          out: { shape: [3, 4, ...out], dtype },
          ...(g.idx ? { idx: { shape: [3, 4, ...out], dtype: 'int64' } } : {}),
        },
        launch: (_, t) => L.kMaxPool2d(t.out, t.idx ?? null, t.x, { ...g, out }),
      });
    }
  }
  // avg pool forward / backward (cuDNN where exact: floor windows, no divisor; else
  // the own kernels, also in the NODETORCH_CUDNN=0 pass) and the max-pool backward
  // over overlapping, dilated, ceilMode windows with many ties (indices from the CPU).
  const poolOut = (g) =>
    [0, 1].map((i) => {
      const d = g.d ? g.d[i] : 1;
      const span = g.hw[i] + 2 * g.p[i] - d * (g.k[i] - 1) - 1;
      let o = (g.ceil ? Math.ceil(span / g.s[i]) : Math.floor(span / g.s[i])) + 1;
      if (g.ceil && (o - 1) * g.s[i] >= g.hw[i] + g.p[i]) o -= 1;
      return o;
    });
  for (const dtype of FLOATS) {
    for (const g of [
      { k: [2, 2], s: [2, 2], p: [0, 0], hw: [24, 24], ceil: false, cip: true, div: 0 },
      { k: [3, 3], s: [2, 2], p: [1, 1], hw: [17, 13], ceil: false, cip: false, div: 0 },
      { k: [3, 3], s: [2, 2], p: [1, 1], hw: [16, 14], ceil: true, cip: true, div: 0 },
      { k: [3, 2], s: [1, 3], p: [1, 1], hw: [9, 11], ceil: true, cip: false, div: 0 },
      { k: [4, 3], s: [2, 1], p: [2, 1], hw: [10, 7], ceil: false, cip: true, div: -5 },
    ]) {
      const [H, W] = g.hw;
      const out = poolOut(g);
      const geo = { ...g, d: [1, 1], out };
      const div = { countIncludePad: g.cip, divisor: g.div };
      const tag = `k${g.k} s${g.s} p${g.p}${g.ceil ? ' ceil' : ''}${g.cip ? '' : ' exclude-pad'}${g.div ? ` div ${g.div}` : ''}`;
      add({
        name: `avgPool2d ${dtype} [3,4,${H},${W}] ${tag}`,
        kernel: 'avgPool2d',
        inputs: { x: rand([3, 4, H, W], dtype) },
        outputs: { out: { shape: [3, 4, ...out], dtype } },
        launch: (_, t) => L.kAvgPool2d(t.out, t.x, geo, div),
        tol: sumTol(dtype, g.k[0] * g.k[1], 2),
      });
      add({
        name: `avgPool2dBackward ${dtype} [3,4,${H},${W}] ${tag}`,
        kernel: 'avgPool2dBackward',
        inputs: { dy: rand([3, 4, ...out], dtype) },
        outputs: { dx: { shape: [3, 4, H, W], dtype } },
        launch: (_, t) => L.kAvgPool2dBackward(t.dx, t.dy, geo, div),
        tol: sumTol(dtype, g.k[0] * g.k[1], 2),
      });
    }
    for (const g of [
      { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], hw: [28, 27], ceil: false },
      { k: [3, 3], s: [1, 1], p: [1, 1], d: [1, 1], hw: [9, 10], ceil: true },
      { k: [3, 2], s: [2, 1], p: [1, 1], d: [2, 2], hw: [13, 11], ceil: true },
      // H = 1: every window's rows (-1 and 1) are padding, so its index is 0
      { k: [2, 2], s: [1, 1], p: [1, 1], d: [2, 2], hw: [1, 5], ceil: false },
    ]) {
      const [H, W] = g.hw;
      const out = poolOut(g);
      // Few distinct values: ties everywhere, so the first-maximum rule matters.
      const x = nt.tensor(
        uni(12 * H * W, 0, 3).map((v) => Math.floor(v)),
        { dtype, shape: [3, 4, H, W] },
      );
      const [, idx] = nt.nn.F.maxPool2d(x, g.k, g.s, g.p, g.d, g.ceil, true);
      add({
        name: `maxPool2dBackward ${dtype} [3,4,${H},${W}] k${g.k} s${g.s} p${g.p} d${g.d}${g.ceil ? ' ceil' : ''}`,
        kernel: 'maxPool2dBackward',
        inputs: { dy: rand([3, 4, ...out], dtype), idx },
        outputs: { dx: { shape: [3, 4, H, W], dtype } },
        launch: (_, t) => L.kMaxPool2dBackward(t.dx, t.dy, t.idx, { ...g, out }),
        tol: sumTol(dtype, g.k[0] * g.k[1], 2),
      });
    }
  }
  return cases;
}

/** Writes a value no kernel produces into every element of `t`'s storage. */
function poison(L, t) {
  const v =
    t.dtype === 'float32' || t.dtype === 'float64'
      ? NaN
      : t.dtype === 'bool'
        ? 1
        : t.dtype === 'uint8'
          ? 0xab
          : -123457;
  L.kFill(t, v);
}

/** Float64 copy of a tensor's values (host). */
function host(t) {
  const c = t.device === 'cpu' ? t : t.to('cpu');
  const d = c.dtype === 'float64' ? c : c.to('float64');
  const out = Float64Array.from(d.data());
  if (d !== c) d.dispose();
  if (c !== t) c.dispose();
  return out;
}

/** Runs one case on `device`; returns {key: Float64Array} of outputs and in-place inputs. */
function runOn(_nt, L, c, device) {
  const t = {};
  const owned = [];
  try {
    for (const [k, x] of Object.entries(c.inputs)) {
      t[k] = device === 'cpu' ? x.clone() : x.to(device);
      owned.push(t[k]);
    }
    for (const [k, o] of Object.entries(c.outputs)) {
      t[k] = L.empty(o.shape, o.dtype, device);
      owned.push(t[k]);
      poison(L, t[k]);
    }
    c.launch(L, t);
    const res = {};
    for (const k of [...Object.keys(c.outputs), ...c.inplace]) res[k] = host(t[k]);
    return res;
  } finally {
    for (const x of owned) x.dispose();
  }
}

/** Compares `got` with `ref` elementwise. */
function compare(ref, got, tol) {
  const r = { n: ref.length, bad: 0, unwritten: 0, maxAbs: 0, maxRel: 0, ratio: 0, first: null };
  for (let i = 0; i < ref.length; ++i) {
    const e = ref[i],
      g = got[i];
    if (Number.isNaN(e) || Number.isNaN(g)) {
      if (Number.isNaN(e) !== Number.isNaN(g)) {
        r.bad++;
        if (Number.isNaN(g)) r.unwritten++;
        if (!r.first) r.first = { i, ref: e, got: g };
        r.ratio = Infinity;
      }
      continue;
    }
    if (e === g) continue;
    const d = Math.abs(g - e);
    const allowed = tol.atol + tol.rtol * Math.abs(e);
    r.maxAbs = Math.max(r.maxAbs, d);
    r.maxRel = Math.max(r.maxRel, d / Math.max(Math.abs(e), 1));
    const ratio = allowed > 0 ? d / allowed : Infinity;
    if (ratio > r.ratio) r.ratio = ratio;
    if (d > allowed || !Number.isFinite(d)) {
      r.bad++;
      if (!r.first) r.first = { i, ref: e, got: g };
    }
  }
  return r;
}

/**
 * Runs every case: CPU (reference) against `device`. Returns one row per
 * case: {name, kernel, pass, maxRel, ratio, detail}. A throw on either side
 * is a failure of that case, not of the run.
 */
function runParity(nt, L, device, seed, log) {
  const rows = [];
  const cases = buildCases(nt, L, seed);
  for (const c of cases) {
    const row = { name: c.name, kernel: c.kernel, pass: true, maxRel: 0, ratio: 0, detail: '' };
    try {
      const ref = runOn(nt, L, c, 'cpu');
      const got = runOn(nt, L, c, device);
      for (const k of Object.keys(ref)) {
        const cmp = compare(ref[k], got[k], c.tol);
        row.maxRel = Math.max(row.maxRel, cmp.maxRel);
        row.ratio = Math.max(row.ratio, cmp.ratio);
        if (cmp.bad) {
          row.pass = false;
          const f = cmp.first;
          row.detail += `${k}: ${cmp.bad}/${cmp.n} outside tol (${cmp.unwritten} left unwritten), first at ${f.i}: cpu ${f.ref} vs ${device} ${f.got}; `;
        }
      }
    } catch (e) {
      row.pass = false;
      row.ratio = Infinity;
      row.detail = `threw ${e?.name}: ${e?.message}`;
    }
    for (const x of Object.values(c.inputs)) x.dispose();
    log(
      `${row.pass ? 'ok  ' : 'FAIL'} ${row.name}  maxRel ${row.maxRel.toExponential(2)}  err/tol ${fmtRatio(row.ratio)}${row.detail ? `  ${row.detail}` : ''}`,
    );
    rows.push(row);
  }
  rows.push(...errorChecks(nt, device, log));
  return rows;
}

const fmtRatio = (r) => (Number.isFinite(r) ? r.toFixed(3) : 'inf');

/**
 * Data-dependent errors must come back as typed errors, and leave the device
 * usable. On CUDA a bad index value is raised at the next synchronization
 * point (here: reading the result), once.
 */
function errorChecks(nt, device, log) {
  const rows = [];
  const expectThrow = (name, kernel, fn, cls) => {
    let caught = null;
    try {
      const r = fn();
      r.data(); // the synchronization point
    } catch (e) {
      caught = e;
    }
    if (caught && device !== 'cpu') {
      try {
        nt.cuda.synchronize(); // reported once: the next sync is clean
      } catch (e) {
        caught = new Error(`the error was raised again at the next synchronize: ${e.message}`);
      }
    }
    const pass = caught instanceof cls;
    const detail = pass
      ? `${caught.name}: ${caught.message}`
      : caught
        ? `wrong error ${caught.name}: ${caught.message}`
        : 'nothing thrown';
    log(`${pass ? 'ok  ' : 'FAIL'} ${name}  (${detail})`);
    rows.push({ name, kernel, pass, maxRel: 0, ratio: pass ? 0 : Infinity, detail });
  };
  expectThrow(
    'error: indexSelect index out of range',
    'indexSelect',
    () => nt.indexSelect(nt.zeros([5, 3], { device }), 0, nt.tensor([0, 5], { dtype: 'int64', device })),
    nt.IndexError,
  );
  expectThrow(
    'error: gather index out of range',
    'gather',
    () => nt.gather(nt.zeros([5, 3], { device }), 1, nt.tensor([[0], [-1], [0], [0], [0]], { dtype: 'int64', device })),
    nt.IndexError,
  );
  expectThrow(
    'error: crossEntropy target out of range',
    'crossEntropy',
    () => nt.nn.functional.crossEntropy(nt.zeros([2, 3], { device }), nt.tensor([1, 3], { dtype: 'int64', device })),
    nt.IndexError,
  );
  // The device still works after those errors.
  const ok =
    nt
      .add(nt.ones([1025], { device }), 1)
      .sum()
      .item() === 2050;
  log(`${ok ? 'ok  ' : 'FAIL'} device usable after data errors`);
  rows.push({
    name: 'device usable after data errors',
    kernel: 'errors',
    pass: ok,
    maxRel: 0,
    ratio: ok ? 0 : Infinity,
    detail: '',
  });
  return rows;
}

/** One row per kernel: number of cases, worst maxRel and err/tol, pass when all pass. */
function summarize(rows) {
  const by = new Map();
  for (const r of rows) {
    const k = r.kernel;
    const s = by.get(k) ?? { kernel: k, cases: 0, failed: 0, maxRel: 0, ratio: 0 };
    s.cases++;
    if (!r.pass) s.failed++;
    s.maxRel = Math.max(s.maxRel, r.maxRel);
    s.ratio = Math.max(s.ratio, r.ratio);
    by.set(k, s);
  }
  return [...by.values()];
}

module.exports = { runParity, summarize, buildCases, compare, fmtRatio };
