// conv2d / conv1d against a naive nested-loop float64 reference, over many
// argument combinations; output shapes from PyTorch's formula; float64
// gradchecks for input, weight and bias; F.pad in all modes; hostile
// arguments; the Conv1d / Conv2d modules' parameters and init.
import * as nt from '../lib';
import { DEVICES, expectClose, expectError, randomTensor, testSeed, tolFor, values } from './helpers';

const { nn } = nt;
const F = nn.functional;
type Tensor = nt.Tensor;

interface Args {
  stride: [number, number];
  padding: [number, number] | 'same' | 'valid';
  dilation: [number, number];
  groups: number;
}

/** PyTorch's pads for 'same': total d*(k-1), the odd extra on the right. */
function padsOf(p: Args['padding'], k: number[], d: number[]): [number, number][] {
  if (p === 'valid')
    return [
      [0, 0],
      [0, 0],
    ];
  if (p === 'same')
    return k.map((kk, i) => {
      const t = d[i] * (kk - 1);
      return [Math.floor(t / 2), t - Math.floor(t / 2)];
    }) as [number, number][];
  return [
    [p[0], p[0]],
    [p[1], p[1]],
  ];
}

/** PyTorch's output size formula. */
function outSize(size: number, lo: number, hi: number, k: number, s: number, d: number): number {
  return Math.floor((size + lo + hi - d * (k - 1) - 1) / s) + 1;
}

/** Naive float64 conv2d over row-major values. */
function conv2dRef(
  x: ArrayLike<number>,
  xs: number[],
  w: ArrayLike<number>,
  ws: number[],
  b: ArrayLike<number> | null,
  a: Args,
): { out: Float64Array; shape: number[] } {
  const [N, C, H, W] = xs;
  const [Co, Cg, kh, kw] = ws;
  const [[pt, pb], [pl, pr]] = padsOf(a.padding, [kh, kw], a.dilation);
  const [sh, sw] = a.stride;
  const [dh, dw] = a.dilation;
  const Ho = outSize(H, pt, pb, kh, sh, dh);
  const Wo = outSize(W, pl, pr, kw, sw, dw);
  const Cog = Co / a.groups;
  const out = new Float64Array(N * Co * Ho * Wo);
  for (let n = 0; n < N; ++n)
    for (let co = 0; co < Co; ++co) {
      const g = Math.floor(co / Cog);
      for (let i = 0; i < Ho; ++i)
        for (let j = 0; j < Wo; ++j) {
          let s = b ? b[co] : 0;
          for (let c = 0; c < Cg; ++c)
            for (let p = 0; p < kh; ++p)
              for (let q = 0; q < kw; ++q) {
                const hi = i * sh - pt + p * dh;
                const wi = j * sw - pl + q * dw;
                if (hi < 0 || hi >= H || wi < 0 || wi >= W) continue;
                s += x[((n * C + g * Cg + c) * H + hi) * W + wi] * w[((co * Cg + c) * kh + p) * kw + q];
              }
          out[((n * Co + co) * Ho + i) * Wo + j] = s;
        }
    }
  return { out, shape: [N, Co, Ho, Wo] };
}

interface Case {
  x: number[];
  co: number;
  k: [number, number];
  args: Partial<Args>;
  bias: boolean;
}

const full = (c: Partial<Args>): Args => ({
  stride: c.stride ?? [1, 1],
  padding: c.padding ?? [0, 0],
  dilation: c.dilation ?? [1, 1],
  groups: c.groups ?? 1,
});

const CASES: Case[] = [];
for (const stride of [
  [1, 1],
  [2, 2],
  [2, 1],
] as [number, number][])
  for (const padding of [[0, 0], [1, 1], [2, 1], 'valid', 'same'] as Args['padding'][])
    for (const dilation of [
      [1, 1],
      [2, 1],
    ] as [number, number][])
      for (const groups of [1, 2]) {
        if (padding === 'same' && stride.some((s) => s !== 1)) continue;
        CASES.push({
          x: [2, 4, 7, 6],
          co: 6,
          k: [3, 2],
          args: { stride, padding, dilation, groups },
          bias: (CASES.length & 1) === 0,
        });
      }
