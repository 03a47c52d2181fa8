// The pooling kernels of issue 12 (avg_pool2d forward / backward,
// max_pool2d_backward; native/cpu/avg_pool.cpp, pool.cpp and their CUDA
// twins): fresh random geometries against float64 loops with the outputs
// poisoned (NaN) first, gradcheck over overlapping windows, ceilMode,
// padding and dilation, PyTorch's max backward with ties / NaN / +-inf,
// empty batches, and PyTorch 1.13 itself. The seed is printed on failure.
import { execFileSync } from 'child_process';

import * as nt from '../lib';
import { kAvgPool2d, kAvgPool2dBackward, kMaxPool2dBackward } from '../lib/kernels/launch';
import { DEVICES, expectClose, rng, values } from './helpers';
import { type PoolArgs, outSize, refAvgPool } from './pool_reference';

const F = nt.nn.F;
const SEED = Number(process.env.NT_TEST_SEED ?? Date.now() % 1_000_000_007);
const TIGHT = { atol: 1e-12, rtol: 1e-10 };

interface Drawn {
  shape: number[];
  a: PoolArgs;
  cip: boolean;
  div: number | null;
}

/** A random geometry PyTorch accepts: padding at most half the kernel, output at least 1. */
function draw(r: () => number, dilation: boolean): Drawn {
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  for (;;) {
    const k: [number, number] = [int(1, 4), int(1, 4)];
    const a: PoolArgs = {
      k,
      s: [int(1, 3), int(1, 3)],
      p: [int(0, Math.floor(k[0] / 2)), int(0, Math.floor(k[1] / 2))],
      d: dilation ? [int(1, 2), int(1, 2)] : [1, 1],
      ceil: r() < 0.5,
    };
    const shape = [int(1, 2), int(1, 3), int(1, 9), int(1, 9)];
    const Ho = outSize(shape[2], a.k[0], a.s[0], a.p[0], a.d[0], a.ceil);
    const Wo = outSize(shape[3], a.k[1], a.s[1], a.p[1], a.d[1], a.ceil);
    if (Ho < 1 || Wo < 1) continue;
    const div = r() < 0.25 ? (r() < 0.5 ? -1 : 1) * int(1, 9) : null;
    return { shape, a, cip: r() < 0.5, div };
  }
}

const numel = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);
const f64 = (v: ArrayLike<number>, shape: readonly number[], device: nt.Device) =>
  nt.tensor(Array.from(v), { dtype: 'float64', shape: [...shape], device });
const poisoned = (shape: number[], device: nt.Device) => nt.full(shape, Number.NaN, { dtype: 'float64', device });

/** PyTorch's max backward: dy added at each window's index, in output order. */
function scatterRef(idx: Float64Array, dy: Float64Array, shape: number[], per: number): Float64Array {
  const [N, C, H, W] = shape;
  const dx = new Float64Array(N * C * H * W);
  idx.forEach((p, k) => {
    dx[Math.floor(k / per) * H * W + p] += dy[k];
  });
  return dx;
}

