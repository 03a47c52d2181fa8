// Language-model tensor ops (issue 13): tril, triu, maskedFill, sort,
// argsort, topk, cumsum, multinomial, repeat, flip. Float64 references in
// plain JS on fresh random inputs, gradchecks, stability and NaN order,
// sampling statistics and hostile inputs.
import * as nt from '../lib';
import { kMultinomial, kSortRows } from '../lib/kernels/launch';
import { DEVICES, expectClose, numelOf, randomValues, testSeed, unravel } from './helpers';

const gradcheck = (fn: (...t: nt.Tensor[]) => nt.Tensor, inputs: nt.Tensor[]): void => {
  expect(nt.autograd.gradcheck(fn, inputs)).toBe(true);
};

/** A float64 tensor of fresh random values and those values. */
function rand64(shape: number[], salt: string, device: nt.Device = 'cpu', requiresGrad = false) {
  const ref = randomValues(numelOf(shape), testSeed(salt));
  return { t: nt.tensor(ref, { dtype: 'float64', shape, device, requiresGrad }), ref };
}

/** Values with many ties (small integers) and NaNs at a few places. */
function tiedValues(n: number, salt: string, nan = true): Float64Array {
  const v = randomValues(n, testSeed(salt), 0, 4).map(Math.floor);
  if (nan) for (let i = 3; i < n; i += 7) v[i] = Number.NaN;
  return v;
}

const flat = (t: nt.Tensor): number[] => Array.from(t.double().cpu().data() as Float64Array);

/** Calls f(line positions) for every 1-D line of `shape` along dim d (flat row-major indices). */
function forLines(shape: readonly number[], d: number, f: (pos: number[]) => void): void {
  const n = shape.length === 0 ? 1 : shape[d];
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, d).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; ++o)
    for (let i = 0; i < inner; ++i) f(Array.from({ length: n }, (_, j) => (o * n + j) * inner + i));
}

/** Reference sort: NaN largest, ties in input order; first k of each line along d. */
function refSort(vals: ArrayLike<number>, shape: number[], d: number, descending: boolean, k: number) {
  const outShape = shape.slice();
  if (shape.length) outShape[d] = k;
  const values = new Float64Array(numelOf(outShape));
  const indices = new Float64Array(numelOf(outShape));
  const key = (x: number): number => (Number.isNaN(x) ? Infinity : x);
  const outPos: number[][] = [];
  forLines(outShape, d, (pos) => outPos.push(pos));
  let line = 0;
  forLines(shape, d, (pos) => {
    const order = pos.map((p, j) => ({ v: vals[p], j }));
    order.sort((a, b) => {
      const an = Number.isNaN(a.v);
      const bn = Number.isNaN(b.v);
      let c = an && bn ? 0 : an ? 1 : bn ? -1 : key(a.v) < key(b.v) ? -1 : key(a.v) > key(b.v) ? 1 : 0;
      if (descending) c = -c;
      return c !== 0 ? c : a.j - b.j;
    });
    const dst = outPos[line++];
    for (let j = 0; j < k; ++j) {
      values[dst[j]] = order[j].v;
      indices[dst[j]] = order[j].j;
    }
  });
  return { values, indices, outShape };
}

