// Pooling (issue 12): max, average and adaptive pooling against float64
// naive loops, PyTorch's output-size rules, indices, gradients and hostile
// arguments.
import * as nt from '../lib';
import { DEVICES, expectClose, expectError, randomValues, testSeed, values } from './helpers';
import { type PoolArgs, distinctValues, refAvgPool, refMaxPool } from './pool_reference';

const F = nt.nn.F;
const TIGHT = { atol: 1e-12, rtol: 1e-10 };

function adaptiveWindows(size: number, out: number): [number, number][] {
  return Array.from({ length: out }, (_, i) => [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)]);
}

function refAdaptive(
  x: Float64Array,
  shape: number[],
  Ho: number,
  Wo: number,
): { avg: number[]; max: number[]; idx: number[] } {
  const [N, C, H, W] = shape;
  const avg: number[] = [];
  const max: number[] = [];
  const idx: number[] = [];
  const wh = adaptiveWindows(H, Ho);
  const ww = adaptiveWindows(W, Wo);
  for (let n = 0; n < N; ++n)
    for (let c = 0; c < C; ++c)
      for (const [hs, he] of wh)
        for (const [ws, we] of ww) {
          let sum = 0;
          let best = -Infinity;
          let bi = -1;
          for (let h = hs; h < he; ++h)
            for (let w = ws; w < we; ++w) {
              const v = x[((n * C + c) * H + h) * W + w];
              sum += v;
              if (v > best) {
                best = v;
                bi = h * W + w;
              }
            }
          avg.push(sum / ((he - hs) * (we - ws)));
          max.push(best);
          idx.push(bi);
        }
  return { avg, max, idx };
}

const MAX_CASES: { shape: number[]; a: PoolArgs }[] = [
  { shape: [2, 3, 7, 9], a: { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceil: false } },
  { shape: [2, 3, 7, 9], a: { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceil: true } },
  { shape: [1, 2, 5, 5], a: { k: [2, 2], s: [2, 2], p: [1, 1], d: [1, 1], ceil: true } }, // last window dropped
  { shape: [2, 1, 6, 6], a: { k: [3, 3], s: [2, 2], p: [0, 0], d: [1, 1], ceil: true } }, // ceil adds a window
  { shape: [2, 2, 8, 7], a: { k: [3, 2], s: [2, 3], p: [1, 1], d: [2, 1], ceil: true } }, // dilation, non-square
  { shape: [1, 3, 9, 10], a: { k: [4, 5], s: [1, 3], p: [2, 2], d: [1, 2], ceil: false } },
  { shape: [3, 2, 4, 6], a: { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil: false } }, // plain 2x2
];

describe.each(DEVICES)('maxPool2d on %s', (device) => {
  test.each(MAX_CASES.map((c, i) => [i, c] as const))('case %i: values, shape, indices, grad', (_i, { shape, a }) => {
    const xv = distinctValues(
      shape.reduce((p, q) => p * q, 1),
      `max${_i}`,
    );
    const x = nt.tensor(xv, { dtype: 'float64', shape, device, requiresGrad: true });
    const ref = refMaxPool(xv, shape, a);
    const [out, idx] = F.maxPool2d(x, a.k, a.s, a.p, a.d, a.ceil, true);
    expect(out.shape).toEqual(ref.shape);
    expect(idx.dtype).toBe('int64');
    expectClose(out, ref.out, TIGHT);
    expect(Array.from(values(idx))).toEqual(ref.idx);
    // Backward: the upstream gradient lands at each window's argmax.
    const gv = randomValues(out.numel, testSeed(`g${_i}`));
    out.backward(nt.tensor(gv, { dtype: 'float64', shape: out.shape, device }));
    const [N, C, H, W] = shape;
    const dx = new Float64Array(N * C * H * W);
    const per = ref.shape[2] * ref.shape[3];
    ref.idx.forEach((p, k) => {
      dx[Math.floor(k / per) * H * W + p] += gv[k];
    });
    expectClose(x.grad as nt.Tensor, dx, TIGHT);
  });

  test('ties pick the first maximum; a window of -inf and padding points at its first real element', () => {
    const [, idx] = F.maxPool2d(nt.zeros([1, 1, 4, 4], { device }), 2, 2, 0, 1, false, true);
    expect(Array.from(values(idx))).toEqual([0, 2, 8, 10]);
    const [out, idx2] = F.maxPool2d(nt.full([1, 1, 3, 3], -Infinity, { device }), 3, 2, 1, 1, false, true);
    expect(Array.from(values(out))).toEqual([-Infinity, -Infinity, -Infinity, -Infinity]);
    expect(Array.from(values(idx2))).toEqual([0, 1, 3, 4]);
  });

  test('float32, the default stride, the module, 3-D input', () => {
    const xv = distinctValues(2 * 3 * 6 * 8, 'f32');
    const x = nt.tensor(xv, { dtype: 'float32', shape: [2, 3, 6, 8], device });
    const ref = refMaxPool(xv, [2, 3, 6, 8], { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil: false });
    const y = F.maxPool2d(x, 2);
    expectClose(y, ref.out);
    const m = new nt.nn.MaxPool2d(2);
    expectClose(m.forward(x), ref.out);
    const mi = new nt.nn.MaxPool2d(2, { returnIndices: true });
    const [, idx] = mi.forward(x);
    expect(Array.from(values(idx))).toEqual(ref.idx);
    const single = F.maxPool2d(x.narrow(0, 1, 1).reshape([3, 6, 8]), 2);
    expect(single.shape).toEqual([3, 3, 4]);
    expectClose(single, ref.out.slice(36));
    expect(String(new nt.nn.MaxPool2d([3, 2], { stride: 1, padding: 1 }))).toBe(
      'MaxPool2d(kernelSize=[3, 2], stride=1, padding=1, dilation=1, ceilMode=false)',
    );
    const [o2, i2] = F.maxPool2dWithIndices(x, 2);
    expectClose(o2, ref.out);
    expect(Array.from(values(i2))).toEqual(ref.idx);
  });

  test('a non-contiguous input and an empty batch', () => {
    const xv = distinctValues(2 * 3 * 5 * 4, 'nc');
    const base = nt.tensor(xv, { dtype: 'float64', shape: [2, 3, 5, 4], device });
    const xt = base.transpose(2, 3); // [2, 3, 4, 5]
    const xc = nt.tensor(values(xt.contiguous()), { dtype: 'float64', shape: [2, 3, 4, 5], device });
    const a: PoolArgs = { k: [3, 2], s: [1, 2], p: [1, 1], d: [1, 1], ceil: true };
    expectClose(F.maxPool2d(xt, a.k, a.s, a.p, a.d, a.ceil), refMaxPool(values(xc), [2, 3, 4, 5], a).out, TIGHT);
    const empty = nt.zeros([0, 3, 6, 6], { device });
    expect(F.maxPool2d(empty, 3, 2, 1).shape).toEqual([0, 3, 3, 3]);
    expect(F.avgPool2d(empty, 2).shape).toEqual([0, 3, 3, 3]);
  });
});

