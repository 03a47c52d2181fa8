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
export function randomTensor(
  shape: number[],
  seed: number,
  opts: { dtype?: nt.DType; device?: nt.Device; lo?: number; hi?: number } = {},
): { t: nt.Tensor; ref: Float64Array } {
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
export function expectClose(
  actual: nt.Tensor | ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { atol: number; rtol: number } = TOL.float32,
): void {
  const a = actual instanceof nt.Tensor ? (actual.double().cpu().data() as Float64Array) : actual;
  expect(a.length).toBe(expected.length);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; ++i) {
    const e = expected[i];
    const v = a[i];
    if (Number.isNaN(e) || Number.isNaN(v)) {
      if (Number.isNaN(e) !== Number.isNaN(v)) {
        worst = i;
        worstErr = Infinity;
        break;
      }
      continue;
    }
    if (e === v) continue;
    const err = Math.abs(v - e) - (tol.atol + tol.rtol * Math.abs(e));
    if (err > worstErr) {
      worstErr = err;
      worst = i;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `mismatch at flat index ${worst}: got ${a[worst]}, expected ${expected[worst]} (atol ${tol.atol}, rtol ${tol.rtol})`,
    );
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
function ravelBroadcast(idx: readonly number[], shape: readonly number[]): number {
  const off = idx.length - shape.length;
  let flat = 0;
  for (let d = 0; d < shape.length; ++d) flat = flat * shape[d] + (shape[d] === 1 ? 0 : idx[d + off]);
  return flat;
}

// ---- float64 references for the tensor-core suites --------------------------

/** A seed derived from the running test's name, so each test gets its own data. */
export function testSeed(salt = ''): number {
  const name = `${expect.getState().currentTestName ?? ''}|${salt}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; ++i) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Tolerance for a floating dtype (float32 for anything else). */
export function tolFor(dtype: nt.DType): { atol: number; rtol: number } {
  return dtype === 'float64' ? TOL.float64 : TOL.float32;
}

/**
 * Row-major values of view `t`, read from the flat reference `base` of its
 * storage with t's own shape/strides/offset (no kernel involved).
 */
export function viewRef(base: ArrayLike<number>, t: nt.Tensor): Float64Array {
  const out = new Float64Array(t.numel);
  for (let i = 0; i < out.length; ++i) {
    const idx = unravel(i, t.shape);
    let off = t.offset;
    for (let d = 0; d < idx.length; ++d) off += idx[d] * t.strides[d];
    out[i] = base[off];
  }
  return out;
}

/** NumPy broadcast of two shapes (throws on mismatch). */
function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; ++i) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) throw new Error(`reference: cannot broadcast [${a}] and [${b}]`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Elementwise f over broadcast operands, in float64. */
export function refBroadcast(
  operands: { values: ArrayLike<number>; shape: readonly number[] }[],
  f: (...v: number[]) => number,
): { shape: number[]; values: Float64Array } {
  const shape = operands.reduce<number[]>((s, o) => broadcastShape(s, o.shape), []);
  const values = new Float64Array(numelOf(shape));
  const args = new Array<number>(operands.length);
  for (let i = 0; i < values.length; ++i) {
    const idx = unravel(i, shape);
    for (let k = 0; k < operands.length; ++k) args[k] = operands[k].values[ravelBroadcast(idx, operands[k].shape)];
    values[i] = f(...args);
  }
  return { shape, values };
}

/** Reduction of row-major `values` over `dims` (sorted, non-negative) with f over each group. */
export function refReduce(
  values: ArrayLike<number>,
  shape: readonly number[],
  dims: readonly number[],
  keepdim: boolean,
  f: (group: number[]) => number,
): { shape: number[]; values: Float64Array } {
  const set = new Set(dims);
  const keptShape = shape.map((s, d) => (set.has(d) ? 1 : s));
  const groups: number[][] = Array.from({ length: numelOf(keptShape) }, () => []);
  for (let i = 0; i < numelOf(shape); ++i) {
    const idx = unravel(i, shape).map((v, d) => (set.has(d) ? 0 : v));
    let flat = 0;
    for (let d = 0; d < shape.length; ++d) flat = flat * keptShape[d] + idx[d];
    groups[flat].push(values[i]);
  }
  const outShape = keepdim ? keptShape : shape.filter((_, d) => !set.has(d));
  return { shape: outShape, values: Float64Array.from(groups.map(f)) };
}

/** Accurate erf for |x| <= ~3 (Taylor series, float64). */
export function erfRef(x: number): number {
  if (Math.abs(x) > 3.5) return Math.sign(x) * (1 - erfcTail(Math.abs(x)));
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; ++n) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

function erfcTail(x: number): number {
  // Continued fraction for erfc, accurate for large x.
  let f = 0;
  for (let n = 60; n >= 1; --n) f = n / 2 / (x + f);
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
}

/** Values of a tensor as float64 (a copy). */
export function values(t: nt.Tensor): Float64Array {
  return Float64Array.from(t.double().cpu().data() as Float64Array);
}

/**
 * Expects `fn` to throw an instance of `cls` whose message matches `msg`, at
 * its call or, for a kernel error raised after enqueue (index values), at the
 * sync point that follows it.
 */
export function expectError(fn: () => unknown, cls: abstract new (...a: never[]) => Error, msg: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
    nt.synchronizeSync();
  } catch (e) {
    caught = e;
  }
  if (caught === undefined) throw new Error(`expected ${cls.name} matching ${String(msg)}, nothing was thrown`);
  if (!(caught instanceof cls))
    throw new Error(`expected ${cls.name}, got ${(caught as Error)?.constructor?.name}: ${(caught as Error)?.message}`);
  if (typeof msg === 'string') expect((caught as Error).message).toBe(msg);
  else expect((caught as Error).message).toMatch(msg);
}

// Counts after GC has settled (see bench/settle.ts).
export { settledMemory } from '../bench/settle';

/** n items: x[i] = [3i, 3i+1, 3i+2] (float32), y[i] = i (int64); the data tests' dataset. */
export function arangeDataset(n: number, device: nt.Device = 'cpu'): nt.data.TensorDataset {
  const x = nt.arange(n * 3, undefined, 1, { dtype: 'float32', device }).reshape([n, 3]);
  const y = nt.arange(n, undefined, 1, { device });
  return new nt.data.TensorDataset(x, y);
}

/** The labels of one batch of arangeDataset, after checking its rows belong to them; disposes the batch. */
export function arangeBatchLabels(x: nt.Tensor, y: nt.Tensor): number[] {
  const labels = y.toArray() as number[];
  expect(x.toArray()).toEqual(labels.map((i) => [3 * i, 3 * i + 1, 3 * i + 2]));
  x.dispose();
  y.dispose();
  return labels;
}

/** Awaits `work` and counts the event-loop turns (setImmediate callbacks) that ran meanwhile. */
export async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let running = true;
  const spin = (): void => {
    turns++;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  try {
    return { result: await work(), turns };
  } finally {
    running = false;
  }
}
