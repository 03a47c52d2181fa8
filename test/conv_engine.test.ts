// The CPU conv2d engines (issue 12): oneDNN (native/cpu/onednn_conv.cpp,
// opened at run time) and the built-in im2col + GEMM. Both against a float64
// reference on random geometries (stride, padding, dilation, groups,
// depthwise) in all three directions; gradcheck through the float32 oneDNN
// path; switching engines; the conv2d kernels' direct loops (the CPU twin of
// the CUDA kernels) in float64; bad kernel geometry; oneDNN absent (a child
// process pointed at a missing library) falling back with the reason.
// Inputs are drawn fresh each run from RUN_SEED (NODETORCH_TEST_SEED repeats one).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import * as nt from '../lib';
import { kConv2d } from '../lib/kernels/launch';
import { expectClose, expectError, randomTensor, rng } from './helpers';

const RUN_SEED = Number(process.env.NODETORCH_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ONEDNN = nt.info().convEngine.onednn.available;
const DIST = path.join(__dirname, '..', 'dist', 'lib', 'index.js');

interface Geometry {
  N: number;
  C: number;
  H: number;
  W: number;
  Co: number;
  G: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  ph: number;
  pw: number;
}

/** A random valid geometry (depthwise one time in four). */
function randomGeometry(r: () => number): Geometry {
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const depthwise = r() < 0.25;
  const G = depthwise ? int(2, 6) : int(1, 3);
  const C = depthwise ? G : G * int(1, 3);
  const Co = depthwise ? G * int(1, 2) : G * int(1, 3);
  const kh = int(1, 4);
  const kw = int(1, 4);
  const dh = int(1, 2);
  const dw = int(1, 2);
  const ph = int(0, 3);
  const pw = int(0, 3);
  const H = Math.max(int(3, 12), dh * (kh - 1) + 1 - 2 * ph);
  const W = Math.max(int(3, 12), dw * (kw - 1) + 1 - 2 * pw);
  return { N: int(1, 3), C, H, W, Co, G, kh, kw, sh: int(1, 3), sw: int(1, 3), dh, dw, ph, pw };
}

const outSize = (size: number, p: number, k: number, s: number, d: number): number =>
  Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

/** Float64 conv2d forward and the gradients of sum(y * gy), by direct loops. */
function reference(
  g: Geometry,
  x: Float64Array,
  w: Float64Array,
  gy: Float64Array,
): { y: Float64Array; dx: Float64Array; dw: Float64Array } {
  const Ho = outSize(g.H, g.ph, g.kh, g.sh, g.dh);
  const Wo = outSize(g.W, g.pw, g.kw, g.sw, g.dw);
  const Cg = g.C / g.G;
  const Cog = g.Co / g.G;
  const y = new Float64Array(g.N * g.Co * Ho * Wo);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let n = 0; n < g.N; ++n)
    for (let co = 0; co < g.Co; ++co)
      for (let oh = 0; oh < Ho; ++oh)
        for (let ow = 0; ow < Wo; ++ow) {
          const yi = ((n * g.Co + co) * Ho + oh) * Wo + ow;
          for (let ci = 0; ci < Cg; ++ci)
            for (let i = 0; i < g.kh; ++i)
              for (let j = 0; j < g.kw; ++j) {
                const h = oh * g.sh - g.ph + i * g.dh;
                const v = ow * g.sw - g.pw + j * g.dw;
                if (h < 0 || h >= g.H || v < 0 || v >= g.W) continue;
                const xi = ((n * g.C + Math.floor(co / Cog) * Cg + ci) * g.H + h) * g.W + v;
                const wi = ((co * Cg + ci) * g.kh + i) * g.kw + j;
                y[yi] += x[xi] * w[wi];
                dx[xi] += gy[yi] * w[wi];
                dw[wi] += gy[yi] * x[xi];
              }
        }
  return { y, dx, dw };
}

function gradOf(t: nt.Tensor): nt.Tensor {
  if (!t.grad) throw new Error('no gradient was accumulated');
  return t.grad;
}

const describeGeometry = (g: Geometry): string =>
  `[${g.N},${g.C},${g.H},${g.W}] Co=${g.Co} G=${g.G} k=${g.kh}x${g.kw} s=${g.sh},${g.sw} d=${g.dh},${g.dw} p=${g.ph},${g.pw}`;

