// Elementwise ops against a float64 JS reference: every unary and binary op,
// scalar forms, comparisons, logic, where, clamp, dtype promotion, with
// broadcasting, 0-d and empty shapes, and non-contiguous (transposed,
// narrowed, expanded) inputs.
import * as nt from '../lib';
import {
  DEVICES,
  erfRef,
  expectClose,
  expectError,
  numelOf,
  randomTensor,
  refBroadcast,
  testSeed,
  tolFor,
  values,
  viewRef,
} from './helpers';

type Float = 'float32' | 'float64';
const FLOATS: Float[] = ['float32', 'float64'];

const gelu = (x: number): number => 0.5 * x * (1 + erfRef(x / Math.SQRT2));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const roundHalfEven = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

interface UnaryCase {
  name: string;
  fn: (t: nt.Tensor) => nt.Tensor;
  ref: (x: number) => number;
  lo?: number;
  hi?: number;
}
const UNARY: UnaryCase[] = [
  { name: 'neg', fn: (t) => t.neg(), ref: (x) => -x },
  { name: 'abs', fn: (t) => t.abs(), ref: Math.abs },
  { name: 'exp', fn: (t) => t.exp(), ref: Math.exp },
  { name: 'log', fn: (t) => t.log(), ref: Math.log, lo: 0.1, hi: 5 },
  { name: 'sqrt', fn: (t) => t.sqrt(), ref: Math.sqrt, lo: 0, hi: 5 },
  { name: 'rsqrt', fn: (t) => t.rsqrt(), ref: (x) => 1 / Math.sqrt(x), lo: 0.1, hi: 5 },
  { name: 'square', fn: (t) => t.square(), ref: (x) => x * x },
  { name: 'reciprocal', fn: (t) => t.reciprocal(), ref: (x) => 1 / x, lo: 0.2, hi: 3 },
  { name: 'sin', fn: (t) => t.sin(), ref: Math.sin },
  { name: 'cos', fn: (t) => t.cos(), ref: Math.cos },
  { name: 'log1p', fn: (t) => t.log1p(), ref: Math.log1p, lo: -0.9, hi: 3 },
  { name: 'expm1', fn: (t) => t.expm1(), ref: Math.expm1 },
  { name: 'erf', fn: (t) => t.erf(), ref: erfRef },
  { name: 'sign', fn: (t) => t.sign(), ref: Math.sign },
  { name: 'floor', fn: (t) => t.floor(), ref: Math.floor, lo: -5, hi: 5 },
  { name: 'ceil', fn: (t) => t.ceil(), ref: Math.ceil, lo: -5, hi: 5 },
  { name: 'round', fn: (t) => t.round(), ref: roundHalfEven, lo: -5, hi: 5 },
  { name: 'sigmoid', fn: (t) => t.sigmoid(), ref: sigmoid, lo: -6, hi: 6 },
  { name: 'tanh', fn: (t) => t.tanh(), ref: Math.tanh },
  { name: 'relu', fn: (t) => t.relu(), ref: (x) => Math.max(x, 0) },
  { name: 'gelu', fn: (t) => t.gelu(), ref: gelu, lo: -4, hi: 4 },
  {
    name: 'gelu tanh',
    fn: (t) => nt.nn.F.gelu(t, 'tanh'),
    ref: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
    lo: -6,
    hi: 6,
  },
  { name: 'leakyRelu', fn: (t) => t.leakyRelu(0.1), ref: (x) => (x > 0 ? x : 0.1 * x) },
  { name: 'silu', fn: (t) => t.silu(), ref: (x) => x * sigmoid(x), lo: -8, hi: 8 },
  { name: 'softplus', fn: (t) => t.softplus(), ref: (x) => Math.log1p(Math.exp(x)), lo: -8, hi: 8 },
  // beta 2, threshold 3: beta * x > 3 passes x through.
  {
    name: 'softplus beta',
    fn: (t) => nt.softplus(t, 2, 3),
    ref: (x) => (2 * x > 3 ? x : Math.log1p(Math.exp(2 * x)) / 2),
    lo: -3,
    hi: 3,
  },
  { name: 'addScalar', fn: (t) => t.add(2), ref: (x) => x + 2 },
  { name: 'subScalar', fn: (t) => t.sub(2), ref: (x) => x - 2 },
  { name: 'rsubScalar', fn: (t) => nt.sub(2, t), ref: (x) => 2 - x },
  { name: 'mulScalar', fn: (t) => t.mul(-1.5), ref: (x) => -1.5 * x },
  { name: 'divScalar', fn: (t) => t.div(4), ref: (x) => x / 4 },
  { name: 'rdivScalar', fn: (t) => nt.div(2, t), ref: (x) => 2 / x, lo: 0.2, hi: 3 },
  { name: 'powScalar2', fn: (t) => t.pow(2), ref: (x) => x ** 2 },
  { name: 'powScalar3', fn: (t) => t.pow(3), ref: (x) => x ** 3 },
  { name: 'powScalarFrac', fn: (t) => t.pow(0.5), ref: Math.sqrt, lo: 0, hi: 4 },
  { name: 'powScalarNeg', fn: (t) => t.pow(-1.5), ref: (x) => x ** -1.5, lo: 0.2, hi: 4 },
  { name: 'rpowScalar', fn: (t) => nt.pow(2, t), ref: (x) => 2 ** x },
  { name: 'clamp', fn: (t) => t.clamp(-0.5, 0.7), ref: (x) => Math.min(Math.max(x, -0.5), 0.7) },
  { name: 'clampMin', fn: (t) => t.clamp(0.25), ref: (x) => Math.max(x, 0.25) },
  { name: 'clampMax', fn: (t) => t.clamp(null, 0.25), ref: (x) => Math.min(x, 0.25) },
];

