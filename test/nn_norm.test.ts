// Batch norm, group norm and Dropout2d (issue 12) against float64 loops,
// running statistics computed by hand, stateDict round trips and hostile
// arguments.
import * as nt from '../lib';
import { DEVICES, expectClose, expectError, randomValues, testSeed, values } from './helpers';

const F = nt.nn.F;
const TIGHT = { atol: 1e-10, rtol: 1e-9 };

/** Per-channel mean and biased/unbiased variance of [N, C, ...] values. */
function channelStats(x: Float64Array, shape: number[]): { mean: number[]; varB: number[]; varU: number[] } {
  const C = shape[1];
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const N = shape[0];
  const m = N * inner;
  const mean: number[] = [];
  const varB: number[] = [];
  const varU: number[] = [];
  for (let c = 0; c < C; ++c) {
    let s = 0;
    for (let n = 0; n < N; ++n) for (let i = 0; i < inner; ++i) s += x[(n * C + c) * inner + i];
    const mu = s / m;
    let q = 0;
    for (let n = 0; n < N; ++n) for (let i = 0; i < inner; ++i) q += (x[(n * C + c) * inner + i] - mu) ** 2;
    mean.push(mu);
    varB.push(q / m);
    varU.push(q / (m - 1));
  }
  return { mean, varB, varU };
}

function refAffine(
  x: Float64Array,
  shape: number[],
  mean: number[],
  variance: number[],
  w: ArrayLike<number> | null,
  b: ArrayLike<number> | null,
  eps: number,
): number[] {
  const C = shape[1];
  const inner = shape.slice(2).reduce((a, q) => a * q, 1);
  return Array.from(x, (v, k) => {
    const c = Math.floor(k / inner) % C;
    return ((v - mean[c]) / Math.sqrt(variance[c] + eps)) * (w ? w[c] : 1) + (b ? b[c] : 0);
  });
}