describe.each(DEVICES)('tril / triu / maskedFill on %s', (device) => {
  test.each([
    [[4, 5], 0],
    [[4, 5], -1],
    [[2, 3, 4], 2],
    [[3, 3], -5],
    [[2, 2, 6], 7],
  ] as [number[], number][])('tril and triu of %j, diagonal %d', (shape, k) => {
    const { t, ref } = rand64(shape, 'x', device);
    const lower = ref.map((v, i) => {
      const idx = unravel(i, shape);
      return idx[idx.length - 1] - idx[idx.length - 2] <= k ? v : 0;
    });
    const upper = ref.map((v, i) => {
      const idx = unravel(i, shape);
      return idx[idx.length - 1] - idx[idx.length - 2] >= k ? v : 0;
    });
    expect(nt.tril(t, k).shape).toEqual(shape);
    expect(flat(nt.tril(t, k))).toEqual(Array.from(lower));
    expect(flat(t.triu(k))).toEqual(Array.from(upper));
  });

  test('tril of a non-contiguous input, integer and bool dtypes, empty dims', () => {
    const { t, ref } = rand64([5, 3], 'x', device);
    const tt = t.transpose(0, 1); // [3, 5]
    const expected: number[] = [];
    for (let i = 0; i < 3; ++i) for (let j = 0; j < 5; ++j) expected.push(j <= i ? ref[j * 3 + i] : 0);
    expect(flat(nt.tril(tt))).toEqual(expected);
    const ints = nt.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'int64', device },
    );
    expect(nt.triu(ints).dtype).toBe('int64');
    expect(nt.triu(ints).toArray()).toEqual([
      [1, 2],
      [0, 4],
    ]);
    const b = nt.ones([2, 2], { dtype: 'bool', device });
    expect(nt.tril(b).dtype).toBe('bool');
    expect(nt.tril(b).toArray()).toEqual([
      [true, false],
      [true, true],
    ]);
    expect(nt.tril(nt.zeros([0, 3], { device })).shape).toEqual([0, 3]);
    expect(nt.triu(nt.zeros([2, 3, 0], { device })).shape).toEqual([2, 3, 0]);
  });

  test('maskedFill with a broadcast mask, number and 0-d tensor values', () => {
    const { t, ref } = rand64([3, 4], 'x', device);
    const mv = randomValues(4, testSeed('m')).map((u) => (u > 0 ? 1 : 0));
    const mask = nt.tensor(Array.from(mv), { dtype: 'bool', device, shape: [4] });
    const expected = Array.from(ref, (v, i) => (mv[i % 4] ? -Infinity : v));
    expect(flat(nt.maskedFill(t, mask, -Infinity))).toEqual(expected);
    const v0 = nt.tensor(2.5, { dtype: 'float32', device });
    expect(flat(t.maskedFill(mask, v0))).toEqual(Array.from(ref, (v, i) => (mv[i % 4] ? 2.5 : v)));
    const colMask = nt.tensor([[true], [false], [true]], { device });
    const ints = nt.arange(0, 12, 1, { dtype: 'int32', device }).reshape(3, 4);
    const out = nt.maskedFill(ints, colMask, 7);
    expect(out.dtype).toBe('int32');
    expect(out.toArray()).toEqual([
      [7, 7, 7, 7],
      [4, 5, 6, 7],
      [7, 7, 7, 7],
    ]);
    expect(nt.maskedFill(t.t(), mask.reshape(4, 1), 0).shape).toEqual([4, 3]);
  });

  test('hostile arguments', () => {
    const x = nt.zeros([3, 4], { device });
    expect(() => nt.tril(nt.zeros([4], { device }))).toThrow(nt.ShapeError);
    expect(() => nt.triu(x, 0.5)).toThrow(nt.ArgumentError);
    expect(() => nt.maskedFill(x, nt.zeros([3, 4], { device }), 1)).toThrow(nt.DTypeError);
    expect(() => nt.maskedFill(x, nt.zeros([5], { dtype: 'bool', device }), 1)).toThrow(nt.ShapeError);
    expect(() => nt.maskedFill(x, nt.zeros([2, 3, 4], { dtype: 'bool', device }), 1)).toThrow(nt.ShapeError);
    expect(() => nt.maskedFill(x, nt.zeros([4], { dtype: 'bool', device }), nt.zeros([1], { device }))).toThrow(
      nt.ShapeError,
    );
    expect(() => nt.maskedFill(x, nt.zeros([4], { dtype: 'bool', device }), 'a' as unknown as number)).toThrow(
      /masked_fill: value a number or a 0-d tensor, got "a"/,
    );
  });
});