interface BinaryCase {
  name: string;
  fn: (a: nt.Tensor, b: nt.Tensor) => nt.Tensor;
  ref: (a: number, b: number) => number;
  lo?: number;
  hi?: number;
  bool?: boolean;
}
const BINARY: BinaryCase[] = [
  { name: 'add', fn: (a, b) => a.add(b), ref: (a, b) => a + b },
  { name: 'add alpha', fn: (a, b) => a.add(b, 3), ref: (a, b) => a + 3 * b },
  { name: 'sub', fn: (a, b) => a.sub(b), ref: (a, b) => a - b },
  { name: 'sub alpha', fn: (a, b) => a.sub(b, 0.5), ref: (a, b) => a - 0.5 * b },
  { name: 'mul', fn: (a, b) => a.mul(b), ref: (a, b) => a * b },
  { name: 'div', fn: (a, b) => a.div(b), ref: (a, b) => a / b, lo: 0.3, hi: 3 },
  { name: 'pow', fn: (a, b) => a.pow(b), ref: (a, b) => a ** b, lo: 0.3, hi: 2 },
  { name: 'maximum', fn: (a, b) => a.maximum(b), ref: Math.max },
  { name: 'minimum', fn: (a, b) => a.minimum(b), ref: Math.min },
  { name: 'eq', fn: (a, b) => a.eq(b), ref: (a, b) => Number(a === b), bool: true },
  { name: 'ne', fn: (a, b) => a.ne(b), ref: (a, b) => Number(a !== b), bool: true },
  { name: 'lt', fn: (a, b) => a.lt(b), ref: (a, b) => Number(a < b), bool: true },
  { name: 'le', fn: (a, b) => a.le(b), ref: (a, b) => Number(a <= b), bool: true },
  { name: 'gt', fn: (a, b) => a.gt(b), ref: (a, b) => Number(a > b), bool: true },
  { name: 'ge', fn: (a, b) => a.ge(b), ref: (a, b) => Number(a >= b), bool: true },
  { name: 'logicalAnd', fn: (a, b) => a.gt(0).logicalAnd(b.gt(0)), ref: (a, b) => Number(a > 0 && b > 0), bool: true },
  { name: 'logicalOr', fn: (a, b) => a.gt(0).logicalOr(b), ref: (a, b) => Number(a > 0 || b !== 0), bool: true },
  { name: 'where', fn: (a, b) => nt.where(a.gt(b), a, b.mul(2)), ref: (a, b) => (a > b ? a : 2 * b) },
];