describe.each(DEVICES)('batchNorm on %s', (device) => {
  const f64 = (v: ArrayLike<number>, shape: number[], requiresGrad = false): nt.Tensor =>
    nt.tensor(Float64Array.from(v), { dtype: 'float64', shape, device, requiresGrad });

  test('functional: training output and running-stat update, then eval', () => {
    const shape = [4, 3, 2, 5];
    const xv = randomValues(120, testSeed('bn'), -3, 3);
    const wv = randomValues(3, testSeed('w'));
    const bv = randomValues(3, testSeed('b'));
    const rm0 = [0.5, -1, 2];
    const rv0 = [1.5, 0.25, 3];
    const rm = f64(rm0, [3]);
    const rv = f64(rv0, [3]);
    const st = channelStats(xv, shape);
    const y = F.batchNorm(f64(xv, shape), rm, rv, f64(wv, [3]), f64(bv, [3]), true, 0.2, 1e-3);
    expectClose(y, refAffine(xv, shape, st.mean, st.varB, wv, bv, 1e-3), TIGHT);
    expectClose(
      rm,
      rm0.map((r, c) => 0.8 * r + 0.2 * st.mean[c]),
      TIGHT,
    );
    expectClose(
      rv,
      rv0.map((r, c) => 0.8 * r + 0.2 * st.varU[c]),
      TIGHT,
    );
    const rmNow = Array.from(values(rm));
    const rvNow = Array.from(values(rv));
    const e = F.batchNorm(f64(xv, shape), rm, rv, f64(wv, [3]), f64(bv, [3]), false, 0.2, 1e-3);
    expectClose(e, refAffine(xv, shape, rmNow, rvNow, wv, bv, 1e-3), TIGHT);
    expectClose(rm, rmNow, TIGHT); // eval leaves the stats alone
  });

  test('gradients: training (fused formula) and eval', () => {
    const x = f64(randomValues(24, testSeed('gx')), [4, 3, 2], true);
    const w = f64(randomValues(3, testSeed('gw')), [3], true);
    const b = f64(randomValues(3, testSeed('gb')), [3], true);
    const rm = f64([0.1, -0.2, 0.3], [3]);
    const rv = f64([1.2, 0.7, 2], [3]);
    expect(nt.autograd.gradcheck((t, ww, bb) => F.batchNorm(t, null, null, ww, bb, true), [x, w, b])).toBe(true);
    expect(nt.autograd.gradcheck((t, ww, bb) => F.batchNorm(t, rm, rv, ww, bb, false), [x, w, b])).toBe(true);
  });

  test('BatchNorm2d: two training steps, eval, stateDict round trip', () => {
    const bn = new nt.nn.BatchNorm2d(3, { dtype: 'float64', device });
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'runningMean', 'runningVar', 'numBatchesTracked']);
    expect(bn.parameters().length).toBe(2);
    const shape = [3, 3, 4, 4];
    const x1 = randomValues(144, testSeed('s1'), -1, 3);
    const x2 = randomValues(144, testSeed('s2'), -2, 1);
    const s1 = channelStats(x1, shape);
    const s2 = channelStats(x2, shape);
    const y1 = bn.forward(f64(x1, shape));
    expectClose(y1, refAffine(x1, shape, s1.mean, s1.varB, null, null, 1e-5), TIGHT);
    bn.forward(f64(x2, shape));
    const rm = s1.mean.map((_, c) => 0.9 * (0.9 * 0 + 0.1 * s1.mean[c]) + 0.1 * s2.mean[c]);
    const rv = s1.mean.map((_, c) => 0.9 * (0.9 * 1 + 0.1 * s1.varU[c]) + 0.1 * s2.varU[c]);
    expectClose(bn.runningMean as nt.Tensor, rm, TIGHT);
    expectClose(bn.runningVar as nt.Tensor, rv, TIGHT);
    expect((bn.numBatchesTracked as nt.Tensor).item()).toBe(2);
    expect((bn.numBatchesTracked as nt.Tensor).dtype).toBe('int64');
    bn.eval();
    const e = bn.forward(f64(x1, shape));
    expectClose(e, refAffine(x1, shape, rm, rv, null, null, 1e-5), TIGHT);
    // Round trip into a fresh module: same eval output.
    const other = new nt.nn.BatchNorm2d(3, { dtype: 'float64', device }).eval();
    other.loadStateDict(bn.stateDict());
    expectClose(other.forward(f64(x1, shape)), values(e), TIGHT);
    expect((other.numBatchesTracked as nt.Tensor).item()).toBe(2);
    expect(String(bn)).toBe('BatchNorm2d(3, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)');
  });

  test('momentum null (cumulative average), trackRunningStats false, affine false, BatchNorm1d', () => {
    const shape = [5, 2];
    const x1 = randomValues(10, testSeed('c1'));
    const x2 = randomValues(10, testSeed('c2'));
    const bn = new nt.nn.BatchNorm1d(2, { momentum: null, dtype: 'float64', device });
    bn.forward(f64(x1, shape));
    bn.forward(f64(x2, shape));
    const s1 = channelStats(x1, shape);
    const s2 = channelStats(x2, shape);
    expectClose(
      bn.runningMean as nt.Tensor,
      [0, 1].map((c) => (s1.mean[c] + s2.mean[c]) / 2),
      TIGHT,
    );
    expectClose(
      bn.runningVar as nt.Tensor,
      [0, 1].map((c) => (s1.varU[c] + s2.varU[c]) / 2),
      TIGHT,
    );

    const free = new nt.nn.BatchNorm1d(2, { trackRunningStats: false, affine: false, dtype: 'float64', device });
    expect(Object.keys(free.stateDict())).toEqual([]);
    expect(free.runningMean).toBeNull();
    free.eval(); // no running stats: batch statistics even in eval
    expectClose(free.forward(f64(x1, shape)), refAffine(x1, shape, s1.mean, s1.varB, null, null, 1e-5), TIGHT);

    const three = [2, 2, 3];
    const x3 = randomValues(12, testSeed('c3'));
    const s3 = channelStats(x3, three);
    const bn1 = new nt.nn.BatchNorm1d(2, { dtype: 'float64', device });
    expectClose(bn1.forward(f64(x3, three)), refAffine(x3, three, s3.mean, s3.varB, null, null, 1e-5), TIGHT);
  });

  test('float32 training step', () => {
    const bn = new nt.nn.BatchNorm2d(4, { device });
    const x = nt.randn([8, 4, 5, 5], { device });
    const y = bn.forward(x);
    expectClose(y.mean([0, 2, 3]), [0, 0, 0, 0], { atol: 1e-5, rtol: 0 });
    expectClose(nt.variance(y, [0, 2, 3], 0), [1, 1, 1, 1], { atol: 1e-3, rtol: 0 });
    y.sum().backward();
    expect((bn.weight as nt.Tensor).grad?.shape).toEqual([4]);
  });

  test('hostile arguments', () => {
    const x = nt.randn([4, 3, 2, 2], { device });
    expectError(
      () => F.batchNorm(nt.randn([1, 3], { device }), null, null, null, null, true),
      nt.ShapeError,
      /^batch_norm: expected more than 1 value per channel when training/,
    );
    expectError(
      () => F.batchNorm(nt.zeros([0, 3, 4, 4], { device }), null, null, null, null, true),
      nt.ShapeError,
      /^batch_norm: expected more than 1 value per channel/,
    );
    expectError(
      () => F.batchNorm(x, null, null, nt.ones([4], { device }), null, true),
      nt.ShapeError,
      /^batch_norm: weight must have shape \[3\]/,
    );
    expectError(
      () => F.batchNorm(x, null, null, null, null, false),
      nt.ArgumentError,
      /^batch_norm: runningMean and runningVar are required/,
    );
    expectError(
      () => F.batchNorm(x, nt.zeros([3], { device }), null, null, null, true),
      nt.ArgumentError,
      /^batch_norm: runningMean and runningVar must be given together/,
    );
    expectError(() => F.batchNorm(x, null, null, null, null, true, 1.5), nt.ArgumentError, /^batch_norm: momentum/);
    expectError(
      () => F.batchNorm(nt.randn([3], { device }), null, null, null, null, true),
      nt.ShapeError,
      /^batch_norm: input must be at least 2-D/,
    );
    expectError(
      () => new nt.nn.BatchNorm2d(3).forward(nt.randn([4, 3, 2])),
      nt.ShapeError,
      /^BatchNorm2d: expected 4-D input/,
    );
    expectError(
      () => new nt.nn.BatchNorm1d(3).forward(nt.randn([4, 3, 2, 2])),
      nt.ShapeError,
      /^BatchNorm1d: expected 2-D or 3-D/,
    );
    expectError(() => new nt.nn.BatchNorm2d(0), nt.ArgumentError, /^BatchNorm2d: numFeatures a positive integer/);
    expectError(() => new nt.nn.BatchNorm2d(3, { momentum: -0.1 }), nt.ArgumentError, /^BatchNorm2d: momentum/);
    expectError(
      () => F.batchNorm(nt.zeros([4, 3], { dtype: 'int64', device }), null, null, null, null, true),
      nt.DTypeError,
      /^batch_norm:/,
    );
  });
});