/** Runs conv2d forward + backward in float32 on one engine and checks all three against float64. */
function checkEngine(engine: 'onednn' | 'builtin', g: Geometry, seed: number): void {
  nt.backends.conv.engine = engine;
  expect(nt.info().convEngine.engine).toBe(engine);
  const x = randomTensor([g.N, g.C, g.H, g.W], seed);
  const w = randomTensor([g.Co, g.C / g.G, g.kh, g.kw], seed + 1);
  const b = randomTensor([g.Co], seed + 2);
  const Ho = outSize(g.H, g.ph, g.kh, g.sh, g.dh);
  const Wo = outSize(g.W, g.pw, g.kw, g.sw, g.dw);
  const gy = randomTensor([g.N, g.Co, Ho, Wo], seed + 3);
  const ref = reference(g, x.ref, w.ref, gy.ref);
  const xt = x.t.requiresGrad_();
  const wt = w.t.requiresGrad_();
  const bt = b.t.requiresGrad_();
  const opts = { stride: [g.sh, g.sw] as const, padding: [g.ph, g.pw] as const, dilation: [g.dh, g.dw] as const };
  const y = nt.conv2d(xt, wt, bt, { ...opts, groups: g.G });
  y.backward(gy.t);
  const yRef = ref.y.map((v, i) => v + b.ref[Math.floor(i / (Ho * Wo)) % g.Co]);
  const dbRef = new Float64Array(g.Co);
  gy.ref.forEach((v, i) => {
    dbRef[Math.floor(i / (Ho * Wo)) % g.Co] += v;
  });
  // float32 sums of up to ~150 products of values in [-2, 2)
  const tol = { atol: 2e-4, rtol: 2e-4 };
  expectClose(y, yRef, tol);
  expectClose(xt.grad as nt.Tensor, ref.dx, tol);
  expectClose(wt.grad as nt.Tensor, ref.dw, { atol: 1e-3, rtol: 2e-4 });
  expectClose(bt.grad as nt.Tensor, dbRef, { atol: 1e-3, rtol: 2e-4 });
}

const GEOMETRIES: Geometry[] = (() => {
  const r = rng(RUN_SEED);
  return Array.from({ length: 24 }, () => randomGeometry(r));
})();

afterEach(() => {
  nt.backends.conv.engine = 'onednn';
});

describe(`conv2d engines on random geometries (NODETORCH_TEST_SEED=${RUN_SEED})`, () => {
  test('oneDNN is found here (CI installs libdnnl2)', () => {
    expect(nt.info().convEngine.onednn.reason).toBe('');
    expect(ONEDNN).toBe(true);
    expect(nt.info().convEngine.onednn.version).toMatch(/^2\./);
  });

  test.each(GEOMETRIES.map((g, i) => [describeGeometry(g), g, i] as const))('oneDNN %s', (_n, g, i) => {
    checkEngine('onednn', g, RUN_SEED + 16 * i);
  });

  test.each(GEOMETRIES.filter((_, i) => i % 3 === 0).map((g, i) => [describeGeometry(g), g, i] as const))(
    'builtin %s',
    (_n, g, i) => {
      checkEngine('builtin', g, RUN_SEED + 7 + 16 * i);
    },
  );

  test('the MNIST and ResNet bench shapes (oneDNN picks blocked layouts and reorders)', () => {
    for (const g of [
      { N: 1, C: 32, H: 10, W: 10, Co: 64, G: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, ph: 0, pw: 0 },
      { N: 2, C: 64, H: 6, W: 7, Co: 64, G: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, ph: 1, pw: 1 },
      { N: 2, C: 32, H: 9, W: 9, Co: 32, G: 32, kh: 3, kw: 3, sh: 2, sw: 2, dh: 1, dw: 1, ph: 1, pw: 1 },
      // Thin weight gradients (fewer columns than output channels per group,
      // like MNIST's conv1): oneDNN for x and b, the im2col GEMM for w.
      { N: 3, C: 1, H: 11, W: 10, Co: 16, G: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, ph: 0, pw: 0 },
      { N: 2, C: 2, H: 8, W: 9, Co: 32, G: 2, kh: 2, kw: 3, sh: 2, sw: 1, dh: 1, dw: 2, ph: 1, pw: 0 },
    ]) {
      checkEngine('onednn', g, RUN_SEED + 999);
    }
  });

  test("padding 'same' with an even kernel (asymmetric padding) matches between engines", () => {
    const x = randomTensor([2, 3, 7, 8], RUN_SEED + 5).t;
    const w = randomTensor([4, 3, 2, 4], RUN_SEED + 6).t;
    const run = (e: 'onednn' | 'builtin'): Float64Array => {
      nt.backends.conv.engine = e;
      return nt
        .conv2d(x, w, null, { padding: 'same', dilation: [2, 1] })
        .double()
        .data() as Float64Array;
    };
    expectClose(run('onednn'), run('builtin'), { atol: 1e-4, rtol: 1e-4 });
  });
});

