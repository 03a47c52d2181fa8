// Layer norm and RMS norm (issue 13): the fused kernels against float64
// references built from mean / var ops (values and gradients), gradcheck,
// multi-dim normalizedShape, no affine, float32 tolerance, the modules and
// hostile arguments.
import * as nt from '../lib';
import { DEVICES, expectClose, expectError, randomTensor, testSeed, values } from './helpers';

const F = nt.nn.F;
const TIGHT = { atol: 1e-12, rtol: 1e-10 };

/** Dims of the trailing normalizedShape of an input of rank ndim. */
const lastDims = (ndim: number, k: number): number[] => Array.from({ length: k }, (_, i) => ndim - k + i);

/** (x - mean) / sqrt(var + eps) * w + b from composite ops (biased variance). */
function refLayerNorm(x: nt.Tensor, k: number, w: nt.Tensor | null, b: nt.Tensor | null, eps: number): nt.Tensor {
  const dims = lastDims(x.ndim, k);
  const mu = x.mean(dims, true);
  const v = x.var(dims, { correction: 0, keepdim: true });
  let y = x.sub(mu).div(v.add(eps).sqrt());
  if (w) y = y.mul(w);
  if (b) y = y.add(b);
  return y;
}

/** x / sqrt(mean(x^2) + eps) * w from composite ops. */
function refRmsNorm(x: nt.Tensor, k: number, w: nt.Tensor | null, eps: number): nt.Tensor {
  const y = x.div(x.square().mean(lastDims(x.ndim, k), true).add(eps).sqrt());
  return w ? y.mul(w) : y;
}

function leaf(shape: number[], salt: string, dtype: nt.DType = 'float64', device: nt.Device = 'cpu'): nt.Tensor {
  return randomTensor(shape, testSeed(salt), { dtype, device }).t.requiresGrad_();
}

/** Values and the gradients of `inputs` for sum(out * upstream). */
function valueAndGrads(fn: () => nt.Tensor, inputs: nt.Tensor[], upstream: nt.Tensor): Float64Array[] {
  for (const t of inputs) t.grad = null;
  const out = fn();
  out.mul(upstream).sum().backward();
  return [values(out), ...inputs.map((t) => values(t.grad as nt.Tensor))];
}