// depthwise, 1x1, even kernels with 'same', kernel as large as the input, batch 1
CASES.push({ x: [3, 4, 5, 5], co: 4, k: [3, 3], args: { groups: 4, padding: [1, 1] }, bias: true });
CASES.push({ x: [2, 3, 6, 5], co: 6, k: [3, 3], args: { groups: 3, stride: [2, 2], dilation: [2, 2] }, bias: false });
CASES.push({ x: [2, 3, 4, 5], co: 5, k: [1, 1], args: {}, bias: true });
CASES.push({ x: [1, 2, 6, 7], co: 3, k: [4, 2], args: { padding: 'same', dilation: [1, 2] }, bias: true });
CASES.push({ x: [2, 2, 4, 5], co: 3, k: [4, 5], args: {}, bias: true });
CASES.push({ x: [1, 1, 9, 8], co: 2, k: [2, 3], args: { stride: [3, 2], padding: [2, 0] }, bias: false });

const describeCase = (c: Case): string => {
  const a = full(c.args);
  return `x${JSON.stringify(c.x)} co=${c.co} k=${JSON.stringify(c.k)} s=${a.stride} p=${JSON.stringify(a.padding)} d=${a.dilation} g=${a.groups} bias=${c.bias}`;
};

function runCase(c: Case, dtype: nt.DType, device: nt.Device, salt: string): void {
  const a = full(c.args);
  const ws = [c.co, c.x[1] / a.groups, ...c.k];
  const seed = testSeed(salt);
  const x = randomTensor(c.x, seed, { dtype, device });
  const w = randomTensor(ws, seed + 1, { dtype, device });
  const b = c.bias ? randomTensor([c.co], seed + 2, { dtype, device }) : null;
  const ref = conv2dRef(x.ref, c.x, w.ref, ws, b ? b.ref : null, a);
  const y = nt.conv2d(x.t, w.t, b?.t ?? null, a);
  expect(y.shape).toEqual(ref.shape);
  expect(y.dtype).toBe(dtype);
  const tol = dtype === 'float64' ? tolFor(dtype) : { atol: 1e-4, rtol: 1e-4 };
  expectClose(y, ref.out, tol);
}

