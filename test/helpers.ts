// Shared test utilities: seeded reference data, float64 comparisons, and the
// list of devices every device-generic test runs on.
import * as nt from '../lib';

/** Devices available to this process: always cpu, plus cuda when usable. */
export const DEVICES: nt.Device[] = nt.cuda.isAvailable() ? ['cpu', 'cuda'] : ['cpu'];

/** Mulberry32: a tiny deterministic PRNG for reference data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [lo, hi) from `seed`. */
export function randomValues(n: number, seed: number, lo = -2, hi = 2): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; ++i) out[i] = lo + (hi - lo) * r();
  return out;
}

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Random tensor of `shape` plus its float64 reference values (row-major). */
export function randomTensor(shape: number[], seed: number, opts: { dtype?: nt.DType; device?: nt.Device; lo?: number; hi?: number } = {}): { t: nt.Tensor; ref: Float64Array } {
  const ref = randomValues(numelOf(shape), seed, opts.lo, opts.hi);
  const dtype = opts.dtype ?? 'float32';
  const t = nt.tensor(ref, { dtype, shape, device: opts.device ?? 'cpu' });
  // The reference is the value as stored (rounded to float32 if needed).
  const stored = Float64Array.from(t.double().cpu().data() as Float64Array);
  return { t, ref: stored };
}

export const TOL: Record<'float32' | 'float64', { atol: number; rtol: number }> = {
  float32: { atol: 1e-5, rtol: 1e-4 },
  float64: { atol: 1e-12, rtol: 1e-10 },
};

/** Asserts |actual - expected| <= atol + rtol * |expected| everywhere (NaN must match NaN). */
export function expectClose(actual: nt.Tensor | ArrayLike<number>, expected: ArrayLike<number>, tol: { atol: number; rtol: number } = TOL.float32): void {
  const a = actual instanceof nt.Tensor ? (actual.double().cpu().data() as Float64Array) : actual;
  expect(a.length).toBe(expected.length);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; ++i) {
    const e = expected[i];
    const v = a[i];
    if (Number.isNaN(e) || Number.isNaN(v)) {
      if (Number.isNaN(e) !== Number.isNaN(v)) { worst = i; worstErr = Infinity; break; }
      continue;
    }
    if (e === v) continue;
    const err = Math.abs(v - e) - (tol.atol + tol.rtol * Math.abs(e));
    if (err > worstErr) { worstErr = err; worst = i; }
  }
  if (worst >= 0) {
    throw new Error(`mismatch at flat index ${worst}: got ${a[worst]}, expected ${expected[worst]} (atol ${tol.atol}, rtol ${tol.rtol})`);
  }
}

/** Row-major flat index -> multi-index. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; --d) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** Multi-index -> row-major flat index, broadcasting size-1 dims of `shape`. */
export function ravelBroadcast(idx: readonly number[], shape: readonly number[]): number {
  const off = idx.length - shape.length;
  let flat = 0;
  for (let d = 0; d < shape.length; ++d) flat = flat * shape[d] + (shape[d] === 1 ? 0 : idx[d + off]);
  return flat;
}