describe.each(DEVICES)('sort / argsort / topk on %s', (device) => {
  test.each([
    [[3, 9], -1, false],
    [[3, 9], 0, true],
    [[2, 5, 6], 1, false],
    [[2, 5, 6], -3, true],
    [[40], 0, true],
  ] as [number[], number, boolean][])(
    'sort %j along dim %d (descending %s): stable, NaN largest',
    (shape, dim, descending) => {
      const vals = tiedValues(numelOf(shape), 'v');
      const x = nt.tensor(Array.from(vals), { dtype: 'float64', shape, device });
      const d = dim < 0 ? dim + shape.length : dim;
      const ref = refSort(vals, shape, d, descending, shape[d]);
      const [values, indices] = nt.sort(x, { dim, descending });
      expect(values.shape).toEqual(shape);
      expect(indices.dtype).toBe('int64');
      expectClose(values, ref.values);
      expect(flat(indices)).toEqual(Array.from(ref.indices));
      expect(flat(nt.argsort(x, { dim, descending, stable: true }))).toEqual(Array.from(ref.indices));
      const m = x.sort({ dim, descending });
      expect(flat(m.indices)).toEqual(Array.from(ref.indices));
    },
  );

  test('sort of float32, int64, bool and non-contiguous inputs; empty, 1-element and 0-d', () => {
    const vals = randomValues(24, testSeed('v'), -100, 100).map(Math.round);
    for (const dtype of ['float32', 'int64', 'int32'] as nt.DType[]) {
      const x = nt.tensor(Array.from(vals), { dtype, shape: [4, 6], device });
      const ref = refSort(vals, [4, 6], 1, false, 6);
      const s = nt.sort(x);
      expect(s.values.dtype).toBe(dtype);
      expect(flat(s.values)).toEqual(Array.from(ref.values));
      expect(flat(s.indices)).toEqual(Array.from(ref.indices));
    }
    const b = nt.tensor([true, false, true, false], { device });
    expect(nt.sort(b).values.toArray()).toEqual([false, false, true, true]);
    expect(nt.sort(b).indices.toArray()).toEqual([1, 3, 0, 2]);
    const base = nt.tensor(Array.from(vals), { dtype: 'float64', shape: [6, 4], device });
    const ref = refSort(vals, [6, 4], 0, true, 6); // the transpose's rows are the columns here
    const st = nt.sort(base.t(), { descending: true });
    expect(flat(st.values.t())).toEqual(Array.from(ref.values));
    expect(nt.sort(nt.zeros([0, 4], { device })).values.shape).toEqual([0, 4]);
    expect(nt.sort(nt.zeros([4, 0], { device })).indices.shape).toEqual([4, 0]);
    expect(nt.sort(nt.zeros([3, 0, 2], { device }), { dim: 0 }).values.shape).toEqual([3, 0, 2]);
    expect(nt.sort(nt.tensor([5], { device })).indices.toArray()).toEqual([0]);
    const s0 = nt.sort(nt.tensor(3, { device }));
    expect(s0.values.shape).toEqual([]);
    expect(s0.values.item()).toBe(3);
    expect(s0.indices.item()).toBe(0);
    // -0 and +0 are equal: input order
    expect(nt.argsort(nt.tensor([0, -0, 0], { device })).toArray()).toEqual([0, 1, 2]);
  });

  test.each([
    [[4, 10], 3, -1, true],
    [[4, 10], 3, -1, false],
    [[4, 10], 0, 1, true],
    [[4, 10], 10, 1, false],
    [[6, 3, 5], 2, 0, true],
    [[6, 3, 5], 3, 1, false],
  ] as [number[], number, number, boolean][])(
    'topk of %j, k = %d along dim %d (largest %s)',
    (shape, k, dim, largest) => {
      const vals = tiedValues(numelOf(shape), 'v');
      const x = nt.tensor(Array.from(vals), { dtype: 'float64', shape, device });
      const d = dim < 0 ? dim + shape.length : dim;
      const ref = refSort(vals, shape, d, largest, k);
      const { values, indices } = nt.topk(x, k, { dim, largest });
      expect(values.shape).toEqual(ref.outShape);
      expectClose(values, ref.values);
      expect(flat(indices)).toEqual(Array.from(ref.indices));
      expect(flat(x.topk(k, { dim, largest, sorted: false }).indices)).toEqual(Array.from(ref.indices));
    },
  );

  test('topk with k << cols (partial sort) matches the full sort', () => {
    const vals = randomValues(3 * 500, testSeed('v'));
    const x = nt.tensor(Array.from(vals), { dtype: 'float32', shape: [3, 500], device });
    const full = nt.sort(x, { descending: true });
    const top = nt.topk(x, 5);
    expect(flat(top.values)).toEqual(flat(full.values.narrow(1, 0, 5)));
    expect(flat(top.indices)).toEqual(flat(full.indices.narrow(1, 0, 5)));
  });

  test('hostile arguments', () => {
    const x = nt.zeros([3, 4], { device });
    expect(() => nt.topk(x, 5)).toThrow(nt.ArgumentError);
    expect(() => nt.topk(x, 5)).toThrow(/topk: k an integer in \[0, 4\]/);
    expect(() => nt.topk(x, -1)).toThrow(nt.ArgumentError);
    expect(() => nt.topk(x, 1.5)).toThrow(nt.ArgumentError);
    expect(() => nt.topk(x, 4, { dim: 0 })).toThrow(nt.ArgumentError);
    expect(() => nt.sort(x, { dim: 2 })).toThrow(nt.ShapeError);
    expect(() => nt.sort(x, { dim: -3 })).toThrow(nt.ShapeError);
    expect(() => nt.sort(x, { descending: 1 as unknown as boolean })).toThrow(nt.ArgumentError);
    expect(() => nt.sort(x, { dimension: 0 } as unknown as nt.SortOptions)).toThrow(nt.ArgumentError);
    expect(() => nt.argsort(x, { dim: 'a' as unknown as number })).toThrow(nt.ArgumentError);
  });
});

