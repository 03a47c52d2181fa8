// Reductions against a float64 reference: single, multiple, negative and all
// dims, keepdim, non-contiguous inputs, integer inputs, NaN and empty dims.
import * as nt from '../lib';
import {
  DEVICES,
  expectClose,
  expectError,
  randomTensor,
  refReduce,
  testSeed,
  tolFor,
  values,
  viewRef,
} from './helpers';

const sum = (g: number[]): number => g.reduce((a, b) => a + b, 0);
const mean = (g: number[]): number => sum(g) / g.length;
const variance =
  (c: number) =>
  (g: number[]): number => {
    const m = mean(g);
    return g.reduce((a, b) => a + (b - m) ** 2, 0) / (g.length - c);
  };
const lse = (g: number[]): number => {
  const m = Math.max(...g);
  return m + Math.log(g.reduce((a, b) => a + Math.exp(b - m), 0));
};
const argOf =
  (better: (a: number, b: number) => boolean) =>
  (g: number[]): number => {
    let k = 0;
    for (let i = 1; i < g.length; ++i) if (better(g[i], g[k])) k = i;
    return k;
  };

interface RCase {
  name: string;
  fn: (t: nt.Tensor, dim: number | number[] | undefined, keepdim: boolean) => nt.Tensor;
  ref: (g: number[]) => number;
  single?: boolean; // only one dim at a time
  lo?: number;
  hi?: number;
}
const CASES: RCase[] = [
  { name: 'sum', fn: (t, d, k) => t.sum(d, k), ref: sum },
  { name: 'mean', fn: (t, d, k) => t.mean(d, k), ref: mean },
  {
    name: 'prod',
    fn: (t, d, k) => t.prod(d as number | undefined, k),
    ref: (g) => g.reduce((a, b) => a * b, 1),
    single: true,
    lo: 0.5,
    hi: 1.5,
  },
  { name: 'amax', fn: (t, d, k) => t.amax(d, k), ref: (g) => Math.max(...g) },
  { name: 'amin', fn: (t, d, k) => t.amin(d, k), ref: (g) => Math.min(...g) },
  { name: 'var', fn: (t, d, k) => t.var(d, { keepdim: k }), ref: variance(1) },
  { name: 'var correction 0', fn: (t, d, k) => t.var(d, { keepdim: k, correction: 0 }), ref: variance(0) },
  { name: 'std', fn: (t, d, k) => t.std(d, { keepdim: k }), ref: (g) => Math.sqrt(variance(1)(g)) },
  { name: 'logsumexp', fn: (t, d, k) => t.logsumexp(d ?? [0, 1, 2], k), ref: lse },
  { name: 'argmax', fn: (t, d, k) => t.argmax(d as number | undefined, k), ref: argOf((a, b) => a > b), single: true },
  { name: 'argmin', fn: (t, d, k) => t.argmin(d as number | undefined, k), ref: argOf((a, b) => a < b), single: true },
  {
    name: 'max(dim).values',
    fn: (t, d, k) => (d === undefined ? t.max() : t.max(d as number, k).values),
    ref: (g) => Math.max(...g),
    single: true,
  },
  {
    name: 'max(dim).indices',
    fn: (t, d, k) => (d === undefined ? t.argmax() : t.max(d as number, k).indices),
    ref: argOf((a, b) => a > b),
    single: true,
  },
  {
    name: 'min(dim).values',
    fn: (t, d, k) => (d === undefined ? t.min() : t.min(d as number, k).values),
    ref: (g) => Math.min(...g),
    single: true,
  },
  {
    name: 'min(dim).indices',
    fn: (t, d, k) => (d === undefined ? t.argmin() : t.min(d as number, k).indices),
    ref: argOf((a, b) => a < b),
    single: true,
  },
  {
    name: 'nt.max(dim).values',
    fn: (t, d, k) => (d === undefined ? nt.max(t) : nt.max(t, d as number, k).values),
    ref: (g) => Math.max(...g),
    single: true,
  },
  {
    name: 'nt.min(dim).indices',
    fn: (t, d, k) => (d === undefined ? nt.argmin(t) : nt.min(t, d as number, k).indices),
    ref: argOf((a, b) => a < b),
    single: true,
  },
];