describe('gradcheck through the float32 oneDNN path', () => {
  // conv2d is linear in each input element, so central differences with a
  // large step are exact up to float32 rounding of the output.
  test.each([
    ['stride 2, padding 1, groups 2', { stride: 2, padding: 1, groups: 2 }, [2, 4, 6, 5], [4, 2, 3, 3]],
    ['dilation 2, depthwise', { dilation: 2, padding: 2, groups: 3 }, [1, 3, 6, 6], [3, 1, 3, 2]],
  ] as const)('%s', (_n, opts, xs, ws) => {
    nt.backends.conv.engine = 'onednn';
    const x = randomTensor([...xs], RUN_SEED + 11, { dtype: 'float64' }).t.requiresGrad_();
    const w = randomTensor([...ws], RUN_SEED + 12, { dtype: 'float64' }).t.requiresGrad_();
    const b = randomTensor([ws[0]], RUN_SEED + 13, { dtype: 'float64' }).t.requiresGrad_();
    const fn = (a: nt.Tensor, c: nt.Tensor, d: nt.Tensor): nt.Tensor =>
      nt.conv2d(a.float(), c.float(), d.float(), opts).double();
    expect(nt.autograd.gradcheck(fn, [x, w, b], { eps: 0.5, atol: 2e-3, rtol: 1e-3 })).toBe(true);
  });
});

describe('engine selection', () => {
  test('nt.backends.conv.engine switches the engine info() reports', () => {
    nt.backends.conv.engine = 'builtin';
    expect(nt.backends.conv.engine).toBe('builtin');
    expect(nt.info().convEngine).toMatchObject({ engine: 'builtin', requested: 'builtin' });
    nt.backends.conv.engine = 'onednn';
    expect(nt.info().convEngine).toMatchObject({ engine: 'onednn', requested: 'onednn' });
  });

  test('oneDNN follows nt.setNumThreads (a primitive per thread count) with the same results', () => {
    nt.backends.conv.engine = 'onednn';
    const before = nt.getNumThreads();
    const x = randomTensor([4, 16, 12, 12], RUN_SEED + 31).t.requiresGrad_();
    const w = randomTensor([32, 16, 3, 3], RUN_SEED + 32).t.requiresGrad_();
    const run = (threads: number): Float64Array[] => {
      nt.setNumThreads(threads);
      x.grad = null;
      w.grad = null;
      const y = nt.conv2d(x, w, null, { padding: 1 });
      y.backward(nt.onesLike(y));
      return [y, gradOf(x), gradOf(w)].map((t) => t.double().data() as Float64Array);
    };
    try {
      const one = run(1);
      const two = run(2);
      one.forEach((v, i) => expectClose(two[i], v, { atol: 1e-3, rtol: 1e-4 }));
    } finally {
      nt.setNumThreads(before);
    }
  });

  test('an unknown engine is an ArgumentError naming the setting', () => {
    expectError(
      () => {
        (nt.backends.conv as { engine: string }).engine = 'mkl';
      },
      nt.ArgumentError,
      /backends\.conv\.engine.*'onednn' or 'builtin', got "mkl"/,
    );
  });

  test('float64 and CUDA-less calls stay on the built-in path with the oneDNN engine on', () => {
    nt.backends.conv.engine = 'onednn';
    const x = randomTensor([1, 2, 5, 5], RUN_SEED + 21, { dtype: 'float64' });
    const w = randomTensor([3, 2, 3, 3], RUN_SEED + 22, { dtype: 'float64' });
    const ref = reference(
      { N: 1, C: 2, H: 5, W: 5, Co: 3, G: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, ph: 1, pw: 1 },
      x.ref,
      w.ref,
      new Float64Array(75),
    );
    expectClose(nt.conv2d(x.t, w.t, null, { padding: 1 }), ref.y, { atol: 1e-12, rtol: 1e-12 });
  });
});