describe.each(DEVICES)('cumsum on %s', (device) => {
  test.each([
    [[3, 4, 5], 0],
    [[3, 4, 5], 1],
    [[3, 4, 5], -1],
    [[7], 0],
    [[2, 0, 3], 1],
    [[2, 0, 3], 2],
  ] as [number[], number][])('cumsum of %j along dim %d', (shape, dim) => {
    const { t, ref } = rand64(shape, 'x', device);
    const d = dim < 0 ? dim + shape.length : dim;
    const expected = new Float64Array(ref.length);
    forLines(shape, d, (pos) => {
      let acc = 0;
      for (const p of pos) {
        acc += ref[p];
        expected[p] = acc;
      }
    });
    const out = nt.cumsum(t, dim);
    expect(out.shape).toEqual(shape);
    expect(out.dtype).toBe('float64');
    expectClose(out, expected, { atol: 1e-12, rtol: 1e-12 });
    const f32 = t.float().cumsum(dim);
    expect(f32.dtype).toBe('float32');
    expectClose(f32, expected, { atol: 1e-5, rtol: 1e-5 });
  });

  test('non-contiguous input, integer and bool to int64, dtype option, 0-d', () => {
    const { t, ref } = rand64([4, 3], 'x', device);
    const expected: number[] = [];
    for (let i = 0; i < 3; ++i) {
      let acc = 0;
      for (let j = 0; j < 4; ++j) {
        acc += ref[j * 3 + i];
        expected.push(acc);
      }
    }
    expectClose(nt.cumsum(t.t(), 1), expected, { atol: 1e-12, rtol: 1e-12 });
    const ints = nt.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'int32', device },
    );
    expect(nt.cumsum(ints, 1).dtype).toBe('int64');
    expect(nt.cumsum(ints, 1).toArray()).toEqual([
      [1, 3, 6],
      [4, 9, 15],
    ]);
    expect(nt.cumsum(ints, 0, { dtype: 'float64' }).dtype).toBe('float64');
    expect(nt.cumsum(ints, 0, { dtype: 'float64' }).toArray()).toEqual([
      [1, 2, 3],
      [5, 7, 9],
    ]);
    const b = nt.tensor([true, false, true, true], { device });
    expect(b.cumsum(0).dtype).toBe('int64');
    expect(b.cumsum(0).toArray()).toEqual([1, 1, 2, 3]);
    const big = nt.tensor([2 ** 40, 2 ** 40, 1], { dtype: 'int64', device });
    expect(big.cumsum(0).toArray()).toEqual([2 ** 40, 2 ** 41, 2 ** 41 + 1]);
    const s = nt.cumsum(nt.tensor(2.5, { dtype: 'float64', device }), 0);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(2.5);
    expect(() => nt.cumsum(t, 2)).toThrow(nt.ShapeError);
    expect(() => nt.cumsum(t, 0, { dtype: 'bool' })).toThrow(nt.DTypeError);
    expect(() => nt.cumsum(t, undefined as unknown as number)).toThrow(nt.ArgumentError);
  });
});