describe.each(DEVICES)('conv2d on %s', (device) => {
  test.each(CASES.map((c) => [describeCase(c), c] as const))('float64 %s', (_name, c) => {
    runCase(c, 'float64', device, 'f64');
  });

  test.each(CASES.filter((_, i) => i % 3 === 0).map((c) => [describeCase(c), c] as const))('float32 %s', (_name, c) => {
    runCase(c, 'float32', device, 'f32');
  });

  test('non-contiguous input and weight (transposed views)', () => {
    const x = randomTensor([2, 3, 6, 5], testSeed('x'), { dtype: 'float64', device });
    const w = randomTensor([4, 3, 3, 2], testSeed('w'), { dtype: 'float64', device });
    // x stored as [N, C, W, H] and transposed back; w stored as [Co, C, kw, kh]
    const xt = nt
      .tensor(x.ref, { dtype: 'float64', shape: [2, 3, 6, 5], device })
      .transpose(2, 3)
      .contiguous();
    const xv = xt.transpose(2, 3);
    const wt = nt
      .tensor(w.ref, { dtype: 'float64', shape: [4, 3, 3, 2], device })
      .transpose(2, 3)
      .contiguous();
    const wv = wt.transpose(2, 3);
    expect(xv.isContiguous()).toBe(false);
    const ref = conv2dRef(x.ref, [2, 3, 6, 5], w.ref, [4, 3, 3, 2], null, full({ padding: [1, 1] }));
    expectClose(nt.conv2d(xv, wv, null, { padding: 1 }), ref.out, tolFor('float64'));
  });

  test('unbatched input [C, H, W]', () => {
    const x = randomTensor([2, 5, 5], testSeed('x'), { dtype: 'float64', device });
    const w = randomTensor([3, 2, 3, 3], testSeed('w'), { dtype: 'float64', device });
    const y = nt.conv2d(x.t, w.t, null, { padding: 1 });
    expect(y.shape).toEqual([3, 5, 5]);
    expectClose(y, conv2dRef(x.ref, [1, 2, 5, 5], w.ref, [3, 2, 3, 3], null, full({ padding: [1, 1] })).out);
  });

  test('zero-size batch gives an empty output and zero weight gradients', () => {
    const x = nt.zeros([0, 3, 5, 5], { dtype: 'float64', device, requiresGrad: true });
    const w = nt.ones([4, 3, 3, 3], { dtype: 'float64', device, requiresGrad: true });
    const b = nt.ones([4], { dtype: 'float64', device, requiresGrad: true });
    const y = nt.conv2d(x, w, b, { padding: 1 });
    expect(y.shape).toEqual([0, 4, 5, 5]);
    y.sum().backward();
    expect(x.grad?.shape).toEqual([0, 3, 5, 5]);
    expect(Array.from(values(w.grad as Tensor))).toEqual(new Array(4 * 27).fill(0));
    expect(Array.from(values(b.grad as Tensor))).toEqual([0, 0, 0, 0]);
  });

  test('float32 forward and backward agree with float64', () => {
    const x = randomTensor([2, 4, 8, 8], testSeed('x'), { dtype: 'float64', device });
    const w = randomTensor([6, 2, 3, 3], testSeed('w'), { dtype: 'float64', device });
    const b = randomTensor([6], testSeed('b'), { dtype: 'float64', device });
    const grads = (dtype: nt.DType): Float64Array[] => {
      const xs = x.t.to(dtype).detach().requiresGrad_();
      const wsT = w.t.to(dtype).detach().requiresGrad_();
      const bs = b.t.to(dtype).detach().requiresGrad_();
      const y = nt.conv2d(xs, wsT, bs, { stride: 2, padding: 1, groups: 2 });
      y.mul(y).sum().backward();
      return [values(y), values(xs.grad as Tensor), values(wsT.grad as Tensor), values(bs.grad as Tensor)];
    };
    const g64 = grads('float64');
    const g32 = grads('float32');
    g64.forEach((r, i) => {
      expectClose(g32[i], r, { atol: 1e-3, rtol: 1e-3 });
    });
  });
});