const AVG_CASES: { shape: number[]; a: PoolArgs; cip: boolean; div: number | null }[] = [
  { shape: [2, 3, 7, 9], a: { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceil: false }, cip: true, div: null },
  { shape: [2, 3, 7, 9], a: { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceil: true }, cip: false, div: null },
  { shape: [1, 2, 5, 5], a: { k: [2, 2], s: [2, 2], p: [1, 1], d: [1, 1], ceil: true }, cip: true, div: null },
  { shape: [2, 1, 6, 6], a: { k: [3, 3], s: [2, 2], p: [0, 0], d: [1, 1], ceil: true }, cip: true, div: null },
  { shape: [2, 2, 8, 7], a: { k: [3, 2], s: [2, 3], p: [1, 1], d: [1, 1], ceil: true }, cip: false, div: null },
  { shape: [1, 3, 9, 10], a: { k: [4, 5], s: [1, 3], p: [2, 2], d: [1, 1], ceil: false }, cip: true, div: 7 },
];

describe.each(DEVICES)('avgPool2d on %s', (device) => {
  test.each(AVG_CASES.map((c, i) => [i, c] as const))('case %i: values, shape, grad', (i, { shape, a, cip, div }) => {
    const xv = randomValues(
      shape.reduce((p, q) => p * q, 1),
      testSeed(`avg${i}`),
    );
    const x = nt.tensor(xv, { dtype: 'float64', shape, device, requiresGrad: true });
    const out = F.avgPool2d(x, a.k, a.s, a.p, a.ceil, cip, div);
    const gv = randomValues(out.numel, testSeed(`ga${i}`));
    const ref = refAvgPool(xv, shape, a, cip, div, gv);
    expect(out.shape).toEqual(ref.shape);
    expectClose(out, ref.out, TIGHT);
    out.backward(nt.tensor(gv, { dtype: 'float64', shape: out.shape, device }));
    expectClose(x.grad as nt.Tensor, ref.dx, TIGHT);
  });

  test('module and float32', () => {
    const xv = randomValues(2 * 2 * 6 * 6, testSeed('avgmod'));
    const x = nt.tensor(xv, { dtype: 'float32', shape: [2, 2, 6, 6], device });
    const a: PoolArgs = { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceil: false };
    const m = new nt.nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false });
    expectClose(m.forward(x), refAvgPool(Float64Array.from(values(x)), [2, 2, 6, 6], a, false, null).out);
  });
});