describe.each(DEVICES)('repeat / flip on %s', (device) => {
  test('repeat matches the tiling reference', () => {
    const { t, ref } = rand64([2, 3], 'x', device);
    const out = t.repeat(2, 1, 3);
    expect(out.shape).toEqual([2, 2, 9]);
    const got = flat(out);
    for (let i = 0; i < got.length; ++i) {
      const [, r, c] = unravel(i, [2, 2, 9]);
      expect(got[i]).toBe(ref[(r % 2) * 3 + (c % 3)]);
    }
    expect(flat(nt.repeat(t, [1, 1]))).toEqual(Array.from(ref));
    expect(nt.repeat(t, 0, 2).shape).toEqual([0, 6]);
    expect(nt.repeat(nt.zeros([0, 2], { device }), 3, 1).shape).toEqual([0, 2]);
    expect(nt.repeat(nt.tensor(4, { device }), 3).toArray()).toEqual([4, 4, 4]);
    const nc = t.t().repeat(1, 2); // [3, 4] of a transposed view
    expect(nc.toArray()).toEqual([0, 1, 2].map((i) => [ref[i], ref[3 + i], ref[i], ref[3 + i]]));
  });

  test('flip along one or several dims', () => {
    const shape = [2, 3, 4];
    const { t, ref } = rand64(shape, 'x', device);
    for (const dims of [[0], [-1], [0, 2], [1, 2, 0]]) {
      const ds = dims.map((d) => (d < 0 ? d + 3 : d));
      const got = flat(nt.flip(t, dims));
      const expected = got.map((_, i) => {
        const idx = unravel(i, shape).map((v, d) => (ds.includes(d) ? shape[d] - 1 - v : v));
        return ref[(idx[0] * 3 + idx[1]) * 4 + idx[2]];
      });
      expect(got).toEqual(expected);
    }
    expect(t.flip(1).flip(1).toArray()).toEqual(t.toArray());
    expect(nt.flip(nt.tensor([1, 2, 3], { dtype: 'int64', device }), 0).toArray()).toEqual([3, 2, 1]);
    expect(nt.flip(nt.zeros([0, 2], { device }), [0, 1]).shape).toEqual([0, 2]);
    expect(nt.flip(nt.tensor(5, { device }), []).item()).toBe(5);
  });

  test('hostile arguments', () => {
    const x = nt.zeros([2, 3], { device });
    expect(() => x.repeat(2)).toThrow(nt.ShapeError);
    expect(() => x.repeat(2, -1)).toThrow(nt.ArgumentError);
    expect(() => x.repeat(2, 1.5)).toThrow(nt.ArgumentError);
    expect(() => nt.flip(x, [0, 0])).toThrow(nt.ArgumentError);
    expect(() => nt.flip(x, 2)).toThrow(nt.ShapeError);
  });
});