describe.each(DEVICES)('layerNorm / rmsNorm on %s', (device) => {
  const cases: { shape: number[]; norm: number[] }[] = [
    { shape: [4, 7], norm: [7] },
    { shape: [2, 3, 5], norm: [3, 5] },
    { shape: [3, 2, 70], norm: [70] },
    { shape: [5, 1], norm: [1] },
  ];

  test.each(cases)(
    'layerNorm float64 values and gradients match mean/var ops: $shape over $norm',
    ({ shape, norm }) => {
      const salt = `ln${shape.join('x')}`;
      const x = leaf(shape, `${salt}x`, 'float64', device);
      const w = leaf(norm, `${salt}w`, 'float64', device);
      const b = leaf(norm, `${salt}b`, 'float64', device);
      const up = randomTensor(shape, testSeed(`${salt}g`), { dtype: 'float64', device }).t;
      const got = valueAndGrads(() => F.layerNorm(x, norm, w, b, 1e-5), [x, w, b], up);
      const ref = valueAndGrads(() => refLayerNorm(x, norm.length, w, b, 1e-5), [x, w, b], up);
      for (let i = 0; i < got.length; ++i) expectClose(got[i], ref[i], TIGHT);
    },
  );

  test.each(cases)('rmsNorm float64 values and gradients match mean ops: $shape over $norm', ({ shape, norm }) => {
    const salt = `rms${shape.join('x')}`;
    const x = leaf(shape, `${salt}x`, 'float64', device);
    const w = leaf(norm, `${salt}w`, 'float64', device);
    const up = randomTensor(shape, testSeed(`${salt}g`), { dtype: 'float64', device }).t;
    const got = valueAndGrads(() => F.rmsNorm(x, norm, w, 1e-6), [x, w], up);
    const ref = valueAndGrads(() => refRmsNorm(x, norm.length, w, 1e-6), [x, w], up);
    for (let i = 0; i < got.length; ++i) expectClose(got[i], ref[i], TIGHT);
  });

  test('no affine: only x gets a gradient, and it matches the reference', () => {
    const x = leaf([6, 9], 'noaffine', 'float64', device);
    const up = randomTensor([6, 9], testSeed('noaffine-g'), { dtype: 'float64', device }).t;
    const got = valueAndGrads(() => F.layerNorm(x, 9), [x], up);
    const ref = valueAndGrads(() => refLayerNorm(x, 1, null, null, 1e-5), [x], up);
    for (let i = 0; i < got.length; ++i) expectClose(got[i], ref[i], TIGHT);
    const gotR = valueAndGrads(() => F.rmsNorm(x, [9]), [x], up);
    const refR = valueAndGrads(() => refRmsNorm(x, 1, null, Number.EPSILON), [x], up);
    for (let i = 0; i < gotR.length; ++i) expectClose(gotR[i], refR[i], TIGHT);
  });

  test('weight only and bias only', () => {
    const x = leaf([3, 8], 'wonly', 'float64', device);
    const w = leaf([8], 'wonly-w', 'float64', device);
    const b = leaf([8], 'bonly-b', 'float64', device);
    const up = randomTensor([3, 8], testSeed('wonly-g'), { dtype: 'float64', device }).t;
    let got = valueAndGrads(() => F.layerNorm(x, [8], w, null), [x, w], up);
    let ref = valueAndGrads(() => refLayerNorm(x, 1, w, null, 1e-5), [x, w], up);
    for (let i = 0; i < got.length; ++i) expectClose(got[i], ref[i], TIGHT);
    got = valueAndGrads(() => F.layerNorm(x, [8], null, b), [x, b], up);
    ref = valueAndGrads(() => refLayerNorm(x, 1, null, b, 1e-5), [x, b], up);
    for (let i = 0; i < got.length; ++i) expectClose(got[i], ref[i], TIGHT);
  });

  test('gradcheck: x, weight and bias (layerNorm), x and weight (rmsNorm), multi-dim shape', () => {
    const gc = (fn: (...t: nt.Tensor[]) => nt.Tensor, inputs: nt.Tensor[]): void =>
      expect(nt.autograd.gradcheck(fn, inputs)).toBe(true);
    gc((x, w, b) => F.layerNorm(x, [2, 3], w, b), [leaf([2, 2, 3], 'gcx'), leaf([2, 3], 'gcw'), leaf([2, 3], 'gcb')]);
    gc((x, w) => F.rmsNorm(x, 5, w, 1e-3), [leaf([3, 5], 'gcrx'), leaf([5], 'gcrw')]);
    gc((x) => F.layerNorm(x.transpose(0, 1), [3]), [leaf([3, 4], 'gct')]); // a non-contiguous input
  });

  test('float32 stays within float32 tolerance of the float64 result, also for large offsets', () => {
    // Near 1000 a float32 holds the spread to ~6e-5, and the mean is rounded
    // to that: (x - mean) / std can be off by ~1e-4 (PyTorch's too).
    for (const [salt, lo, hi, atol] of [
      ['f32', -2, 2, 2e-5],
      ['f32off', 1000, 1001, 5e-4],
    ] as const) {
      const { t: x64 } = randomTensor([64, 300], testSeed(salt), { dtype: 'float64', device, lo, hi });
      const x32 = x64.float();
      const { t: w64 } = randomTensor([300], testSeed(`${salt}w`), { dtype: 'float64', device });
      const { t: b64 } = randomTensor([300], testSeed(`${salt}b`), { dtype: 'float64', device });
      // The reference sees the float32-rounded inputs.
      const ref = values(F.layerNorm(x32.double(), 300, w64.float().double(), b64.float().double()));
      expectClose(F.layerNorm(x32, 300, w64.float(), b64.float()), ref, { atol, rtol: 1e-4 });
      const refR = values(F.rmsNorm(x32.double(), 300, w64.float().double(), 1e-6));
      expectClose(F.rmsNorm(x32, 300, w64.float(), 1e-6), refR, { atol: 2e-5, rtol: 1e-4 });
    }
  });

  test('float32 gradients match float64 within tolerance (rows split over threads)', () => {
    const shape = [300, 40];
    const x = leaf(shape, 'f32g', 'float32', device);
    const w = leaf([40], 'f32gw', 'float32', device);
    const b = leaf([40], 'f32gb', 'float32', device);
    const x64 = x.detach().double().requiresGrad_();
    const w64 = w.detach().double().requiresGrad_();
    const b64 = b.detach().double().requiresGrad_();
    const up = randomTensor(shape, testSeed('f32g-up'), { dtype: 'float32', device }).t;
    const got = valueAndGrads(() => F.layerNorm(x, 40, w, b), [x, w, b], up);
    const ref = valueAndGrads(() => F.layerNorm(x64, 40, w64, b64), [x64, w64, b64], up.double());
    for (let i = 0; i < got.length; ++i) expectClose(got[i], ref[i], { atol: 1e-4, rtol: 1e-4 });
  });
});