// [a shape, b shape] pairs: broadcasting, 0-d and empty.
const SHAPES: [number[], number[]][] = [
  [
    [4, 5],
    [4, 5],
  ],
  [
    [3, 1, 4],
    [2, 1],
  ],
  [
    [2, 1],
    [3, 1, 4],
  ],
  [[5], []],
  [[], [3, 2]],
  [[], []],
  [
    [0, 3],
    [1, 3],
  ],
  [
    [2, 0],
    [2, 1],
  ],
  [
    [1, 37],
    [19, 1],
  ],
];

/** A non-contiguous view of `shape` plus its reference values. */
function viewOf(
  kind: string,
  shape: number[],
  seed: number,
  dtype: nt.DType,
  device: nt.Device,
  lo: number,
  hi: number,
): { t: nt.Tensor; ref: Float64Array } {
  if (kind === 'transposed') {
    // A tensor of the reversed shape, permuted back: strides run backwards.
    const base = randomTensor(shape.slice().reverse(), seed, { dtype, device, lo, hi });
    const t = base.t.permute(shape.map((_, i) => shape.length - 1 - i));
    return { t, ref: viewRef(base.ref, t) };
  }
  if (kind === 'narrowed') {
    const big = shape.map((s) => s + 3);
    const base = randomTensor(big, seed, { dtype, device, lo, hi });
    let t = base.t;
    shape.forEach((s, d) => {
      t = t.narrow(d, 1, s);
    });
    return { t, ref: viewRef(base.ref, t) };
  }
  // expanded: size-1 source broadcast along the first dim
  const src = randomTensor([1, ...shape.slice(1)], seed, { dtype, device, lo, hi });
  const t = src.t.expand(shape);
  return { t, ref: viewRef(src.ref, t) };
}