describe.each(DEVICES)('pooling kernels on %s (seed %s)', (device) => {
  const seed = SEED;

  test('avg_pool2d and its backward over random geometries, outputs poisoned first', () => {
    const r = rng(seed);
    for (let t = 0; t < 40; ++t) {
      const c = draw(r, false);
      const xv = Float64Array.from({ length: numel(c.shape) }, () => r() * 4 - 2);
      const ref0 = refAvgPool(xv, c.shape, c.a, c.cip, c.div);
      const gv = Float64Array.from({ length: numel(ref0.shape) }, () => r() * 4 - 2);
      const ref = refAvgPool(xv, c.shape, c.a, c.cip, c.div, gv);
      const geo = { k: c.a.k, s: c.a.s, p: c.a.p, d: c.a.d, out: [ref.shape[2], ref.shape[3]] as const };
      const div = { countIncludePad: c.cip, divisor: c.div ?? 0 };
      const out = poisoned(ref.shape, device);
      kAvgPool2d(out, f64(xv, c.shape, device), geo, div);
      const what = `seed ${seed} case ${t} ${JSON.stringify(c)}`;
      expect([what, values(out).every((v) => !Number.isNaN(v))]).toEqual([what, true]);
      expectClose(out, ref.out, TIGHT);
      const dx = poisoned(c.shape, device);
      kAvgPool2dBackward(dx, f64(gv, ref.shape, device), geo, div);
      expectClose(dx, ref.dx, TIGHT);
    }
  });

  test('max_pool2d backward = the scatter-add at the indices, with ties, NaN and +-inf, outputs poisoned', () => {
    const r = rng(seed + 1);
    const pool = [0, 1, -1, 2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    for (let t = 0; t < 40; ++t) {
      const c = draw(r, true);
      const xv = Float64Array.from({ length: numel(c.shape) }, () => pool[Math.floor(r() * pool.length)]);
      const [y, idx] = F.maxPool2d(f64(xv, c.shape, device), c.a.k, c.a.s, c.a.p, c.a.d, c.a.ceil, true);
      const gv = Float64Array.from({ length: y.numel }, () => r() * 4 - 2);
      const geo = { k: c.a.k, s: c.a.s, p: c.a.p, d: c.a.d, out: [y.shape[2], y.shape[3]] as const };
      const dx = poisoned(c.shape, device);
      kMaxPool2dBackward(dx, f64(gv, y.shape, device), idx, geo);
      expectClose(dx, scatterRef(values(idx), gv, c.shape, y.shape[2] * y.shape[3]), TIGHT);
      // The autograd path runs the same kernel.
      const x = f64(xv, c.shape, device).requiresGrad_();
      F.maxPool2d(x, c.a.k, c.a.s, c.a.p, c.a.d, c.a.ceil).backward(f64(gv, y.shape, device));
      expectClose(x.grad as nt.Tensor, values(dx), TIGHT);
    }
  });

  test('a NaN in the upstream gradient reaches only the positions its window picked', () => {
    const x = f64([1, 5, 2, 3, 4, 0, 7, 6, 8], [1, 1, 3, 3], device).requiresGrad_();
    const y = F.maxPool2d(x, 2, 1); // overlapping: [5, 5; 7, 8]
    y.backward(f64([1, Number.NaN, 2, 3], [1, 1, 2, 2], device));
    const g = Array.from(values(x.grad as nt.Tensor));
    expect(g.map((v) => (Number.isNaN(v) ? 'nan' : v))).toEqual([0, 'nan', 0, 0, 0, 0, 2, 0, 3]);
  });

  test('dilated windows wholly in the padding: -inf at index 0, and the backward adds there', () => {
    // H = 1, kernel 2, padding 1, dilation 2: each window's rows are -1 and 1.
    // (PyTorch 1.13 returns indices past the plane here and its backward
    // writes out of bounds.)
    const x = f64([0, 1, 2, 3, 4], [1, 1, 1, 5], device).requiresGrad_();
    const [y, idx] = F.maxPool2d(x, 2, 1, 1, 2, false, true);
    expect(Array.from(values(y))).toEqual(new Array(5).fill(Number.NEGATIVE_INFINITY));
    expect(Array.from(values(idx))).toEqual([0, 0, 0, 0, 0]);
    y.backward(f64([1, 2, 3, 4, 5], [1, 1, 1, 5], device));
    expect(Array.from(values(x.grad as nt.Tensor))).toEqual([15, 0, 0, 0, 0]);
  });

  test('gradcheck: avg_pool2d overlapping, ceilMode, padding, exclude-padding, negative divisorOverride', () => {
    const r = rng(seed + 2);
    const leaf = (shape: number[]) =>
      f64(
        Array.from({ length: numel(shape) }, () => r() * 2 - 1),
        shape,
        device,
      ).requiresGrad_();
    expect(nt.autograd.gradcheck((t) => F.avgPool2d(t, 3, 1, 1), [leaf([1, 2, 5, 5])])).toBe(true);
    expect(
      nt.autograd.gradcheck((t) => F.avgPool2d(t, [3, 2], [2, 1], [1, 1], true, false), [leaf([2, 1, 6, 5])]),
    ).toBe(true);
    expect(nt.autograd.gradcheck((t) => F.avgPool2d(t, 2, 2, 1, true, true), [leaf([1, 1, 5, 6])])).toBe(true);
    expect(nt.autograd.gradcheck((t) => F.avgPool2d(t, 3, 2, 0, false, true, -4), [leaf([1, 2, 7, 7])])).toBe(true);
  });

  test('gradcheck: max_pool2d overlapping, ceilMode, padding, dilation (distinct values)', () => {
    const r = rng(seed + 3);
    const leaf = (shape: number[]) => {
      const n = numel(shape);
      const order = Array.from({ length: n }, (_, i) => i).sort(() => r() - 0.5);
      const v = new Array<number>(n);
      order.forEach((k, i) => {
        v[k] = -1 + (2 * i) / n;
      });
      return f64(v, shape, device).requiresGrad_();
    };
    expect(nt.autograd.gradcheck((t) => F.maxPool2d(t, 3, 1, 1), [leaf([1, 2, 5, 5])])).toBe(true);
    expect(nt.autograd.gradcheck((t) => F.maxPool2d(t, [3, 2], [2, 1], [1, 1], 1, true), [leaf([2, 1, 6, 5])])).toBe(
      true,
    );
    expect(nt.autograd.gradcheck((t) => F.maxPool2d(t, 2, 1, 1, 2, true), [leaf([1, 1, 6, 7])])).toBe(true);
  });

  test('an empty batch: forward and backward shapes', () => {
    for (const pool of [(t: nt.Tensor) => F.avgPool2d(t, 3, 2, 1), (t: nt.Tensor) => F.maxPool2d(t, 3, 2, 1)]) {
      const x = nt.zeros([0, 3, 6, 6], { dtype: 'float64', device }).requiresGrad_();
      const y = pool(x);
      expect(y.shape).toEqual([0, 3, 3, 3]);
      y.sum().backward();
      expect((x.grad as nt.Tensor).shape).toEqual([0, 3, 6, 6]);
    }
  });
});

const PY_POOL = `
import json, sys, torch
d = json.load(sys.stdin)
res = []
for c in d:
    x = torch.tensor(c['x'], dtype=torch.float64).reshape(c['shape']).requires_grad_()
    if c['kind'] == 'avg':
        y = torch.nn.functional.avg_pool2d(x, c['k'], c['s'], c['p'], c['ceil'], c['cip'], c['div'])
    else:
        y = torch.nn.functional.max_pool2d(x, c['k'], c['s'], c['p'], c['d'], c['ceil'])
    g = torch.tensor(c['g'][:y.numel()], dtype=torch.float64).reshape(y.shape)
    y.backward(g)
    res.append({'shape': list(y.shape), 'y': y.detach().flatten().tolist(), 'dx': x.grad.flatten().tolist()})
json.dump(res, sys.stdout)
`;

test('PyTorch 1.13 parity: avg_pool2d and max_pool2d values and gradients (CPU)', () => {
  const r = rng(SEED + 4);
  const cases = [
    { kind: 'avg', shape: [2, 2, 7, 6], k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceil: true, cip: true, div: null },
    { kind: 'avg', shape: [1, 3, 5, 8], k: [2, 4], s: [1, 3], p: [1, 2], d: [1, 1], ceil: true, cip: false, div: null },
    { kind: 'avg', shape: [1, 2, 6, 6], k: [3, 2], s: [2, 2], p: [0, 1], d: [1, 1], ceil: false, cip: true, div: -5 },
    // ties, NaN and infinities; overlapping windows and dilation
    { kind: 'max', shape: [2, 2, 6, 7], k: [3, 3], s: [1, 2], p: [1, 1], d: [1, 1], ceil: true, cip: true, div: null },
    { kind: 'max', shape: [1, 2, 8, 7], k: [3, 2], s: [2, 1], p: [1, 1], d: [2, 2], ceil: true, cip: true, div: null },
  ].map((c) => ({
    ...c,
    x:
      c.kind === 'max'
        ? Array.from({ length: numel(c.shape) }, () => [0, 1, 1, -1, 2, Number.NaN, 1e300, -1e300][Math.floor(r() * 8)])
        : Array.from({ length: numel(c.shape) }, () => r() * 4 - 2),
    g: Array.from({ length: numel(c.shape) * 2 }, () => r() * 2 - 1),
  }));
  // JSON has no NaN; Python's json module reads and writes a bare NaN.
  const withNaN = JSON.stringify(cases, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? '__NaN__' : v)).replace(
    /"__NaN__"/g,
    'NaN',
  );
  const ref = JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', PY_POOL], { input: withNaN })
      .toString()
      .replace(/\bNaN\b/g, '"NaN"'),
  ) as { shape: number[]; y: (number | string)[]; dx: (number | string)[] }[];
  const num = (v: number | string) => (v === 'NaN' ? Number.NaN : (v as number));
  cases.forEach((c, i) => {
    const x = nt.tensor(c.x, { dtype: 'float64', shape: c.shape }).requiresGrad_();
    const y =
      c.kind === 'avg'
        ? F.avgPool2d(
            x,
            c.k as [number, number],
            c.s as [number, number],
            c.p as [number, number],
            c.ceil,
            c.cip,
            c.div,
          )
        : F.maxPool2d(
            x,
            c.k as [number, number],
            c.s as [number, number],
            c.p as [number, number],
            c.d as [number, number],
            c.ceil,
          );
    expect([i, y.shape]).toEqual([i, ref[i].shape]);
    expectClose(y, ref[i].y.map(num), TIGHT);
    y.backward(nt.tensor(c.g.slice(0, y.numel), { dtype: 'float64', shape: y.shape }));
    expectClose(x.grad as nt.Tensor, ref[i].dx.map(num), TIGHT);
  });
});
