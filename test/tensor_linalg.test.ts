// matmul/mm/bmm/linear against a naive float64 reference: 1-D, 2-D, batched
// and broadcast batches, transposed operands (passed to GEMM without a
// copy), K = 0, odd sizes, float64.
import * as nt from '../lib';
import { linear } from '../lib/ops/linalg';
import { DEVICES, expectClose, expectError, randomTensor, testSeed, viewRef } from './helpers';
import { native } from '../lib/kernels/native';

/** Naive float64 matmul of [..., M, K] x [..., K, N] given as row-major refs and shapes (batch broadcast). */
function refMatmul(
  a: Float64Array,
  as: number[],
  b: Float64Array,
  bs: number[],
): { shape: number[]; values: Float64Array } {
  let A = as.slice();
  let B = bs.slice();
  const aVec = A.length === 1;
  const bVec = B.length === 1;
  if (aVec) A = [1, A[0]];
  if (bVec) B = [B[0], 1];
  const M = A[A.length - 2],
    K = A[A.length - 1],
    N = B[B.length - 1];
  const ab = A.slice(0, -2),
    bb = B.slice(0, -2);
  const n = Math.max(ab.length, bb.length);
  const batch: number[] = [];
  for (let i = 0; i < n; ++i) {
    const x = i < n - ab.length ? 1 : ab[i - (n - ab.length)];
    const y = i < n - bb.length ? 1 : bb[i - (n - bb.length)];
    batch.push(x === 1 ? y : x);
  }
  const nb = batch.reduce((p, q) => p * q, 1);
  const out = new Float64Array(nb * M * N);
  const batchOffset = (bi: number, shape: number[]): number => {
    let idx = bi;
    const full: number[] = [];
    for (let d = batch.length - 1; d >= 0; --d) {
      full.unshift(idx % batch[d]);
      idx = Math.floor(idx / batch[d]);
    }
    let flat = 0;
    const off = batch.length - shape.length;
    for (let d = 0; d < shape.length; ++d) flat = flat * shape[d] + (shape[d] === 1 ? 0 : full[d + off]);
    return flat;
  };
  for (let bi = 0; bi < nb; ++bi) {
    const ao = batchOffset(bi, ab) * M * K;
    const bo = batchOffset(bi, bb) * K * N;
    for (let i = 0; i < M; ++i) {
      for (let j = 0; j < N; ++j) {
        let s = 0;
        for (let k = 0; k < K; ++k) s += a[ao + i * K + k] * b[bo + k * N + j];
        out[bi * M * N + i * N + j] = s;
      }
    }
  }
  let shape = [...batch, M, N];
  if (aVec) shape = shape.filter((_, i) => i !== shape.length - 2);
  if (bVec) shape = shape.slice(0, -1);
  return { shape, values: out };
}

const tolOf = (dtype: 'float32' | 'float64', K: number) =>
  dtype === 'float64' ? { atol: 1e-12 * Math.max(K, 1), rtol: 1e-10 } : { atol: 1e-5 * Math.max(K, 1), rtol: 1e-4 };