describe('conv2d gradients', () => {
  const leaf = (shape: number[], salt: string): Tensor =>
    randomTensor(shape, testSeed(salt), { dtype: 'float64' }).t.requiresGrad_();
  const check = (fn: (...t: Tensor[]) => Tensor, inputs: Tensor[]): void => {
    expect(nt.autograd.gradcheck(fn, inputs, { atol: 1e-6, rtol: 1e-5 })).toBe(true);
  };

  test.each([
    ['plain', [2, 2, 5, 4], [3, 2, 3, 2], {}],
    ['stride 2, padding 1', [2, 2, 6, 5], [3, 2, 3, 3], { stride: 2, padding: 1 }],
    ['dilation 2, groups 2', [1, 4, 6, 6], [4, 2, 2, 3], { dilation: 2, groups: 2, padding: [1, 2] }],
    ['depthwise same', [2, 3, 5, 4], [3, 1, 3, 2], { groups: 3, padding: 'same' }],
    ['stride > kernel', [1, 2, 7, 7], [2, 2, 2, 2], { stride: 3 }],
    ['one input channel (K < out channels)', [2, 1, 5, 4], [5, 1, 2, 1], { padding: 1 }],
    ['groups 2, K < out channels per group', [1, 2, 4, 4], [8, 1, 1, 2], { groups: 2 }],
  ] as [string, number[], number[], nt.Conv2dOptions][])('%s: input, weight and bias', (_n, xs, ws, o) => {
    check((x, w, b) => nt.conv2d(x, w, b, o), [leaf(xs, 'x'), leaf(ws, 'w'), leaf([ws[0]], 'b')]);
  });

  test('input only and weight only', () => {
    const w = randomTensor([3, 2, 3, 3], testSeed('w'), { dtype: 'float64' }).t;
    check((x) => nt.conv2d(x, w, null, { padding: 1 }), [leaf([1, 2, 4, 4], 'x')]);
    const x = randomTensor([2, 2, 4, 4], testSeed('x'), { dtype: 'float64' }).t;
    check((wt) => nt.conv2d(x, wt, null, { stride: 2 }), [leaf([3, 2, 2, 2], 'w')]);
  });

  test('conv1d: input, weight and bias', () => {
    check(
      (x, w, b) => nt.conv1d(x, w, b, { stride: 2, padding: 2, dilation: 2, groups: 2 }),
      [leaf([2, 4, 9], 'x'), leaf([4, 2, 3], 'w'), leaf([4], 'b')],
    );
  });

  test('through F.pad in each mode', () => {
    for (const mode of ['constant', 'reflect', 'replicate', 'circular'] as const) {
      check((x) => F.pad(x, [2, 1, 1, 2], mode), [leaf([1, 2, 3, 4], `x-${mode}`)]);
    }
  });
});

describe('conv1d', () => {
  test.each([
    [{}, true],
    [{ stride: 2, padding: 1 }, false],
    [{ padding: 'same', dilation: 2 }, true],
    [{ padding: 'valid', groups: 2 }, true],
    [{ groups: 4, padding: [3] }, false],
  ] as [nt.Conv1dOptions, boolean][])('%j bias=%s matches conv2d with height 1', (o, bias) => {
    const groups = o.groups ?? 1;
    const x = randomTensor([2, 4, 11], testSeed('x'), { dtype: 'float64' });
    const w = randomTensor([4, 4 / groups, 3], testSeed('w'), { dtype: 'float64' });
    const b = bias ? randomTensor([4], testSeed('b'), { dtype: 'float64' }) : null;
    const one = (v: unknown, z: number): [number, number] => [z, Array.isArray(v) ? v[0] : (v as number)];
    const pad = o.padding === 'same' || o.padding === 'valid' ? o.padding : one(o.padding ?? 0, 0);
    const a = full({ stride: one(o.stride ?? 1, 1), dilation: one(o.dilation ?? 1, 1), padding: pad, groups });
    const ref = conv2dRef(x.ref, [2, 4, 1, 11], w.ref, [4, 4 / groups, 1, 3], b ? b.ref : null, a);
    const y = nt.conv1d(x.t, w.t, b?.t ?? null, o);
    expect(y.shape).toEqual([2, 4, ref.shape[3]]);
    expectClose(y, ref.out, tolFor('float64'));
  });

  test('unbatched [C, L]', () => {
    const y = nt.conv1d(nt.ones([2, 5]), nt.ones([3, 2, 3]), null, { padding: 1 });
    expect(y.shape).toEqual([3, 5]);
    expect(y.toArray()).toEqual([
      [4, 6, 6, 6, 4],
      [4, 6, 6, 6, 4],
      [4, 6, 6, 6, 4],
    ]);
  });
});