describe('layerNorm / rmsNorm edge cases', () => {
  test('a constant row normalizes to zero (layer norm) and a zero row stays zero (RMS norm)', () => {
    const x = nt.full([2, 4], 3, { dtype: 'float64' });
    expect(Array.from(values(F.layerNorm(x, 4)))).toEqual(new Array(8).fill(0));
    expect(Array.from(values(F.rmsNorm(nt.zeros([2, 4], { dtype: 'float64' }), 4)))).toEqual(new Array(8).fill(0));
  });

  test('NaN in a row makes only that row NaN', () => {
    const x = nt.tensor([
      [1, NaN, 3],
      [1, 2, 3],
    ]);
    const y = values(F.layerNorm(x, 3));
    expect(y.slice(0, 3).every(Number.isNaN)).toBe(true);
    expect(y.slice(3).some(Number.isNaN)).toBe(false);
  });

  test('zero rows: empty output, zero weight and bias gradients', () => {
    const x = nt.zeros([0, 5], { dtype: 'float64' }).requiresGrad_();
    const w = nt.ones([5], { dtype: 'float64' }).requiresGrad_();
    const b = nt.zeros([5], { dtype: 'float64' }).requiresGrad_();
    const y = F.layerNorm(x, 5, w, b);
    expect(y.shape).toEqual([0, 5]);
    y.sum().backward();
    expect(Array.from(values(w.grad as nt.Tensor))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(values(b.grad as nt.Tensor))).toEqual([0, 0, 0, 0, 0]);
  });

  test("rmsNorm's default eps is the machine epsilon of the dtype", () => {
    const x = nt.tensor([[1e-4, -1e-4]], { dtype: 'float32' });
    const expected = 1e-4 / Math.sqrt(1e-8 + 2 ** -23);
    expectClose(F.rmsNorm(x, 2), [expected, -expected], { atol: 1e-6, rtol: 1e-5 });
  });

  test('hostile arguments are typed errors naming the op', () => {
    const x = nt.ones([2, 3, 4]);
    expectError(() => F.layerNorm(x, [3]), nt.ShapeError, /layer_norm.*normalizedShape \[3\].*\[2, 3, 4\]/);
    expectError(() => F.layerNorm(x, [2, 3, 4, 5]), nt.ShapeError, /layer_norm.*trailing dims/);
    expectError(() => F.layerNorm(x, []), nt.ArgumentError, /layer_norm.*normalizedShape/);
    expectError(() => F.layerNorm(x, [1.5]), nt.ArgumentError, /layer_norm.*normalizedShape/);
    expectError(() => F.layerNorm(x, 4, nt.ones([3])), nt.ShapeError, /layer_norm.*weight must have shape \[4\]/);
    expectError(() => F.layerNorm(x, 4, null, nt.ones([4, 1])), nt.ShapeError, /layer_norm.*bias must have shape/);
    expectError(
      () => F.layerNorm(x, 4, nt.ones([4], { dtype: 'float64' })),
      nt.DTypeError,
      /layer_norm.*weight must have the input's dtype float32, got float64/,
    );
    expectError(() => F.layerNorm(nt.ones([2, 4], { dtype: 'int64' }), 4), nt.DTypeError, /layer_norm.*int64/);
    expectError(() => F.layerNorm(x, 4, null, null, -1), nt.ArgumentError, /layer_norm.*eps/);
    expectError(() => F.layerNorm(x, 4, null, null, NaN), nt.ArgumentError, /layer_norm.*eps/);
    expectError(() => F.rmsNorm(x, [5]), nt.ShapeError, /rms_norm.*normalizedShape/);
    expectError(() => F.rmsNorm(nt.ones([2], { dtype: 'int32' }), 2), nt.DTypeError, /rms_norm.*int32/);
    expectError(() => F.layerNorm('x' as unknown as nt.Tensor, 4), nt.ArgumentError, /layer_norm/);
  });
});

