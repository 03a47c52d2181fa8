// C = alpha * A @ B^T + beta * C through the kernel entry point, on the
// shapes where the small-M kernel (native/cpu/gemm_small.cpp) takes over
// from OpenBLAS / the fallback and just around its thresholds (M 4 and 16,
// N 16, K 8 and 128). Leading dimensions are padded and the padding holds
// NaN, so a read past K or past a row shows; C starts as NaN, so an element
// left unwritten (or read with beta = 0) shows. Float64 reference.
import * as nt from '../lib';
import { kGemm } from '../lib/kernels/launch';
import { expectClose, rng } from './helpers';

type Float = 'float32' | 'float64';

/** Deterministic values in [-1, 1). */
function signed(seed: number): () => number {
  const r = rng(seed);
  return () => 2 * r() - 1;
}

/** rows x ld values, columns >= cols set to NaN; returns the tensor and the values as stored. */
function padded(rows: number, cols: number, ld: number, dtype: Float, next: () => number): [nt.Tensor, Float64Array] {
  const v = new Float64Array(rows * ld);
  for (let r = 0; r < rows; ++r) for (let c = 0; c < ld; ++c) v[r * ld + c] = c < cols ? next() : Number.NaN;
  const t = nt.tensor(v, { dtype, shape: [rows * ld] });
  return [t, Float64Array.from(t.double().data() as Float64Array)];
}

interface Case {
  batch: number;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  /** C shared by every batch (batch stride 0): batches accumulate in order. */
  broadcastC?: boolean;
}

/** Runs one case and checks it against the float64 reference. */
function check(c: Case, dtype: Float, seed: number, edit?: (a: Float64Array, lda: number) => void): void {
  const next = signed(seed);
  const lda = c.K + 3,
    ldb = c.K + 5,
    ldc = c.N + 2;
  const [a0, aRef0] = padded(c.batch * c.M, c.K, lda, dtype, next);
  let a = a0,
    aRef = aRef0;
  if (edit) {
    const v = Float64Array.from(aRef);
    edit(v, lda);
    a = nt.tensor(v, { dtype, shape: [v.length] });
    aRef = Float64Array.from(a.double().data() as Float64Array);
  }
  const [b, bRef] = padded(c.batch * c.N, c.K, ldb, dtype, next);
  const cBatches = c.broadcastC ? 1 : c.batch;
  // beta == 0: C holds NaN that must be overwritten; otherwise finite values.
  const [out, cRef] = padded(cBatches * c.M, c.N, ldc, dtype, c.beta === 0 ? () => Number.NaN : next);
  const exp = Float64Array.from(cRef);
  for (let bi = 0; bi < c.batch; ++bi) {
    const cb = c.broadcastC ? 0 : bi;
    for (let i = 0; i < c.M; ++i)
      for (let j = 0; j < c.N; ++j) {
        let s = 0;
        for (let k = 0; k < c.K; ++k) s += aRef[(bi * c.M + i) * lda + k] * bRef[(bi * c.N + j) * ldb + k];
        const at = (cb * c.M + i) * ldc + j;
        exp[at] = c.alpha * s + (c.beta === 0 ? 0 : c.beta * exp[at]);
      }
  }
  kGemm(
    c.batch,
    c.M,
    c.N,
    c.K,
    { t: a, ld: lda, batchStride: c.M * lda, trans: false },
    { t: b, ld: ldb, batchStride: c.N * ldb, trans: true },
    { t: out, ld: ldc, batchStride: c.broadcastC ? 0 : c.M * ldc },
    c.alpha,
    c.beta,
  );
  const got = Float64Array.from(out.double().data() as Float64Array);
  // Only the M x N corner of each C row is compared; the padding must stay as it was.
  const tol = dtype === 'float64' ? { atol: 1e-12 * c.K, rtol: 1e-10 } : { atol: 2e-6 * c.K, rtol: 1e-4 };
  try {
    expectClose(got, exp, tol);
  } catch (e) {
    throw new Error(`${JSON.stringify(c)} ${dtype}: ${(e as Error).message}`);
  }
  for (const t of [a, a0, b, out]) t.dispose();
}

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