describe('the conv2d kernels directly', () => {
  // float64 runs the direct loops of common/conv_direct.h (the CUDA kernels' formula).
  test.each(GEOMETRIES.slice(0, 8).map((g, i) => [describeGeometry(g), g, i] as const))(
    'float64 direct loops %s',
    (_n, g, i) => {
      const Ho = outSize(g.H, g.ph, g.kh, g.sh, g.dh);
      const Wo = outSize(g.W, g.pw, g.kw, g.sw, g.dw);
      const x = randomTensor([g.N, g.C, g.H, g.W], RUN_SEED + 100 + i, { dtype: 'float64' });
      const w = randomTensor([g.Co, g.C / g.G, g.kh, g.kw], RUN_SEED + 200 + i, { dtype: 'float64' });
      const gy = randomTensor([g.N, g.Co, Ho, Wo], RUN_SEED + 300 + i, { dtype: 'float64' });
      const ref = reference(g, x.ref, w.ref, gy.ref);
      const kg = { ...g, Cg: g.C / g.G, Ho, Wo, pt: g.ph, pb: g.ph, pl: g.pw, pr: g.pw };
      const y = nt.empty([g.N, g.Co, Ho, Wo], { dtype: 'float64' });
      const dx = nt.empty([g.N, g.C, g.H, g.W], { dtype: 'float64' });
      const dw = nt.empty([g.Co, g.C / g.G, g.kh, g.kw], { dtype: 'float64' });
      kConv2d('forward', y, x.t, w.t, kg);
      kConv2d('backwardData', dx, gy.t, w.t, kg);
      kConv2d('backwardWeight', dw, x.t, gy.t, kg);
      const tol = { atol: 1e-12, rtol: 1e-12 };
      expectClose(y, ref.y, tol);
      expectClose(dx, ref.dx, tol);
      expectClose(dw, ref.dw, tol);
    },
  );

  test('a geometry whose output size does not follow is a ShapeError; groups not splitting C an ArgumentError', () => {
    const x = nt.zeros([1, 4, 6, 6]);
    const w = nt.zeros([2, 4, 3, 3]);
    const g = { N: 1, C: 4, H: 6, W: 6, Co: 2, G: 1, Cg: 4, Ho: 5, Wo: 4, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1 };
    const pads = { pt: 0, pb: 0, pl: 0, pr: 0 };
    expectError(
      () => kConv2d('forward', nt.empty([1, 2, 5, 4]), x, w, { ...g, ...pads }),
      nt.ShapeError,
      /conv2d_forward: output size 5 does not match a padded size 6, a dilated kernel of 3 and a stride of 1/,
    );
    expectError(
      () => kConv2d('forward', nt.empty([1, 2, 4, 4]), x, w, { ...g, Ho: 4, G: 2, Cg: 3, ...pads }),
      nt.ArgumentError,
      /conv2d_forward: groups G = 2 must split C = 4 into Cg = 3/,
    );
  });
});