describe('nn.LayerNorm / nn.RMSNorm', () => {
  test('parameters, defaults and forward equal F', () => {
    const ln = new nt.nn.LayerNorm([3, 4], { dtype: 'float64' });
    expect(ln.parameters().map((p) => p.shape)).toEqual([
      [3, 4],
      [3, 4],
    ]);
    expect(Array.from(values(ln.weight as nt.Tensor))).toEqual(new Array(12).fill(1));
    expect(Array.from(values(ln.bias as nt.Tensor))).toEqual(new Array(12).fill(0));
    const x = randomTensor([2, 3, 4], testSeed('lnmod'), { dtype: 'float64' }).t;
    expectClose(ln.forward(x), values(F.layerNorm(x, [3, 4], ln.weight, ln.bias, 1e-5)), TIGHT);
    expect(new nt.nn.LayerNorm(4, { bias: false }).parameters().length).toBe(1);
    expect(new nt.nn.LayerNorm(4, { elementwiseAffine: false }).parameters().length).toBe(0);
    const rms = new nt.nn.RMSNorm(4, { eps: 1e-6, dtype: 'float64' });
    expect(rms.parameters().length).toBe(1);
    const y = randomTensor([3, 4], testSeed('rmsmod'), { dtype: 'float64' }).t;
    expectClose(rms.forward(y), values(refRmsNorm(y, 1, null, 1e-6)), TIGHT);
    expect(new nt.nn.RMSNorm([2, 2], { elementwiseAffine: false }).parameters().length).toBe(0);
  });

  test('bad options are typed errors', () => {
    expectError(() => new nt.nn.LayerNorm(4, { epsilon: 1 } as never), nt.ArgumentError, /LayerNorm/);
    expectError(() => new nt.nn.LayerNorm(0), nt.ArgumentError, /LayerNorm.*normalizedShape/);
    expectError(() => new nt.nn.RMSNorm(4, { eps: -1 }), nt.ArgumentError, /RMSNorm.*eps/);
    expectError(() => new nt.nn.RMSNorm([], {}), nt.ArgumentError, /RMSNorm.*normalizedShape/);
  });
});

describe('F.gelu tanh (fused)', () => {
  test('matches the composite formula and its gradient in float64', () => {
    const x = leaf([5, 7], 'geluT');
    const up = randomTensor([5, 7], testSeed('geluT-g'), { dtype: 'float64' }).t;
    const composite = (t: nt.Tensor): nt.Tensor =>
      t.mul(0.5).mul(
        t
          .add(t.mul(t).mul(t).mul(0.044715))
          .mul(Math.sqrt(2 / Math.PI))
          .tanh()
          .add(1),
      );
    const got = valueAndGrads(() => F.gelu(x, 'tanh'), [x], up);
    const ref = valueAndGrads(() => composite(x), [x], up);
    for (let i = 0; i < got.length; ++i) expectClose(got[i], ref[i], TIGHT);
    expect(new nt.nn.GELU({ approximate: 'tanh' }).forward(x.detach()).shape).toEqual([5, 7]);
    expectClose(new nt.nn.GELU('tanh').forward(x.detach()), got[0], TIGHT);
    expectError(() => new nt.nn.GELU({ approximate: 'fast' as never }), nt.ArgumentError, /GELU.*fast/);
  });
});
