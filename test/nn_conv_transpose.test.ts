// convTranspose2d against a naive scatter-loop float64 reference over many
// argument combinations (output shapes from PyTorch's formula), gradchecks
// for input, weight and bias, hostile arguments, and nn.ConvTranspose2d's
// parameters and init.
import * as nt from '../lib';
import { DEVICES, expectClose, expectError, randomTensor, testSeed, tolFor, values } from './helpers';

const { nn } = nt;
const F = nn.functional;
type Tensor = nt.Tensor;

interface Args {
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
  dilation: [number, number];
  groups: number;
}

const full = (c: Partial<Args>): Args => ({
  stride: c.stride ?? [1, 1],
  padding: c.padding ?? [0, 0],
  outputPadding: c.outputPadding ?? [0, 0],
  dilation: c.dilation ?? [1, 1],
  groups: c.groups ?? 1,
});

/** Naive float64 transposed conv: each input pixel scatters weight * x into the output. */
function convTransposeRef(
  x: ArrayLike<number>,
  xs: number[],
  w: ArrayLike<number>,
  ws: number[],
  b: ArrayLike<number> | null,
  a: Args,
): { out: Float64Array; shape: number[] } {
  const [N, Cin, H, W] = xs;
  const [, Cog, kh, kw] = ws;
  const Cout = Cog * a.groups;
  const Cig = Cin / a.groups;
  const Ho = (H - 1) * a.stride[0] - 2 * a.padding[0] + a.dilation[0] * (kh - 1) + a.outputPadding[0] + 1;
  const Wo = (W - 1) * a.stride[1] - 2 * a.padding[1] + a.dilation[1] * (kw - 1) + a.outputPadding[1] + 1;
  const out = new Float64Array(N * Cout * Ho * Wo);
  for (let n = 0; n < N; ++n)
    for (let co = 0; co < Cout; ++co)
      for (let i = 0; i < Ho * Wo; ++i) out[(n * Cout + co) * Ho * Wo + i] = b ? b[co] : 0;
  for (let n = 0; n < N; ++n)
    for (let ci = 0; ci < Cin; ++ci) {
      const g = Math.floor(ci / Cig);
      for (let h = 0; h < H; ++h)
        for (let v = 0; v < W; ++v) {
          const xv = x[((n * Cin + ci) * H + h) * W + v];
          for (let c = 0; c < Cog; ++c)
            for (let p = 0; p < kh; ++p)
              for (let q = 0; q < kw; ++q) {
                const oh = h * a.stride[0] - a.padding[0] + p * a.dilation[0];
                const ow = v * a.stride[1] - a.padding[1] + q * a.dilation[1];
                if (oh < 0 || oh >= Ho || ow < 0 || ow >= Wo) continue;
                const co = g * Cog + c;
                out[((n * Cout + co) * Ho + oh) * Wo + ow] += xv * w[((ci * Cog + c) * kh + p) * kw + q];
              }
        }
    }
  return { out, shape: [N, Cout, Ho, Wo] };
}

interface Case {
  x: number[];
  cog: number;
  k: [number, number];
  args: Partial<Args>;
  bias: boolean;
}

const CASES: Case[] = [];
for (const stride of [
  [1, 1],
  [2, 2],
  [3, 2],
] as [number, number][])
  for (const padding of [
    [0, 0],
    [1, 1],
    [2, 1],
  ] as [number, number][])
    for (const dilation of [
      [1, 1],
      [2, 1],
    ] as [number, number][])
      for (const groups of [1, 2]) {
        const outputPadding: [number, number] = [stride[0] - 1, Math.min(1, stride[1] - 1)];
        CASES.push({
          x: [2, 4, 5, 4],
          cog: 3,
          k: [3, 2],
          args: { stride, padding, dilation, groups, outputPadding },
          bias: (CASES.length & 1) === 0,
        });
      }
// depthwise, 1x1, outputPadding >= stride but < dilation, batch 1, large padding
CASES.push({ x: [2, 4, 4, 4], cog: 1, k: [3, 3], args: { groups: 4, stride: [2, 2], padding: [1, 1] }, bias: true });
CASES.push({ x: [2, 3, 4, 5], cog: 2, k: [1, 1], args: {}, bias: true });
CASES.push({ x: [1, 2, 3, 4], cog: 2, k: [3, 2], args: { dilation: [3, 2], outputPadding: [2, 1] }, bias: false });
CASES.push({ x: [1, 2, 5, 5], cog: 3, k: [4, 4], args: { stride: [2, 2], padding: [3, 3] }, bias: true });