describe('F.pad', () => {
  const row = (n: number): Tensor => nt.arange(n).reshape([1, n]).double();

  test('constant, with value and negative pads (crop)', () => {
    expect(F.pad(row(3), [2, 1]).toArray()).toEqual([[0, 0, 0, 1, 2, 0]]);
    expect(F.pad(row(3), [1, 1], 'constant', -1).toArray()).toEqual([[-1, 0, 1, 2, -1]]);
    expect(F.pad(row(4), [-1, 1]).toArray()).toEqual([[1, 2, 3, 0]]);
    const y = F.pad(nt.ones([2, 2]), [1, 0, 0, 1]);
    expect(y.toArray()).toEqual([
      [0, 1, 1],
      [0, 1, 1],
      [0, 0, 0],
    ]);
  });

  test('reflect, replicate and circular (PyTorch values)', () => {
    expect(F.pad(row(4), [2, 3], 'reflect').toArray()).toEqual([[2, 1, 0, 1, 2, 3, 2, 1, 0]]);
    expect(F.pad(row(3), [2, 2], 'replicate').toArray()).toEqual([[0, 0, 0, 1, 2, 2, 2]]);
    expect(F.pad(row(3), [2, 3], 'circular').toArray()).toEqual([[1, 2, 0, 1, 2, 0, 1, 2]]);
    const m = nt.arange(6).reshape([1, 2, 3]).double();
    expect(F.pad(m, [1, 1, 1, 1], 'reflect').toArray()).toEqual([
      [
        [4, 3, 4, 5, 4],
        [1, 0, 1, 2, 1],
        [4, 3, 4, 5, 4],
        [1, 0, 1, 2, 1],
      ],
    ]);
  });

  test('hostile arguments', () => {
    expectError(() => F.pad(row(3), [1]), nt.ArgumentError, /pad: pads must have an even length/);
    expectError(() => F.pad(row(3), [1, 1, 1, 1, 1, 1]), nt.ArgumentError, /at most 2 \* ndim/);
    expectError(() => F.pad(row(3), [1.5, 1]), nt.ArgumentError, /pads must be integers/);
    expectError(() => F.pad(row(3), [3, 0], 'reflect'), nt.ShapeError, /reflect pads \[3, 0\] must be smaller/);
    expectError(() => F.pad(row(3), [4, 0], 'circular'), nt.ShapeError, /circular/);
    expectError(() => F.pad(row(3), [-1, 0], 'replicate'), nt.ArgumentError, /non-negative pads/);
    expectError(() => F.pad(row(3), [-2, -2]), nt.ShapeError, /below zero/);
    expectError(() => F.pad(row(3), [1, 1], 'wrap' as 'reflect'), nt.ArgumentError, /mode must be/);
    expectError(() => F.pad(row(3), [1, 1], 'reflect', 2), nt.ArgumentError, /only used by mode 'constant'/);
  });
});

