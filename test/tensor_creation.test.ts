// Tensor creation: dtype inference, fills, ranges, random generators and
// reproducibility, and reading data back (toArray/data/item/toString).
import * as nt from '../lib';
import { DEVICES, expectClose, expectError, values } from './helpers';

describe.each(DEVICES)('creation on %s', (device) => {
  test('tensor() infers int64, float32 and bool from nested arrays and scalars', () => {
    const i = nt.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device },
    );
    expect(i.dtype).toBe('int64');
    expect(i.shape).toEqual([2, 3]);
    expect(i.device).toBe(device);
    expect(i.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const f = nt.tensor([1, 2.5], { device });
    expect(f.dtype).toBe('float32');
    expect(f.toArray()).toEqual([1, 2.5]);
    const b = nt.tensor([[true], [false]], { device });
    expect(b.dtype).toBe('bool');
    expect(b.toArray()).toEqual([[true], [false]]);
    const s = nt.tensor(3, { device });
    expect(s.shape).toEqual([]);
    expect(s.dtype).toBe('int64');
    expect(s.item()).toBe(3);
    expect(nt.tensor(2.5).dtype).toBe('float32');
    expect(nt.tensor(true).dtype).toBe('bool');
    const e = nt.tensor([]);
    expect(e.shape).toEqual([0]);
    expect(e.dtype).toBe('float32');
    expect(nt.tensor([[], []]).shape).toEqual([2, 0]);
  });

  test('tensor() from typed arrays keeps their dtype; dtype and shape options convert', () => {
    expect(nt.tensor(new Float64Array([1, 2])).dtype).toBe('float64');
    expect(nt.tensor(new Float32Array([1, 2])).dtype).toBe('float32');
    expect(nt.tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(nt.tensor(new BigInt64Array([1n, -2n])).toArray()).toEqual([1, -2]);
    expect(nt.tensor(new Uint8Array([1, 255])).toArray()).toEqual([1, 255]);
    const t = nt.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3], dtype: 'float64', device });
    expect(t.dtype).toBe('float64');
    expect(t.shape).toEqual([2, 3]);
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(nt.tensor([1.7, -2.7], { dtype: 'int32' }).toArray()).toEqual([1, -2]);
    expect(nt.tensor([1, 2], { dtype: 'float64' }).data()).toEqual(new Float64Array([1, 2]));
    expect(nt.tensor([0, 2], { dtype: 'bool' }).toArray()).toEqual([false, true]);
    const src = new Float32Array([1, 2]);
    const c = nt.tensor(src);
    src[0] = 9;
    expect(c.toArray()).toEqual([1, 2]); // a copy, not a view of the JS memory
  });

  test('zeros, ones, full, empty and the *Like forms', () => {
    expect(nt.zeros([2, 3], { device }).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(nt.ones(3, { dtype: 'int32', device }).toArray()).toEqual([1, 1, 1]);
    const f = nt.full([2, 2], 7.5, { dtype: 'float64', device });
    expect(f.dtype).toBe('float64');
    expect(f.toArray()).toEqual([
      [7.5, 7.5],
      [7.5, 7.5],
    ]);
    expect(nt.full([2], 1, { dtype: 'bool' }).toArray()).toEqual([true, true]);
    const e = nt.empty([4, 5], { device });
    expect(e.shape).toEqual([4, 5]);
    expect(e.dtype).toBe('float32');
    expect(nt.zeros([0, 3]).numel).toBe(0);
    expect(nt.zeros([]).shape).toEqual([]);
    expect(nt.zeros([]).item()).toBe(0);
    const like = nt.tensor([[1, 2]], { dtype: 'float64', device });
    for (const t of [
      nt.zerosLike(like),
      nt.onesLike(like),
      nt.fullLike(like, 3),
      nt.emptyLike(like),
      nt.randLike(like),
      nt.randnLike(like),
    ]) {
      expect(t.shape).toEqual([1, 2]);
      expect(t.dtype).toBe('float64');
      expect(t.device).toBe(device);
    }
    expect(nt.onesLike(like, { dtype: 'int32' }).dtype).toBe('int32');
    expect(nt.fullLike(like, 3).toArray()).toEqual([[3, 3]]);
    expect(nt.zeros([2], { requiresGrad: true }).requiresGrad).toBe(true);
  });

  test('arange and linspace', () => {
    const a = nt.arange(5, undefined, 1, { device });
    expect(a.dtype).toBe('int64');
    expect(a.toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(nt.arange(2, 11, 3).toArray()).toEqual([2, 5, 8]);
    expect(nt.arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(nt.arange(0, 0).numel).toBe(0);
    const f = nt.arange(0, 1, 0.25);
    expect(f.dtype).toBe('float32');
    expect(f.toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(nt.arange(0, 3, 1, { dtype: 'float64' }).dtype).toBe('float64');
    const l = nt.linspace(-1, 1, 5, { dtype: 'float64', device });
    expectClose(l, [-1, -0.5, 0, 0.5, 1], { atol: 1e-15, rtol: 0 });
    expect(nt.linspace(3, 7, 1).toArray()).toEqual([3]);
    expect(nt.linspace(0, 1, 0).numel).toBe(0);
    expectClose(
      nt.linspace(0, 1, 11),
      Array.from({ length: 11 }, (_, i) => i / 10),
    );
  });

  test('eye', () => {
    expect(nt.eye(3, undefined, { device }).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(nt.eye(2, 4).toArray()).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
    ]);
    expect(nt.eye(3, 2, { dtype: 'int64' }).toArray()).toEqual([
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(nt.eye(0).shape).toEqual([0, 0]);
  });

  test('manualSeed makes rand, randn and randint reproducible', () => {
    nt.manualSeed(1234);
    const a = [nt.rand([100], { device }), nt.randn([7, 3], { device }), nt.randint(0, 10, [50], { device })].map(
      values,
    );
    nt.manualSeed(1234);
    const b = [nt.rand([100], { device }), nt.randn([7, 3], { device }), nt.randint(0, 10, [50], { device })].map(
      values,
    );
    expect(b).toEqual(a);
    nt.manualSeed(1235);
    expect(values(nt.rand([100], { device }))).not.toEqual(a[0]);
    // Consecutive calls draw different numbers.
    nt.manualSeed(1234);
    const c1 = values(nt.rand([100], { device }));
    const c2 = values(nt.rand([100], { device }));
    expect(c2).not.toEqual(c1);
    // float64 draws are reproducible too.
    nt.manualSeed(9);
    const d1 = values(nt.randn([33], { dtype: 'float64', device }));
    nt.manualSeed(9);
    expect(values(nt.randn([33], { dtype: 'float64', device }))).toEqual(d1);
  });

  test('randperm: a permutation of 0..n-1, reproducible, in the dtype asked for', () => {
    nt.manualSeed(77);
    const p = nt.randperm(1000, { device });
    expect(p.dtype).toBe('int64');
    expect(p.device).toBe(device);
    const v = Array.from(values(p));
    expect([...v].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(v).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    nt.manualSeed(77);
    expect(Array.from(values(nt.randperm(1000, { device })))).toEqual(v);
    expect(Array.from(values(nt.randperm(1000, { device })))).not.toEqual(v); // the generator advanced
    expect(nt.randperm(5, { dtype: 'int32', device }).dtype).toBe('int32');
    expect(
      values(nt.randperm(3, { dtype: 'float64', device }))
        .slice()
        .sort(),
    ).toEqual(new Float64Array([0, 1, 2]));
    expect(nt.randperm(0, { device }).shape).toEqual([0]);
    // Every position takes every value about equally often (4000 draws of n = 4).
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 4000; ++i) values(nt.randperm(4)).forEach((x, pos) => counts[pos * 4 + x]++);
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    expectError(() => nt.randperm(-1), nt.ArgumentError, 'randperm: n must be an integer in [0, 2^31), got -1');
    expectError(() => nt.randperm(2.5), nt.ArgumentError, /n must be an integer/);
    expectError(
      () => nt.randperm(300, { dtype: 'uint8' }),
      nt.DTypeError,
      'randperm: uint8 cannot hold the indices 0..299',
    );
  });

  test('rand, randn and randint have the right distributions (1e5 samples)', () => {
    nt.manualSeed(42);
    const n = 100000;
    const u = values(nt.rand([n], { device }));
    let mean = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of u) {
      mean += v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    mean /= n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    const g = values(nt.randn([n], { device }));
    let m = 0;
    for (const v of g) m += v;
    m /= n;
    let v2 = 0;
    for (const v of g) v2 += (v - m) ** 2;
    const sd = Math.sqrt(v2 / (n - 1));
    expect(Math.abs(m)).toBeLessThan(0.02);
    expect(Math.abs(sd - 1)).toBeLessThan(0.02);
    const r = nt.randint(-3, 4, [n], { device });
    expect(r.dtype).toBe('int64');
    const counts = new Map<number, number>();
    for (const v of values(r)) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.keys()].sort((x, y) => x - y)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    for (const c of counts.values()) expect(Math.abs(c / n - 1 / 7)).toBeLessThan(0.01);
  });

  test('toArray, data, item', () => {
    const t = nt.tensor(
      [
        [1.5, -2],
        [3, 4],
      ],
      { dtype: 'float64', device },
    );
    expect(t.data()).toEqual(new Float64Array([1.5, -2, 3, 4]));
    expect(t.t().toArray()).toEqual([
      [1.5, 3],
      [-2, 4],
    ]);
    expect(t.t().data()).toEqual(new Float64Array([1.5, 3, -2, 4]));
    expect(nt.tensor([[5]]).item()).toBe(5);
    expect(t.narrow(0, 1, 1).narrow(1, 1, 1).item()).toBe(4);
    expect(nt.tensor([1, 2], { dtype: 'int64' }).data()).toEqual(new BigInt64Array([1n, 2n]));
    expect(nt.tensor([true, false]).data()).toEqual(new Uint8Array([1, 0]));
    expect(nt.tensor(7).toArray()).toBe(7);
    expectError(
      () => t.item(),
      nt.ShapeError,
      'item: only one-element tensors can be converted to a number, got shape [2, 2]',
    );
  });
});

describe('toString (PyTorch-like repr)', () => {
  test('floats, ints, bools, 0-d, empty', () => {
    expect(
      nt
        .tensor([
          [1, -2.5],
          [3, 4],
        ])
        .toString(),
    ).toBe('tensor([[ 1.0000, -2.5000],\n        [ 3.0000,  4.0000]])');
    expect(nt.tensor([1, 2, 3]).toString()).toBe('tensor([1, 2, 3])');
    expect(nt.tensor([1, 2], { dtype: 'int32' }).toString()).toBe('tensor([1, 2], dtype=int32)');
    expect(nt.tensor([1, 2], { dtype: 'float64' }).toString()).toBe('tensor([1.0000, 2.0000], dtype=float64)');
    expect(nt.tensor([true, false]).toString()).toBe('tensor([ True, False])');
    expect(nt.tensor(2.5).toString()).toBe('tensor(2.5000)');
    expect(nt.zeros([0]).toString()).toBe('tensor([], size=(0))');
    expect(nt.tensor([1e-6, 1]).toString()).toBe('tensor([1.0000e-06, 1.0000e+00])');
  });

  test('requires_grad and grad_fn, and summarised large tensors', () => {
    const x = nt.tensor([1.0, 2.5], { requiresGrad: true });
    expect(x.toString()).toBe('tensor([1.0000, 2.5000], requires_grad=True)');
    expectError(
      () => nt.tensor([1, 2], { requiresGrad: true }),
      nt.DTypeError,
      'requiresGrad_: only floating point tensors can require grad, got int64',
    );
    expect(x.mul(2).toString()).toBe('tensor([2.0000, 5.0000], grad_fn=<MulScalarBackward>)');
    const big = nt.arange(2000).toString();
    expect(big).toBe('tensor([   0,    1,    2, ..., 1997, 1998, 1999])');
    const d = nt.tensor([1]);
    d.dispose();
    expect(d.toString()).toBe('tensor(<disposed>)');
  });
});