describe.each(DEVICES)('elementwise on %s', (device) => {
  describe.each(FLOATS)('%s', (dtype) => {
    const tol = tolFor(dtype);

    test.each(UNARY.map((c) => [c.name, c] as const))('unary %s, contiguous, 0-d and empty', (_n, c) => {
      for (const shape of [[3, 4, 5], [], [0, 4], [1000]]) {
        const { t, ref } = randomTensor(shape, testSeed(String(shape)), { dtype, device, lo: c.lo, hi: c.hi });
        const out = c.fn(t);
        expect(out.shape).toEqual(shape);
        expect(out.dtype).toBe(dtype);
        expect(out.device).toBe(device);
        expectClose(out, Array.from(ref, c.ref), tol);
      }
    });

    test.each(UNARY.map((c) => [c.name, c] as const))('unary %s on non-contiguous views', (_n, c) => {
      for (const kind of ['transposed', 'narrowed', 'expanded']) {
        const { t, ref } = viewOf(kind, [3, 4, 5], testSeed(kind), dtype, device, c.lo ?? -2, c.hi ?? 2);
        expect(t.isContiguous()).toBe(false);
        expectClose(c.fn(t), Array.from(ref, c.ref), tol);
      }
    });

    test.each(BINARY.map((c) => [c.name, c] as const))('binary %s with broadcasting', (_n, c) => {
      for (const [sa, sb] of SHAPES) {
        const a = randomTensor(sa, testSeed(`a${sa}|${sb}`), { dtype, device, lo: c.lo, hi: c.hi });
        const b = randomTensor(sb, testSeed(`b${sa}|${sb}`), { dtype, device, lo: c.lo, hi: c.hi });
        // Make equalities happen for the comparisons.
        const expected = refBroadcast(
          [
            { values: a.ref, shape: sa },
            { values: b.ref, shape: sb },
          ],
          c.ref,
        );
        const out = c.fn(a.t, b.t);
        expect(out.shape).toEqual(expected.shape);
        expect(out.dtype).toBe(c.bool ? 'bool' : dtype);
        expectClose(out, expected.values, tol);
      }
    });

    test.each(BINARY.map((c) => [c.name, c] as const))('binary %s on non-contiguous operands', (_n, c) => {
      const lo = c.lo ?? -2;
      const hi = c.hi ?? 2;
      const kinds = ['transposed', 'narrowed', 'expanded'];
      for (const ka of kinds) {
        for (const kb of kinds) {
          const a = viewOf(ka, [4, 3, 6], testSeed(`a${ka}${kb}`), dtype, device, lo, hi);
          const b = viewOf(kb, [4, 3, 6], testSeed(`b${ka}${kb}`), dtype, device, lo, hi);
          const expected = refBroadcast(
            [
              { values: a.ref, shape: [4, 3, 6] },
              { values: b.ref, shape: [4, 3, 6] },
            ],
            c.ref,
          );
          expectClose(c.fn(a.t, b.t), expected.values, tol);
        }
      }
      // a transposed 2-D operand against a broadcast row
      const a = viewOf('transposed', [5, 7], testSeed('t2'), dtype, device, lo, hi);
      const b = randomTensor([7], testSeed('row'), { dtype, device, lo, hi });
      expectClose(
        c.fn(a.t, b.t),
        refBroadcast(
          [
            { values: a.ref, shape: [5, 7] },
            { values: b.ref, shape: [7] },
          ],
          c.ref,
        ).values,
        tol,
      );
    });

    test('comparisons see equal elements', () => {
      const a = nt.tensor([1, 2, 3, 4], { dtype, device });
      const b = nt.tensor([1, 0, 3, 5], { dtype, device });
      expect(a.eq(b).toArray()).toEqual([true, false, true, false]);
      expect(a.ne(b).toArray()).toEqual([false, true, false, true]);
      expect(a.le(b).toArray()).toEqual([true, false, true, true]);
      expect(a.ge(b).toArray()).toEqual([true, true, true, false]);
      expect(a.lt(3).toArray()).toEqual([true, true, false, false]);
      expect(a.ge(2.5).toArray()).toEqual([false, false, true, true]);
      expect(a.eq(2).toArray()).toEqual([false, true, false, false]);
    });

    test('round is half-to-even like PyTorch; special values', () => {
      const t = nt.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 0.49], { dtype, device });
      expect(Array.from(values(t.round()))).toEqual([0, 2, 2, -0, -2, 0]);
      const s = nt.tensor([-Infinity, -1, 0, Infinity, NaN], { dtype, device });
      expectClose(s.exp(), [0, Math.exp(-1), 1, Infinity, NaN], tol);
      expectClose(s.sign().narrow(0, 0, 4), [-1, -1, 0, 1], tol);
      expectClose(nt.tensor([-1, 0], { dtype, device }).log(), [NaN, -Infinity], tol);
      expectClose(nt.tensor([1, -1], { dtype, device }).div(0), [Infinity, -Infinity], tol);
      expectClose(s.sigmoid(), [0, sigmoid(-1), 0.5, 1, NaN], tol);
      // maximum/minimum propagate NaN like PyTorch
      const n = nt.tensor([NaN, 1], { dtype, device });
      expectClose(n.maximum(nt.tensor([0, NaN], { dtype, device })), [NaN, NaN], tol);
      expectClose(n.minimum(nt.tensor([0, 2], { dtype, device })), [NaN, 1], tol);
    });

    test('relu and clamp propagate NaN like PyTorch', () => {
      const s = nt.tensor([-Infinity, -1, 0, Infinity, NaN], { dtype, device });
      expectClose(s.clamp(-0.5, 0.5), [-0.5, -0.5, 0, 0.5, NaN], tol);
      expectClose(s.relu(), [0, 0, 0, Infinity, NaN], tol);
    });

    test('where with scalars and broadcast condition', () => {
      const x = randomTensor([3, 4], testSeed(), { dtype, device });
      const cond = x.t.gt(0);
      expectClose(
        nt.where(cond, x.t, 0),
        // biome-ignore lint/complexity/useMathMinMax: where() gives 0 for NaN, Math.max would give NaN
        Array.from(x.ref, (v) => (v > 0 ? v : 0)),
        tol,
      );
      expectClose(
        nt.where(cond, -1, x.t),
        Array.from(x.ref, (v) => (v > 0 ? -1 : v)),
        tol,
      );
      const row = nt.tensor([true, false, true, false], { device });
      const o = nt.where(row, x.t, x.t.neg());
      expectClose(
        o,
        Array.from(x.ref, (v, i) => ((i % 4) % 2 === 0 ? v : -v)),
        tol,
      );
      expect(nt.where(row, 1, 2).toArray()).toEqual([1, 2, 1, 2]);
    });

    test('logicalNot', () => {
      const t = nt.tensor([0, 1.5, -2, 0], { dtype, device });
      expect(t.logicalNot().toArray()).toEqual([true, false, false, true]);
      expect(t.logicalNot().dtype).toBe('bool');
    });
  });

  test('dtype promotion follows PyTorch', () => {
    const i64 = nt.tensor([1, 2, 3], { device });
    const i32 = nt.tensor([1, 2, 3], { dtype: 'int32', device });
    const u8 = nt.tensor([1, 2, 3], { dtype: 'uint8', device });
    const f32 = nt.tensor([0.5, 1, 2], { device });
    const f64 = nt.tensor([0.5, 1, 2], { dtype: 'float64', device });
    const b = nt.tensor([true, false, true], { device });
    expect(i64.add(f32).dtype).toBe('float32');
    expect(i32.add(i64).dtype).toBe('int64');
    expect(u8.add(i32).dtype).toBe('int32');
    expect(f32.add(f64).dtype).toBe('float64');
    expect(b.add(i32).dtype).toBe('int32');
    expect(i64.mul(2).dtype).toBe('int64');
    expect(i64.add(2.5).dtype).toBe('float32');
    expect(i32.mul(2).dtype).toBe('int32');
    expect(f64.mul(2).dtype).toBe('float64');
    expect(b.add(1).dtype).toBe('int64');
    // true division always floats; integer pow with a non-negative integer stays integral
    expect(i64.div(i64).dtype).toBe('float32');
    expect(i64.div(2).dtype).toBe('float32');
    expect(i64.div(2).toArray()).toEqual([0.5, 1, 1.5]);
    expect(i64.pow(2).dtype).toBe('int64');
    expect(i64.pow(2).toArray()).toEqual([1, 4, 9]);
    expect(i64.pow(0.5).dtype).toBe('float32');
    expect(i64.sqrt().dtype).toBe('float32');
    expect(i64.exp().dtype).toBe('float32');
    expect(i64.neg().dtype).toBe('int64');
    expect(i64.abs().dtype).toBe('int64');
    expect(i64.relu().dtype).toBe('float32');
    // values survive promotion
    expect(i64.add(f32).toArray()).toEqual([1.5, 3, 5]);
    expect(i32.sub(i64).toArray()).toEqual([0, 0, 0]);
    expect(u8.add(i32).toArray()).toEqual([2, 4, 6]);
    expect(i64.add(2.5).toArray()).toEqual([3.5, 4.5, 5.5]);
    expect(nt.sub(10, i64).toArray()).toEqual([9, 8, 7]);
    expect(i64.eq(f32.mul(2)).toArray()).toEqual([true, true, false]);
    expect(i64.clamp(2, 2).toArray()).toEqual([2, 2, 2]);
    expect(i64.clamp(1.5, 2.5).dtype).toBe('float32');
    const cond = nt.tensor([true, false, true], { device });
    expect(nt.where(cond, i64, 0.5).dtype).toBe('float32');
    expect(nt.where(cond, i64, 0.5).toArray()).toEqual([1, 0.5, 3]);
    expect(nt.where(cond, 2 ** 40 + 1, i64).toArray()).toEqual([2 ** 40 + 1, 2, 2 ** 40 + 1]);
    expect(nt.where(cond, i32, f64).dtype).toBe('float64');
    expect(nt.where(cond, 1, 2).dtype).toBe('int64');
    expect(nt.where(cond, 1.5, 2).dtype).toBe('float32');
    expect(nt.where(cond, f32, 7).dtype).toBe('float32');
  });

  test('integer arithmetic is exact', () => {
    const a = nt.tensor([7, -7, 2 ** 40, 3], { device });
    const b = nt.tensor([2, 2, 3, -1], { device });
    expect(a.add(b).toArray()).toEqual([9, -5, 2 ** 40 + 3, 2]);
    expect(a.mul(b).toArray()).toEqual([14, -14, 3 * 2 ** 40, -3]);
    expect(a.sub(b, 2).toArray()).toEqual([3, -11, 2 ** 40 - 6, 5]);
    expect(a.maximum(b).toArray()).toEqual([7, 2, 2 ** 40, 3]);
    expect(a.div(b).toArray()).toEqual([3.5, -3.5, 2 ** 40 / 3, -3].map(Math.fround));
  });

  test('bool tensors: neg is rejected, logic works', () => {
    const b = nt.tensor([true, false], { device });
    expectError(() => b.neg(), nt.DTypeError, 'neg: not supported for bool tensors');
    expect(b.logicalAnd(nt.tensor([true, true], { device })).toArray()).toEqual([true, false]);
    expect(b.logicalOr(nt.tensor([false, false], { device })).toArray()).toEqual([true, false]);
  });

  test('in-place ops on views write only the view', () => {
    const base = nt.arange(0, 20, 1, { dtype: 'float32', device }).reshape(4, 5);
    const before = values(base);
    const v = base.narrow(1, 1, 3).narrow(0, 1, 2); // rows 1-2, cols 1-3
    v.add_(100);
    const t = base.t().narrow(0, 4, 1); // column 4 (strided)
    t.mul_(-1);
    const d = base.narrow(0, 3, 1);
    d.fill_(7);
    const after = values(base);
    const expected = Array.from(before, (x, i) => {
      const r = Math.floor(i / 5);
      const c = i % 5;
      if (r === 3) return 7;
      let y = x;
      if (r >= 1 && r <= 2 && c >= 1 && c <= 3) y += 100;
      if (c === 4) y = -y;
      return y;
    });
    expect(Array.from(after)).toEqual(expected);
    // copy_ with broadcasting into a strided view, clamp_, sub_, div_, zero_
    const m = nt.zeros([3, 4], { device });
    m.t().copy_(nt.tensor([1, 2, 3], { device }));
    expect(m.toArray()).toEqual([
      [1, 1, 1, 1],
      [2, 2, 2, 2],
      [3, 3, 3, 3],
    ]);
    m.narrow(0, 0, 1).sub_(nt.tensor([1, 2, 3, 4], { device }), 2);
    expect(m.toArray()).toEqual([
      [-1, -3, -5, -7],
      [2, 2, 2, 2],
      [3, 3, 3, 3],
    ]);
    m.narrow(0, 1, 1).div_(4);
    m.narrow(0, 2, 1).clamp_(null, 2.5);
    expect(m.toArray()).toEqual([
      [-1, -3, -5, -7],
      [0.5, 0.5, 0.5, 0.5],
      [2.5, 2.5, 2.5, 2.5],
    ]);
    m.narrow(1, 0, 1).zero_();
    expect(m.toArray()).toEqual([
      [0, -3, -5, -7],
      [0, 0.5, 0.5, 0.5],
      [0, 2.5, 2.5, 2.5],
    ]);
  });

  test('in place on a tensor that requires grad is rejected in grad mode', () => {
    const x = nt.ones([2], { requiresGrad: true, device });
    expectError(
      () => x.add_(1),
      nt.ArgumentError,
      'add_: a tensor that requires grad cannot be modified in place while grad mode is on (use nt.noGrad)',
    );
    nt.noGrad(() => x.add_(1));
    expect(x.toArray()).toEqual([2, 2]);
    expectError(
      () => nt.zeros([2, 3]).add_(nt.ones([3, 3])),
      nt.ShapeError,
      'add_: shapes [2, 3] and [3, 3] cannot be broadcast (dim 0: 2 vs 3)',
    );
    expectError(
      () => nt.zeros([3]).add_(nt.ones([2, 3])),
      nt.ArgumentError,
      'add_: cannot update [3] in place with [2, 3]',
    );
  });

  test('large tensors across threads', () => {
    const n = 1 << 18;
    const a = randomTensor([n], testSeed('a'), { device });
    const b = randomTensor([n], testSeed('b'), { device });
    expectClose(
      a.t.mul(b.t).add(a.t),
      Array.from(a.ref, (x, i) => x * b.ref[i] + x),
    );
    expect(numelOf([n])).toBe(n);
  });
});