describe('conv hostile inputs', () => {
  const x = nt.zeros([2, 4, 5, 5]);
  const w = nt.zeros([6, 4, 3, 3]);
  test.each([
    ['input rank', () => nt.conv2d(nt.zeros([4, 5]), w), nt.ShapeError, /conv2d: input must be 4-D/],
    ['weight rank', () => nt.conv2d(x, nt.zeros([6, 4, 3])), nt.ShapeError, /conv2d: weight must be 4-D/],
    ['channels', () => nt.conv2d(x, nt.zeros([6, 3, 3, 3])), nt.ShapeError, /4 channels but weight/],
    [
      'groups vs input',
      () => nt.conv2d(x, w, null, { groups: 3 }),
      nt.ShapeError,
      /groups \(3\) must divide the input/,
    ],
    [
      'groups vs output',
      () => nt.conv2d(x, nt.zeros([5, 1, 3, 3]), null, { groups: 4 }),
      nt.ShapeError,
      /must divide the output channels/,
    ],
    ['groups 0', () => nt.conv2d(x, w, null, { groups: 0 }), nt.ArgumentError, /groups must be a positive/],
    [
      'negative padding',
      () => nt.conv2d(x, w, null, { padding: -1 }),
      nt.ArgumentError,
      /padding must be non-negative/,
    ],
    ['stride 0', () => nt.conv2d(x, w, null, { stride: [1, 0] }), nt.ArgumentError, /stride must be positive/],
    ['dilation 0', () => nt.conv2d(x, w, null, { dilation: 0 }), nt.ArgumentError, /dilation must be positive/],
    ['fractional stride', () => nt.conv2d(x, w, null, { stride: 1.5 }), nt.ArgumentError, /stride/],
    ['stride arity', () => nt.conv2d(x, w, null, { stride: [1, 1, 1] as never }), nt.ArgumentError, /2 numbers/],
    [
      'padding string',
      () => nt.conv2d(x, w, null, { padding: 'full' as never }),
      nt.ArgumentError,
      /'same' or 'valid'/,
    ],
    [
      'same with stride',
      () => nt.conv2d(x, w, null, { padding: 'same', stride: 2 }),
      nt.ArgumentError,
      /'same' is not supported for strided/,
    ],
    ['kernel too large', () => nt.conv2d(x, nt.zeros([6, 4, 6, 3])), nt.ShapeError, /larger than the padded input/],
    ['dilated kernel too large', () => nt.conv2d(x, w, null, { dilation: 3 }), nt.ShapeError, /dilated size 7/],
    ['bias shape', () => nt.conv2d(x, w, nt.zeros([5])), nt.ShapeError, /bias must have shape \[6\]/],
    ['integer dtype', () => nt.conv2d(x.int(), w.int()), nt.DTypeError, /same floating dtype, got int32, int32/],
    [
      'mixed dtypes (no promotion, as PyTorch)',
      () => nt.conv2d(x.double(), w),
      nt.DTypeError,
      /conv2d: expected input, weight of the same floating dtype, got float64, float32; convert with \.float\(\)/,
    ],
    ['not a tensor', () => nt.conv2d([1, 2] as never, w), nt.ArgumentError, /conv2d/],
    [
      'options not an object',
      () => nt.conv2d(x, w, null, 3 as never),
      nt.ArgumentError,
      /conv2d: options an object, got 3/,
    ],
    ['zero spatial size', () => nt.conv2d(nt.zeros([2, 4, 0, 5]), w), nt.ShapeError, /non-zero/],
    ['conv1d rank', () => nt.conv1d(x, nt.zeros([6, 4, 3])), nt.ShapeError, /conv1d: input must be 3-D/],
    ['conv1d kernel', () => nt.conv1d(nt.zeros([1, 4, 2]), nt.zeros([6, 4, 3])), nt.ShapeError, /conv1d: kernel/],
  ] as [string, () => unknown, abstract new (...a: never[]) => Error, RegExp][])('%s', (_n, fn, cls, msg) => {
    expectError(fn, cls, msg);
  });
});