describe('gradients (float64 gradcheck)', () => {
  const leaf = (shape: number[], salt: string) => rand64(shape, salt, 'cpu', true).t;

  test('tril and triu, with batch dims and diagonals', () => {
    gradcheck((x) => nt.tril(x), [leaf([3, 4], 'a')]);
    gradcheck((x) => nt.triu(x, 1), [leaf([2, 3, 3], 'b')]);
    gradcheck((x) => x.tril(-1).sum(), [leaf([4, 2], 'c')]);
  });

  test('maskedFill: to x where kept, to a 0-d value where filled', () => {
    const mask = nt.tensor([
      [true, false, false],
      [false, true, true],
    ]);
    gradcheck((x) => nt.maskedFill(x, mask, 3), [leaf([2, 3], 'a')]);
    gradcheck((x, v) => nt.maskedFill(x, mask.narrow(0, 0, 1), v), [leaf([4, 3], 'b'), leaf([], 'v')]);
  });

  test('sort and topk values', () => {
    const s = nt.tensor(2, { dtype: 'float64', requiresGrad: true });
    nt.sort(s).values.mul(3).backward();
    expect(s.grad?.item()).toBe(3);
    gradcheck((x) => nt.sort(x).values, [leaf([3, 5], 'a')]);
    gradcheck((x) => nt.sort(x, { dim: 0, descending: true }).values, [leaf([4, 3], 'b')]);
    gradcheck((x) => nt.topk(x, 2).values, [leaf([3, 6], 'c')]);
    gradcheck((x) => nt.topk(x, 2, { dim: 1, largest: false }).values, [leaf([2, 4, 3], 'd')]);
  });

  test('cumsum, repeat, flip', () => {
    gradcheck((x) => nt.cumsum(x, 0), [leaf([4, 3], 'a')]);
    gradcheck((x) => x.t().cumsum(-1), [leaf([4, 3], 'b')]);
    gradcheck((x) => x.repeat(2, 1, 3), [leaf([2, 3], 'd')]);
    gradcheck((x) => nt.flip(x, [0, -1]), [leaf([3, 2, 4], 'e')]);
  });
});

test('cumsum with a wider dtype sends a gradient of the input dtype back', () => {
  const x = nt.zeros([2, 3], { requiresGrad: true });
  nt.cumsum(x, 1, { dtype: 'float64' }).sum().backward();
  expect(x.grad?.dtype).toBe('float32');
  expect(x.grad?.toArray()).toEqual([
    [3, 2, 1],
    [3, 2, 1],
  ]);
});