describe('oneDNN absent', () => {
  (fs.existsSync(DIST) ? test : test.skip)('conv2d falls back to the built-in engine and info() says why', () => {
    const script = `
      const nt = require(${JSON.stringify(DIST)});
      const x = nt.arange(2 * 3 * 5 * 5).reshape([2, 3, 5, 5]).float().div(40);
      const w = nt.arange(4 * 3 * 3 * 3).reshape([4, 3, 3, 3]).float().div(100);
      const y = nt.conv2d(x, w, null, { padding: 1 });
      const y64 = nt.conv2d(x.double(), w.double(), null, { padding: 1 });
      const diff = y.double().sub(y64).abs().max().item();
      console.log(JSON.stringify({ info: nt.info().convEngine, engine: nt.backends.conv.engine, diff }));
    `;
    const missing = '/nonexistent/libdnnl.so.2';
    const r = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, NODETORCH_ONEDNN_LIB: missing, NODETORCH_CONV_ENGINE: 'onednn', NODETORCH_QUIET: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { info: nt.ConvEngineInfo; engine: string; diff: number };
    expect(out.engine).toBe('onednn');
    expect(out.info.engine).toBe('builtin');
    expect(out.info.requested).toBe('onednn');
    expect(out.info.onednn.available).toBe(false);
    expect(out.info.onednn.reason).toContain(`oneDNN could not be opened: ${missing}: `);
    expect(out.info.onednn.reason).toContain('install libdnnl2, or set NODETORCH_ONEDNN_LIB');
    expect(out.diff).toBeLessThan(1e-4);
  });

  (fs.existsSync(DIST) ? test : test.skip)('a bad NODETORCH_CONV_ENGINE is an ArgumentError at the first conv', () => {
    const script = `
      const nt = require(${JSON.stringify(DIST)});
      try { nt.conv2d(nt.ones([1, 1, 3, 3]), nt.ones([1, 1, 3, 3])); console.log('no error'); }
      catch (e) { console.log(e.constructor.name + ': ' + e.message); }
    `;
    const r = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, NODETORCH_CONV_ENGINE: 'fast', NODETORCH_QUIET: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stdout.trim()).toMatch(
      /^ArgumentError: .*NODETORCH_CONV_ENGINE.*expected 'onednn' or 'builtin', got 'fast'/,
    );
  });
});

// CUDA's conv2d engine (native/cuda/conv_cudnn.cpp, lib/kernels/cudnn_conv.ts):
// the settings and the report work without a GPU; the cuDNN paths themselves
// are checked by scripts/gpu-check.js (parity, NODETORCH_CUDNN=0 pass, the
// cudnnConv row) and their fallback by test/cuda_libraries.test.ts.
describe('nt.backends.cudnn', () => {
  test('enabled switches, and a non-boolean is an ArgumentError naming the setting', () => {
    const before = nt.backends.cudnn.enabled;
    try {
      nt.backends.cudnn.enabled = false;
      expect(nt.backends.cudnn.enabled).toBe(false);
      nt.backends.cudnn.enabled = true;
      expect(nt.backends.cudnn.enabled).toBe(true);
      expectError(
        () => {
          (nt.backends.cudnn as { enabled: unknown }).enabled = 'yes';
        },
        nt.ArgumentError,
        /backends\.cudnn\.enabled.*expected a boolean, got "yes"/,
      );
    } finally {
      nt.backends.cudnn.enabled = before;
    }
  });

  test('benchmark and allowTF32 are off unless their variables are set; info() is null without CUDA', () => {
    expect(nt.backends.cudnn.benchmark).toBe(process.env.NODETORCH_CUDNN_BENCHMARK === '1');
    expect(nt.backends.cudnn.allowTF32).toBe(process.env.NODETORCH_CUDNN_ALLOW_TF32 === '1');
    if (!nt.cuda.isAvailable()) expect(nt.backends.cudnn.info()).toBeNull();
    else expect(['cudnn', 'direct']).toContain(nt.backends.cudnn.info()?.engine);
  });

  test('benchmark and allowTF32 cannot be set at run time: an ArgumentError names the variable to set', () => {
    expectError(
      () => {
        nt.backends.cudnn.benchmark = true;
      },
      nt.ArgumentError,
      /backends\.cudnn\.benchmark.*NODETORCH_CUDNN_BENCHMARK=1 in the environment/,
    );
    expectError(
      () => {
        nt.backends.cudnn.allowTF32 = true;
      },
      nt.ArgumentError,
      /backends\.cudnn\.allowTF32.*NODETORCH_CUDNN_ALLOW_TF32=1/,
    );
  });

  test('NODETORCH_CUDNN=0 starts with cuDNN convolutions off', () => {
    const r = spawnSync(
      process.execPath,
      ['-e', `process.stdout.write(String(require(${JSON.stringify(DIST)}).backends.cudnn.enabled))`],
      { encoding: 'utf8', env: { ...process.env, NODETORCH_CUDNN: '0' } },
    );
    expect(r.stdout).toBe('false');
  });
});