describe.each(DEVICES)('linalg on %s', (device) => {
  describe.each(['float32', 'float64'] as const)('%s', (dtype) => {
    const CASES: [number[], number[]][] = [
      [[3], [3]],
      [[4], [4, 5]],
      [[5, 4], [4]],
      [
        [2, 3],
        [3, 4],
      ],
      [
        [1, 1],
        [1, 1],
      ],
      [
        [17, 33],
        [33, 9],
      ],
      [
        [65, 130],
        [130, 67],
      ],
      [
        [2, 5, 3],
        [2, 3, 4],
      ],
      [
        [2, 5, 3],
        [3, 4],
      ],
      [
        [5, 3],
        [2, 3, 4],
      ],
      [
        [2, 1, 3, 4],
        [3, 4, 2],
      ],
      [[3], [2, 3, 4]],
      [[2, 5, 3], [3]],
      [
        [3, 0],
        [0, 4],
      ],
      [
        [0, 3],
        [3, 4],
      ],
      [
        [2, 0, 3],
        [2, 3, 5],
      ],
    ];
    test.each(CASES)('matmul %j x %j', (sa, sb) => {
      const a = randomTensor(sa, testSeed('a'), { dtype, device });
      const b = randomTensor(sb, testSeed('b'), { dtype, device });
      const exp = refMatmul(a.ref, sa, b.ref, sb);
      const out = a.t.matmul(b.t);
      expect(out.shape).toEqual(exp.shape);
      expect(out.dtype).toBe(dtype);
      expectClose(out, exp.values, tolOf(dtype, sa[sa.length - 1]));
    });

    test('transposed, narrowed and expanded operands', () => {
      // [67, 300, 75]: full and ragged 32-column slivers, several K panels and a
      // K tail, so the built-in kernel's blocked transposes are covered.
      for (const [M, K, N] of [
        [7, 5, 3],
        [1, 9, 4],
        [6, 1, 6],
        [33, 64, 17],
        [67, 300, 75],
      ]) {
        const at = randomTensor([K, M], testSeed(`a${M}`), { dtype, device }); // a = at.t()
        const bt = randomTensor([N, K], testSeed(`b${M}`), { dtype, device }); // b = bt.t()
        const a = at.t.t();
        const b = bt.t.t();
        const aRef = viewRef(at.ref, a);
        const bRef = viewRef(bt.ref, b);
        const tol = tolOf(dtype, K);
        expectClose(a.matmul(b), refMatmul(aRef, [M, K], bRef, [K, N]).values, tol);
        const ac = a.contiguous();
        expectClose(ac.matmul(b), refMatmul(aRef, [M, K], bRef, [K, N]).values, tol);
        expectClose(a.matmul(b.contiguous()), refMatmul(aRef, [M, K], bRef, [K, N]).values, tol);
        expectClose(nt.mm(a, b), refMatmul(aRef, [M, K], bRef, [K, N]).values, tol);
      }
      // a column slice (row stride > cols) and a batch made by expand (batch stride 0)
      const big = randomTensor([6, 10], testSeed('big'), { dtype, device });
      const sl = big.t.narrow(1, 2, 4); // [6, 4], ld 10
      const w = randomTensor([4, 3], testSeed('w'), { dtype, device });
      const slRef = viewRef(big.ref, sl);
      expectClose(sl.matmul(w.t), refMatmul(slRef, [6, 4], w.ref, [4, 3]).values, tolOf(dtype, 4));
      const ex = w.t.expand(5, 4, 3);
      const x = randomTensor([5, 2, 4], testSeed('x'), { dtype, device });
      expectClose(x.t.matmul(ex), refMatmul(x.ref, [5, 2, 4], w.ref, [1, 4, 3]).values, tolOf(dtype, 4));
      // batched with transposed inner matrices
      const bb = randomTensor([3, 4, 5], testSeed('bb'), { dtype, device });
      const bbt = bb.t.transpose(1, 2); // [3, 5, 4]
      const cc = randomTensor([3, 4, 2], testSeed('cc'), { dtype, device });
      expectClose(
        nt.bmm(bbt, cc.t),
        refMatmul(viewRef(bb.ref, bbt), [3, 5, 4], cc.ref, [3, 4, 2]).values,
        tolOf(dtype, 4),
      );
      // permuted batch dims (batch stride not uniform) fall back to a copy
      const pp = randomTensor([4, 3, 2, 5], testSeed('pp'), { dtype, device });
      const pv = pp.t.permute(1, 0, 2, 3); // [3, 4, 2, 5]
      const q = randomTensor([5, 2], testSeed('q'), { dtype, device });
      expectClose(pv.matmul(q.t), refMatmul(viewRef(pp.ref, pv), [3, 4, 2, 5], q.ref, [5, 2]).values, tolOf(dtype, 5));
    });

    test('a plain .t() operand is not copied', () => {
      // Counted at the kernel: live-tensor counts can also move when garbage
      // from earlier test files is collected, a copy kernel call cannot.
      nt.noGrad(() => {
        const a = nt.randn([64, 32], { dtype, device });
        const b = nt.randn([48, 32], { dtype, device });
        const copy = jest.spyOn(native.kernels, 'copy');
        try {
          const out = a.matmul(b.t());
          const out2 = a.t().matmul(a);
          expect(copy).not.toHaveBeenCalled();
          expect(out.shape).toEqual([64, 48]);
          expect(out2.shape).toEqual([32, 32]);
          // and a layout BLAS cannot take (a strided view) is copied once
          a.narrow(1, 0, 31).t().narrow(0, 0, 30).transpose(0, 1).contiguous();
          expect(copy).toHaveBeenCalledTimes(1);
        } finally {
          copy.mockRestore();
        }
      });
    });

    test('linear(x, w, b) equals x @ w.T + b', () => {
      for (const [lead, inF, outF] of [
        [[5], 7, 3],
        [[2, 3], 4, 6],
        [[1], 1, 1],
        [[0], 3, 2],
        [[4], 0, 2],
      ] as [number[], number, number][]) {
        const x = randomTensor([...lead, inF], testSeed(`x${lead}`), { dtype, device });
        const w = randomTensor([outF, inF], testSeed(`w${lead}`), { dtype, device });
        const b = randomTensor([outF], testSeed(`b${lead}`), { dtype, device });
        const wT = Float64Array.from({ length: inF * outF }, (_, i) => w.ref[(i % outF) * inF + Math.floor(i / outF)]);
        const mm = refMatmul(x.ref, [...lead, inF], wT, [inF, outF]);
        const withB = mm.values.map((v, i) => v + b.ref[i % outF]);
        const y = linear(x.t, w.t, b.t);
        expect(y.shape).toEqual([...lead, outF]);
        expectClose(y, withB, tolOf(dtype, inF));
        expectClose(linear(x.t, w.t), mm.values, tolOf(dtype, inF));
        expectClose(linear(x.t, w.t, null), mm.values, tolOf(dtype, inF));
      }
      // a transposed weight
      const wt = randomTensor([4, 3], testSeed('wt'), { dtype, device });
      const w = wt.t.t(); // [3, 4]
      const x = randomTensor([2, 4], testSeed('x'), { dtype, device });
      const wRef = viewRef(wt.ref, w);
      const wT = Float64Array.from({ length: 12 }, (_, i) => wRef[(i % 3) * 4 + Math.floor(i / 3)]);
      expectClose(linear(x.t, w), refMatmul(x.ref, [2, 4], wT, [4, 3]).values, tolOf(dtype, 4));
      expectError(
        () => linear(x.t, w, nt.zeros([4], { dtype, device })),
        nt.ShapeError,
        'linear: bias must have shape [3], got [4]',
      );
      expectError(
        () => linear(x.t, nt.zeros([3, 5], { dtype, device })),
        nt.ShapeError,
        'linear: input [2, 4] and weight [3, 5] cannot be multiplied (4 != 5)',
      );
    });
  });

  test('mixed and integer dtypes', () => {
    const a = nt.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { device },
    );
    const f = nt.tensor(
      [
        [1, 0],
        [0, 1],
      ],
      { dtype: 'float64', device },
    );
    // As PyTorch: no promotion between operands (an int64 batch into a float
    // layer is a bug to report); the message says how to convert.
    expectError(
      () => a.matmul(f),
      nt.DTypeError,
      'matmul: expected a and b of the same floating dtype, got int64 and float64; convert with .double()',
    );
    expect(a.double().matmul(f).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expectError(
      () => a.matmul(a),
      nt.DTypeError,
      'matmul: expected a and b of the same floating dtype, got int64 and int64; convert with .float()',
    );
    const lin = new nt.nn.Linear(2, 2);
    if (device !== 'cpu') lin.to(device);
    expectError(
      () => lin.forward(a),
      nt.DTypeError,
      /linear: expected input and weight of the same floating dtype, got int64 and float32; convert with \.float\(\)/,
    );
    expectError(() => lin.forward(f), nt.DTypeError, /got float64 and float32; convert with \.float\(\)/);
  });

  test('shape errors', () => {
    const a = nt.zeros([64, 784], { device });
    expectError(
      () => a.matmul(nt.zeros([500, 784], { device })),
      nt.ShapeError,
      'matmul: shapes [64, 784] and [500, 784] cannot be multiplied (784 != 500)',
    );
    expectError(
      () => nt.zeros([3], { device }).matmul(nt.zeros([4], { device })),
      nt.ShapeError,
      'matmul: shapes [3] and [4] cannot be multiplied (3 != 4)',
    );
    expectError(
      () => nt.zeros([2, 2, 3], { device }).matmul(nt.zeros([3, 3, 1], { device })),
      nt.ShapeError,
      'matmul: shapes [2] and [3] cannot be broadcast (dim 0: 2 vs 3)',
    );
    expectError(
      () => nt.tensor(1.5).matmul(nt.zeros([1])),
      nt.ShapeError,
      'matmul: both arguments need at least 1 dim',
    );
    expectError(
      () => nt.mm(nt.zeros([2]), nt.zeros([2, 2])),
      nt.ShapeError,
      'mm: expects 2-D tensors, got [2] and [2, 2]',
    );
    expectError(
      () => nt.bmm(nt.zeros([2, 2, 2]), nt.zeros([3, 2, 2])),
      nt.ShapeError,
      'bmm: expects 3-D tensors with equal batch, got [2, 2, 2] and [3, 2, 2]',
    );
  });
});