describe.each(DEVICES)('adaptive pooling on %s', (device) => {
  test.each([
    [
      [2, 3, 7, 5],
      [3, 2],
    ],
    [
      [1, 2, 10, 9],
      [4, 4],
    ],
    [
      [2, 2, 8, 6],
      [4, 3],
    ], // divisible: the plain-pool path
    [
      [1, 1, 5, 7],
      [5, 7],
    ],
    [
      [2, 1, 3, 4],
      [5, 6],
    ], // output larger than input: overlapping windows
  ])('%j -> %j', (shape, [Ho, Wo]) => {
    const xv = distinctValues(
      shape.reduce((p, q) => p * q, 1),
      `ad${shape.join()}`,
    );
    const x = nt.tensor(xv, { dtype: 'float64', shape, device, requiresGrad: true });
    const ref = refAdaptive(xv, shape, Ho, Wo);
    const avg = F.adaptiveAvgPool2d(x, [Ho, Wo]);
    expect(avg.shape).toEqual([shape[0], shape[1], Ho, Wo]);
    expectClose(avg, ref.avg, TIGHT);
    const [mx, idx] = F.adaptiveMaxPool2d(x, [Ho, Wo], true);
    expectClose(mx, ref.max, TIGHT);
    expect(Array.from(values(idx))).toEqual(ref.idx);
    expect(nt.autograd.gradcheck((t) => F.adaptiveAvgPool2d(t, [Ho, Wo]), [x])).toBe(true);
    expect(nt.autograd.gradcheck((t) => F.adaptiveMaxPool2d(t, [Ho, Wo]), [x])).toBe(true);
  });

  test('null keeps a size; modules', () => {
    const x = nt.randn([2, 3, 6, 5], { device });
    expect(F.adaptiveAvgPool2d(x, [null, 2]).shape).toEqual([2, 3, 6, 2]);
    expect(new nt.nn.AdaptiveAvgPool2d(1).forward(x).shape).toEqual([2, 3, 1, 1]);
    expectClose(new nt.nn.AdaptiveAvgPool2d(1).forward(x), values(x.mean([2, 3], true)));
    expectClose(new nt.nn.AdaptiveMaxPool2d([1, 1]).forward(x), values(x.amax([2, 3], true)));
    const [, idx] = new nt.nn.AdaptiveMaxPool2d(2, true).forward(x);
    expect(idx.shape).toEqual([2, 3, 2, 2]);
  });
});

describe('pooling argument checks', () => {
  const x = nt.randn([2, 3, 6, 6]);
  test('padding, kernel, stride, dilation', () => {
    expectError(() => F.maxPool2d(x, 3, 1, -1), nt.ArgumentError, /^max_pool2d: padding a non-negative integer/);
    expectError(() => F.maxPool2d(x, 3, 1, 2), nt.ArgumentError, /^max_pool2d: padding at most half the kernel size/);
    expectError(() => F.avgPool2d(x, [2, 4], 1, [1, 3]), nt.ArgumentError, /^avg_pool2d: padding at most half/);
    expectError(() => F.maxPool2d(x, 0), nt.ArgumentError, /^max_pool2d: kernelSize a positive integer/);
    expectError(() => F.maxPool2d(x, 2, 0), nt.ArgumentError, /^max_pool2d: stride a positive integer/);
    expectError(() => F.maxPool2d(x, 2, 1, 0, 0), nt.ArgumentError, /^max_pool2d: dilation a positive integer/);
    expectError(() => F.maxPool2d(x, [2, 2, 2] as never), nt.ArgumentError, /kernelSize/);
    expectError(() => F.avgPool2d(x, 2, 2, 0, false, true, 0), nt.ArgumentError, /divisorOverride/);
  });
  test('kernel larger than the padded input', () => {
    expectError(() => F.maxPool2d(x, 9, 1, 1), nt.ShapeError, /^max_pool2d: kernelSize 9 .* output size would be 0x0/);
    expectError(() => F.maxPool2d(x, 4, 1, 1, 3), nt.ShapeError, /^max_pool2d: kernelSize 4 \(dilation 3\)/);
    expectError(() => F.avgPool2d(x, [7, 2]), nt.ShapeError, /^avg_pool2d: kernelSize \[7,2\]|^avg_pool2d: kernelSize/);
  });
  test('rank, empty planes, dtype, adaptive sizes', () => {
    expectError(
      () => F.maxPool2d(nt.randn([6, 6]), 2),
      nt.ShapeError,
      /^max_pool2d: input must be 3-D .* got \[6, 6\]/,
    );
    expectError(() => F.avgPool2d(nt.randn([1, 1, 1, 6, 6]), 2), nt.ShapeError, /^avg_pool2d: input must be 3-D/);
    expectError(() => F.maxPool2d(nt.zeros([2, 3, 0, 6]), 2), nt.ShapeError, /^max_pool2d: input must have non-zero/);
    expectError(() => F.maxPool2d(nt.zeros([2, 3, 4, 4], { dtype: 'int64' }), 2), nt.DTypeError, /^max_pool2d:/);
    expectError(() => F.adaptiveAvgPool2d(x, 0), nt.ArgumentError, /^adaptive_avg_pool2d: outputSize/);
    expectError(() => F.adaptiveMaxPool2d(x, [2, -1] as never), nt.ArgumentError, /^adaptive_max_pool2d: outputSize/);
  });
});