describe.each(DEVICES)('multinomial on %s', (device) => {
  const P = [0.1, 0.2, 0.3, 0.4, 0];

  test('reproducible under manualSeed and with a generator; independent of the thread count', () => {
    const probs = nt.tensor([P, [1, 1, 1, 1, 1]], { device });
    nt.manualSeed(7);
    const a = nt.multinomial(probs, 50, { replacement: true }).toArray();
    const a2 = nt.multinomial(probs, 3).toArray();
    nt.manualSeed(7);
    expect(nt.multinomial(probs, 50, { replacement: true }).toArray()).toEqual(a);
    expect(nt.multinomial(probs, 3).toArray()).toEqual(a2);
    const g = new nt.Generator(123);
    const b = probs.multinomial(4, { generator: g }).toArray();
    expect(probs.multinomial(4, { generator: new nt.Generator(123) }).toArray()).toEqual(b);
    const threads = nt.getNumThreads();
    try {
      nt.setNumThreads(1);
      nt.manualSeed(7);
      expect(nt.multinomial(probs, 50, { replacement: true }).toArray()).toEqual(a);
    } finally {
      nt.setNumThreads(threads);
    }
  });

  test('with replacement: frequencies match the weights (chi-square, 20000 draws); zero weights never drawn', () => {
    nt.manualSeed(testSeed('seed'));
    const w = nt.tensor(
      P.map((p) => p * 3),
      { dtype: 'float64', device },
    ); // not normalized
    const s = nt.multinomial(w, 20000, { replacement: true });
    expect(s.dtype).toBe('int64');
    expect(s.shape).toEqual([20000]);
    const counts = new Array<number>(5).fill(0);
    for (const c of flat(s)) counts[c]++;
    expect(counts[4]).toBe(0);
    let chi2 = 0;
    for (let c = 0; c < 4; ++c) chi2 += (counts[c] - 20000 * P[c]) ** 2 / (20000 * P[c]);
    expect(chi2).toBeLessThan(30); // 3 degrees of freedom: p(chi2 > 30) ~ 1e-6
  });

  test('without replacement: distinct samples, zero weights never drawn, first draw follows the weights', () => {
    nt.manualSeed(testSeed('seed'));
    const rows = 4000;
    const probs = nt.tensor(P, { dtype: 'float32', device }).reshape(1, 5).expand(rows, 5);
    const s = nt.multinomial(probs, 4);
    expect(s.shape).toEqual([rows, 4]);
    const v = flat(s);
    const first = new Array<number>(5).fill(0);
    let repeated = 0;
    let zeroDrawn = 0;
    for (let r = 0; r < rows; ++r) {
      const row = v.slice(r * 4, r * 4 + 4);
      if (new Set(row).size !== 4) repeated++;
      if (row.includes(4)) zeroDrawn++;
      first[row[0]]++;
    }
    expect([repeated, zeroDrawn]).toEqual([0, 0]);
    let chi2 = 0;
    for (let c = 0; c < 4; ++c) chi2 += (first[c] - rows * P[c]) ** 2 / (rows * P[c]);
    expect(chi2).toBeLessThan(30);
    expect(nt.multinomial(nt.tensor([0, 0, 5, 0], { dtype: 'float32', device }), 1).toArray()).toEqual([2]);
  });

  test('hostile inputs name the row and what is wrong', () => {
    const ok = nt.tensor(
      [
        [0.5, 0.5],
        [1, 0],
      ],
      { dtype: 'float32', device },
    );
    expect(() =>
      nt.multinomial(
        nt.tensor(
          [
            [1, 1],
            [0.5, -0.1],
          ],
          { device },
        ),
        1,
      ),
    ).toThrow(/multinomial: row 1 of the weights must be non-negative and not NaN/);
    expect(() => nt.multinomial(nt.tensor([1, Number.NaN], { device }), 1)).toThrow(nt.ArgumentError);
    expect(() => nt.multinomial(nt.tensor([1, Number.POSITIVE_INFINITY], { device }), 1)).toThrow(/finite/);
    expect(() =>
      nt.multinomial(
        nt.tensor(
          [
            [1, 1],
            [0, 0],
          ],
          { dtype: 'float64', device },
        ),
        1,
      ),
    ).toThrow(/row 1 of the weights must have a positive sum/);
    expect(() => nt.multinomial(ok, 2)).toThrow(/row 1 of the weights has only 1 non-zero/);
    expect(nt.multinomial(ok, 2, { replacement: true }).shape).toEqual([2, 2]);
    expect(() => nt.multinomial(ok, 3)).toThrow(nt.ArgumentError);
    expect(() => nt.multinomial(ok, 0)).toThrow(nt.ArgumentError);
    expect(() => nt.multinomial(nt.tensor([1, 2], { dtype: 'int64', device }), 1)).toThrow(nt.DTypeError);
    expect(() => nt.multinomial(nt.ones([2, 2, 2], { device }), 1)).toThrow(nt.ShapeError);
    expect(() => nt.multinomial(nt.ones([2, 0], { device }), 1)).toThrow(nt.ShapeError);
    expect(() => nt.multinomial(ok, 1, { generator: 3 as unknown as nt.Generator })).toThrow(nt.ArgumentError);
    expect(nt.multinomial(nt.ones([0, 3], { device }), 2).shape).toEqual([0, 2]);
  });
});

test('the native checks refuse k > cols and too many draws without replacement at the call', () => {
  const x = nt.zeros([2, 3]);
  const v = nt.empty([2, 4]);
  const i = nt.empty([2, 4], { dtype: 'int64' });
  expect(() => kSortRows(v, i, x, 2, 3, 4, false)).toThrow(/sort: k \(4\) must be at most the row length \(3\)/);
  expect(() => kSortRows(v, i, x, 2, 3, 4, false)).toThrow(nt.ArgumentError);
  const out = nt.empty([2, 4], { dtype: 'int64' });
  expect(() => kMultinomial(out, nt.ones([2, 3]), false, 1n, 0)).toThrow(
    /cannot draw 4 samples without replacement from 3 categories/,
  );
  expect(() => kSortRows(v, i, nt.zeros([2, 2]), 2, 3, 3, false)).toThrow(nt.NodetorchError);
});