describe('nn.Conv2d / nn.Conv1d', () => {
  test('parameter shapes, init bounds and output shape', () => {
    nt.manualSeed(1);
    const m = new nn.Conv2d(6, 8, [3, 2], { stride: 2, padding: 1, groups: 2 });
    expect(m.weight.shape).toEqual([8, 3, 3, 2]);
    expect(m.bias?.shape).toEqual([8]);
    const bound = 1 / Math.sqrt(3 * 3 * 2);
    for (const p of [m.weight, m.bias as Tensor]) {
      const v = values(p);
      expect(Math.max(...v)).toBeLessThanOrEqual(bound);
      expect(Math.min(...v)).toBeGreaterThanOrEqual(-bound);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(bound * 0.5);
    }
    expect(m.parameters().length).toBe(2);
    expect(m.forward(nt.randn([2, 6, 9, 8])).shape).toEqual([2, 8, 5, 5]);
    expect(String(m)).toContain('Conv2d(6, 8, kernelSize=[3, 2], stride=[2, 2], padding=[1, 1], groups=2)');
  });

  test('bias false, Conv1d shapes and init', () => {
    const m = new nn.Conv1d(4, 5, 3, { bias: false, padding: 'same' });
    expect(m.bias).toBeNull();
    expect(m.weight.shape).toEqual([5, 4, 3]);
    expect(Math.max(...values(m.weight).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(12));
    expect(m.forward(nt.randn([3, 4, 10])).shape).toEqual([3, 5, 10]);
    expect(m.parameters().length).toBe(1);
  });

  test('forward equals F.conv2d, and gradients reach the parameters', () => {
    const m = new nn.Conv2d(2, 3, 3, { padding: 1, dtype: 'float64' });
    const x = nt.randn([2, 2, 5, 5], { dtype: 'float64' });
    const y = m.forward(x);
    expectClose(y, values(F.conv2d(x, m.weight, m.bias, { padding: 1 })), tolFor('float64'));
    y.sum().backward();
    expect(m.weight.grad?.shape).toEqual([3, 2, 3, 3]);
    expect(m.bias?.grad?.shape).toEqual([3]);
    // d sum / d bias = N * Ho * Wo
    expect(Array.from(values(m.bias?.grad as Tensor))).toEqual([50, 50, 50]);
  });

  test('paddingMode reflect / replicate / circular equal F.pad then a valid conv', () => {
    for (const mode of ['reflect', 'replicate', 'circular'] as const) {
      const m = new nn.Conv2d(2, 3, [3, 2], { padding: [1, 2], paddingMode: mode, dtype: 'float64' });
      const x = nt.randn([1, 2, 5, 6], { dtype: 'float64' });
      const ref = F.conv2d(F.pad(x, [2, 2, 1, 1], mode), m.weight, m.bias);
      expectClose(m.forward(x), values(ref), tolFor('float64'));
    }
    const same = new nn.Conv1d(1, 1, 4, { padding: 'same', paddingMode: 'replicate', bias: false });
    expect(same.forward(nt.randn([1, 1, 7])).shape).toEqual([1, 1, 7]);
  });

  test('hostile constructor arguments', () => {
    expectError(() => new nn.Conv2d(0, 3, 3), nt.ArgumentError, /Conv2d: inChannels a positive integer/);
    expectError(() => new nn.Conv2d(4, 3, 3, { groups: 2 }), nt.ArgumentError, /divide outChannels/);
    expectError(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), nt.ArgumentError, /divide inChannels/);
    expectError(() => new nn.Conv2d(3, 4, [3, 3, 3] as never), nt.ArgumentError, /kernelSize/);
    expectError(() => new nn.Conv2d(3, 4, 3, { stride: 2, padding: 'same' }), nt.ArgumentError, /'same'/);
    expectError(() => new nn.Conv2d(3, 4, 3, { paddingMode: 'mirror' as 'reflect' }), nt.ArgumentError, /paddingMode/);
    expectError(() => new nn.Conv1d(3, 4, 0), nt.ArgumentError, /kernelSize/);
  });
});

describe('conv2d over a batch whose column buffer is built in chunks', () => {
  test('equals the per-image results (40 images of [64, 30, 30]: 83 MB of columns at once)', () => {
    nt.manualSeed(5);
    const x = nt.randn([40, 64, 30, 30]);
    const w = nt.randn([16, 64, 3, 3]).div(24);
    const b = nt.randn([16]);
    const all = nt.conv2d(x, w, b, { padding: 1 });
    const one = (i: number): nt.Tensor => nt.conv2d(x.narrow(0, i, 1), w, b, { padding: 1 });
    for (const i of [0, 13, 39]) {
      const got = all.narrow(0, i, 1).contiguous().data() as Float32Array;
      const want = one(i).data() as Float32Array;
      let worst = 0;
      for (let k = 0; k < want.length; ++k) worst = Math.max(worst, Math.abs(got[k] - want[k]));
      expect(worst).toBeLessThan(1e-4);
    }
  });
});
