// One GEMM case through the kernel entry point against a float64 reference:
// C = alpha * op(A) @ op(B) + beta * C, with padded leading dimensions whose
// padding holds NaN (a read past a row shows) and, when beta = 0, a C that
// starts as NaN (an element left unwritten, or read, shows).
import * as nt from '../lib';
import { kGemm } from '../lib/kernels/launch';
import { expectClose, rng } from './helpers';

export type Float = 'float32' | 'float64';

export interface GemmCase {
  batch: number;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  /** A stored K x M (default false). */
  transA?: boolean;
  /** B stored N x K (default true: nn.Linear's weight layout). */
  transB?: boolean;
  /** C shared by every batch (batch stride 0): batches accumulate in order. */
  broadcastC?: boolean;
}

/** Deterministic values in [-1, 1). */
export function signed(seed: number): () => number {
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

/** Runs one case and checks it; `edit` may change A's stored values first (rows of ld). */
export function checkGemm(
  c: GemmCase,
  dtype: Float,
  seed: number,
  edit?: (a: Float64Array, lda: number) => void,
): void {
  const transA = c.transA ?? false;
  const transB = c.transB ?? true;
  const next = signed(seed);
  const [aRows, aCols] = transA ? [c.K, c.M] : [c.M, c.K];
  const [bRows, bCols] = transB ? [c.N, c.K] : [c.K, c.N];
  const lda = aCols + 3,
    ldb = bCols + 5,
    ldc = c.N + 2;
  const [a0, aRef0] = padded(c.batch * aRows, aCols, lda, dtype, next);
  let a = a0,
    aRef = aRef0;
  if (edit) {
    const v = Float64Array.from(aRef);
    edit(v, lda);
    a = nt.tensor(v, { dtype, shape: [v.length] });
    aRef = Float64Array.from(a.double().data() as Float64Array);
  }
  const [b, bRef] = padded(c.batch * bRows, bCols, ldb, dtype, next);
  const cBatches = c.broadcastC ? 1 : c.batch;
  const [out, cRef] = padded(cBatches * c.M, c.N, ldc, dtype, c.beta === 0 ? () => Number.NaN : next);
  const exp = Float64Array.from(cRef);
  const aAt = (bi: number, i: number, k: number): number =>
    aRef[bi * aRows * lda + (transA ? k * lda + i : i * lda + k)];
  const bAt = (bi: number, k: number, j: number): number =>
    bRef[bi * bRows * ldb + (transB ? j * ldb + k : k * ldb + j)];
  for (let bi = 0; bi < c.batch; ++bi) {
    const cb = c.broadcastC ? 0 : bi;
    for (let i = 0; i < c.M; ++i)
      for (let j = 0; j < c.N; ++j) {
        let s = 0;
        for (let k = 0; k < c.K; ++k) s += aAt(bi, i, k) * bAt(bi, k, j);
        const at = (cb * c.M + i) * ldc + j;
        exp[at] = c.alpha * s + (c.beta === 0 ? 0 : c.beta * exp[at]);
      }
  }
  kGemm(
    c.batch,
    c.M,
    c.N,
    c.K,
    { t: a, ld: lda, batchStride: aRows * lda, trans: transA },
    { t: b, ld: ldb, batchStride: bRows * ldb, trans: transB },
    { t: out, ld: ldc, batchStride: c.broadcastC ? 0 : c.M * ldc },
    c.alpha,
    c.beta,
  );
  const got = Float64Array.from(out.double().data() as Float64Array);
  // The M x N corner of each C row is compared, and the padding must stay as it was (NaN == NaN here).
  const tol = dtype === 'float64' ? { atol: 1e-12 * c.K, rtol: 1e-10 } : { atol: 2e-6 * c.K, rtol: 1e-4 };
  try {
    expectClose(got, exp, tol);
  } catch (e) {
    throw new Error(`${JSON.stringify(c)} ${dtype}: ${(e as Error).message}`);
  }
  for (const t of [a, a0, b, out]) t.dispose();
}
