// nn.init: PyTorch's formulas (gains, fans) and the statistics of each
// initialiser on a large tensor; in place on parameters under grad mode.
import * as nt from '../lib';
import { expectError, values } from './helpers';

const { nn } = nt;
const { init } = nn;

function stats(v: Float64Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    s += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = s / v.length;
  let q = 0;
  for (const x of v) q += (x - mean) ** 2;
  return { mean, std: Math.sqrt(q / v.length), min, max };
}

function expectUniform(t: nt.Tensor, bound: number): void {
  const s = stats(values(t));
  expect(s.max).toBeLessThanOrEqual(bound);
  expect(s.min).toBeGreaterThanOrEqual(-bound);
  expect(s.max).toBeGreaterThan(0.99 * bound);
  expect(Math.abs(s.mean)).toBeLessThan(0.01 * bound);
  expect(Math.abs(s.std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.01);
}

function expectNormal(t: nt.Tensor, mean: number, std: number): void {
  const s = stats(values(t));
  expect(Math.abs(s.mean - mean)).toBeLessThan(0.01 * std);
  expect(Math.abs(s.std / std - 1)).toBeLessThan(0.01);
}

describe('nn.init', () => {
  beforeEach(() => nt.manualSeed(3));

  test('calculateGain and fans like PyTorch', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 15);
    expect(init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(init.calculateGain('leakyRelu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(init.calculateGain('selu')).toBe(0.75);
    expectError(
      () => init.calculateGain('swish' as nt.nn.init.Nonlinearity),
      nt.ArgumentError,
      /known nonlinearity, got "swish"/,
    );
    expect(init.calculateFanInAndFanOut(nt.zeros([8, 3, 5, 5]))).toEqual({ fanIn: 75, fanOut: 200 });
    expectError(() => init.kaimingUniform_(nt.zeros([5])), nt.ShapeError, /at least 2 dims/);
  });

  test('uniform_, normal_, constant_, zeros_, ones_ (in place, on parameters with grad mode on)', () => {
    const p = nn.Parameter(nt.empty([400, 250]));
    expect(init.uniform_(p, -0.5, 0.5)).toBe(p);
    expectUniform(p, 0.5);
    init.normal_(p, 1, 2);
    expectNormal(p, 1, 2);
    init.constant_(p, 0.25);
    expect(values(p).every((v) => v === 0.25)).toBe(true);
    init.zeros_(p);
    expect(values(p).every((v) => v === 0)).toBe(true);
    init.ones_(p);
    expect(values(p).every((v) => v === 1)).toBe(true);
    expect(p.requiresGrad && p.isLeaf).toBe(true);
  });

  test('xavierUniform_ / xavierNormal_', () => {
    const t = nt.empty([300, 500]);
    init.xavierUniform_(t, 2);
    expectUniform(t, 2 * Math.sqrt(6 / 800));
    init.xavierNormal_(t);
    expectNormal(t, 0, Math.sqrt(2 / 800));
  });

  test('kaimingUniform_ / kaimingNormal_: a, mode, nonlinearity', () => {
    const t = nt.empty([300, 500], { dtype: 'float64' });
    init.kaimingUniform_(t);
    expectUniform(t, Math.sqrt(2 / (1 + 0)) * Math.sqrt(3 / 500));
    init.kaimingUniform_(t, { a: Math.sqrt(5) });
    expectUniform(t, 1 / Math.sqrt(500));
    init.kaimingUniform_(t, { mode: 'fanOut', nonlinearity: 'relu' });
    expectUniform(t, Math.SQRT2 * Math.sqrt(3 / 300));
    init.kaimingNormal_(t, { nonlinearity: 'relu' });
    expectNormal(t, 0, Math.SQRT2 / Math.sqrt(500));
    init.kaimingNormal_(t, { mode: 'fan_out', nonlinearity: 'tanh' });
    expectNormal(t, 0, 5 / 3 / Math.sqrt(300));
    expectError(
      () => init.kaimingNormal_(t, { mode: 'fanAll' as nt.nn.init.FanMode }),
      nt.ArgumentError,
      /mode 'fanIn' or 'fanOut'/,
    );
  });

  test('deterministic under manualSeed', () => {
    nt.manualSeed(9);
    const a = values(init.kaimingNormal_(nt.empty([10, 10])));
    nt.manualSeed(9);
    expect(values(init.kaimingNormal_(nt.empty([10, 10])))).toEqual(a);
  });
});

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): an independent reference for the CDF checks. */
function erfRef(x: number): number {
  const s = Math.sign(x);
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return s * (1 - poly * Math.exp(-ax * ax));
}
const phi = (z: number): number => Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
const Phi = (z: number): number => (1 + erfRef(z / Math.SQRT2)) / 2;

describe('nn.init.truncNormal_', () => {
  test.each([
    [0, 1, -2, 2],
    [1, 2, 0, 3],
    [0, 0.02, -0.04, 0.04],
    [0, 1, 1.5, 4],
  ])('mean %d, std %d, [%d, %d]: inside the bounds, truncated-normal moments and CDF', (mean, std, a, b) => {
    nt.manualSeed(5);
    const t = init.truncNormal_(nt.empty([200, 500]), mean, std, a, b);
    const v = values(t);
    const s = stats(v);
    expect(s.min).toBeGreaterThanOrEqual(a);
    expect(s.max).toBeLessThanOrEqual(b);
    const al = (a - mean) / std;
    const be = (b - mean) / std;
    const Z = Phi(be) - Phi(al);
    const m = (phi(al) - phi(be)) / Z;
    const wantMean = mean + std * m;
    const wantStd = std * Math.sqrt(1 + (al * phi(al) - be * phi(be)) / Z - m * m);
    expect(Math.abs(s.mean - wantMean)).toBeLessThan(0.01 * wantStd);
    expect(Math.abs(s.std / wantStd - 1)).toBeLessThan(0.01);
    // Empirical CDF against the truncated normal's at 9 points (Kolmogorov distance).
    const sorted = Float64Array.from(v).sort();
    for (let k = 1; k < 10; ++k) {
      const x = a + ((b - a) * k) / 10;
      let below = 0;
      while (below < sorted.length && sorted[below] <= x) ++below;
      const want = (Phi((x - mean) / std) - Phi(al)) / Z;
      expect(Math.abs(below / sorted.length - want)).toBeLessThan(0.005);
    }
  });

  test('float64, a parameter under grad mode, reproducible; errors', () => {
    const p = nn.Parameter(nt.zeros([50, 40], { dtype: 'float64' }));
    nt.manualSeed(2);
    expect(init.truncNormal_(p, 0, 0.02, -0.04, 0.04)).toBe(p);
    expect(p.requiresGrad).toBe(true);
    const first = values(p);
    expect(first.every((x) => x >= -0.04 && x <= 0.04)).toBe(true);
    nt.manualSeed(2);
    expect(values(init.truncNormal_(p, 0, 0.02, -0.04, 0.04))).toEqual(first);
    const view = nt.zeros([4, 6]).transpose(0, 1); // non-contiguous target
    init.truncNormal_(view, 0, 1, -1, 1);
    expect(values(view).every((x) => x >= -1 && x <= 1 && x !== 0)).toBe(true);
    expectError(
      () => init.truncNormal_(nt.empty([3]), 0, 1, 2, -2),
      nt.ArgumentError,
      'truncNormal_: a < b, got a 2 and b -2',
    );
    expectError(() => init.truncNormal_(nt.empty([3]), 0, 0), nt.ArgumentError, /std > 0/);
    expectError(() => init.truncNormal_(nt.zeros([3], { dtype: 'int64' })), nt.DTypeError, /floating point/);
  });
});

describe('nn.init.orthogonal_', () => {
  /** Max |(W W^T or W^T W) - gain^2 I| for a rows x cols row-major W. */
  function orthError(w: Float64Array, rows: number, cols: number, gain = 1): number {
    const byRows = rows <= cols;
    const n = byRows ? rows : cols;
    const len = byRows ? cols : rows;
    const at = (k: number, i: number): number => (byRows ? w[k * cols + i] : w[i * cols + k]);
    let worst = 0;
    for (let p = 0; p < n; ++p) {
      for (let q = 0; q < n; ++q) {
        let d = 0;
        for (let i = 0; i < len; ++i) d += at(p, i) * at(q, i);
        worst = Math.max(worst, Math.abs(d - (p === q ? gain * gain : 0)));
      }
    }
    return worst;
  }

  test.each([
    [[64, 64], 'float64', 1e-12],
    [[64, 64], 'float32', 1e-5],
    [[8, 20], 'float64', 1e-12],
    [[20, 8], 'float64', 1e-12],
    [[6, 3, 2, 2], 'float64', 1e-12],
    [[200, 200], 'float64', 1e-11],
    [[100, 300], 'float64', 1e-12],
    [[300, 70], 'float64', 1e-12],
  ] as const)('%j %s: rows (or columns) orthonormal', (shape, dtype, tol) => {
    nt.manualSeed(7);
    const t = init.orthogonal_(nt.empty(shape.slice(), { dtype }));
    const rows = shape[0];
    const cols = t.numel / rows;
    expect(orthError(values(t), rows, cols)).toBeLessThan(tol);
  });

  test.each([
    [97, 97],
    [130, 45],
    [45, 130],
  ])(
    '%d x %d: the Q of the QR (of the transpose when rows < cols) with a positive R diagonal, as PyTorch',
    (rows, cols) => {
      // The same draw as orthogonal_ makes: a rows x cols standard normal float64 matrix.
      nt.manualSeed(21);
      const A = values(nt.empty([rows, cols], { dtype: 'float64' }).normal_(0, 1));
      nt.manualSeed(21);
      const W = values(init.orthogonal_(nt.empty([rows, cols], { dtype: 'float64' })));
      // R = Q^T A (rows >= cols) or W A^T (rows < cols) must be upper triangular with a positive diagonal.
      const n = Math.min(rows, cols);
      const len = Math.max(rows, cols);
      const q = (i: number, p: number): number => (rows >= cols ? W[i * cols + p] : W[p * cols + i]);
      const a = (i: number, p: number): number => (rows >= cols ? A[i * cols + p] : A[p * cols + i]);
      let below = 0;
      let minDiag = Infinity;
      for (let p = 0; p < n; ++p) {
        for (let c = 0; c <= p; ++c) {
          let r = 0;
          for (let i = 0; i < len; ++i) r += q(i, p) * a(i, c);
          if (c < p) below = Math.max(below, Math.abs(r));
          else minDiag = Math.min(minDiag, r);
        }
      }
      expect(below).toBeLessThan(1e-10);
      expect(minDiag).toBeGreaterThan(0);
    },
  );

  test('gain scales; a parameter; reproducible; zero-element no-op; errors', () => {
    nt.manualSeed(1);
    const p = nn.Parameter(nt.zeros([10, 12], { dtype: 'float64' }));
    expect(init.orthogonal_(p, 2)).toBe(p);
    expect(orthError(values(p), 10, 12, 2)).toBeLessThan(1e-12);
    const first = values(p);
    nt.manualSeed(1);
    expect(values(init.orthogonal_(p, 2))).toEqual(first);
    expect(init.orthogonal_(nt.empty([0, 3])).numel).toBe(0);
    expectError(
      () => init.orthogonal_(nt.empty([5])),
      nt.ShapeError,
      'orthogonal_: a tensor with at least 2 dims, got [5]',
    );
    expectError(() => init.orthogonal_(nt.zeros([3, 3], { dtype: 'int32' })), nt.DTypeError, /floating point/);
  });

  test('uniformly (Haar) distributed: sign-corrected entries have mean 0 and variance 1/n', () => {
    nt.manualSeed(11);
    const n = 3;
    const draws = 3000;
    const sum = new Float64Array(n * n);
    const sq = new Float64Array(n * n);
    let positiveDet = 0;
    const t = nt.empty([n, n], { dtype: 'float64' });
    for (let k = 0; k < draws; ++k) {
      const w = values(init.orthogonal_(t));
      w.forEach((x, i) => {
        sum[i] += x;
        sq[i] += x * x;
      });
      const det =
        w[0] * (w[4] * w[8] - w[5] * w[7]) - w[1] * (w[3] * w[8] - w[5] * w[6]) + w[2] * (w[3] * w[7] - w[4] * w[6]);
      if (det > 0) ++positiveDet;
    }
    // Each entry of a Haar orthogonal matrix has mean 0 and variance 1/n (sd of the mean ~ 0.01 here).
    for (let i = 0; i < n * n; ++i) {
      expect(Math.abs(sum[i] / draws)).toBeLessThan(0.05);
      expect(Math.abs(sq[i] / draws - 1 / n)).toBeLessThan(0.03);
    }
    expect(Math.abs(positiveDet / draws - 0.5)).toBeLessThan(0.05);
  });
});
