// isnan / isinf / isfinite, isclose / allclose, equal, all / any
// (lib/ops/predicates.ts) against JavaScript references on fresh random data
// with NaN and infinities planted, float32 and float64, broadcasting, empty
// tensors, integer and bool inputs, and bad arguments.
import * as nt from '../lib';
import { expectError, rng } from './helpers';

const RUN_SEED = Number(process.env.NODETORCH_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** n values in [-3, 3) with NaN, +-Infinity and exact repeats planted. */
function special(n: number, r: () => number): number[] {
  return Array.from({ length: n }, () => {
    const u = r();
    if (u < 0.08) return Number.NaN;
    if (u < 0.13) return Number.POSITIVE_INFINITY;
    if (u < 0.18) return Number.NEGATIVE_INFINITY;
    return Math.round((r() * 6 - 3) * 1e4) / 1e4;
  });
}

const bools = (t: nt.Tensor): boolean[] => {
  expect(t.dtype).toBe('bool');
  return Array.from(t.data() as Uint8Array, (v) => v !== 0);
};

/** PyTorch's isclose rule in float64. */
function closeRef(a: number, b: number, rtol: number, atol: number, equalNan: boolean): boolean {
  if (a === b) return true;
  if (Number.isNaN(a) || Number.isNaN(b)) return equalNan && Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

describe(`predicates (NODETORCH_TEST_SEED=${RUN_SEED})`, () => {
  const r = rng(RUN_SEED);

  test.each(['float32', 'float64'] as const)('isnan, isinf, isfinite on %s with NaN and infinities', (dtype) => {
    const v = special(257, r);
    const x = nt.tensor(v, { dtype }).reshape([257, 1]);
    expect(bools(nt.isnan(x))).toEqual(v.map(Number.isNaN));
    expect(bools(x.isinf())).toEqual(v.map((e) => e === Infinity || e === -Infinity));
    expect(bools(x.isfinite())).toEqual(v.map(Number.isFinite));
    expect(nt.isnan(x).shape).toEqual([257, 1]);
  });

  test('integer and bool tensors are never NaN or infinite', () => {
    for (const x of [nt.tensor([3, -7, 0], { dtype: 'int64' }), nt.tensor([1, 0, 1]).bool()]) {
      expect(bools(x.isnan())).toEqual([false, false, false]);
      expect(bools(x.isinf())).toEqual([false, false, false]);
      expect(bools(x.isfinite())).toEqual([true, true, true]);
    }
  });

  test.each([
    ['float64, defaults', 'float64', {}],
    ['float64, rtol 1e-3 atol 1e-2, equalNan', 'float64', { rtol: 1e-3, atol: 1e-2, equalNan: true }],
    ['float32, atol 0.05', 'float32', { atol: 0.05, rtol: 0 }],
  ] as const)('isclose matches the reference: %s', (_n, dtype, opts) => {
    const n = 300;
    const a = special(n, r);
    // b: a nudged by amounts around the tolerance, and some unrelated values.
    const b = a.map((v, i) => (i % 5 === 0 ? special(1, r)[0] : v + (r() - 0.5) * 0.1 * 10 ** -Math.floor(r() * 4)));
    const at = nt.tensor(a, { dtype });
    const bt = nt.tensor(b, { dtype });
    // The reference sees the values the tensors hold.
    const av = Array.from(at.data() as Float32Array | Float64Array);
    const bv = Array.from(bt.data() as Float32Array | Float64Array);
    const o = opts as nt.IsCloseOptions;
    const got = bools(nt.isclose(at, bt, o));
    const want = av.map((v, i) => closeRef(v, bv[i], o.rtol ?? 1e-5, o.atol ?? 1e-8, o.equalNan ?? false));
    if (dtype === 'float64') expect(got).toEqual(want);
    else {
      // float32 arithmetic may round a pair that sits on the boundary the other way.
      const off = got.filter((g, i) => g !== want[i]).length;
      expect(off).toBeLessThanOrEqual(2);
    }
    expect(nt.allclose(at, bt, o)).toBe(want.every(Boolean));
  });

  test('isclose broadcasts, compares integers in float64 and treats equal infinities as close', () => {
    const a = nt.tensor([[1, 2, 3]], { dtype: 'int64' });
    const b = nt.tensor([[1], [2]], { dtype: 'int64' });
    const c = a.isclose(b);
    expect(c.shape).toEqual([2, 3]);
    expect(bools(c)).toEqual([true, false, false, false, true, false]);
    const inf = nt.tensor([Infinity, -Infinity, Infinity, 1]);
    const other = nt.tensor([Infinity, -Infinity, -Infinity, Infinity]);
    expect(bools(nt.isclose(inf, other, { rtol: 1, atol: 1 }))).toEqual([true, true, false, false]);
    expect(nt.allclose(nt.tensor([1, 2]), nt.tensor([1 + 1e-7, 2]))).toBe(true);
    expect(nt.tensor([1, 2]).allclose(nt.tensor([1.001, 2]))).toBe(false);
    expect(nt.allclose(nt.tensor([Number.NaN]), nt.tensor([Number.NaN]))).toBe(false);
    expect(nt.allclose(nt.tensor([Number.NaN]), nt.tensor([Number.NaN]), { equalNan: true })).toBe(true);
  });

  test('no gradient flows and none is recorded', () => {
    const x = nt.tensor([1, 2, Number.NaN]).requiresGrad_();
    for (const t of [x.isnan(), x.isfinite(), nt.isclose(x, x), x.all(), x.any(0)]) {
      expect(t.requiresGrad).toBe(false);
      expect(t.gradFn).toBeNull();
    }
  });

  test('equal: shape and every element (NaN equals nothing)', () => {
    const a = nt.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      nt.equal(
        a,
        nt.tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBe(true);
    expect(
      a.equal(
        nt.tensor([
          [1, 2],
          [3, 5],
        ]),
      ),
    ).toBe(false);
    expect(nt.equal(a, nt.tensor([1, 2, 3, 4]))).toBe(false);
    expect(nt.equal(a, a.double())).toBe(true);
    expect(nt.equal(nt.tensor([Number.NaN]), nt.tensor([Number.NaN]))).toBe(false);
    expect(nt.equal(nt.zeros([0, 3]), nt.zeros([0, 3]))).toBe(true);
  });

  test('all and any over every dim, over some dims, keepdim, against the reference', () => {
    const shape = [3, 4, 5];
    const v = Array.from({ length: 60 }, () => (r() < 0.85 ? 1 + Math.floor(r() * 3) : 0));
    const x = nt.tensor(v, { dtype: 'float32' }).reshape(shape);
    expect(x.all().item()).toBe(v.every((e) => e !== 0) ? 1 : 0);
    expect(nt.any(x).item()).toBe(v.some((e) => e !== 0) ? 1 : 0);
    const at = (i: number, j: number, k: number): number => v[(i * 4 + j) * 5 + k];
    const all1 = nt.all(x, 1);
    expect(all1.shape).toEqual([3, 5]);
    const want: boolean[] = [];
    for (let i = 0; i < 3; ++i) for (let k = 0; k < 5; ++k) want.push([0, 1, 2, 3].every((j) => at(i, j, k) !== 0));
    expect(bools(all1)).toEqual(want);
    const any02 = x.any([0, 2], true);
    expect(any02.shape).toEqual([1, 4, 1]);
    const wantAny = [0, 1, 2, 3].map((j) => [0, 1, 2].some((i) => [0, 1, 2, 3, 4].some((k) => at(i, j, k) !== 0)));
    expect(bools(any02)).toEqual(wantAny);
    // NaN is nonzero, as in PyTorch.
    expect(nt.tensor([Number.NaN, 1]).all().item()).toBe(1);
  });

  test('all of nothing is true, any of nothing is false; int64 and bool inputs', () => {
    expect(nt.zeros([0]).all().item()).toBe(1);
    expect(nt.zeros([0]).any().item()).toBe(0);
    expect(bools(nt.zeros([2, 0]).all(1))).toEqual([true, true]);
    expect(nt.tensor([2, 0], { dtype: 'int64' }).any().item()).toBe(1);
    expect(nt.tensor([2, 0], { dtype: 'int64' }).all().item()).toBe(0);
    expect(nt.tensor([1, 1]).bool().all().item()).toBe(1);
  });

  test('bad arguments are ArgumentErrors naming the op and the argument', () => {
    const a = nt.tensor([1, 2]);
    expectError(
      () => nt.isclose(a, [1, 2] as unknown as nt.Tensor),
      nt.ArgumentError,
      /isclose.*other must be a Tensor/,
    );
    expectError(() => nt.isclose(a, a, { rtol: -1 }), nt.ArgumentError, /isclose.*rtol >= 0, got -1/);
    expectError(() => nt.allclose(a, a, { atol: Number.NaN }), nt.ArgumentError, /isclose.*atol >= 0, got NaN/);
    expectError(
      () => nt.isclose(a, a, { equalNan: 'yes' as unknown as boolean }),
      nt.ArgumentError,
      /isclose.*equalNan true or false/,
    );
    expectError(() => nt.isclose(a, a, { tol: 1 } as nt.IsCloseOptions), nt.ArgumentError, /isclose.*tol/);
    expectError(() => nt.isclose(a, nt.ones([3])), nt.ShapeError, /cannot be broadcast/);
    expectError(() => nt.all(a, 2), nt.ShapeError, /^all: dim 2 is out of range/);
    expectError(() => a.any(0, 'yes' as unknown as boolean), nt.ArgumentError, /any.*keepdim true or false/);
    expectError(() => nt.isnan(null as unknown as nt.Tensor), nt.ArgumentError, /isnan.*input must be a Tensor/);
    expectError(() => nt.equal(a, 3 as unknown as nt.Tensor), nt.ArgumentError, /equal.*other must be a Tensor/);
  });
});