describe.each(DEVICES)('groupNorm and Dropout2d on %s', (device) => {
  test('groupNorm against a loop, module, gradients', () => {
    const shape = [2, 6, 3, 2];
    const G = 3;
    const xv = randomValues(72, testSeed('gn'), -2, 4);
    const wv = randomValues(6, testSeed('gw'));
    const bv = randomValues(6, testSeed('gb'));
    const per = (6 / G) * 6;
    const ref = Array.from(xv, (v, k) => {
      const n = Math.floor(k / 36);
      const c = Math.floor(k / 6) % 6;
      const g = Math.floor(c / (6 / G));
      const start = n * 36 + g * per;
      let s = 0;
      for (let i = 0; i < per; ++i) s += xv[start + i];
      const mu = s / per;
      let q = 0;
      for (let i = 0; i < per; ++i) q += (xv[start + i] - mu) ** 2;
      return ((v - mu) / Math.sqrt(q / per + 1e-5)) * wv[c] + bv[c];
    });
    const x = nt.tensor(xv, { dtype: 'float64', shape, device });
    const w = nt.tensor(wv, { dtype: 'float64', device });
    const b = nt.tensor(bv, { dtype: 'float64', device });
    expectClose(F.groupNorm(x, G, w, b), ref, TIGHT);
    const m = new nt.nn.GroupNorm(G, 6, { dtype: 'float64', device });
    nt.noGrad(() => {
      m.weight?.copy_(w);
      m.bias?.copy_(b);
    });
    expectClose(m.forward(x), ref, TIGHT);
    expect(Object.keys(m.stateDict())).toEqual(['weight', 'bias']);
    const xs = nt.tensor(randomValues(24, testSeed('gs')), {
      dtype: 'float64',
      shape: [2, 4, 3],
      device,
      requiresGrad: true,
    });
    expect(nt.autograd.gradcheck((t) => F.groupNorm(t, 4), [xs])).toBe(true);
    expectError(
      () => F.groupNorm(x, 4),
      nt.ShapeError,
      /^group_norm: numGroups 4 must divide the number of channels 6/,
    );
    expectError(() => F.groupNorm(x, 0), nt.ArgumentError, /^group_norm: numGroups a positive integer/);
    expectError(() => new nt.nn.GroupNorm(4, 6), nt.ShapeError, /^GroupNorm: numGroups 4 must divide numChannels 6/);
    expectError(
      () => F.groupNorm(nt.randn([6], { device }), 2),
      nt.ShapeError,
      /^group_norm: input must be at least 2-D/,
    );
  });

  test('Dropout2d zeroes whole channels and scales the rest; identity in eval', () => {
    nt.manualSeed(3);
    const x = nt.ones([8, 16, 3, 4], { device });
    const d = new nt.nn.Dropout2d(0.25);
    const y = values(d.forward(x));
    let zeros = 0;
    for (let ch = 0; ch < 8 * 16; ++ch) {
      const plane = y.slice(ch * 12, ch * 12 + 12);
      const v = plane[0];
      expect(v === 0 || Math.abs(v - 1 / 0.75) < 1e-6).toBe(true);
      expect(plane.every((u) => u === v)).toBe(true);
      if (v === 0) zeros++;
    }
    expect(zeros).toBeGreaterThan(10);
    expect(zeros).toBeLessThan(60);
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(F.dropout2d(nt.ones([3, 2, 2], { device }), 0.5).shape).toEqual([3, 2, 2]);
    expectError(() => F.dropout2d(nt.ones([3, 2], { device })), nt.ShapeError, /^dropout2d: input must be 3-D/);
    expectError(() => F.dropout2d(x, 1.5), nt.ArgumentError, /^dropout2d:/);
  });
});
