// select, roll and meshgrid (lib/ops/views.ts, lib/ops/rearrange.ts)
// against index-arithmetic references on fresh random data, their gradients,
// and typed errors.
import * as nt from '../lib';
import { expectError, randomValues } from './helpers';

const RUN_SEED = Number(process.env.NODETORCH_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SHAPE = [3, 4, 5];
const flat = (i: number, j: number, k: number): number => (i * 4 + j) * 5 + k;

describe(`select, roll, meshgrid (NODETORCH_TEST_SEED=${RUN_SEED})`, () => {
  const v = Array.from(randomValues(60, RUN_SEED));
  const x = nt.tensor(v, { dtype: 'float64', shape: SHAPE });

  test('select takes one index along a dim, negative from the end, as a view', () => {
    const s = x.select(1, -1);
    expect(s.shape).toEqual([3, 5]);
    const want: number[] = [];
    for (let i = 0; i < 3; ++i) for (let k = 0; k < 5; ++k) want.push(v[flat(i, 3, k)]);
    expect(Array.from(s.data() as Float64Array)).toEqual(want);
    const base = nt.zeros([2, 3]);
    nt.select(base, 0, 1).fill_(7);
    expect(base.toArray()).toEqual([
      [0, 0, 0],
      [7, 7, 7],
    ]);
    const g = x.clone().requiresGrad_();
    g.select(2, 0).sum().backward();
    const grad = Array.from(g.grad?.data() as Float64Array);
    expect(grad.filter((e, i) => (i % 5 === 0 ? e !== 1 : e !== 0)).length).toBe(0);
  });

  test.each([
    [2, 0],
    [-1, 1],
    [7, 2],
    [
      [1, -2],
      [0, 2],
    ],
    [
      [3, 1, 4],
      [0, 1, 2],
    ],
  ] as const)('roll by %j along %j matches the reference', (shifts, dims) => {
    const s = typeof shifts === 'number' ? [shifts] : [...shifts];
    const d = typeof dims === 'number' ? [dims] : [...dims];
    const got = Array.from(nt.roll(x, s.length === 1 ? s[0] : s, d.length === 1 ? d[0] : d).data() as Float64Array);
    const want = new Array<number>(60);
    for (let i = 0; i < 3; ++i)
      for (let j = 0; j < 4; ++j)
        for (let k = 0; k < 5; ++k) {
          const to = [i, j, k];
          d.forEach((dim, q) => {
            to[dim] = (((to[dim] + s[q]) % SHAPE[dim]) + SHAPE[dim]) % SHAPE[dim];
          });
          want[flat(to[0], to[1], to[2])] = v[flat(i, j, k)];
        }
    expect(got).toEqual(want);
  });

  test('roll without dims rolls the flattened tensor; its gradient is rolled back', () => {
    const got = Array.from(x.roll(-13).data() as Float64Array);
    expect(got).toEqual(v.map((_, i) => v[(i + 13) % 60]));
    const a = nt.tensor(v.slice(0, 12), { dtype: 'float64', shape: [3, 4] }).requiresGrad_();
    expect(nt.autograd.gradcheck((t) => t.roll([1, -3], [0, 1]).mul(t), [a])).toBe(true);
    expect(nt.roll(nt.zeros([0, 2]), 3, 0).shape).toEqual([0, 2]);
  });

  test("meshgrid 'ij' and 'xy' give PyTorch's shapes and values", () => {
    const a = nt.tensor([1, 2, 3]);
    const b = nt.tensor([10, 20]);
    const [ia, ib] = nt.meshgrid([a, b]);
    expect(ia.toArray()).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(ib.toArray()).toEqual([
      [10, 20],
      [10, 20],
      [10, 20],
    ]);
    const [xa, xb] = nt.meshgrid([a, b], { indexing: 'xy' });
    expect(xa.toArray()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(xb.shape).toEqual([2, 3]);
    expect(xb.toArray()).toEqual([
      [10, 10, 10],
      [20, 20, 20],
    ]);
    const three = nt.meshgrid([a, b, nt.tensor(5)]);
    expect(three.map((t) => t.shape)).toEqual([
      [3, 2, 1],
      [3, 2, 1],
      [3, 2, 1],
    ]);
  });

  test('bad arguments are typed errors naming the op', () => {
    expectError(() => x.select(3, 0), nt.ShapeError, /select: dim 3 is out of range/);
    expectError(() => x.select(1, 4), nt.IndexError, /select: index 4 is out of range for dim 1 of size 4/);
    expectError(() => x.select(0, 1.5), nt.IndexError, /select: index 1.5/);
    expectError(() => nt.select(nt.tensor(1), 0, 0), nt.ShapeError, /select: cannot select from a 0-d tensor/);
    expectError(() => x.roll([1, 2]), nt.ArgumentError, /roll: without dims, shifts must be one integer/);
    expectError(() => x.roll([1, 2], [0]), nt.ArgumentError, /roll: shifts and dims must have one length/);
    expectError(() => x.roll(0.5, 0), nt.ArgumentError, /roll: shifts an integer/);
    expectError(() => nt.meshgrid([x]), nt.ShapeError, /meshgrid: tensors\[0\] must be 0-D or 1-D/);
    expectError(() => nt.meshgrid([]), nt.ArgumentError, /meshgrid: expected a non-empty array/);
    expectError(
      () => nt.meshgrid([nt.ones([2])], { indexing: 'ji' as 'ij' }),
      nt.ArgumentError,
      /meshgrid: indexing 'ij' or 'xy', got "ji"/,
    );
  });
});