const SHAPE = [3, 4, 5];
const DIMS: (number | number[] | undefined)[] = [0, 1, 2, -1, -3, [0, 2], [1, 2], [-1, 0], [0, 1, 2], undefined];

function normDims(d: number | number[] | undefined, ndim: number): number[] {
  if (d === undefined) return Array.from({ length: ndim }, (_, i) => i);
  return (typeof d === 'number' ? [d] : d).map((x) => (x < 0 ? x + ndim : x)).sort((a, b) => a - b);
}

describe.each(DEVICES)('reductions on %s', (device) => {
  describe.each(['float32', 'float64'] as const)('%s', (dtype) => {
    const tol = dtype === 'float64' ? tolFor(dtype) : { atol: 1e-5, rtol: 2e-4 };

    test.each(CASES.map((c) => [c.name, c] as const))('%s over dims, keepdim, contiguous and transposed', (_n, c) => {
      for (const layout of ['contiguous', 'transposed', 'narrowed']) {
        let t: nt.Tensor;
        let ref: Float64Array;
        if (layout === 'contiguous') {
          ({ t, ref } = randomTensor(SHAPE, testSeed(layout), { dtype, device, lo: c.lo, hi: c.hi }));
        } else if (layout === 'transposed') {
          const base = randomTensor([5, 4, 3], testSeed(layout), { dtype, device, lo: c.lo, hi: c.hi });
          t = base.t.permute(2, 1, 0);
          ref = viewRef(base.ref, t);
        } else {
          const base = randomTensor([5, 6, 7], testSeed(layout), { dtype, device, lo: c.lo, hi: c.hi });
          t = base.t.narrow(0, 1, 3).narrow(1, 2, 4).narrow(2, 1, 5);
          ref = viewRef(base.ref, t);
        }
        for (const dim of DIMS) {
          if (c.single && Array.isArray(dim)) continue;
          for (const keepdim of [false, true]) {
            if (keepdim && dim === undefined && c.name.includes('(dim)')) continue; // t.max() has no keepdim
            const dims = normDims(dim, 3);
            const isArg = c.name.startsWith('arg') || c.name.endsWith('indices');
            // argmax over all dims flattens: reference over the flat index.
            const exp =
              isArg && dim === undefined
                ? { shape: keepdim ? [1, 1, 1] : [], values: Float64Array.of(c.ref(Array.from(ref))) }
                : refReduce(ref, SHAPE, dims, keepdim, c.ref);
            const out = c.fn(t, dim, keepdim);
            expect({ layout, dim, keepdim, shape: out.shape }).toEqual({ layout, dim, keepdim, shape: exp.shape });
            expect(out.dtype).toBe(isArg ? 'int64' : dtype);
            expectClose(out, exp.values, tol);
          }
        }
      }
    });

    test('0-d inputs and a reduction over a size-1 dim', () => {
      const s = nt.tensor(2.5, { dtype, device });
      expect(s.sum().item()).toBe(2.5);
      expect(s.sum(0).item()).toBe(2.5);
      expect(s.mean().item()).toBe(2.5);
      expect(s.amax().item()).toBe(2.5);
      expect(s.argmax().item()).toBe(0);
      const one = nt.tensor([[1], [2]], { dtype, device });
      expect(one.sum(1).toArray()).toEqual([1, 2]);
      expect(one.sum(1, true).shape).toEqual([2, 1]);
    });

    test('empty tensors: sum/prod give identities, mean gives NaN, max over an empty dim throws', () => {
      const e = nt.zeros([0, 3], { dtype, device });
      expect(e.sum().item()).toBe(0);
      expect(e.sum(0).toArray()).toEqual([0, 0, 0]);
      expect(e.prod(0).toArray()).toEqual([1, 1, 1]);
      expect(e.sum(1).shape).toEqual([0]);
      expect(Number.isNaN(e.mean().item())).toBe(true);
      expect(e.amax(1).shape).toEqual([0]);
      expectError(() => e.amax(0), nt.ShapeError, 'amax: cannot reduce an empty dimension of shape [0, 3]');
      expectError(() => e.amin(), nt.ShapeError, 'amin: cannot reduce an empty dimension of shape [0, 3]');
      expectError(() => e.argmax(0), nt.ShapeError, 'argmax: cannot reduce an empty dimension of shape [0, 3]');
      expectError(() => e.max(0), nt.ShapeError, /cannot reduce an empty dimension/);
    });

    test('max, amax and argmax propagate NaN', () => {
      const t = nt.tensor(
        [
          [1, NaN, 3],
          [4, 5, 6],
        ],
        { dtype, device },
      );
      expectClose(t.amax(1), [NaN, 6]);
      expectClose(t.amin(1), [NaN, 4]);
      expect(Number.isNaN(t.max().item())).toBe(true);
      const m = t.max(1);
      expectClose(m.values, [NaN, 6]);
      expect(m.indices.toArray()).toEqual([1, 2]);
      expect(t.argmax(1).toArray()).toEqual([1, 2]);
      expect(t.argmin(1).toArray()).toEqual([1, 0]);
      expect(Number.isNaN(t.sum().item())).toBe(true);
    });

    test('ties: argmax returns the first index', () => {
      const t = nt.tensor(
        [
          [2, 7, 7, 1],
          [3, 3, 3, 3],
        ],
        { dtype, device },
      );
      expect(t.argmax(1).toArray()).toEqual([1, 0]);
      expect(t.argmin(1).toArray()).toEqual([3, 0]);
      expect(t.argmax().item()).toBe(1);
    });

    test('long rows sum accurately (threaded, blocked)', () => {
      const n = 100000;
      const { t, ref } = randomTensor([3, n], testSeed(), { dtype, device });
      const rows = [0, 1, 2].map((r) => sum(Array.from(ref.subarray(r * n, (r + 1) * n))));
      expectClose(t.sum(1), rows, dtype === 'float64' ? tol : { atol: 1e-3, rtol: 1e-4 });
      expectClose(
        t.mean(0),
        Array.from({ length: n }, (_, j) => (ref[j] + ref[n + j] + ref[2 * n + j]) / 3),
        tol,
      );
      expectClose(
        t.sum(),
        [sum(Array.from(ref))],
        dtype === 'float64' ? { atol: 1e-9, rtol: 1e-10 } : { atol: 1e-2, rtol: 1e-4 },
      );
    });
  });

  test('integer inputs: sum and prod give int64, mean and var float32, max keeps the dtype', () => {
    const i32 = nt.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'int32', device },
    );
    expect(i32.sum().dtype).toBe('int64');
    expect(i32.sum().item()).toBe(21);
    expect(i32.sum(0).toArray()).toEqual([5, 7, 9]);
    expect(i32.prod(1).dtype).toBe('int64');
    expect(i32.prod(1).toArray()).toEqual([6, 120]);
    expect(i32.mean().dtype).toBe('float32');
    expect(i32.mean().item()).toBe(3.5);
    expect(i32.amax(1).dtype).toBe('int32');
    expect(i32.amax(1).toArray()).toEqual([3, 6]);
    expect(i32.argmax(1).toArray()).toEqual([2, 2]);
    expect(i32.var().item()).toBeCloseTo(3.5, 5);
    const u8 = nt.tensor([200, 100], { dtype: 'uint8', device });
    expect(u8.sum().item()).toBe(300);
    const b = nt.tensor([true, true, false], { device });
    expect(b.sum().dtype).toBe('int64');
    expect(b.sum().item()).toBe(2);
    const big = nt.tensor([2 ** 40, 2 ** 40, 1], { device });
    expect(big.sum().item()).toBe(2 ** 41 + 1);
  });

  test('reduction argument errors', () => {
    const t = nt.zeros([2, 3], { device });
    expectError(() => t.sum(2), nt.ShapeError, 'sum: dim 2 is out of range for a tensor with 2 dims');
    expectError(() => t.sum(-3), nt.ShapeError, 'sum: dim -3 is out of range for a tensor with 2 dims');
    expectError(() => t.sum([0, 0]), nt.ArgumentError, 'sum: dim [0, 0] has duplicates');
    expectError(() => t.mean(0.5), nt.ArgumentError, 'mean: dim must be an integer, got 0.5');
  });

  test('std of a contiguous random tensor equals sqrt(var)', () => {
    const { t } = randomTensor([8, 9], testSeed(), { dtype: 'float64', device });
    expectClose(t.std(1), Array.from(values(t.var(1)), Math.sqrt), tolFor('float64'));
  });
});
