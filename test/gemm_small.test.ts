// C = alpha * A @ B^T + beta * C through the kernel entry point, on the
// shapes where the small-M kernel (native/cpu/gemm_small.cpp) takes over
// from OpenBLAS / the fallback and just around its thresholds (M 4 and 16,
// N 16, K 8 and 128). NaN padding and a NaN-filled C against a float64
// reference: test/gemm_reference.ts.
import * as nt from '../lib';
import { checkGemm as check, signed } from './gemm_reference';
import { expectClose } from './helpers';

const Ms = [1, 2, 3, 4, 5, 15, 16, 17, 64, 130];
const Ns = [1, 2, 3, 4, 10, 16, 17, 31];
const Ks = [1, 7, 8, 9, 31, 127, 128, 129];

describe.each(['float32', 'float64'] as const)('A @ B^T, %s', (dtype) => {
  test.each(Ms)('M = %i against every N and K in the grid', (M) => {
    for (const N of Ns)
      for (const K of Ks) check({ batch: 1, M, N, K, alpha: 1, beta: 0 }, dtype, M * 7919 + N * 131 + K);
  });

  test('alpha and beta (C read only when beta != 0)', () => {
    for (const [M, N, K] of [
      [1, 500, 200],
      [4, 10, 130],
      [16, 16, 128],
      [64, 10, 500],
    ])
      for (const [alpha, beta] of [
        [2, 0],
        [1, 1],
        [-0.5, 0.25],
      ])
        check({ batch: 1, M, N, K, alpha, beta }, dtype, M + N + K);
  });

  test('batches, one C per batch and one C shared in order', () => {
    check({ batch: 3, M: 2, N: 40, K: 136, alpha: 1, beta: 0 }, dtype, 1);
    check({ batch: 3, M: 70, N: 9, K: 200, alpha: 1, beta: 0 }, dtype, 2);
    check({ batch: 3, M: 3, N: 12, K: 150, alpha: 1, beta: 1, broadcastC: true }, dtype, 3);
  });

  test('shapes large enough to run on two threads', () => {
    const before = nt.getNumThreads();
    nt.setNumThreads(2);
    try {
      check({ batch: 1, M: 16, N: 1000, K: 256, alpha: 1, beta: 0 }, dtype, 4);
      check({ batch: 1, M: 256, N: 10, K: 784, alpha: 1, beta: 0.5 }, dtype, 5);
      check({ batch: 8, M: 1, N: 700, K: 512, alpha: 1, beta: 0 }, dtype, 6);
    } finally {
      nt.setNumThreads(before);
    }
  });

  test('NaN and infinity in A reach exactly their rows', () => {
    const poison = (a: Float64Array, lda: number): void => {
      a[1 * lda + 5] = Number.NaN; // row 1 (inside the vector loop)
      a[2 * lda + 129] = Number.POSITIVE_INFINITY; // row 2 (in the K % 8 tail)
    };
    check({ batch: 1, M: 4, N: 10, K: 130, alpha: 1, beta: 0 }, dtype, 7, poison);
    check({ batch: 1, M: 40, N: 7, K: 130, alpha: 1, beta: 0 }, dtype, 8, poison);
  });
});

test('linear with one row and with a narrow output equals x @ w.T + b', () => {
  for (const [M, inF, outF] of [
    [1, 784, 500],
    [64, 500, 10],
  ]) {
    const next = signed(M + outF);
    const vals = (n: number): number[] => Array.from({ length: n }, next);
    const x = nt.tensor(vals(M * inF), { shape: [M, inF] });
    const w = nt.tensor(vals(outF * inF), { shape: [outF, inF] });
    const b = nt.tensor(vals(outF), { shape: [outF] });
    const exp = x.double().matmul(w.double().t()).add(b.double());
    expectClose(nt.nn.functional.linear(x, w, b), exp.data() as Float64Array, { atol: 2e-6 * inF, rtol: 1e-4 });
  }
});