const describeCase = (c: Case): string => {
  const a = full(c.args);
  return `x${JSON.stringify(c.x)} cog=${c.cog} k=${JSON.stringify(c.k)} s=${a.stride} p=${a.padding} op=${a.outputPadding} d=${a.dilation} g=${a.groups} bias=${c.bias}`;
};

function runCase(c: Case, dtype: nt.DType, device: nt.Device, salt: string): void {
  const a = full(c.args);
  const ws = [c.x[1], c.cog, ...c.k];
  const seed = testSeed(salt);
  const x = randomTensor(c.x, seed, { dtype, device });
  const w = randomTensor(ws, seed + 1, { dtype, device });
  const b = c.bias ? randomTensor([c.cog * a.groups], seed + 2, { dtype, device }) : null;
  const ref = convTransposeRef(x.ref, c.x, w.ref, ws, b ? b.ref : null, a);
  const y = F.convTranspose2d(x.t, w.t, b?.t ?? null, a);
  expect(y.shape).toEqual(ref.shape);
  expect(y.dtype).toBe(dtype);
  const tol = dtype === 'float64' ? tolFor(dtype) : { atol: 1e-4, rtol: 1e-4 };
  expectClose(y, ref.out, tol);
}

describe.each(DEVICES)('convTranspose2d on %s', (device) => {
  test.each(CASES.map((c) => [describeCase(c), c] as const))('float64 %s', (_name, c) => {
    runCase(c, 'float64', device, 'f64');
  });

  test.each(CASES.filter((_, i) => i % 4 === 0).map((c) => [describeCase(c), c] as const))('float32 %s', (_name, c) => {
    runCase(c, 'float32', device, 'f32');
  });

  test('non-contiguous input and weight (transposed views)', () => {
    const x = randomTensor([2, 3, 4, 5], testSeed('x'), { dtype: 'float64', device });
    const w = randomTensor([3, 2, 3, 2], testSeed('w'), { dtype: 'float64', device });
    const xv = nt
      .tensor(x.ref, { dtype: 'float64', shape: [2, 3, 4, 5], device })
      .transpose(2, 3)
      .contiguous();
    const wv = nt
      .tensor(w.ref, { dtype: 'float64', shape: [3, 2, 3, 2], device })
      .transpose(2, 3)
      .contiguous();
    expect(xv.transpose(2, 3).isContiguous()).toBe(false);
    const a = full({ stride: [2, 2], padding: [1, 0], outputPadding: [1, 1] });
    const ref = convTransposeRef(x.ref, [2, 3, 4, 5], w.ref, [3, 2, 3, 2], null, a);
    expectClose(F.convTranspose2d(xv.transpose(2, 3), wv.transpose(2, 3), null, a), ref.out, tolFor('float64'));
  });

  test('unbatched input [C, H, W]', () => {
    const x = randomTensor([2, 3, 3], testSeed('x'), { dtype: 'float64', device });
    const w = randomTensor([2, 4, 3, 3], testSeed('w'), { dtype: 'float64', device });
    const y = F.convTranspose2d(x.t, w.t, null, { stride: 2 });
    expect(y.shape).toEqual([4, 7, 7]);
    expectClose(y, convTransposeRef(x.ref, [1, 2, 3, 3], w.ref, [2, 4, 3, 3], null, full({ stride: [2, 2] })).out);
  });

  test('zero-size batch gives an empty output and zero weight and bias gradients', () => {
    const x = nt.zeros([0, 3, 4, 4], { dtype: 'float64', device, requiresGrad: true });
    const w = nt.ones([3, 2, 3, 3], { dtype: 'float64', device, requiresGrad: true });
    const b = nt.ones([2], { dtype: 'float64', device, requiresGrad: true });
    const y = F.convTranspose2d(x, w, b, { stride: 2 });
    expect(y.shape).toEqual([0, 2, 9, 9]);
    y.sum().backward();
    expect(x.grad?.shape).toEqual([0, 3, 4, 4]);
    expect(Array.from(values(w.grad as Tensor))).toEqual(new Array(3 * 2 * 9).fill(0));
    expect(Array.from(values(b.grad as Tensor))).toEqual([0, 0]);
  });

  test('float32 forward and backward agree with float64', () => {
    const x = randomTensor([2, 4, 5, 5], testSeed('x'), { dtype: 'float64', device });
    const w = randomTensor([4, 3, 3, 3], testSeed('w'), { dtype: 'float64', device });
    const b = randomTensor([6], testSeed('b'), { dtype: 'float64', device });
    const grads = (dtype: nt.DType): Float64Array[] => {
      const xs = x.t.to(dtype).detach().requiresGrad_();
      const wsT = w.t.to(dtype).detach().requiresGrad_();
      const bs = b.t.to(dtype).detach().requiresGrad_();
      const y = F.convTranspose2d(xs, wsT, bs, { stride: 2, padding: 1, outputPadding: 1, groups: 2 });
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

describe('convTranspose2d gradients', () => {
  const leaf = (shape: number[], salt: string): Tensor =>
    randomTensor(shape, testSeed(salt), { dtype: 'float64' }).t.requiresGrad_();

  test.each([
    ['plain', [2, 2, 3, 4], [2, 3, 3, 2], {}],
    ['stride 2, padding 1, outputPadding 1', [2, 2, 3, 3], [2, 3, 3, 3], { stride: 2, padding: 1, outputPadding: 1 }],
    ['outputPadding < stride (3)', [1, 2, 3, 2], [2, 2, 2, 2], { stride: 3, outputPadding: [2, 1] }],
    ['dilation 2, groups 2', [1, 4, 3, 3], [4, 2, 2, 3], { dilation: 2, groups: 2, padding: [1, 2] }],
    ['outputPadding < dilation', [1, 2, 3, 3], [2, 2, 2, 2], { dilation: 3, outputPadding: 2 }],
    ['depthwise', [2, 3, 3, 3], [3, 1, 3, 2], { groups: 3, stride: [1, 2] }],
  ] as [string, number[], number[], nt.ConvTranspose2dOptions][])('%s: input, weight and bias', (_n, xs, ws, o) => {
    const cout = ws[1] * (o.groups ?? 1);
    const fn = (x: Tensor, w: Tensor, b: Tensor): Tensor => F.convTranspose2d(x, w, b, o);
    const inputs = [leaf(xs, 'x'), leaf(ws, 'w'), leaf([cout], 'b')];
    expect(nt.autograd.gradcheck(fn, inputs, { atol: 1e-6, rtol: 1e-5 })).toBe(true);
  });

  test('without bias, through a following op', () => {
    const fn = (x: Tensor, w: Tensor): Tensor => F.convTranspose2d(x, w, null, { stride: 2 }).tanh().sum([2, 3]);
    expect(nt.autograd.gradcheck(fn, [leaf([2, 2, 3, 3], 'x'), leaf([2, 2, 2, 2], 'w')])).toBe(true);
  });
});

describe('convTranspose2d hostile inputs', () => {
  const t = (shape: number[], dtype: nt.DType = 'float32'): Tensor => nt.zeros(shape, { dtype });
  const x = t([1, 4, 5, 5]);
  const w = t([4, 2, 3, 3]);

  test('typed errors naming the op and the argument', () => {
    expectError(() => F.convTranspose2d(t([4, 5]), w), nt.ShapeError, /convTranspose2d: input must be 4-D/);
    expectError(() => F.convTranspose2d(x, t([4, 2, 3])), nt.ShapeError, /weight must be 4-D/);
    expectError(() => F.convTranspose2d(x, t([3, 2, 3, 3])), nt.ShapeError, /4 channels but weight/);
    expectError(() => F.convTranspose2d(x, w, null, { groups: 3 }), nt.ShapeError, /groups \(3\) must divide/);
    expectError(() => F.convTranspose2d(x, w, null, { groups: 0 }), nt.ArgumentError, /groups must be a positive/);
    expectError(() => F.convTranspose2d(x, w, null, { padding: -1 }), nt.ArgumentError, /padding must be non-negative/);
    expectError(() => F.convTranspose2d(x, w, null, { stride: 0 }), nt.ArgumentError, /stride must be positive/);
    expectError(() => F.convTranspose2d(x, w, null, { dilation: [1, 0] }), nt.ArgumentError, /dilation must be/);
    expectError(
      () => F.convTranspose2d(x, w, null, { stride: 2, outputPadding: 2 }),
      nt.ArgumentError,
      /outputPadding must be smaller than stride or dilation/,
    );
    expectError(
      () => F.convTranspose2d(t([1, 4, 1, 1]), t([4, 2, 1, 1]), null, { padding: 1 }),
      nt.ShapeError,
      /not positive/,
    );
    expectError(() => F.convTranspose2d(x, w, t([3])), nt.ShapeError, /bias must have shape \[2\]/);
    expectError(() => F.convTranspose2d(x, t([4, 2, 3, 3], 'float64')), nt.DTypeError, /same floating dtype/);
    expectError(() => F.convTranspose2d(t([1, 4, 5, 5], 'int32'), t([4, 2, 3, 3], 'int32')), nt.DTypeError, /floating/);
    expectError(() => F.convTranspose2d(t([1, 4, 0, 5]), w), nt.ShapeError, /non-zero channel and spatial/);
    expectError(
      () => F.convTranspose2d(x, w, null, { outputPading: 1 } as nt.ConvTranspose2dOptions),
      nt.ArgumentError,
      /outputPading/,
    );
  });
});

describe('nn.ConvTranspose2d', () => {
  test('parameter shapes, init bounds and output shape', () => {
    nt.manualSeed(3);
    const m = new nn.ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 });
    expect(m.weight.shape).toEqual([4, 3, 3, 3]);
    expect(m.bias?.shape).toEqual([6]);
    const bound = 1 / Math.sqrt(3 * 9); // fanIn = out/groups * kh * kw, as PyTorch
    for (const p of [m.weight, m.bias as Tensor]) {
      const v = values(p);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(bound * 0.5);
    }
    const y = m.forward(nt.randn([2, 4, 5, 5]));
    expect(y.shape).toEqual([2, 6, 10, 10]);
    expect(m.toString()).toContain('outputPadding=[1, 1]');
    expect(m.parameters().length).toBe(2);
  });

  test('bias false and rectangular kernels', () => {
    const m = new nn.ConvTranspose2d(2, 3, [2, 3], { bias: false, stride: [2, 1], dilation: [1, 2] });
    expect(m.bias).toBeNull();
    expect(m.parameters().length).toBe(1);
    expect(m.forward(nt.randn([1, 2, 4, 4])).shape).toEqual([1, 3, 8, 8]);
  });

  test('forward with outputSize picks the outputPadding, as PyTorch', () => {
    const m = new nn.ConvTranspose2d(2, 3, 3, { stride: [3, 2], padding: 1 });
    const x = nt.randn([1, 2, 4, 5]);
    // sizes 10..12 and 9..10 are reachable: min = (in - 1) * s - 2p + (k - 1) + 1
    expect(m.forward(x).shape).toEqual([1, 3, 10, 9]);
    expect(m.forward(x, [12, 10]).shape).toEqual([1, 3, 12, 10]);
    expect(m.forward(x, [1, 3, 11, 9]).shape).toEqual([1, 3, 11, 9]);
    const same = F.convTranspose2d(x, m.weight, m.bias, { stride: [3, 2], padding: 1, outputPadding: [2, 1] });
    expect(values(m.forward(x, [12, 10]))).toEqual(values(same));
    expectError(
      () => m.forward(x, [13, 10]),
      nt.ArgumentError,
      /outputSize \[13, 10\] out of reach: spatial dim 0 must be in \[10, 12\]/,
    );
    expectError(() => m.forward(x, [12]), nt.ArgumentError, /outputSize must be \[H, W\] or 4 numbers/);
  });

  test('bad module arguments', () => {
    expectError(
      () => new nn.ConvTranspose2d(4, 6, 3, { groups: 4 }),
      nt.ArgumentError,
      /groups \(4\) must divide outChannels/,
    );
    expectError(
      () => new nn.ConvTranspose2d(4, 6, 3, { stride: 1, outputPadding: 1 }),
      nt.ArgumentError,
      /outputPadding/,
    );
    expectError(() => new nn.ConvTranspose2d(0, 6, 3), nt.ArgumentError, /inChannels/);
  });
});
