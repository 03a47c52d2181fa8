// Views and shape ops, joins, indexing ops and (log-)softmax along every dim.
import * as nt from '../lib';
import {
  DEVICES,
  expectClose,
  expectError,
  randomTensor,
  refReduce,
  testSeed,
  tolFor,
  unravel,
  values,
  viewRef,
} from './helpers';

describe.each(DEVICES)('shape ops on %s', (device) => {
  const ar = (n: number, shape: number[]): nt.Tensor => nt.arange(0, n, 1, { dtype: 'float32', device }).reshape(shape);

  test('reshape and view share storage when possible; -1 is inferred', () => {
    const x = ar(24, [2, 3, 4]);
    const v = x.view(6, 4);
    expect(v.shape).toEqual([6, 4]);
    expect(v._storage).toBe(x._storage);
    expect(x.reshape([4, -1]).shape).toEqual([4, 6]);
    expect(x.reshape(-1).toArray()).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(x.view([2, 12]).toArray()).toEqual([
      Array.from({ length: 12 }, (_, i) => i),
      Array.from({ length: 12 }, (_, i) => i + 12),
    ]);
    // reshape of a transposed tensor copies; values are row-major of the view
    const t = x.transpose(0, 2); // [4, 3, 2]
    const r = t.reshape(24);
    expect(r._storage).not.toBe(x._storage);
    expect(Array.from(values(r))).toEqual(
      Array.from(
        viewRef(
          Array.from({ length: 24 }, (_, i) => i),
          t,
        ),
      ),
    );
    // a narrowed tensor can still be viewed when the layout allows it
    const n = x.narrow(0, 1, 1).view(3, 4);
    expect(n.toArray()).toEqual([
      [12, 13, 14, 15],
      [16, 17, 18, 19],
      [20, 21, 22, 23],
    ]);
    expect(nt.zeros([0, 3]).reshape(3, 0, 5).shape).toEqual([3, 0, 5]);
    expect(nt.tensor(5).reshape(1, 1).shape).toEqual([1, 1]);
  });

  test('view on a non-contiguous tensor throws a helpful ShapeError', () => {
    const x = ar(12, [3, 4]).t();
    expectError(
      () => x.view(12),
      nt.ShapeError,
      "view: view size [12] is not compatible with the input's strides; use reshape()",
    );
    expectError(() => ar(12, [3, 4]).view(5, -1), nt.ShapeError, 'view: shape [5, -1] is invalid for input of size 12');
    expectError(
      () => ar(12, [3, 4]).reshape(-1, -1),
      nt.ShapeError,
      'reshape: only one dim can be inferred, got [-1, -1]',
    );
    expectError(
      () => ar(12, [3, 4]).reshape(5, 2),
      nt.ShapeError,
      'reshape: shape [5, 2] is invalid for input of size 12',
    );
  });

  test('flatten, squeeze, unsqueeze', () => {
    const x = ar(24, [2, 1, 3, 4]);
    expect(x.flatten().shape).toEqual([24]);
    expect(x.flatten(1).shape).toEqual([2, 12]);
    expect(x.flatten(1, 2).shape).toEqual([2, 3, 4]);
    expect(x.flatten(-2).shape).toEqual([2, 1, 12]);
    expect(nt.tensor(3).flatten().shape).toEqual([1]);
    expect(x.squeeze().shape).toEqual([2, 3, 4]);
    expect(x.squeeze(1).shape).toEqual([2, 3, 4]);
    expect(x.squeeze(0).shape).toEqual([2, 1, 3, 4]);
    expect(x.unsqueeze(0).shape).toEqual([1, 2, 1, 3, 4]);
    expect(x.unsqueeze(-1).shape).toEqual([2, 1, 3, 4, 1]);
    expect(x.unsqueeze(2).squeeze(2).toArray()).toEqual(x.toArray());
    const t = x.squeeze().transpose(1, 2).unsqueeze(1); // non-contiguous unsqueeze
    expect(t.shape).toEqual([2, 1, 4, 3]);
    expect(Array.from(values(t))).toEqual(Array.from(values(x.squeeze().transpose(1, 2))));
    expectError(() => x.flatten(2, 1), nt.ArgumentError, 'flatten: startDim 2 comes after endDim 1');
    expectError(() => x.unsqueeze(6), nt.ShapeError, 'unsqueeze: dim 6 is out of range for a tensor with 5 dims');
  });

  test('transpose, permute, .T, .t()', () => {
    const base = randomTensor([2, 3, 4], testSeed(), { device });
    const x = base.t;
    const p = x.permute(2, 0, 1);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.isContiguous()).toBe(false);
    const ref = (i: number): number => {
      const [a, b, c] = unravel(i, [4, 2, 3]);
      return base.ref[b * 12 + c * 4 + a];
    };
    expect(Array.from(values(p))).toEqual(Array.from({ length: 24 }, (_, i) => ref(i)));
    expect(values(x.transpose(0, -1))).toEqual(values(x.permute(2, 1, 0)));
    expect(values(x.T)).toEqual(values(x.permute([2, 1, 0])));
    expect(values(p.contiguous())).toEqual(values(p));
    expect(p.contiguous().isContiguous()).toBe(true);
    const c = x.contiguous();
    expect(c).toBe(x); // already contiguous: no copy
    const m = nt.tensor([[1, 2, 3]], { device });
    expect(m.t().toArray()).toEqual([[1], [2], [3]]);
    expect(nt.tensor([1, 2], { device }).t().toArray()).toEqual([1, 2]);
    expectError(() => x.t(), nt.ShapeError, 't: expects a tensor with <= 2 dims, got 3');
    expectError(() => x.permute(0, 1), nt.ShapeError, 'permute: expected 3 dims, got [0, 1]');
    expectError(() => x.permute(0, 1, 1), nt.ArgumentError, 'permute: dims [0, 1, 1] repeat');
  });

  test('expand', () => {
    const x = nt.tensor([[1], [2]], { device });
    const e = x.expand(3, 2, 4);
    expect(e.shape).toEqual([3, 2, 4]);
    expect(e.strides).toEqual([0, 1, 0]);
    expect(e.toArray()).toEqual([
      [
        [1, 1, 1, 1],
        [2, 2, 2, 2],
      ],
      [
        [1, 1, 1, 1],
        [2, 2, 2, 2],
      ],
      [
        [1, 1, 1, 1],
        [2, 2, 2, 2],
      ],
    ]);
    expect(x.expand(-1, 3).toArray()).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(x.expandAs(nt.zeros([2, 2])).toArray()).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expectError(() => x.expand(3, 3), nt.ShapeError, 'expand: cannot expand [2, 1] to [3, 3] (dim 0: 2 vs 3)');
    expectError(() => x.expand(4), nt.ShapeError, 'expand: the number of sizes (1) must be >= the number of dims (2)');
  });

  test('narrow, split, chunk', () => {
    const x = ar(20, [4, 5]);
    expect(x.narrow(1, 1, 2).toArray()).toEqual([
      [1, 2],
      [6, 7],
      [11, 12],
      [16, 17],
    ]);
    expect(x.narrow(0, -1, 1).toArray()).toEqual([[15, 16, 17, 18, 19]]);
    expect(x.narrow(1, 5, 0).shape).toEqual([4, 0]);
    const parts = x.split(2, 1);
    expect(parts.map((p) => p.shape)).toEqual([
      [4, 2],
      [4, 2],
      [4, 1],
    ]);
    expect(parts[2].toArray()).toEqual([[4], [9], [14], [19]]);
    expect(x.split([1, 3], 0).map((p) => p.shape)).toEqual([
      [1, 5],
      [3, 5],
    ]);
    const ch = x.chunk(3, 1);
    expect(ch.map((p) => p.shape)).toEqual([
      [4, 2],
      [4, 2],
      [4, 1],
    ]);
    expect(x.chunk(2).map((p) => p.toArray())).toEqual([
      [
        [0, 1, 2, 3, 4],
        [5, 6, 7, 8, 9],
      ],
      [
        [10, 11, 12, 13, 14],
        [15, 16, 17, 18, 19],
      ],
    ]);
    expect(x.chunk(6, 0).length).toBe(4);
    expectError(() => x.narrow(0, 3, 2), nt.ShapeError, 'narrow: range [3, 5) is out of bounds for dim 0 of size 4');
    expectError(() => x.split([1, 1], 0), nt.ShapeError, 'split: sizes [1, 1] do not sum to dim 0 of size 4');
    expectError(() => x.split(0), nt.ArgumentError, 'split: split size must be a positive integer, got 0');
    expectError(() => x.chunk(0), nt.ArgumentError, 'chunk: chunks must be a positive integer, got 0');
  });

  test('cat and stack, with dtype promotion and non-contiguous inputs', () => {
    const a = ar(6, [2, 3]);
    const b = ar(6, [3, 2]).t().add(100); // [2, 3], non-contiguous
    expect(nt.cat([a, b], 0).toArray()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [100, 102, 104],
      [101, 103, 105],
    ]);
    expect(nt.cat([a, b], -1).toArray()).toEqual([
      [0, 1, 2, 100, 102, 104],
      [3, 4, 5, 101, 103, 105],
    ]);
    expect(nt.cat([a, nt.zeros([0, 3], { device }), a], 0).shape).toEqual([4, 3]);
    const i = nt.tensor([[7, 8, 9]], { device });
    const c = nt.cat([i, a]);
    expect(c.dtype).toBe('float32');
    expect((c.toArray() as number[][])[0]).toEqual([7, 8, 9]);
    const s = nt.stack([a, b], 1);
    expect(s.shape).toEqual([2, 2, 3]);
    expect(s.toArray()).toEqual([
      [
        [0, 1, 2],
        [100, 102, 104],
      ],
      [
        [3, 4, 5],
        [101, 103, 105],
      ],
    ]);
    expect(nt.stack([a, b], -1).shape).toEqual([2, 3, 2]);
    expect(nt.stack([nt.tensor(1, { device }), nt.tensor(2, { device })]).toArray()).toEqual([1, 2]);
    expectError(
      () => nt.cat([a, nt.zeros([2, 2], { device })], 0),
      nt.ShapeError,
      'cat: sizes must match except in dim 0: [2, 3] vs [2, 2]',
    );
    expectError(() => nt.cat([]), nt.ArgumentError, 'cat: expected a non-empty array of tensors');
    expectError(
      () => nt.stack([a, nt.zeros([3, 2], { device })]),
      nt.ShapeError,
      'stack: all tensors must have the same shape: [2, 3] vs [3, 2]',
    );
    expectError(
      () => nt.cat([nt.tensor(1), nt.tensor(2)]),
      nt.ShapeError,
      'cat: zero-dimensional tensors cannot be concatenated',
    );
  });

  test('indexSelect', () => {
    const x = ar(12, [3, 4]);
    const idx = nt.tensor([2, 0, 2], { device });
    expect(x.indexSelect(0, idx).toArray()).toEqual([
      [8, 9, 10, 11],
      [0, 1, 2, 3],
      [8, 9, 10, 11],
    ]);
    expect(x.indexSelect(1, nt.tensor([3, 1], { dtype: 'int32', device })).toArray()).toEqual([
      [3, 1],
      [7, 5],
      [11, 9],
    ]);
    expect(
      x
        .t()
        .indexSelect(0, nt.tensor([1], { device }))
        .toArray(),
    ).toEqual([[1, 5, 9]]);
    expect(x.indexSelect(0, nt.tensor([], { dtype: 'int64', device })).shape).toEqual([0, 4]);
    expectError(
      () => x.indexSelect(0, nt.tensor([3], { device })),
      nt.IndexError,
      /index_select: index 3 is out of range/,
    );
    expectError(
      () => x.indexSelect(0, nt.tensor([-4], { device })),
      nt.IndexError,
      /index_select: index -4 is out of range/,
    );
    expectError(
      () => x.indexSelect(0, nt.tensor([1.5], { device })),
      nt.DTypeError,
      'index_select: index must be int32 or int64, got float32',
    );
    expectError(
      () => x.indexSelect(0, nt.tensor([[1]], { device })),
      nt.ShapeError,
      'index_select: index must be 0-D or 1-D, got [1, 1]',
    );
  });

  test('gather and scatterAdd', () => {
    const x = ar(12, [3, 4]);
    const idx = nt.tensor(
      [
        [0, 3],
        [1, 1],
        [2, 0],
      ],
      { device },
    );
    expect(x.gather(1, idx).toArray()).toEqual([
      [0, 3],
      [5, 5],
      [10, 8],
    ]);
    expect(x.gather(0, nt.tensor([[2, 0, 1, 2]], { device })).toArray()).toEqual([[8, 1, 6, 11]]);
    expect(
      x
        .t()
        .gather(0, nt.tensor([[1, 2, 0]], { device }))
        .toArray(),
    ).toEqual([[1, 6, 8]]);
    const base = nt.zeros([2, 3], { device });
    const src = nt.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'float32', device },
    );
    const sIdx = nt.tensor(
      [
        [0, 0, 2],
        [1, 0, 0],
      ],
      { device },
    );
    const r = nt.scatterAdd(base, 1, sIdx, src);
    expect(r.toArray()).toEqual([
      [3, 0, 3],
      [5 + 6, 4, 0],
    ]);
    expect(base.toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]); // out of place
    const r0 = nt.scatterAdd(nt.ones([3, 3], { device }), 0, nt.tensor([[2, 2, 0]], { device }), src);
    expect(r0.toArray()).toEqual([
      [1, 1, 4],
      [1, 1, 1],
      [2, 3, 1],
    ]);
    expectError(() => x.gather(1, nt.tensor([[4]], { device })), nt.IndexError, /gather: index 4 is out of range/);
    expectError(() => x.gather(1, nt.tensor([[-1]], { device })), nt.IndexError, /gather: index -1 is out of range/);
    expectError(
      () => x.gather(1, nt.tensor([0], { device })),
      nt.ShapeError,
      'gather: index [1] must have as many dims as input [3, 4]',
    );
    expectError(
      () => nt.scatterAdd(base, 1, nt.tensor([[3, 0, 0]], { device }), src),
      nt.IndexError,
      /scatter_add: index 3 is out of range/,
    );
  });

  test('oneHot', () => {
    const t = nt.tensor([0, 2, 1], { device });
    const o = nt.oneHot(t, 4);
    expect(o.dtype).toBe('int64');
    expect(o.toArray()).toEqual([
      [1, 0, 0, 0],
      [0, 0, 1, 0],
      [0, 1, 0, 0],
    ]);
    expect(nt.oneHot(t).shape).toEqual([3, 3]);
    expect(nt.oneHot(nt.tensor([[1], [0]], { device }), 2).toArray()).toEqual([[[0, 1]], [[1, 0]]]);
    expectError(() => nt.oneHot(t, 2), nt.IndexError, /one_hot|scatter_add: index 2 is out of range/);
    expectError(() => nt.oneHot(nt.tensor([-1], { device }), 3), nt.IndexError, /index -1 is out of range/);
  });

  describe.each(['float32', 'float64'] as const)('softmax %s', (dtype) => {
    test.each([0, 1, 2, -1, -2, -3])('softmax and logSoftmax along dim %d (contiguous and transposed)', (dim) => {
      const shape = [3, 4, 5];
      for (const layout of ['contiguous', 'transposed']) {
        let t: nt.Tensor;
        let ref: Float64Array;
        if (layout === 'contiguous')
          ({ t, ref } = randomTensor(shape, testSeed(layout), { dtype, device, lo: -5, hi: 5 }));
        else {
          const base = randomTensor([5, 4, 3], testSeed(layout), { dtype, device, lo: -5, hi: 5 });
          t = base.t.permute(2, 1, 0);
          ref = viewRef(base.ref, t);
        }
        const d = dim < 0 ? dim + 3 : dim;
        const lse = refReduce(ref, shape, [d], true, (g) => {
          const m = Math.max(...g);
          return m + Math.log(g.reduce((a, b) => a + Math.exp(b - m), 0));
        });
        const expLog = Array.from(ref, (v, i) => {
          const idx = unravel(i, shape);
          idx[d] = 0;
          const kept = shape.map((s, j) => (j === d ? 1 : s));
          let flat = 0;
          for (let j = 0; j < 3; ++j) flat = flat * kept[j] + idx[j];
          return v - lse.values[flat];
        });
        const ls = t.logSoftmax(dim);
        expect(ls.shape).toEqual(shape);
        expect(ls.dtype).toBe(dtype);
        expectClose(ls, expLog, tolFor(dtype));
        expectClose(t.softmax(dim), expLog.map(Math.exp), tolFor(dtype));
        expectClose(t.softmax(dim).sum(dim), new Array(60 / shape[d]).fill(1), tolFor(dtype));
      }
    });

    test('softmax of extreme values, 0-d and empty', () => {
      const t = nt.tensor(
        [
          [1000, 0, -1000],
          [-Infinity, 0, -Infinity],
        ],
        { dtype, device },
      );
      expectClose(t.softmax(1), [1, 0, 0, 0, 1, 0], tolFor(dtype));
      expectClose(t.logSoftmax(1), [0, -1000, -2000, -Infinity, 0, -Infinity], tolFor(dtype));
      expect(nt.tensor(3, { dtype, device }).softmax(0).item()).toBe(1);
      expect(nt.zeros([0, 4], { dtype, device }).softmax(1).shape).toEqual([0, 4]);
      expect(nt.zeros([2, 0], { dtype, device }).softmax(1).shape).toEqual([2, 0]);
      expect(nt.tensor([1, 2], { device }).softmax(0).dtype).toBe('float32');
    });
  });
});
