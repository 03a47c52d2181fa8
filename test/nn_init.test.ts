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
