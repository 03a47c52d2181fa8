// nt.norm, dot, outer, clone and nn.functional.normalize / cosineSimilarity
// (lib/ops/vector.ts, lib/nn/similarity.ts) against float64 references on
// fresh random data, PyTorch's gradients at a zero norm and at ties, gradcheck
// of the compositions, and typed errors.
import * as nt from '../lib';
import { expectClose, expectError, randomValues } from './helpers';

const RUN_SEED = Number(process.env.NODETORCH_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
const F = nt.nn.functional;

/** Reference p-norm of a list of numbers. */
function normRef(v: number[], p: number): number {
  const a = v.map(Math.abs);
  if (p === Infinity) return Math.max(...a);
  if (p === -Infinity) return Math.min(...a);
  if (p === 0) return a.filter((e) => e !== 0).length;
  return a.reduce((s, e) => s + e ** p, 0) ** (1 / p);
}

/** Values of x [3, 4, 5] grouped by the kept index for a reduction over dims. */
function groups(v: Float64Array, dims: number[]): number[][] {
  const shape = [3, 4, 5];
  const out = new Map<string, number[]>();
  v.forEach((e, i) => {
    const idx = [Math.floor(i / 20), Math.floor(i / 5) % 4, i % 5];
    const key = idx.map((k, d) => (dims.includes(d) ? 0 : k)).join(',');
    if (!out.has(key)) out.set(key, []);
    out.get(key)?.push(e);
  });
  expect(shape.length).toBe(3);
  return [...out.values()];
}

describe(`norm (NODETORCH_TEST_SEED=${RUN_SEED})`, () => {
  const v = randomValues(60, RUN_SEED, -2, 2);
  v[7] = 0;
  const x64 = nt.tensor(v, { dtype: 'float64', shape: [3, 4, 5] });

  test.each([2, 1, 3, 0.5, Infinity, -Infinity, 0] as const)('p = %s over every dim, dim 1 and dims [0, 2]', (p) => {
    expectClose(nt.norm(x64, p), [normRef([...v], p)], { atol: 1e-12, rtol: 1e-12 });
    for (const dims of [[1], [0, 2]]) {
      const got = x64.norm(p, dims);
      const want = groups(v, dims).map((g) => normRef(g, p));
      expectClose(got, want, { atol: 1e-12, rtol: 1e-12 });
      expect(x64.norm(p, dims, true).shape).toEqual([3, 4, 5].map((d, i) => (dims.includes(i) ? 1 : d)));
    }
  });

  test("'fro' is 2, float32 is close to float64, and the default is over every dim", () => {
    const x32 = x64.float();
    expectClose(x32.norm('fro'), [normRef([...v], 2)], { atol: 1e-5, rtol: 1e-5 });
    expect(x32.norm().dtype).toBe('float32');
    expect(x32.norm().shape).toEqual([]);
    expect(nt.norm(nt.zeros([0])).item()).toBe(0);
  });

  test('the gradient of a zero norm is zero, not NaN (PyTorch)', () => {
    const z = nt.zeros([3], { dtype: 'float64' }).requiresGrad_();
    nt.norm(z).backward();
    expect(Array.from(z.grad?.data() as Float64Array)).toEqual([0, 0, 0]);
    const rows = nt
      .tensor(
        [
          [0, 0],
          [3, 4],
        ],
        { dtype: 'float64' },
      )
      .requiresGrad_();
    rows.norm(2, 1).sum().backward();
    expectClose(rows.grad as nt.Tensor, [0, 0, 0.6, 0.8], { atol: 1e-12, rtol: 0 });
  });

  test('the max-norm gradient is shared evenly by ties, with the sign of each', () => {
    const x = nt.tensor([3, -3, 1], { dtype: 'float64' }).requiresGrad_();
    nt.norm(x, Infinity).backward();
    expectClose(x.grad as nt.Tensor, [0.5, -0.5, 0], { atol: 1e-12, rtol: 0 });
  });

  test('bad arguments are typed errors naming norm', () => {
    expectError(() => nt.norm(nt.tensor([1, 2], { dtype: 'int64' })), nt.DTypeError, /norm.*int64.*\.float\(\)/);
    expectError(() => nt.norm(x64, 'nuc' as nt.NormOrder), nt.ArgumentError, /norm: p a number.*got "nuc"/);
    expectError(() => x64.norm(2, 3), nt.ShapeError, /norm: dim 3 is out of range/);
    expectError(() => nt.norm(nt.zeros([2, 0]), Infinity, 1), nt.ShapeError, /norm.*empty dimension/);
    expectError(() => x64.norm(2, 1, 'yes' as unknown as boolean), nt.ArgumentError, /norm.*keepdim/);
  });
});

describe('dot, outer, clone', () => {
  test('values and gradients', () => {
    const a = nt.tensor([1, 2, 3], { dtype: 'float64' }).requiresGrad_();
    const b = nt.tensor([4, -5, 6], { dtype: 'float64' }).requiresGrad_();
    const d = nt.dot(a, b);
    expect(d.item()).toBe(12);
    d.backward();
    expect(Array.from(a.grad?.data() as Float64Array)).toEqual([4, -5, 6]);
    expect(a.dot(b).shape).toEqual([]);
    const o = nt.outer(a, nt.tensor([1, 10], { dtype: 'float64' }));
    expect(o.toArray()).toEqual([
      [1, 10],
      [2, 20],
      [3, 30],
    ]);
    expect(nt.autograd.gradcheck((p, q) => p.outer(q), [a, b])).toBe(true);
    expect(nt.dot(nt.tensor([2, 3], { dtype: 'int64' }), nt.tensor([4, 5], { dtype: 'int64' })).item()).toBe(23);
  });

  test('shapes are checked', () => {
    expectError(
      () => nt.dot(nt.ones([2, 2]), nt.ones([4])),
      nt.ShapeError,
      /dot: input must be 1-D, got shape \[2, 2\]/,
    );
    expectError(() => nt.dot(nt.ones([2]), nt.ones([3])), nt.ShapeError, /dot.*one length, got 2 and 3/);
    expectError(() => nt.outer(nt.ones([2]), nt.ones([])), nt.ShapeError, /outer: vec2 must be 1-D/);
  });

  test('nt.clone copies', () => {
    const a = nt.tensor([1, 2]);
    const c = nt.clone(a);
    c.add_(1);
    expect(a.toArray()).toEqual([1, 2]);
    expect(c.toArray()).toEqual([2, 3]);
  });
});

describe('nn.functional.normalize and cosineSimilarity', () => {
  const v = randomValues(12, RUN_SEED + 1, -2, 2);

  test('normalize gives unit rows (p = 2 and 1); a zero row stays zero', () => {
    const x = nt.tensor([...v.slice(0, 9), 0, 0, 0], { dtype: 'float64', shape: [4, 3] });
    const n2 = F.normalize(x);
    const rows = x.toArray() as number[][];
    const want = rows.flatMap((r) => {
      const n = Math.max(normRef(r, 2), 1e-12);
      return r.map((e) => e / n);
    });
    expectClose(n2, want, { atol: 1e-12, rtol: 1e-12 });
    expectClose(F.normalize(x, { p: 1, dim: 0 }).abs().sum(0).narrow(0, 0, 3), [1, 1, 1], { atol: 1e-12, rtol: 0 });
    expect(nt.autograd.gradcheck((t) => F.normalize(t), [x.narrow(0, 0, 3).contiguous().requiresGrad_()])).toBe(true);
  });

  test('cosineSimilarity against the reference, broadcasting, and its gradient', () => {
    const a = nt.tensor(v, { dtype: 'float64', shape: [4, 3] });
    const b = nt.tensor([0.5, -1, 2], { dtype: 'float64', shape: [1, 3] });
    const got = F.cosineSimilarity(a, b);
    expect(got.shape).toEqual([4]);
    const want = (a.toArray() as number[][]).map((r) => {
      const dotp = r[0] * 0.5 - r[1] + 2 * r[2];
      return dotp / Math.sqrt(Math.max(normRef(r, 2) ** 2 * 5.25, 1e-16));
    });
    expectClose(got, want, { atol: 1e-12, rtol: 1e-12 });
    expectClose(F.cosineSimilarity(a, a, { dim: 1 }), [1, 1, 1, 1], { atol: 1e-12, rtol: 0 });
    expect(F.cosineSimilarity(nt.zeros([1, 3]), b).item()).toBe(0);
    const ag = a.clone().requiresGrad_();
    expect(nt.autograd.gradcheck((t) => F.cosineSimilarity(t, b), [ag])).toBe(true);
  });

  test('bad options are ArgumentErrors naming the function', () => {
    const x = nt.ones([2, 3]);
    expectError(() => F.normalize(x, { eps: -1 }), nt.ArgumentError, /normalize.*eps >= 0/);
    expectError(() => F.normalize(x, { dim: 'a' as unknown as number }), nt.ArgumentError, /normalize.*dim an integer/);
    expectError(() => F.cosineSimilarity(x, nt.ones([4])), nt.ShapeError, /cosineSimilarity.*cannot be broadcast/);
    expectError(
      () => F.cosineSimilarity(x, x, { axis: 1 } as nt.nn.functional.CosineSimilarityOptions),
      nt.ArgumentError,
      /cosineSimilarity.*axis/,
    );
  });
});
